import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { CLI, shortPipe, startDaemon } from '../helpers/daemon.js';
import { handshake } from '../helpers/handshake.js';
import { daemonWithKey, isRoot, memoryHolds, sleep } from '../helpers/hostile.js';
import { freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee: nothing that can reach the pipe can crash, bloat, stall, squat or fool the daemon
 * (docs/security.md, docs/protocol.md "Limits"). One test per attack, numbered as the rows of
 * issue 11, each against the real daemon.
 * This file: leaks and lifecycle.
 */
const run = promisify(execFile);

t.test('12: the CLI refuses a key on its command line, where every user could read it', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  const refused = await run(process.execPath, [CLI, 'verify', key], { env }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /A key on the command line can be read by every user of this machine \(ps, \/proc\)/);
  t.notOk(refused.stderr.includes(key.slice(8)), 'the key is not repeated');
});
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
  await t.rejects(admin.request('session.challenge', { protocolVersion: 3, role: 'admin' }), { code: 'InvalidParams' });
  await t.rejects(admin.request('apiKey.list', {}), { code: 'Unauthenticated' }, 'nor after a challenge that failed its schema');
});
