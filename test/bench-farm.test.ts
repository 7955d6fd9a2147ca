import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { markdown } from '../bench/lib/report.mjs';
import { ROOT } from './helpers/daemon.js';
import { skipWithoutPostgres } from './helpers/postgres.js';

const run = promisify(execFile);

/** The farm's figures (docs/farm.md), on a tiny size, against a PostgreSQL the bench starts itself. */
t.test('npm run bench measures a farm of two hosts beside a single host', { skip: skipWithoutPostgres(t) }, async (t) => {
  const out = t.testdir();
  await run(process.execPath, [path.join(ROOT, 'bench/run.mjs'), '--tiny', '--out', out, '--only', 'farm'], { timeout: 120_000 });
  const { farm } = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  t.same(farm.propagation.map((x: { change: string }) => x.change), ['create', 'rotate', 'disable', 'delete'], 'each kind of change, made on one host, watched on the other');
  for (const x of farm.propagation) {
    // Not a timing: a change another host never shows in 10 s (the backstop poll is 2 s) is a farm that does not work.
    t.equal(x.unseen, 0, `every ${x.change} shows on the other host`);
    t.ok(x.p50Ms > 0 && x.p99Ms >= x.p50Ms && x.maxMs >= x.p99Ms && x.atFirstAnswer <= x.count, `${x.change}: p50, p99 and the slowest`);
  }
  t.same(farm.writes.map((x: { method: string }) => x.method), ['apiKey.create', 'apiKey.update']);
  for (const x of farm.writes) t.ok(x.farm.medianMs > 0 && x.single.medianMs > 0 && x.medianRatio > 0 && x.p99Ratio > 0, `${x.method} on both, with their ratios`);
  t.ok(farm.authenticate.farmPerSecond > 0 && farm.authenticate.singlePerSecond > 0 && farm.authenticate.ratio > 0, 'authenticate on both, with their ratio');
  const { quiet, busy } = farm.usageFlush;
  t.equal(quiet.authenticationsPerSecond, 0, 'a window with no authentications');
  t.ok(busy.authenticationsPerSecond > 0, 'a window authenticating');
  for (const x of [quiet, busy]) {
    t.ok([x.commitsPerSecond, x.rowsWrittenPerSecond, x.writeTransactionsPerSecond, x.walKiBPerSecond].every((n) => Number.isFinite(n) && n >= 0), 'the database\'s rates, measured');
  }
  const report = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  t.match(report, /## Farm/);
  for (const x of farm.propagation) t.match(report, `| ${x.change} | ${x.count} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} | ${x.atFirstAnswer} | ${x.unseen} |`, `the report shows the ${x.change}s`);
  t.match(report, /p99 ≤ 1000 ms of every kind/);
  t.match(report, `| ${farm.authenticate.farmPerSecond} | ${farm.authenticate.singlePerSecond} | ${farm.authenticate.ratio} |`);
  t.match(report, /ratio ≥ 0.9/);
  t.match(report, `| authenticating | ${busy.authenticationsPerSecond} | ${busy.commitsPerSecond} | ${busy.rowsWrittenPerSecond} |`);
});

t.test('without PostgreSQL the report says the farm was skipped, and why', async (t) => {
  const report = markdown({ machine: 'm', date: 'd', tiny: true, farm: { skipped: 'no PostgreSQL server binaries here' } });
  t.match(report, /## Farm\n\nSkipped: no PostgreSQL server binaries here\./);
});
