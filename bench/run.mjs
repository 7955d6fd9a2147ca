// npm run bench: every performance figure of the project beside its baseline, measured in the same
// run on this machine, written to bench/results.json and bench/results.md.
//   node bench/run.mjs [--tiny] [--out DIR] [--only rpc,client,hostile,scale,backup,farm,executable,powershell,dotnet]
// --tiny runs every benchmark on a tiny size: it checks the code, not the speed (npm test uses it).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { call, connect, drive, openSession, percentile, timeToLastByte } from './lib/framed-client.mjs';
import { populate } from './lib/populate.mjs';
import { postgresBinDir, postgresMissing, startPostgres } from './lib/postgres.mjs';
import { EXECUTABLE, ROOT, rssMiB, startBareServer, startCServer, startDaemon, tempPipe } from './lib/processes.mjs';
import { openSession as openClientSession } from '../dist/client/connect.js';

const { values: flags } = parseArgs({ options: { tiny: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } } });
const tiny = Boolean(flags.tiny);
const outDir = path.resolve(flags.out ?? path.join(ROOT, 'bench'));
const only = new Set((flags.only ?? 'rpc,client,hostile,scale,backup,farm,executable,powershell,dotnet').split(','));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const log = (text) => process.stderr.write(`${text}\n`);

/**
 * One measurement of `connections` × `inFlight` authenticate requests with `params` against a
 * server; `token` opens a gateway session first (the bare server has none to open).
 */
async function measure(server, token, params, { connections, inFlight, count }) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(server.pipe)));
  if (token) for (const socket of sockets) await openSession(socket, 'gateway', token);
  const runs = await Promise.all(sockets.map((socket) => drive(socket, { count: Math.ceil(count / connections), inFlight, method: 'connector.authenticate', params })));
  for (const socket of sockets) socket.destroy();
  const latencies = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const seconds = Math.max(...runs.map((r) => r.seconds));
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * The C pair of bench/c, built with cc into the work directory: {server, loadgen}, or {skipped}
 * saying why it cannot be.
 */
function buildC() {
  const built = {};
  for (const name of ['server', 'loadgen']) {
    const binary = path.join(work, `c-${name}`);
    const cc = spawnSync('cc', ['-O2', '-o', binary, path.join(ROOT, 'bench/c', `${name}.c`)], { encoding: 'utf8' });
    if (cc.error) return { skipped: `cc is not there (${cc.error.code})` };
    if (cc.status !== 0) return { skipped: `cc could not build bench/c/${name}.c: ${cc.stderr.trim().split('\n')[0]}` };
    built[name] = binary;
  }
  return built;
}

/**
 * One measurement of the C load generator (bench/c/loadgen.c) against a server: `connections`
 * connections opened here (with a gateway session when `token` is given) and handed over to it as
 * its file descriptors 3, 4, …; each keeps `inFlight` copies of `body` in flight. Requests per second.
 */
async function measureWithC(loadgen, server, token, body, { connections, inFlight, count }) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(server.pipe)));
  if (token) for (const socket of sockets) await openSession(socket, 'gateway', token);
  for (const socket of sockets) socket.pause(); // the load generator reads them from now on
  try {
    const child = spawn(loadgen, [String(Math.ceil(count / connections)), String(inFlight), String(connections), body], { stdio: ['ignore', 'pipe', 'pipe', ...sockets] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the C load generator failed: ${err.trim()}`);
    const { count: answered, seconds } = JSON.parse(out);
    return answered / seconds;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/**
 * The daemon's authenticate against the C server of bench/c (an epoll loop answering fixed frames),
 * both driven by the C load generator (issue 24): medians of alternating rounds.
 */
async function cBenchmarks(daemon, key, rounds) {
  const c = buildC();
  if (c.skipped) {
    log(`rpc against C skipped: ${c.skipped}`);
    return { skipped: c.skipped };
  }
  const server = await startCServer(c.server, tempPipe('c'));
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'connector.authenticate', params: { key } });
  const shape = { connections: 1, inFlight: 64, count: tiny ? 1000 : 200000 };
  try {
    await measureWithC(c.loadgen, daemon, daemon.gatewayToken, body, { ...shape, count: Math.min(shape.count, 20000) });
    await measureWithC(c.loadgen, server, undefined, body, { ...shape, count: Math.min(shape.count, 20000) });
    const pairs = [];
    for (let r = 0; r < rounds; r++) {
      const d = await measureWithC(c.loadgen, daemon, daemon.gatewayToken, body, shape);
      const s = await measureWithC(c.loadgen, server, undefined, body, shape);
      pairs.push({ d, s });
      log(`rpc against C, ${shape.inFlight} in flight, ${shape.connections} connection, round ${r + 1}: daemon ${Math.round(d)}/s, C server ${Math.round(s)}/s (load ${os.loadavg()[0].toFixed(1)})`);
    }
    return {
      rounds, inFlight: shape.inFlight, connections: shape.connections,
      daemonPerSecond: round(median(pairs.map((p) => p.d)), 0),
      cServerPerSecond: round(median(pairs.map((p) => p.s)), 0),
      ratio: round(median(pairs.map((p) => p.d / p.s))),
    };
  } finally {
    await server.stop();
  }
}

async function rpcBenchmarks() {
  const dataDir = path.join(work, 'rpc');
  const [key, rotatedKey, usedKey] = await populate(dataDir, 100);
  const daemon = await startDaemon(dataDir, tempPipe('daemon'));
  const bare = await startBareServer(tempPipe('bare'));
  // A key in the grace of a rotation: its previous value is what the last shape presents. Keys are
  // named in creation order, so the second key made is the second by name.
  const admin = await connect(daemon.pipe);
  await openSession(admin, 'admin', daemon.adminToken);
  const { items: [, second] } = await call(admin, 'apiKey.list', { limit: 2 });
  await call(admin, 'apiKey.rotate', { name: second.name, graceHours: 168 });
  admin.destroy();
  const shapes = [
    { label: '1 in flight, 1 connection', connections: 1, inFlight: 1, count: tiny ? 200 : 5000, params: { key } },
    { label: '64 in flight, 1 connection', connections: 1, inFlight: 64, count: tiny ? 500 : 40000, params: { key } },
    { label: '8 connections × 8 in flight', connections: 8, inFlight: 8, count: tiny ? 500 : 40000, params: { key } },
    // Uses recorded per connector, on a key of its own, so they start from none.
    { label: '64 in flight, 1 connection, with a connectorId', connections: 1, inFlight: 64, count: tiny ? 500 : 40000, params: { key: usedKey, connectorId: 'bench-connector' } },
    { label: '64 in flight, 1 connection, a rotated key\'s previous value, with a connectorId', connections: 1, inFlight: 64, count: tiny ? 500 : 40000, params: { key: rotatedKey, connectorId: 'bench-connector' } },
  ];
  const rounds = tiny ? 1 : 7;
  const results = [];
  let c;
  try {
    for (const shape of shapes) {
      // Warm both up, then alternate, so drift on this shared machine hits both alike.
      await measure(daemon, daemon.gatewayToken, shape.params, { ...shape, count: Math.min(shape.count, 2000) });
      await measure(bare, undefined, shape.params, { ...shape, count: Math.min(shape.count, 2000) });
      const pairs = [];
      for (let r = 0; r < rounds; r++) {
        const d = await measure(daemon, daemon.gatewayToken, shape.params, shape);
        const b = await measure(bare, undefined, shape.params, shape);
        pairs.push({ d, b });
        log(`rpc ${shape.label} round ${r + 1}: daemon ${Math.round(d.perSecond)}/s p99 ${d.p99.toFixed(3)} ms, bare ${Math.round(b.perSecond)}/s p99 ${b.p99.toFixed(3)} ms (load ${os.loadavg()[0].toFixed(1)})`);
      }
      results.push({
        shape: shape.label,
        rounds,
        daemon: { perSecond: round(median(pairs.map((p) => p.d.perSecond)), 0), p50Ms: round(median(pairs.map((p) => p.d.p50)), 3), p99Ms: round(median(pairs.map((p) => p.d.p99)), 3) },
        bare: { perSecond: round(median(pairs.map((p) => p.b.perSecond)), 0), p50Ms: round(median(pairs.map((p) => p.b.p50)), 3), p99Ms: round(median(pairs.map((p) => p.b.p99)), 3) },
        throughputRatio: round(median(pairs.map((p) => p.d.perSecond / p.b.perSecond))),
        p99Ratio: round(median(pairs.map((p) => p.d.p99 / p.b.p99))),
      });
    }
    c = await cBenchmarks(daemon, key, rounds);
  } finally {
    await daemon.stop();
    await bare.stop();
  }
  return { shapes: results, c };
}

/** `count` calls of `call()` with `inFlight` outstanding at a time, each awaited by its worker: calls per second. */
async function throughput(call, { count, inFlight }) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next++ < count) await call();
  }));
  return count / ((performance.now() - started) / 1000);
}

/**
 * The Node client's cost (docs/gateway-integration.md, "Node"): authenticate throughput at 64 in
 * flight through GatewayClient, with a pool of one connection and with its default pool, against the
 * lean session it is built on (src/client/connect.ts) on one pipelined connection; alternating rounds.
 */
async function clientBenchmarks() {
  const { GatewayClient } = await import('../dist/client/index.js');
  const dataDir = path.join(work, 'client');
  const [key] = await populate(dataDir, 100);
  const daemon = await startDaemon(dataDir, tempPipe('client'));
  const shape = { count: tiny ? 500 : 40000, inFlight: 64 };
  const rounds = tiny ? 1 : 7;
  const lean = (await openClientSession({ pipe: daemon.pipe, role: 'gateway', token: daemon.gatewayToken })).client;
  const single = await GatewayClient.connect({ pipe: daemon.pipe, token: daemon.gatewayToken, role: 'gateway', maxConnections: 1 });
  const pooled = await GatewayClient.connect({ pipe: daemon.pipe, token: daemon.gatewayToken, role: 'gateway' });
  const contenders = {
    lean: () => lean.request('connector.authenticate', { key }),
    single: () => single.authenticate(key),
    pooled: () => pooled.authenticate(key),
  };
  const samples = { lean: [], single: [], pooled: [] };
  try {
    for (const call of Object.values(contenders)) await throughput(call, { ...shape, count: Math.min(shape.count, 2000) });
    for (let r = 0; r < rounds; r++) {
      for (const [name, call] of Object.entries(contenders)) samples[name].push(await throughput(call, shape));
      log(`client round ${r + 1}: lean ${Math.round(samples.lean[r])}/s, GatewayClient of 1 connection ${Math.round(samples.single[r])}/s, of 4 ${Math.round(samples.pooled[r])}/s`);
    }
  } finally {
    lean.close();
    await single.close();
    await pooled.close();
    await daemon.stop();
  }
  const perSecond = (name) => round(median(samples[name]), 0);
  return {
    rounds, inFlight: shape.inFlight,
    leanPerSecond: perSecond('lean'), singlePerSecond: perSecond('single'), pooledPerSecond: perSecond('pooled'),
    singleRatio: round(median(samples.single.map((x, i) => x / samples.lean[i]))),
    pooledRatio: round(median(samples.pooled.map((x, i) => x / samples.lean[i]))),
  };
}

/** Times one sequential request `count` times; the milliseconds each took, in order. */
async function timings(socket, count, request) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const { method, params } = request(i);
    const started = performance.now();
    await call(socket, method, params);
    times.push(performance.now() - started);
  }
  return times;
}

/** Times one sequential request `count` times; returns {medianMs, meanMs}. */
async function timeEach(socket, count, request) {
  const times = await timings(socket, count, request);
  return { medianMs: round(median(times), 3), meanMs: round(times.reduce((a, b) => a + b, 0) / times.length, 3) };
}

/** Median start-up time of `runs` starts, stopping each but the last, which is returned running. */
async function timedStarts(dataDir, runs, executable) {
  const starts = [];
  for (let i = 0; ; i++) {
    const daemon = await startDaemon(dataDir, tempPipe('scale'), executable);
    starts.push(daemon.startMs);
    if (i === runs - 1) return { daemon, startMs: round(median(starts), 0) };
    await daemon.stop();
  }
}

/** One daemon (node or the executable) on a vault of `size` keys: start, lists, durable changes, memory. */
async function scaleRow(dataDir, size, executable) {
  const { daemon, startMs } = await timedStarts(dataDir, tiny ? 1 : 3, executable);
  const rssAfterStart = rssMiB(daemon.child.pid);
  const socket = await connect(daemon.pipe);
  await openSession(socket, 'admin', daemon.adminToken);
  // The first list also makes each key's cached answer; the next ones are what an admin sees.
  const listTimes = [];
  const parseTimes = [];
  for (let i = 0; i < (tiny ? 2 : 6); i++) {
    const { ms, body } = await timeToLastByte(socket, 'apiKey.list', { sortBy: 'name' });
    listTimes.push(ms);
    const parsing = performance.now();
    const { result } = JSON.parse(body.toString());
    parseTimes.push(performance.now() - parsing);
    if (result.total !== size || result.items.length !== size) throw new Error(`listed ${result.total} keys, expected ${size}`);
  }
  const ops = tiny ? 5 : 100;
  const create = await timeEach(socket, ops, (i) => ({ method: 'apiKey.create', params: { name: `bench-new-${i}` } }));
  const update = await timeEach(socket, ops, (i) => ({ method: 'apiKey.update', params: { name: `bench-new-${i}`, description: `edited ${i}` } }));
  const remove = await timeEach(socket, ops, (i) => ({ method: 'apiKey.delete', params: { name: `bench-new-${i}` } }));
  const rssAfterWork = rssMiB(daemon.child.pid);
  socket.destroy();
  await daemon.stop();
  const row = {
    keys: size, daemon: executable ? 'executable' : 'node', startMs, rssAfterStartMiB: round(rssAfterStart, 0),
    firstListMs: round(listTimes[0], 1), listAllMs: round(median(listTimes.slice(1)), 1), clientParseMs: round(median(parseTimes), 1),
    create, update, delete: remove, rssAfterWorkMiB: round(rssAfterWork, 0),
  };
  log(`scale ${size} ${row.daemon}: start ${startMs} ms, list ${row.listAllMs} ms, create ${create.medianMs} ms, RSS ${row.rssAfterWorkMiB} MiB`);
  return row;
}

/** Every size with `node dist/cli.js serve`, and with the single executable when `npm run package` has made it. */
async function scaleBenchmarks() {
  const sizes = tiny ? [10, 100] : [100, 10_000, 100_000];
  const flavours = fs.existsSync(EXECUTABLE) ? [false, true] : [false];
  const rows = [];
  for (const size of sizes) {
    const dataDir = path.join(work, `scale-${size}`);
    await populate(dataDir, size);
    for (const executable of flavours) rows.push(await scaleRow(dataDir, size, executable));
  }
  for (const row of rows) {
    const base = rows.find((r) => r.daemon === row.daemon);
    row.vsSmallest = {
      create: round(row.create.meanMs / base.create.meanMs), update: round(row.update.meanMs / base.update.meanMs), delete: round(row.delete.meanMs / base.delete.meanMs),
      start: round(row.startMs / base.startMs),
    };
    // What each key adds to resident memory: the growth over the smallest vault, per key more (issue 24's ratios hold on any machine).
    const perKey = (mib, baseMib) => (row.keys === base.keys ? null : Math.round(((mib - baseMib) * 2 ** 20) / (row.keys - base.keys)));
    row.rssBytesPerKey = { afterStart: perKey(row.rssAfterStartMiB, base.rssAfterStartMiB), afterWork: perKey(row.rssAfterWorkMiB, base.rssAfterWorkMiB) };
    row.firstListVsParse = round(row.firstListMs / row.clientParseMs);
  }
  return rows;
}

/**
 * The gateway's authenticate round trips (1 in flight) while a hostile local process floods the pipe
 * in each way docs/protocol.md's limits answer, against the same measure with no flood, alternating;
 * and the daemon's memory growth under each flood.
 */
async function hostileBenchmarks() {
  const dataDir = path.join(work, 'hostile');
  const [key] = await populate(dataDir, 100);
  const pipe = tempPipe('hostile');
  fs.chmodSync(path.dirname(pipe), 0o750); // the flood runs as another user of the daemon's group (below)
  const daemon = await startDaemon(dataDir, pipe);
  // As another user only when that user can read this checkout (a clone may live in a 0700 directory).
  const reachable = (dir) => dir === path.dirname(dir) || ((fs.statSync(dir).mode & 0o005) === 0o005 && reachable(path.dirname(dir)));
  // Its own environment: a parent's NODE_OPTIONS (tap's, under npm test) may preload a module the other user cannot read.
  const anotherUser = process.getuid?.() === 0 && reachable(ROOT);
  const asAnotherUser = anotherUser ? { uid: 65534, gid: process.getgid(), cwd: '/', env: { PATH: process.env.PATH ?? '' } } : {};
  const count = tiny ? 200 : 3000;
  const rounds = tiny ? 1 : 3;
  const results = [];
  try {
    await measure(daemon, daemon.gatewayToken, { key }, { connections: 1, inFlight: 1, count: 500 });
    for (const kind of ['unread', 'hellos', 'stalled', 'nested']) {
      // Stalled connections fill the pending room of their own user (docs/protocol.md, "Limits"): from this
      // user they would shut out the measuring gateway by design, so that flood needs another user.
      if (kind === 'stalled' && !anotherUser) {
        results.push({ flood: kind, skipped: 'the flood can only run as this user (not root, or the checkout is not readable by others), whose own pending room it fills by design' });
        log('hostile stalled: skipped, it needs another user');
        continue;
      }
      const pairs = [];
      let growth = 0;
      for (let r = 0; r < rounds; r++) {
        const quiet = await measure(daemon, daemon.gatewayToken, { key }, { connections: 1, inFlight: 1, count });
        const before = rssMiB(daemon.child.pid);
        const flood = spawn(process.execPath, [path.join(ROOT, 'bench/lib/flood.mjs'), kind, daemon.pipe, daemon.adminToken],
          { stdio: ['ignore', 'pipe', 'inherit'], ...asAnotherUser });
        await new Promise((resolve) => flood.stdout.once('data', resolve));
        await new Promise((resolve) => setTimeout(resolve, 500));
        const loud = await measure(daemon, daemon.gatewayToken, { key }, { connections: 1, inFlight: 1, count });
        growth = Math.max(growth, rssMiB(daemon.child.pid) - before);
        flood.kill('SIGTERM');
        await new Promise((resolve) => flood.once('exit', resolve));
        pairs.push({ quiet, loud });
        log(`hostile ${kind} round ${r + 1}: p99 ${loud.p99.toFixed(3)} ms flooded, ${quiet.p99.toFixed(3)} ms quiet; RSS +${growth.toFixed(1)} MiB`);
      }
      results.push({
        flood: kind,
        quietP99Ms: round(median(pairs.map((p) => p.quiet.p99)), 3),
        floodedP99Ms: round(median(pairs.map((p) => p.loud.p99)), 3),
        p99Ratio: round(median(pairs.map((p) => p.loud.p99 / p.quiet.p99))),
        rssGrowthMiB: round(growth, 1),
      });
    }
  } finally {
    await daemon.stop();
  }
  return results;
}

/** Runs the CLI to its end; resolves with the seconds it took (throws on a non-zero exit). */
function timedCli(args, env) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${args[0]} failed: ${stderr}`))));
  });
}

/**
 * Backup and restore of a vault of each size through the real CLI (docs/storage.md, "Backups"), the
 * Argon2id derivation included; and the gateway's authenticate round trips (1 in flight) while the
 * backup runs, against the same measure just before it.
 */
async function backupBenchmarks() {
  const sizes = tiny ? [100] : [10_000, 100_000];
  const env = { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'the benchmark passphrase' };
  const rows = [];
  for (const size of sizes) {
    const dataDir = path.join(work, `backup-${size}`);
    const [key] = await populate(dataDir, size);
    const daemon = await startDaemon(dataDir, tempPipe('backup'));
    const file = path.join(work, `backup-${size}.gwkb`);
    let row;
    try {
      const count = tiny ? 200 : 2000;
      await measure(daemon, daemon.gatewayToken, { key }, { connections: 1, inFlight: 1, count: 500 });
      const quiet = await measure(daemon, daemon.gatewayToken, { key }, { connections: 1, inFlight: 1, count });
      // Authenticate round trips for as long as the backup runs, a batch at a time.
      const socket = await connect(daemon.pipe);
      await openSession(socket, 'gateway', daemon.gatewayToken);
      let running = true;
      const latencies = [];
      const during = (async () => {
        while (running) latencies.push(...(await drive(socket, { count: 200, inFlight: 1, method: 'connector.authenticate', params: { key } })).latenciesMs);
      })();
      const backupSeconds = await timedCli(['backup', '--out', file, '--pipe', daemon.pipe, '--data-dir', dataDir], env).finally(() => (running = false));
      await during;
      socket.destroy();
      latencies.sort((a, b) => a - b);
      row = {
        keys: size, fileMiB: round(fs.statSync(file).size / 2 ** 20, 1), backupSeconds: round(backupSeconds), backupKeysPerSecond: Math.round(size / backupSeconds),
        authenticateDuring: latencies.length, quietP99Ms: round(quiet.p99, 3), duringP99Ms: round(percentile(latencies, 99), 3),
        duringMaxMs: round(latencies.at(-1), 1), p99Ratio: round(percentile(latencies, 99) / quiet.p99),
      };
    } finally {
      await daemon.stop();
    }
    const restoreSeconds = await timedCli(['restore', file, '--data-dir', path.join(work, `restored-${size}`)], env);
    row.restoreSeconds = round(restoreSeconds);
    row.restoreKeysPerSecond = Math.round(size / restoreSeconds);
    log(`backup ${size}: ${row.backupSeconds} s, restore ${row.restoreSeconds} s; authenticate p99 ${row.duringP99Ms} ms during, ${row.quietP99Ms} ms before`);
    rows.push(row);
  }
  return rows;
}

function executableBenchmark() {
  if (!fs.existsSync(EXECUTABLE)) return { skipped: 'dist/gateway-apikeys-linux-x64 not built: run `npm run package` first' };
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bench/cold-start.mjs'), ...(tiny ? ['--runs', '3'] : [])], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1));
}

function powershellBenchmark(daemonInfo) {
  const pwsh = [path.join(ROOT, '.tools/pwsh/pwsh'), 'pwsh'].find((p) => spawnSync(p, ['-NoProfile', '-Command', '1'], { stdio: 'ignore' }).status === 0);
  if (!pwsh) return { skipped: 'pwsh not installed: run `node build/install-powershell-tools.mjs`' };
  const script = path.join(ROOT, 'bench/powershell-overhead.ps1');
  if (!fs.existsSync(script)) return { skipped: 'bench/powershell-overhead.ps1 is missing' };
  const result = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', script, ...(tiny ? ['-Count', '5', '-ListRounds', '1'] : [])], {
    encoding: 'utf8', env: { ...process.env, GATEWAY_APIKEYS_PIPE: daemonInfo.pipe, GATEWAY_APIKEYS_TOKEN: daemonInfo.adminToken },
  });
  if (result.status !== 0) throw new Error(`powershell benchmark failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

/**
 * `calls` authenticate requests with `inFlight` outstanding through the project's own Node client
 * (src/client/connect.ts on src/rpc/client.ts), one connection, after a warm-up; as the .NET bench app measures.
 */
async function nodeClientMeasure(daemon, key, inFlight, calls) {
  const { client } = await openClientSession({ pipe: daemon.pipe, role: 'gateway', token: daemon.gatewayToken });
  const drive = async (n) => {
    const latencies = new Float64Array(n);
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < n; i = next++) {
        const sent = performance.now();
        if (!(await client.request('connector.authenticate', { key })).authenticated) throw new Error('the key was refused');
        latencies[i] = performance.now() - sent;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const sorted = Array.from(latencies).sort((a, b) => a - b);
    return { perSecond: n / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  };
  try {
    // At least 2 s of warm-up, as the .NET bench app (clients/dotnet/bench, which then waits for its JIT to go quiet): both measure code their JIT has finished with.
    const warming = performance.now();
    do await drive(Math.min(calls, 3000)); while (performance.now() - warming < 2000);
    return await drive(calls);
  } finally {
    client.close();
  }
}

/**
 * The .NET client (clients/dotnet) against the project's Node client on the same daemon, alternating: authenticate
 * throughput at 64 in flight and p99 at 1 in flight, one connection each; and the same calls through StreamJsonRpc,
 * which the design asks to be measured against the lean client (docs/architecture.md, "The .NET client").
 */
async function dotnetBenchmarks() {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  if (probe.error || Number(probe.stdout.trim().split('.')[0]) < 10) return { skipped: 'the .NET 10 SDK is not installed' };
  const app = path.join(work, 'dotnet-bench');
  execFileSync('dotnet', ['build', path.join(ROOT, 'clients/dotnet/bench/GatewayApiKeys.Bench'), '-c', 'Release', '-o', app, '-nologo', '-v', 'q', '-clp:ErrorsOnly'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } });
  const dataDir = path.join(work, 'dotnet');
  const [key] = await populate(dataDir, 100);
  const daemon = await startDaemon(dataDir, tempPipe('dotnet'));
  const dotnet = (mode, inFlight, calls) => JSON.parse(execFileSync('dotnet', [path.join(app, 'GatewayApiKeys.Bench.dll'), mode, String(inFlight), String(calls),
    daemon.pipe, path.join(dataDir, 'gateway.token'), key], { encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } }).trim().split('\n').at(-1));
  const rounds = tiny ? 1 : 5;
  const shapes = [
    { label: '64 in flight, 1 connection', inFlight: 64, calls: tiny ? 300 : 40000 },
    { label: '1 in flight, 1 connection', inFlight: 1, calls: tiny ? 200 : 5000 },
  ];
  const results = [];
  try {
    for (const shape of shapes) {
      const measured = [];
      for (let r = 0; r < rounds; r++) {
        const node = await nodeClientMeasure(daemon, key, shape.inFlight, shape.calls);
        const lean = dotnet('lean', shape.inFlight, shape.calls);
        const streamJsonRpc = dotnet('streamjsonrpc', shape.inFlight, shape.calls);
        measured.push({ node, lean, streamJsonRpc });
        log(`dotnet ${shape.label} round ${r + 1}: node ${Math.round(node.perSecond)}/s p99 ${node.p99Ms.toFixed(3)} ms, .NET ${Math.round(lean.perSecond)}/s p99 ${lean.p99Ms.toFixed(3)} ms, `
          + `StreamJsonRpc ${Math.round(streamJsonRpc.perSecond)}/s p99 ${streamJsonRpc.p99Ms.toFixed(3)} ms`);
      }
      const summary = (pick) => ({ perSecond: round(median(measured.map((m) => pick(m).perSecond)), 0), p50Ms: round(median(measured.map((m) => pick(m).p50Ms)), 3), p99Ms: round(median(measured.map((m) => pick(m).p99Ms)), 3) });
      results.push({
        shape: shape.label, rounds,
        node: summary((m) => m.node), dotnet: summary((m) => m.lean), streamJsonRpc: summary((m) => m.streamJsonRpc),
        throughputRatio: round(median(measured.map((m) => m.lean.perSecond / m.node.perSecond))),
        p99Ratio: round(median(measured.map((m) => m.lean.p99Ms / m.node.p99Ms))),
        streamJsonRpcThroughputRatio: round(median(measured.map((m) => m.streamJsonRpc.perSecond / m.lean.perSecond))),
      });
    }
  } finally {
    await daemon.stop();
  }
  return results;
}

/**
 * From host A's acknowledgment of each change to host B's first answer showing it (docs/farm.md,
 * "Design"): B's gateway session asks connector.authenticate, one request after another, from the
 * moment A answered. Each key is created (its value authenticates on B), rotated with no grace (the
 * old value fails), disabled (the new one answers Disabled), then deleted (it answers Unknown).
 */
async function farmPropagation(a, b, count) {
  const admin = await connect(a.pipe);
  await openSession(admin, 'admin', a.adminToken);
  const gateway = await connect(b.pipe);
  await openSession(gateway, 'gateway', b.gatewayToken);
  const limitMs = 10_000;
  const delays = { create: [], rotate: [], disable: [], delete: [] };
  const unseen = { create: 0, rotate: 0, disable: 0, delete: 0 };
  // B often has a change before A's answer is back: then its first answer shows it, and the delay is one round trip to B.
  const atFirstAnswer = { create: 0, rotate: 0, disable: 0, delete: 0 };
  /** Makes a change on A; from its answer, asks B about the value `valueOf(answer)` until `shows` holds (or limitMs passed). */
  const change = async (kind, method, params, valueOf, shows) => {
    const result = await call(admin, method, params);
    const acknowledged = performance.now();
    const key = valueOf(result);
    for (let asked = 1; ; asked++) {
      const answer = await call(gateway, 'connector.authenticate', { key });
      const delay = performance.now() - acknowledged;
      if (shows(answer)) {
        delays[kind].push(delay);
        if (asked === 1) atFirstAnswer[kind]++;
        return result;
      }
      if (delay > limitMs) {
        unseen[kind]++;
        return result;
      }
    }
  };
  try {
    for (let i = 0; i < count; i++) {
      const name = `farm-propagation-${i}`;
      const created = await change('create', 'apiKey.create', { name }, (answer) => answer.key, (answer) => answer.authenticated);
      const rotated = await change('rotate', 'apiKey.rotate', { name, graceHours: 0 }, () => created.key, (answer) => !answer.authenticated);
      await change('disable', 'apiKey.disable', { name }, () => rotated.key, (answer) => answer.reason === 'Disabled');
      await change('delete', 'apiKey.delete', { name }, () => rotated.key, (answer) => answer.reason === 'Unknown');
    }
  } finally {
    admin.destroy();
    gateway.destroy();
  }
  return Object.entries(delays).map(([kind, ms]) => {
    const sorted = ms.sort((x, y) => x - y);
    const at = (p) => (sorted.length ? round(percentile(sorted, p), 1) : null);
    return { change: kind, count, unseen: unseen[kind], atFirstAnswer: atFirstAnswer[kind], p50Ms: at(50), p99Ms: at(99), maxMs: sorted.length ? round(sorted.at(-1), 1) : null };
  });
}

/**
 * apiKey.create then apiKey.update, sequential, on `hosts.farm` and on `hosts.single`, alternating
 * rounds: every latency of each, in ms. A farm host's change commits in the database first.
 */
async function farmWriteLatency(hosts, { rounds, count }) {
  const sockets = {};
  for (const [label, daemon] of Object.entries(hosts)) {
    sockets[label] = await connect(daemon.pipe);
    await openSession(sockets[label], 'admin', daemon.adminToken);
  }
  const times = Object.fromEntries(Object.keys(hosts).map((label) => [label, { create: [], update: [] }]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const label of Object.keys(hosts)) {
        const name = (i) => `farm-write-${r}-${i}`;
        times[label].create.push(...(await timings(sockets[label], count, (i) => ({ method: 'apiKey.create', params: { name: name(i) } }))));
        times[label].update.push(...(await timings(sockets[label], count, (i) => ({ method: 'apiKey.update', params: { name: name(i), description: `edited ${i}` } }))));
      }
      log(`farm writes round ${r + 1}: create median farm ${median(times.farm.create).toFixed(2)} ms, single ${median(times.single.create).toFixed(2)} ms (load ${os.loadavg()[0].toFixed(1)})`);
    }
  } finally {
    for (const socket of Object.values(sockets)) socket.destroy();
  }
  const summary = (ms) => {
    const sorted = [...ms].sort((x, y) => x - y);
    return { count: sorted.length, medianMs: round(median(sorted), 3), p99Ms: round(percentile(sorted, 99), 3) };
  };
  return ['create', 'update'].map((method) => {
    const farm = summary(times.farm[method]);
    const single = summary(times.single[method]);
    return { method: `apiKey.${method}`, farm, single, medianRatio: round(farm.medianMs / single.medianMs), p99Ratio: round(farm.p99Ms / single.p99Ms) };
  });
}

/**
 * The database's write rate while a farm host authenticates as fast as the bench can drive it, against
 * a window as long with no authentications (docs/farm.md, "Design": uses are coalesced per host and
 * flushed every few seconds). Each connection presents a key of its own with a connectorId, so that
 * every flush carries one row per key.
 *
 * pg_stat_database's counters lag: a backend adds to them at most once a second, and one gone idle
 * within 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL). So each reading follows `settleMs` of quiet, whose
 * own writes, at the quiet window's rate, are taken off the busy window's. Transaction ids handed out
 * (one per transaction that writes) and WAL written are exact, and read beside them.
 */
async function farmUsageFlush(host, server, keys, { seconds, settleMs }) {
  const { default: pg } = await import('pg');
  const db = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
  await db.connect();
  const counters = async () => {
    const { rows: [row] } = await db.query(`SELECT xact_commit, tup_inserted + tup_updated AS written, pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid,
      pg_current_wal_lsn() AS wal FROM pg_stat_database WHERE datname = current_database()`);
    return { at: performance.now(), commits: Number(row.xact_commit), rows: Number(row.written), xids: Number(row.next_xid), wal: row.wal };
  };
  const walBytes = async (from, to) => Number((await db.query('SELECT pg_wal_lsn_diff($1, $2) AS bytes', [to, from])).rows[0].bytes);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const inFlight = 4;
  const sockets = await Promise.all(keys.map(() => connect(host.pipe)));
  try {
    for (const socket of sockets) await openSession(socket, 'gateway', host.gatewayToken);
    await sleep(settleMs);
    const quietStart = await counters();
    await sleep(seconds * 1000);
    const busyStart = await counters();
    const deadline = busyStart.at + seconds * 1000;
    const counts = await Promise.all(sockets.map(async (socket, i) => {
      let answered = 0;
      while (performance.now() < deadline) {
        answered += (await drive(socket, { count: 5000, inFlight, method: 'connector.authenticate', params: { key: keys[i], connectorId: `bench-connector-${i}` } })).count;
      }
      return answered;
    }));
    const busyEnd = await counters();
    await sleep(settleMs);
    const settled = await counters();
    const quietSeconds = (busyStart.at - quietStart.at) / 1000;
    const busySeconds = (busyEnd.at - busyStart.at) / 1000;
    const settleSeconds = (settled.at - busyEnd.at) / 1000;
    const quietRate = (name) => (busyStart[name] - quietStart[name]) / quietSeconds;
    const quiet = {
      seconds: round(quietSeconds, 1), authenticationsPerSecond: 0,
      commitsPerSecond: round(quietRate('commits')), rowsWrittenPerSecond: round(quietRate('rows')),
      writeTransactionsPerSecond: round(quietRate('xids')), walKiBPerSecond: round((await walBytes(quietStart.wal, busyStart.wal)) / 1024 / quietSeconds, 1),
    };
    // The lagging counters: up to the settled reading, less the settling's own quiet writes.
    const lagging = (name) => Math.max(0, (settled[name] - busyStart[name] - quietRate(name) * settleSeconds) / busySeconds);
    const busy = {
      seconds: round(busySeconds, 1), authenticationsPerSecond: round(counts.reduce((x, y) => x + y, 0) / busySeconds, 0),
      commitsPerSecond: round(lagging('commits')), rowsWrittenPerSecond: round(lagging('rows')),
      writeTransactionsPerSecond: round((busyEnd.xids - busyStart.xids) / busySeconds), walKiBPerSecond: round((await walBytes(busyStart.wal, busyEnd.wal)) / 1024 / busySeconds, 1),
    };
    log(`farm usage flush: ${busy.authenticationsPerSecond} authentications/s: ${busy.commitsPerSecond} commits/s, ${busy.rowsWrittenPerSecond} rows/s, `
      + `${busy.writeTransactionsPerSecond} writing transactions/s; idle ${quiet.commitsPerSecond} commits/s, ${quiet.rowsWrittenPerSecond} rows/s, `
      + `${quiet.writeTransactionsPerSecond} writing transactions/s (load ${os.loadavg()[0].toFixed(1)})`);
    return { keys: keys.length, connections: sockets.length, inFlight: sockets.length * inFlight, settleSeconds: round(settleMs / 1000, 1), quiet, busy };
  } finally {
    for (const socket of sockets) socket.destroy();
    await db.end();
  }
}

/**
 * A farm of two hosts (docs/farm.md) made as an admin makes one, with the real `farm init` and
 * `farm join` against a PostgreSQL of the bench's own, beside a single-host daemon on a vault of the
 * same size: the figures of issue 25, each against its baseline in the same run.
 */
async function farmBenchmarks() {
  const missing = postgresMissing();
  if (missing) {
    log(`farm skipped: ${missing}`);
    return { skipped: missing };
  }
  // fsync on, as a customer's database has it: a farm host's change waits for the database's commit.
  const server = await startPostgres({ durable: true });
  const env = { PGPASSWORD: server.password, GATEWAY_APIKEYS_RECOVERY_PASSPHRASE: 'the benchmark recovery passphrase' };
  const daemons = [];
  try {
    const [singleKey] = await populate(path.join(work, 'farm-single'), 100);
    const farmKeys = await populate(path.join(work, 'farm-a'), 100);
    await timedCli(['farm', 'init', '--store', server.url, '--from-data-dir', path.join(work, 'farm-a'), '--host-name', 'host-a'], env);
    await timedCli(['farm', 'join', '--store', server.url, '--data-dir', path.join(work, 'farm-b'), '--host-name', 'host-b'], env);
    const start = async (label, extraEnv) => {
      const daemon = await startDaemon(path.join(work, `farm-${label}`), tempPipe(`farm-${label}`), false, extraEnv);
      daemons.push(daemon);
      return daemon;
    };
    const a = await start('a', env);
    const b = await start('b', env);
    const single = await start('single', {});

    const rounds = tiny ? 1 : 7;
    const shape = { connections: 1, inFlight: 64, count: tiny ? 500 : 40000 };
    await measure(a, a.gatewayToken, { key: farmKeys[0] }, { ...shape, count: Math.min(shape.count, 2000) });
    await measure(single, single.gatewayToken, { key: singleKey }, { ...shape, count: Math.min(shape.count, 2000) });
    const pairs = [];
    for (let r = 0; r < rounds; r++) {
      const farm = await measure(a, a.gatewayToken, { key: farmKeys[0] }, shape);
      const alone = await measure(single, single.gatewayToken, { key: singleKey }, shape);
      pairs.push({ farm, alone });
      log(`farm authenticate round ${r + 1}: farm host ${Math.round(farm.perSecond)}/s, single host ${Math.round(alone.perSecond)}/s (load ${os.loadavg()[0].toFixed(1)})`);
    }
    const authenticate = {
      rounds, inFlight: shape.inFlight, connections: shape.connections,
      farmPerSecond: round(median(pairs.map((p) => p.farm.perSecond)), 0),
      singlePerSecond: round(median(pairs.map((p) => p.alone.perSecond)), 0),
      ratio: round(median(pairs.map((p) => p.farm.perSecond / p.alone.perSecond))),
    };

    const writes = await farmWriteLatency({ farm: a, single }, { rounds: tiny ? 1 : 5, count: tiny ? 5 : 40 });
    const propagation = await farmPropagation(a, b, tiny ? 5 : 50);
    for (const x of propagation) log(`farm propagation of ${x.change}: p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, ${x.unseen} unseen`);
    const usageFlush = await farmUsageFlush(a, server, farmKeys, { seconds: tiny ? 3 : 15, settleMs: tiny ? 500 : 11_000 });
    const version = execFileSync(path.join(postgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' });
    const postgres = `PostgreSQL ${/\(PostgreSQL\) (\S+)/.exec(version)?.[1] ?? version.trim()}`;
    return { hosts: 2, postgres, propagation, writes, authenticate, usageFlush };
  } finally {
    for (const daemon of daemons) await daemon.stop();
    await server.stop();
  }
}

async function main() {
  const results = { machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`, date: new Date().toISOString(), tiny, loadAverageAtStart: os.loadavg().map((x) => round(x, 1)) };
  if (only.has('rpc')) {
    const { shapes, c } = await rpcBenchmarks();
    results.rpc = shapes;
    results.rpcC = c;
  }
  if (only.has('client')) results.client = await clientBenchmarks();
  if (only.has('hostile')) results.hostile = await hostileBenchmarks();
  if (only.has('scale')) results.scale = await scaleBenchmarks();
  if (only.has('backup')) results.backup = await backupBenchmarks();
  if (only.has('farm')) results.farm = await farmBenchmarks();
  if (only.has('executable')) results.executable = executableBenchmark();
  if (only.has('dotnet')) {
    // The 1-minute load average around the .NET rounds: on a shared machine it says how far to trust their ratios.
    const loadBefore = round(os.loadavg()[0], 1);
    results.dotnet = await dotnetBenchmarks();
    results.dotnetLoad = { before: loadBefore, after: round(os.loadavg()[0], 1), cores: os.cpus().length };
  }
  if (only.has('powershell')) {
    const dataDir = path.join(work, 'powershell');
    // 10,000 keys: Get-GatewayApiKey of all of them is the conversion's figure (issue 24).
    await populate(dataDir, tiny ? 10 : 10000);
    const daemon = await startDaemon(dataDir, tempPipe('ps'));
    try {
      results.powershell = powershellBenchmark(daemon);
      // The machine may be shared: the load says how far these figures are to be trusted.
      if (!results.powershell.skipped) results.powershell.loadAverage = Math.round(os.loadavg()[0] * 10) / 10;
    } finally {
      await daemon.stop();
    }
  }
  results.loadAverageAtEnd = os.loadavg().map((x) => round(x, 1));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'results.md'), (await import('./lib/report.mjs')).markdown(results));
  log(`wrote ${path.join(outDir, 'results.md')}`);
}

try {
  await main();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
