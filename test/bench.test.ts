import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ROOT } from './helpers/daemon.js';

const run = promisify(execFile);

/** The benchmark code runs, on a tiny size: its numbers are not judged here (benchmarks are not timed tests). */
t.test('npm run bench works end to end on a tiny size', async (t) => {
  const out = t.testdir();
  await run(process.execPath, [path.join(ROOT, 'bench/run.mjs'), '--tiny', '--out', out, '--only', 'rpc,client,hostile,scale,backup'], { timeout: 150_000 });
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  t.equal(results.tiny, true);
  t.same(results.rpc.map((r: { shape: string }) => r.shape), ['1 in flight, 1 connection', '64 in flight, 1 connection', '8 connections × 8 in flight',
    '64 in flight, 1 connection, with a connectorId', '64 in flight, 1 connection, a rotated key\'s previous value, with a connectorId']);
  for (const r of results.rpc) {
    t.ok(r.daemon.perSecond > 0 && r.bare.perSecond > 0 && r.throughputRatio > 0 && r.p99Ratio > 0, r.shape);
  }
  t.ok(results.client.leanPerSecond > 0 && results.client.singleRatio > 0 && results.client.pooledRatio > 0, 'the Node client beside the lean session');
  t.same(results.hostile.map((r: { flood: string }) => r.flood), ['unread', 'hellos', 'stalled', 'nested'], 'each flood measured');
  for (const r of results.hostile) {
    // The stalled flood needs another user (bench/run.mjs says when it cannot have one): then it says why.
    if (r.skipped) {
      t.equal(r.flood, 'stalled', `${r.flood}: skipped only where another user is needed`);
      t.comment(`${r.flood} flood skipped: ${r.skipped}`);
    } else {
      t.ok(r.quietP99Ms > 0 && r.floodedP99Ms > 0 && r.p99Ratio > 0, `${r.flood}: both p99s measured`);
      // The largest rise of the daemon's RSS under the flood over its level just before, 0 when it never rose: a measure, never negative, in tenths of a MiB.
      t.ok(Number.isFinite(r.rssGrowthMiB) && r.rssGrowthMiB >= 0, `${r.flood}: RSS growth ${r.rssGrowthMiB} MiB is a measure, not negative`);
      t.equal(Math.round(r.rssGrowthMiB * 10) / 10, r.rssGrowthMiB, `${r.flood}: in tenths of a MiB`);
    }
  }
  const nodeRows = results.scale.filter((r: { daemon: string }) => r.daemon === 'node');
  t.same(nodeRows.map((r: { keys: number }) => r.keys), [10, 100], 'node at each tiny size (and the executable too when it is built)');
  for (const r of results.scale) t.ok(r.startMs > 0 && r.listAllMs > 0 && r.create.meanMs > 0 && r.rssAfterWorkMiB > 0, `${r.keys} keys, ${r.daemon}`);
  const largest = nodeRows.at(-1);
  t.ok(largest.vsSmallest.start > 0 && largest.firstListVsParse > 0 && Number.isInteger(largest.rssBytesPerKey.afterStart) && Number.isInteger(largest.rssBytesPerKey.afterWork),
    'the largest vault has its ratios: start, first list against the client\'s parse, RSS per key after start and after work');
  t.same(results.backup.map((r: { keys: number }) => r.keys), [100], 'backup and restore at the tiny size');
  for (const r of results.backup) t.ok(r.backupSeconds > 0 && r.restoreSeconds > 0 && r.duringP99Ms > 0 && r.authenticateDuring > 0, `backup of ${r.keys} keys`);
  const markdown = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  t.match(markdown, /TINY RUN/);
  t.match(markdown, /throughput ≥ 0.6 × bare at 64 in flight, 1 connection/);
  t.match(markdown, /throughput ≥ 0.8 × bare at 8 connections × 8 in flight/);
  // The C pair is built where cc is; where it is not, the report says so.
  if (results.rpcC.skipped) {
    t.match(markdown, `Skipped: ${results.rpcC.skipped}`);
  } else {
    t.ok(results.rpcC.daemonPerSecond > 0 && results.rpcC.cServerPerSecond > 0 && results.rpcC.ratio > 0, 'the daemon against the C server, both driven from C');
    t.match(markdown, /throughput ≥ 0.25 × the C server/);
  }
  t.match(markdown, /Load average \(1, 5, 15 min\)/);
  t.match(markdown, /## The Node client/);
  t.match(markdown, /GatewayClient of one connection ≥ 0.9 × the lean session/);
  t.match(markdown, /## Hostile clients/);
  for (const r of results.hostile.filter((x: { skipped?: string }) => !x.skipped)) {
    t.match(markdown, `| ${r.quietP99Ms} | ${r.floodedP99Ms} | ${r.p99Ratio} | ${r.rssGrowthMiB} |`, `the report shows the ${r.flood} flood's numbers`);
  }
  t.match(markdown, /a rotated key's previous value, with a connectorId: ≥ 0.9 × the ratio without/);
  t.match(markdown, /first list of all ≤ 1.5 × the client.s JSON.parse of it/);
  t.match(markdown, /RSS after lists and changes ≤ 600 bytes per key more than at 10/);
});
