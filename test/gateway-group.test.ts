import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { groupIdIn } from '../src/platform/accounts.js';
import { CLI, ROOT, startDaemon } from './helpers/daemon.js';

// `serve --gateway-group` (docs/security.md, "The gateway's account"), for real: a gateway process
// running as another user (nobody, uid 65534) in that group reads gateway.token where the daemon
// keeps it and authenticates as the gateway over the default socket; without the flag it cannot
// even reach the file. A rotation (delete the token, restart) keeps the grant.
const isRoot = process.platform !== 'win32' && process.geteuid!() === 0;
const NOBODY = 65534;
const skip = !isRoot && 'needs root, to run the gateway as another user';
const CONNECT = path.join(ROOT, 'dist', 'client', 'connect.js');

/** What a gateway running as nobody (gid `gid`) gets from the token file at its default place, then from the daemon. */
function gatewayAsNobody(dataDir: string, gid: number): { read: string; authenticated?: unknown } {
  const script = `
    const fs = require('node:fs');
    const token = (() => { try { return fs.readFileSync(process.argv[1] + '/gateway.token', 'utf8').trim(); } catch (e) { return e.code; } })();
    if (!token.startsWith('gwt_')) { console.log(JSON.stringify({ read: token })); process.exit(0); }
    import(${JSON.stringify(CONNECT)}).then(async ({ openSession }) => {
      const { client, hello } = await openSession({ pipe: process.argv[1] + '/gateway-apikeys.sock', role: 'gateway', token });
      const status = await client.request('daemon.status', {});
      client.close();
      console.log(JSON.stringify({ read: 'ok', authenticated: { role: hello.role, keys: typeof status.keys.total } }));
    }).catch((e) => { console.log(JSON.stringify({ read: 'ok', authenticated: e.message })); });`;
  const result = spawnSync(process.execPath, ['-e', script, dataDir], { uid: NOBODY, gid, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(result.stdout.trim() || JSON.stringify({ read: `no answer: ${result.stderr}` })) as { read: string; authenticated?: unknown };
}

/** A data dir whose every directory above nobody may traverse (the tests' own fixtures may not), with a socket path short enough. */
function dataDirFor(t: Test): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-gw-'));
  fs.chmodSync(parent, 0o755);
  t.teardown(() => fs.rmSync(parent, { recursive: true, force: true }));
  return path.join(parent, 'data');
}

t.test('groups: a name of the group file or a number', async (t) => {
  const text = 'root:x:0:\n# a comment\ngateway:x:1234:svc\nbroken:x:\nnogroup:x:65534:\n';
  t.equal(groupIdIn(text, 'gateway'), 1234);
  t.equal(groupIdIn(text, 'nogroup'), 65534);
  t.equal(groupIdIn(text, '77'), 77, 'a gid as it is');
  t.equal(groupIdIn(text, 'broken'), undefined);
  t.equal(groupIdIn(text, 'nosuch'), undefined);
  t.equal(groupIdIn('', 'gateway'), undefined);
});

t.test('--gateway-group: the gateway, as another user of that group, reads gateway.token at its place and authenticates; the rest stays private', { skip }, async (t) => {
  const gid = groupIdIn(fs.readFileSync('/etc/group', 'utf8'), 'nogroup') ?? NOBODY;
  const dataDir = dataDirFor(t);
  const daemon = await startDaemon(t, { dataDir, pipe: path.join(dataDir, 'gateway-apikeys.sock'), args: ['--gateway-group', 'nogroup'] });
  const stat = (name: string) => fs.statSync(path.join(dataDir, name));
  t.same([stat('.').mode & 0o777, stat('.').gid], [0o710, gid], 'the data dir: the group may traverse it, not list it');
  t.same([stat('gateway.token').mode & 0o777, stat('gateway.token').gid], [0o640, gid], 'gateway.token: the group may read it');
  for (const name of ['admin.token', 'master.key', 'keys.snapshot', 'keys.journal']) t.equal(stat(name).mode & 0o077, 0, `${name} stays private`);
  t.same(gatewayAsNobody(dataDir, gid), { read: 'ok', authenticated: { role: 'gateway', keys: 'number' } }, 'read, then authenticated as the gateway');
  t.equal(spawnSync('ls', [dataDir], { uid: NOBODY, gid, encoding: 'utf8' }).status, 2, 'but it cannot list the data dir');
  t.equal(spawnSync('cat', [path.join(dataDir, 'admin.token')], { uid: NOBODY, gid }).status, 1, 'nor read admin.token');

  // Rotation: delete the token and restart; the new token is shared the same way, and the claim accepts the grant.
  const before = daemon.gatewayToken();
  await daemon.stop();
  // A restart as it is: the claim accepts the shared token (exactly 0640, that group) it finds.
  const restarted = await startDaemon(t, { dataDir, pipe: path.join(dataDir, 'gateway-apikeys.sock'), args: ['--gateway-group', 'nogroup'] });
  t.equal(restarted.gatewayToken(), before, 'restarted on the shared token');
  await restarted.stop();
  fs.rmSync(path.join(dataDir, 'gateway.token'));
  const again = await startDaemon(t, { dataDir, pipe: path.join(dataDir, 'gateway-apikeys.sock'), args: ['--gateway-group', String(gid)] });
  t.not(again.gatewayToken(), before, 'a new token');
  t.same(gatewayAsNobody(dataDir, gid).authenticated, { role: 'gateway', keys: 'number' }, 'which the gateway reads at once: no copy to redo');
});

t.test('without --gateway-group the gateway\'s user cannot reach the token; a shared token is then refused, and an unknown group fails the start', { skip }, async (t) => {
  const gid = NOBODY;
  const dataDir = dataDirFor(t);
  const daemon = await startDaemon(t, { dataDir, pipe: path.join(dataDir, 'gateway-apikeys.sock') });
  t.equal(gatewayAsNobody(dataDir, gid).read, 'EACCES', 'the data dir stays 0700');
  await daemon.stop();
  fs.chownSync(path.join(dataDir, 'gateway.token'), 0, gid);
  fs.chmodSync(path.join(dataDir, 'gateway.token'), 0o640);
  const refused = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
  t.not(refused.status, 0, 'a token its group may read is refused without the flag that shares it');
  t.match(refused.stderr, /gateway\.token can be read by other users \(mode 640\)/);
  fs.chmodSync(path.join(dataDir, 'gateway.token'), 0o644);
  const broader = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--gateway-group', String(gid)], { encoding: 'utf8', timeout: 30_000 });
  t.match(broader.stderr, /gateway\.token can be read by other users \(mode 644\)/, 'with the flag, only exactly 0640 of that group is accepted');
  const unknown = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--gateway-group', 'no-such-group-here'], { encoding: 'utf8', timeout: 30_000 });
  t.not(unknown.status, 0);
  t.match(unknown.stderr, "--gateway-group: the system knows no group named 'no-such-group-here'");
});
