import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { encodeFrame } from '../../src/rpc/framing.js';
import { randomBytes } from '../../src/vault/crypto.js';
import { encodeKeyValue } from '../../src/vault/key-value.js';
import { CLI, shortPipe, startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { handshake } from '../helpers/handshake.js';
import { rssOf } from '../helpers/process-memory.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee: nothing that can reach the pipe can crash, bloat, stall, squat or fool the daemon
 * (docs/security.md, docs/protocol.md "Limits"). One test per way it was once broken, each against
 * the real daemon, each trying to break it again.
 */
const run = promisify(execFile);
const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = process.getuid?.() === 0;

/** The daemon's RSS growth since `before`, in MiB, after letting it settle. */
async function growthMiB(daemon: DaemonProcess, before: number, settleMs = 1500): Promise<number> {
  await sleep(settleMs);
  return ((rssOf(daemon.child.pid!) ?? before) - before) / MiB;
}

/** The gateway's authenticate round trips while something else goes on: p99 in ms, and whether all were answered. */
async function gatewayLatency(daemon: DaemonProcess, key: string, count: number): Promise<{ p99: number; answered: number }> {
  const gateway = await daemon.client('gateway');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const result = await gateway.request('connector.authenticate', { key });
    if (result.authenticated) times.push(performance.now() - started);
  }
  gateway.close();
  times.sort((a, b) => a - b);
  return { p99: times[Math.floor(times.length * 0.99)] ?? Infinity, answered: times.length };
}

async function daemonWithKey(t: Test): Promise<{ daemon: DaemonProcess; key: string }> {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'the gateway key' });
  admin.close();
  return { daemon, key };
}

t.test('1: a frame of zero bytes does not bring the daemon down', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const raw = await RawSocket.connect(daemon.pipe);
  raw.send('Content-Length: 0\r\n\r\n');
  const [answer] = await raw.waitFor(1);
  t.match(answer, { id: null, error: { code: -32700 } }, 'an empty body is not JSON: answered, not thrown on');
  await raw.handshake('gateway', daemon.gatewayToken());
  t.pass('and that connection goes on');
  t.equal(daemon.child.exitCode, null, 'the daemon is alive');
  t.equal((await gatewayLatency(daemon, key, 5)).answered, 5, 'and serves the gateway');
  raw.close();
});

t.test('2: a stranger that never reads its answers to tiny invalid bodies cannot bloat the daemon', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const before = rssOf(daemon.child.pid!)!;
  const raw = await RawSocket.connect(daemon.pipe);
  raw.socket.pause(); // never reads
  const frames = Buffer.concat(Array.from({ length: 20_000 }, () => encodeFrame('[]')));
  for (let i = 0; i < 40; i++) raw.socket.write(frames); // 18 MiB of `[]`: 800,000 answers of ~80 bytes if all were written
  const during = await gatewayLatency(daemon, key, 200);
  t.equal(during.answered, 200, `the gateway is served meanwhile (authenticate p99 ${during.p99.toFixed(2)} ms)`);
  const growth = await growthMiB(daemon, before);
  t.ok(growth < 30, `daemon RSS grew by ${growth.toFixed(1)} MiB (the unread answers would be about 60 MiB)`);
  raw.close();
});

t.test('3: hellos carrying a megabyte of junk are refused at their header, not held', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const before = rssOf(daemon.child.pid!)!;
  const junk = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'admin', clientProof: 'x', junk: 'j'.repeat(900 * 1024) } });
  const sockets = await Promise.all(Array.from({ length: 8 }, () => RawSocket.connect(daemon.pipe)));
  for (const raw of sockets) for (let i = 0; i < 25; i++) raw.socket.write(encodeFrame(junk)); // 180 MB in all
  await Promise.all(sockets.map((raw) => raw.waitFor(1)));
  t.ok(sockets.every((raw) => raw.answers[0]?.error !== undefined), 'each got one error answer');
  await sleep(1500);
  t.ok(sockets.every((raw) => raw.closed), 'and was closed: a frame over 4 KiB before the handshake');
  const growth = await growthMiB(daemon, before);
  t.ok(growth < 40, `daemon RSS grew by ${growth.toFixed(1)} MiB (holding the hellos would be 180 MB)`);
  t.equal((await gatewayLatency(daemon, key, 20)).answered, 20);
});

t.test('4: hundreds of connections that start a frame and stall are cut off, and leave the gateway its room', async (t) => {
  // The attacker is another local user (nobody, in the daemon's group) when these tests run as root: the daemon then
  // knows it as another peer. Otherwise it is this user, and the gateway's room is not what is checked.
  const pipeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-'));
  fs.chmodSync(pipeDir, 0o750);
  t.teardown(() => fs.rmSync(pipeDir, { recursive: true, force: true }));
  const daemon = await startDaemon(t, { pipe: path.join(pipeDir, 'd.sock') });
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'the gateway key' });
  const before = rssOf(daemon.child.pid!)!;
  const attacker = spawn(process.execPath, [path.join(import.meta.dirname, '../helpers/stalled-connections.mjs'), daemon.pipe, '500'],
    { stdio: ['ignore', 'pipe', 'inherit'], ...(isRoot && { uid: 65534, gid: 0 }) });
  t.teardown(() => attacker.kill('SIGKILL'));
  let report = '';
  attacker.stdout.on('data', (chunk) => (report = String(chunk).trim().split('\n').at(-1)!));
  await sleep(1500);
  if (!isRoot) t.comment('the attacker runs as this user: the gateway\'s room from another user is not checked here (it needs root)');
  const during = await gatewayLatency(daemon, key, 50);
  t.equal(during.answered, 50, `the gateway connects and is served meanwhile (p99 ${during.p99.toFixed(2)} ms)`);
  const growth = await growthMiB(daemon, before, 0);
  t.ok(growth < 60, `daemon RSS grew by ${growth.toFixed(1)} MiB (500 × 1 MiB would be 500 MiB)`);
  t.match(report, /^open \d+$/, `the attacker reports: ${report}`);
  t.ok(Number(report.split(' ')[1]) <= 128, 'at most 128 connections of one peer wait for their handshake at a time');
  await sleep(10_500); // the handshake deadline and the frame deadline are 10 s
  t.equal(report, 'open 0', 'after 10 s none of them is still open');
  t.equal(daemon.child.exitCode, null);
});

t.test('5: deeply nested frames are refused before they are parsed, and do not starve another connection', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const raw = await RawSocket.connect(daemon.pipe);
  await raw.handshake('admin', daemon.adminToken());
  const nested = encodeFrame('['.repeat(30_000) + ']'.repeat(30_000)); // 60 KB, under the 64 KiB limit
  for (let i = 0; i < 300; i++) raw.socket.write(nested);
  const during = await gatewayLatency(daemon, key, 100);
  t.equal(during.answered, 100, `the gateway is served meanwhile (p99 ${during.p99.toFixed(2)} ms)`);
  const answers = await raw.waitFor(302, 20_000);
  const refusals = answers.filter((a) => a.id === null);
  t.equal(refusals.length, 300, 'every nested frame answered');
  t.ok(refusals.every((a) => /nested deeper than 16/.test(String((a.error as { message: string }).message))), 'refused by the nesting check, before JSON.parse');
  raw.close();
});

t.test('6: another process holding the old lock name cannot keep the daemon from starting', { skip: process.platform !== 'linux' && 'abstract sockets are Linux' }, async (t) => {
  const dataDir = freshDataDir(t);
  fs.mkdirSync(dataDir, { mode: 0o700 });
  // The name the lock had before: an abstract socket named after the data dir's path, predictable by anyone.
  const name = `\0gateway-apikeys-lock-${createHash('sha256').update(fs.realpathSync(dataDir)).digest('hex').slice(0, 32)}`;
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(name, resolve));
  t.teardown(() => squatter.close());
  const daemon = await startDaemon(t, { dataDir });
  t.match(daemon.stdout(), /is serving/, 'it starts: its lock is a file inside the data dir, which only its user can reach');
});

t.test('7: a second daemon on the same data dir is refused, whatever way it reaches it', { skip: process.platform !== 'linux' && 'Linux namespaces and mounts' }, async (t) => {
  const { daemon } = await daemonWithKey(t);
  const before = fs.readdirSync(daemon.dataDir).map((f) => [f, fs.statSync(path.join(daemon.dataDir, f)).mtimeMs]);
  const second = (prefix: string[], dataDir: string) => spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, CLI, 'serve', '--data-dir', dataDir, '--pipe', shortPipe()],
    { encoding: 'utf8', timeout: 20_000 });
  const plain = second(['env'], daemon.dataDir);
  t.equal(plain.status, 1, 'by the same path');
  t.match(plain.stderr, /Another gateway-apikeys daemon is already running on the data directory/);
  const namespaced = second(['unshare', '--net'], daemon.dataDir);
  if (/unshare failed|Operation not permitted|not found/i.test(namespaced.stderr ?? '') || namespaced.error) {
    t.comment(`not tried in another network namespace: ${(namespaced.stderr || String(namespaced.error)).trim().split('\n')[0]}`);
  } else {
    t.equal(namespaced.status, 1, 'from another network namespace (the abstract-socket lock saw nothing there)');
    t.match(namespaced.stderr, /already running/);
  }
  const mounted = path.join(os.tmpdir(), `gwk-bind-${process.pid}`);
  fs.mkdirSync(mounted, { mode: 0o700 });
  t.teardown(() => { spawnSync('umount', [mounted]); fs.rmSync(mounted, { recursive: true, force: true }); });
  const bind = spawnSync('mount', ['--bind', daemon.dataDir, mounted], { encoding: 'utf8' });
  if (bind.status !== 0) {
    t.comment(`not tried through a bind mount: ${(bind.stderr || String(bind.error)).trim().split('\n')[0]}`);
  } else {
    const throughMount = second(['env'], mounted);
    t.equal(throughMount.status, 1, 'through a bind mount (another real path)');
    t.match(throughMount.stderr, /already running/);
  }
  const after = fs.readdirSync(daemon.dataDir).map((f) => [f, fs.statSync(path.join(daemon.dataDir, f)).mtimeMs]);
  t.same(after, before, 'the refused daemons wrote nothing');
  t.equal(daemon.child.exitCode, null, 'the first one serves on');
});

t.test('8: a data dir or a secret file that others could have planted or can read is refused', { skip: process.platform === 'win32' && 'POSIX owners and modes' }, async (t) => {
  const refuses = async (dataDir: string, message: RegExp, what: string) => {
    const error = await startDaemon(t, { dataDir }).then(() => undefined, (e: Error) => e);
    t.match(error?.message, message, what);
  };
  const symlinked = freshDataDir(t);
  fs.mkdirSync(`${symlinked}-real`, { mode: 0o700 });
  fs.symlinkSync(`${symlinked}-real`, symlinked);
  await refuses(symlinked, /is a symbolic link\. Nothing was read or written\. Give the directory it points to/, 'a symlinked data dir');
  t.same(fs.readdirSync(`${symlinked}-real`), [], 'nothing written through the link');

  const { daemon } = await daemonWithKey(t);
  await daemon.stop();
  fs.chmodSync(path.join(daemon.dataDir, 'admin.token'), 0o644);
  await refuses(daemon.dataDir, /admin\.token can be read by other users \(mode 644\)\. Nothing was read or written\. Make it private: chmod 600 .*delete it and restart/, 'a token others can read');
  fs.chmodSync(path.join(daemon.dataDir, 'admin.token'), 0o600);

  if (!isRoot) {
    t.comment('a data dir of another user: not tried, it needs root to make one');
    return;
  }
  const planted = freshDataDir(t);
  fs.mkdirSync(planted, { mode: 0o700 });
  fs.writeFileSync(path.join(planted, 'admin.token'), `gwt_${'A'.repeat(49)}\n`, { mode: 0o600 });
  fs.chownSync(planted, 65534, 65534);
  await refuses(planted, /is owned by uid 65534, not by the daemon's user \(uid 0\)/, 'a data dir another user made');
  fs.chownSync(planted, 0, 0);
  fs.chownSync(path.join(planted, 'admin.token'), 65534, 65534);
  await refuses(planted, /admin\.token is owned by uid 65534/, 'a token another user planted');
});

/** A process that takes a pipe's name first and records everything clients send it. */
async function squat(t: Test, pipe: string): Promise<{ received: () => string }> {
  let received = '';
  const server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      // It answers a challenge as a daemon would, but it cannot know the token.
      const id = /"id":(\d+)/.exec(chunk.toString())?.[1];
      if (id) socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: Number(id), result: { serverNonce: 'A'.repeat(43), serverProof: 'B'.repeat(43) } })));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  t.teardown(() => server.close());
  return { received: () => received };
}

t.test('9: whoever squats the pipe first learns no token, and the daemon will not share a directory others can write to', { skip: process.platform === 'win32' && 'Unix sockets' }, async (t) => {
  const { daemon } = await daemonWithKey(t);
  const open = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-open-'));
  fs.chmodSync(open, 0o1777);
  t.teardown(() => fs.rmSync(open, { recursive: true, force: true }));
  const pipe = path.join(open, 'gateway-apikeys.sock');
  const squatter = await squat(t, pipe);
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: pipe };
  const status = await run(process.execPath, [CLI, 'status'], { env }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(status.code, 1, 'the CLI refuses to go on');
  t.match(status.stderr, /is not the gateway-apikeys daemon: it does not know the token.*\(DaemonImpostor\)/s);
  const sent = squatter.received();
  t.match(sent, /session\.challenge/, 'it sent a challenge');
  t.notMatch(sent, /session\.hello|clientProof/, 'and nothing after it');
  t.notOk(sent.includes(daemon.adminToken()), 'the admin token never left the client');
  t.notOk(sent.includes(daemon.adminToken().slice(4, 20)), 'not even a part of it');

  const error = await startDaemon(t, { pipe: path.join(open, 'mine.sock') }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /The pipe's directory .* can be written by every user \(mode 1777\): anyone there could take the pipe's name first/);
});

t.test('10: a flood of wrong handshakes is summarized: it cannot rotate the audit lines out of the log', async (t) => {
  const { daemon } = await daemonWithKey(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.reveal', { name: 'the gateway key' });
  const logFile = path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log');
  const linesBefore = fs.readFileSync(logFile, 'utf8').trim().split('\n').length;
  const sockets = await Promise.all(Array.from({ length: 40 }, () => RawSocket.connect(daemon.pipe)));
  const wrong = encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'admin', clientProof: 'A'.repeat(43) } }));
  for (const raw of sockets) raw.socket.write(Buffer.concat(Array.from({ length: 250 }, () => wrong))); // 10,000 wrong hellos
  await sleep(3000);
  for (const raw of sockets) raw.close();
  await daemon.stop();
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const added = lines.length - linesBefore;
  t.ok(added < 60, `10,000 failed handshakes added ${added} log lines`);
  t.ok(lines.some((l) => l.event === 'apiKey.revealed'), 'the reveal is still in the log');
  t.match(lines.find((l) => l.event === 'auth.throttled'), { level: 'warn', reasons: { proof: Number } }, 'and a warning says failures are being slowed');
  t.match(lines.find((l) => l.event === 'log.summary'), { of: 'session.rejected', count: Number }, 'the rejections beyond the first few are counted');
  t.ok(lines.find((l) => l.event === 'auth.failures' && (l.failures as number) >= 5000), 'the minute\'s failures are counted at stop');
});

t.test('11: many connections, or reconnecting, buys a guesser no speed, and the guessing is logged', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const seconds = 4;
  const deadline = Date.now() + seconds * 1000;
  let answered = 0;
  const guesser = async () => {
    while (Date.now() < deadline) {
      const gateway = await daemon.client('gateway');
      // 19 guesses, one under the per-connection burst, then a new connection: the old code let this run unchecked.
      await Promise.all(Array.from({ length: 19 }, () => gateway.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) })
        .then(() => { if (Date.now() <= deadline) answered++; }, () => undefined)));
      gateway.close();
    }
  };
  const honest = (async () => {
    const during = await gatewayLatency(daemon, key, 50);
    t.equal(during.answered, 50, `a valid key is answered at once meanwhile (p99 ${during.p99.toFixed(2)} ms)`);
  })();
  await Promise.all([...Array.from({ length: 20 }, guesser), honest]);
  const bound = 100 + 20 * (seconds + 1);
  t.ok(answered <= bound, `${answered} wrong keys answered within ${seconds} s to 20 reconnecting guessers (at most a burst of 100, then 20/s: ${bound})`);
  await daemon.stop();
  const log = fs.readFileSync(path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log'), 'utf8');
  t.match(log, /"event":"auth\.throttled"/, 'the guessing is logged');
  t.notMatch(log, /gwk_[0-9A-Za-z]{10}/, 'without any presented value');
});

t.test('12: the CLI refuses a key on its command line, where every user could read it', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  const refused = await run(process.execPath, [CLI, 'verify', key], { env }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /A key on the command line can be read by every user of this machine \(ps, \/proc\)/);
  t.notOk(refused.stderr.includes(key.slice(8)), 'the key is not repeated');
});

/** Every readable region of a process's memory, searched for `needle` (Linux, and root: the daemon is not dumpable). */
function memoryHolds(pid: number, needle: Buffer): number {
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const mem = fs.openSync(`/proc/${pid}/mem`, 'r');
  let found = 0;
  try {
    for (const line of maps) {
      const [range, perms, , , , file] = line.split(/\s+/);
      if (!perms?.startsWith('r') || file === '[vvar]' || file === '[vsyscall]') continue;
      const [start, end] = range!.split('-').map((h) => Number.parseInt(h, 16)) as [number, number];
      const size = end - start;
      if (size > 512 * MiB) continue;
      const buffer = Buffer.alloc(size);
      try {
        fs.readSync(mem, buffer, 0, size, start);
      } catch {
        continue;
      }
      for (let at = buffer.indexOf(needle); at >= 0; at = buffer.indexOf(needle, at + 1)) found++;
    }
  } finally {
    fs.closeSync(mem);
  }
  return found;
}

t.test('13: no copy of the raw master key stays in memory, and core dumps are off', { skip: process.platform !== 'linux' && 'Linux /proc' }, async (t) => {
  const { daemon } = await daemonWithKey(t);
  const limits = fs.readFileSync(`/proc/${daemon.child.pid}/limits`, 'utf8');
  t.match(limits, /Max core file size\s+0\s+0\s+bytes/, 'core dumps are off');
  if (!isRoot) {
    t.comment('the daemon\'s memory is not searched: reading it needs root, since the daemon is not dumpable');
    return;
  }
  const master = fs.readFileSync(path.join(daemon.dataDir, 'master.key')).subarray(22, 54); // a key file: the key is at 22..54
  t.equal(memoryHolds(daemon.child.pid!, master), 0, 'the raw master key is nowhere in the daemon\'s memory after its first start');
  await daemon.stop();
  const again = await startDaemon(t, { dataDir: daemon.dataDir });
  t.equal(memoryHolds(again.child.pid!, master), 0, 'nor after a start that read master.key');
});

t.test('14: a reader of its output that goes away does not stop the daemon, even during its start', async (t) => {
  const dataDir = freshDataDir(t);
  const pipe = shortPipe();
  // `serve 2>&1 | head -1`: standard error is gone before the daemon writes its first log line.
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--pipe', pipe], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  child.stderr.destroy();
  const serving = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('is serving') && resolve(true));
    child.once('exit', () => resolve(false));
  });
  t.ok(serving, 'it started, its standard error gone from the beginning');
  child.stdout.destroy(); // and now standard output too
  await sleep(200);
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: pipe };
  for (let i = 0; i < 3; i++) await run(process.execPath, [CLI, 'new', `after-${i}`], { env }); // each change logs a line
  const listed = await run(process.execPath, [CLI, 'list', '--json'], { env });
  t.equal((JSON.parse(listed.stdout) as { total: number }).total, 3, 'and serves on');
  t.equal(child.exitCode, null);
  t.ok(fs.existsSync(path.join(dataDir, 'admin.token')) && fs.existsSync(path.join(dataDir, 'gateway.token')), 'with its token files');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'and stops cleanly');

  // A start that fails after the vault is made (here: a pipe in a missing directory) leaves one the next start opens.
  const broken = await run(process.execPath, [CLI, 'serve', '--data-dir', `${dataDir}-2`, '--pipe', '/nonexistent-dir/d.sock']).then(() => 0, (e: { code: number }) => e.code);
  t.equal(broken, 1, 'a start that failed');
  const next = await startDaemon(t, { dataDir: `${dataDir}-2` });
  t.match(next.stdout(), /is serving/, 'the next start opens what it left');
});

t.test('15: a --pipe that is not a socket is never deleted; a failed hello, even by its schema, drops the role', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const precious = path.join(dir, 'precious.txt');
  fs.writeFileSync(precious, 'not a socket');
  const error = await startDaemon(t, { pipe: precious }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /precious\.txt exists and is not a socket, so the daemon leaves it alone/);
  t.equal(fs.readFileSync(precious, 'utf8'), 'not a socket', 'the file is intact');

  const { daemon } = await daemonWithKey(t);
  const admin = await daemon.client('admin');
  t.match(await admin.request('daemon.status', {}), { keys: { total: 1 } });
  await t.rejects(admin.request('session.hello', { token: daemon.adminToken() }), { code: 'InvalidParams' });
  await t.rejects(admin.request('daemon.status', {}), { code: 'Unauthenticated' }, 'no role after a hello that failed its schema');
  await handshake(admin, 'admin', daemon.adminToken());
  await t.rejects(admin.request('session.challenge', { role: 'admin' }), { code: 'InvalidParams' });
  await t.rejects(admin.request('apiKey.list', {}), { code: 'Unauthenticated' }, 'nor after a challenge that failed its schema');
});
