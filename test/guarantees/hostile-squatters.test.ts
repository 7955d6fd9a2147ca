import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { CLI, shortPipe, startDaemon } from '../helpers/daemon.js';
import { daemonWithKey, isRoot, squat } from '../helpers/hostile.js';
import { filesUnder, freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee: nothing that can reach the pipe can crash, bloat, stall, squat or fool the daemon
 * (docs/security.md, docs/protocol.md "Limits"). One test per attack, numbered as the rows of
 * issue 11, each against the real daemon.
 * This file: the lock, the data dir and the pipe.
 */
const run = promisify(execFile);

/**
 * Takes the data dir's lock (an exclusive flock on daemon.lock, docs/security.md) before the daemon does,
 * from a process that is no daemon: flock(1), holding it until its standard input closes.
 */
async function holdLock(t: Test, dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'daemon.lock');
  // Private, as the daemon makes it: so that only the lock, not the file's mode, can be what refuses the daemon.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const holder = spawn('flock', ['--exclusive', '--nonblock', '--close', file, 'sh', '-c', 'echo held; exec cat'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => { holder.stdin!.end(); });
  let stderr = '';
  holder.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = await Promise.race([once(holder.stdout!, 'data').then(() => [undefined]), once(holder, 'exit')]);
  if (code !== undefined) throw new Error(`flock(1) could not take the lock (exit ${code}): ${stderr}`);
}

t.test('6: another process holding the data dir\'s lock first keeps the daemon from starting, and the daemon touches nothing', { skip: process.platform !== 'linux' && 'flock(1) is Linux' }, async (t) => {
  const refused = async (dataDir: string) => {
    const error = await startDaemon(t, { dataDir }).then(() => undefined, (e: Error) => e);
    t.match(error?.message, /exited \(1\) before serving:\n.*Another gateway-apikeys daemon is already running on the data directory/);
  };
  const everything = (dir: string) => [...fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })].sort();

  const fresh = freshDataDir(t);
  fs.mkdirSync(fresh, { mode: 0o700 });
  await holdLock(t, fresh);
  await refused(fresh);
  t.same(everything(fresh), ['daemon.lock'], 'a new data dir: no key file, no token, no log was made');

  const { daemon } = await daemonWithKey(t);
  await daemon.stop();
  const files = filesUnder(daemon.dataDir);
  const names = everything(daemon.dataDir);
  await holdLock(t, daemon.dataDir);
  await refused(daemon.dataDir);
  t.same(everything(daemon.dataDir), names, 'a vault: nothing made or removed');
  t.same(filesUnder(daemon.dataDir), files, 'nothing written, not even to its log');
});
t.test('7: a second daemon on the same data dir is refused, whatever way it reaches it', { skip: process.platform !== 'linux' && 'Linux namespaces and mounts' }, async (t) => {
  const { daemon } = await daemonWithKey(t);
  // The audit trail's head is the first daemon's to write, on its own timer: left out of the comparison.
  const state = () => [...filesUnder(daemon.dataDir)].filter(([file]) => !file.endsWith(path.join('audit', 'head')));
  // The first daemon's log line of that key is written after the answer, as the log's stream drains: under load it
  // landed after the snapshot below, and was counted as the refused daemons' writing.
  const logged = () => [...filesUnder(daemon.dataDir)].some(([file, bytes]) => file.includes(`${path.sep}logs${path.sep}`) && bytes.includes('"event":"apiKey.created"'));
  for (let waited = 0; !logged() && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  const before = state();
  const second = (prefix: string[], dataDir: string) => spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, CLI, 'serve', '--data-dir', dataDir, '--pipe', shortPipe()],
    { encoding: 'utf8', timeout: 20_000 });
  const plain = second(['env'], daemon.dataDir);
  t.equal(plain.status, 1, 'by the same path');
  t.match(plain.stderr, /Another gateway-apikeys daemon is already running on the data directory/);
  const namespaced = second(['unshare', '--net'], daemon.dataDir);
  if (/unshare failed|Operation not permitted|not found/i.test(namespaced.stderr ?? '') || namespaced.error) {
    t.comment(`not tried in another network namespace: ${(namespaced.stderr || String(namespaced.error)).trim().split('\n')[0]}`);
  } else {
    t.equal(namespaced.status, 1, 'from another network namespace: the lock belongs to the file, not to a name a namespace could hide');
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
  t.same(state(), before, 'the refused daemons wrote nothing');
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
