import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { rpcMethods } from '../../src/generated/schemas.js';
import { callError, startDaemon } from '../helpers/daemon.js';
import { handshake } from '../helpers/handshake.js';
import { freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee 5: every method × every caller (no session, a wrong token, gateway, admin) gives exactly
 * docs/security.md's answer; a data dir others can write to is refused at start.
 */
type Caller = 'none' | 'wrong token' | 'gateway' | 'admin';
const CALLERS: Caller[] = ['none', 'wrong token', 'gateway', 'admin'];
const GATEWAY_MAY = new Set(['connector.authenticate', 'daemon.status']);

function expected(method: string, caller: Caller): 'allowed' | 'Unauthenticated' | 'Forbidden' {
  // A challenge is answered for anyone (it proves the daemon, it reveals nothing); a hello only to its token's holder.
  if (method === 'session.challenge') return 'allowed';
  if (method === 'session.hello') return caller === 'none' || caller === 'wrong token' ? 'Unauthenticated' : 'allowed';
  if (caller === 'none' || caller === 'wrong token') return 'Unauthenticated';
  if (caller === 'gateway') return GATEWAY_MAY.has(method) ? 'allowed' : 'Forbidden';
  return 'allowed';
}

/** The admin token with its last character changed: never the token itself (a token ending in 'x' once made 'wrong token' the right one). */
function wrongToken(token: string): string {
  return token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x');
}

t.test('the role matrix: every method for every caller', async (t) => {
  const daemon = await startDaemon(t);
  const setup = await daemon.client('admin');
  const { key } = await setup.request('apiKey.create', { name: 'matrix' });
  const tokens: Record<Caller, string | undefined> = {
    none: undefined, 'wrong token': wrongToken(daemon.adminToken()), gateway: daemon.gatewayToken(), admin: daemon.adminToken(),
  };
  // Params that succeed for an allowed caller; each mutation acts on its own key so the matrix can run in any order.
  let serial = 0;
  const paramsFor = async (method: string, caller: Caller): Promise<object> => {
    const name = `m-${caller.replace(' ', '-')}-${serial++}`;
    const onAKey = ['apiKey.get', 'apiKey.reveal', 'apiKey.update', 'apiKey.delete', 'apiKey.rotate', 'apiKey.disable', 'apiKey.enable', 'apiKey.usage'];
    if (onAKey.includes(method)) await setup.request('apiKey.create', { name });
    switch (method) {
      case 'session.challenge': return { protocolVersion: 3, role: caller === 'gateway' ? 'gateway' : 'admin', clientNonce: 'A'.repeat(43) };
      case 'apiKey.create': return { name };
      case 'apiKey.update': return { name, description: 'changed' };
      case 'apiKey.get': case 'apiKey.reveal': case 'apiKey.delete': case 'apiKey.rotate': case 'apiKey.disable': case 'apiKey.enable': case 'apiKey.usage':
        return { name };
      case 'apiKey.verify': case 'connector.authenticate': return { key };
      case 'backup.create': return { passphrase: 'the matrix passphrase' };
      case 'backup.read': return { index: 0 };
      default: return {};
    }
  };
  // daemon.shutdown last: the admin's call stops the daemon, the very last of the matrix.
  const methods = [...rpcMethods].sort((a, b) => Number(a === 'daemon.shutdown') - Number(b === 'daemon.shutdown'));
  for (const method of methods) {
    for (const caller of CALLERS) {
      const client = await daemon.client();
      const role = caller === 'gateway' ? 'gateway' : 'admin';
      const open = () => handshake(client, role, tokens[caller] ?? 'no token');
      if (caller !== 'none' && method !== 'session.hello') await open().catch(() => undefined);
      const params = await paramsFor(method, caller);
      const want = expected(method, caller);
      // A backup is read on the connection that started it.
      if (method === 'backup.read' && want === 'allowed') await client.request('backup.create', { passphrase: 'the matrix passphrase' });
      const call = method === 'session.hello' ? open() : client.request(method, params);
      const outcome = await call.then(() => 'allowed', (e: { code: string }) => e.code);
      t.equal(outcome, want, `${method} as ${caller}`);
      client.close();
    }
  }
  t.equal(await daemon.exited, 0, 'the admin\'s daemon.shutdown stopped the daemon cleanly');
});

t.test('tokens: a proof made with any other string, however close, is refused', async (t) => {
  const daemon = await startDaemon(t);
  const client = await daemon.client();
  const admin = daemon.adminToken();
  for (const token of [admin.slice(0, -1), admin + 'a', admin.toLowerCase(), ` ${admin}`, admin.slice(0, 8), daemon.gatewayToken().slice(0, -1) + admin.slice(-1), '']) {
    t.match(await callError(handshake(client, 'admin', token)), { code: 'Unauthenticated' });
  }
  t.match(await handshake(client, 'admin', admin), { role: 'admin' });
});

t.test('a data dir others can write to is refused at start, with the fix in the message', { skip: process.platform === 'win32' && 'POSIX modes' }, async (t) => {
  const dataDir = freshDataDir(t);
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.chmodSync(dataDir, 0o777);
  const error = await startDaemon(t, { dataDir }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /exited \(1\)[\s\S]*can be written by every user \(mode 777\)\. Nothing was read or written\. Make it private first: chmod 700/);
  t.same(fs.readdirSync(dataDir), [], 'nothing was written into it');
});

t.test('a tampered store stops the daemon with a message naming the file', async (t) => {
  const daemon = await startDaemon(t);
  await (await daemon.client('admin')).request('apiKey.create', { name: 'tampered' });
  await daemon.stop();
  const snapshot = path.join(daemon.dataDir, 'keys.snapshot');
  const bytes = fs.readFileSync(snapshot);
  bytes[bytes.length - 20]! ^= 0x01;
  fs.writeFileSync(snapshot, bytes);
  const error = await startDaemon(t, { dataDir: daemon.dataDir }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /exited \(1\)[\s\S]*keys\.snapshot: fails authentication[\s\S]*Restore the data directory from a backup/);
  t.same(fs.readFileSync(snapshot), bytes, 'the file was left as it was');
});
