import fc from 'fast-check';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openSession } from '../src/client/connect.js';
import { FailedAuthentications } from '../src/daemon/failed-authentications.js';
import { clientProof, endpointBinding, newNonce, proofKey, sameProof, serverProof } from '../src/session-proof.js';
import { encodeFrame, FrameDecoder, FramingError } from '../src/rpc/framing.js';
import { FailureBudget } from '../src/daemon/failure-budget.js';
import { SERVER_LIMITS } from '../src/daemon/limits.js';
import { SessionCaps } from '../src/daemon/session-caps.js';
import { OncePerInterval, OncePerPairPerInterval } from '../src/daemon/once-per-interval.js';
import { RpcServer } from '../src/rpc/server.js';
import { RoleTokens } from '../src/daemon/tokens.js';
import { resolveLocations, defaultDataDir, defaultPipe } from '../src/locations.js';
import { validForFromText } from '../src/cli/validity-text.js';
import { type DaemonContext, dispatch } from '../src/daemon/methods.js';
import { Session } from '../src/daemon/session.js';
import { RecordingLog } from './helpers/vault.js';
import fs from 'node:fs';

t.test('frames survive any chunking, multi-byte characters split included (property)', async () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 50 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (texts, cuts) => {
      const bodies = texts.map((text) => JSON.stringify({ text }));
      const stream = Buffer.concat(bodies.map(encodeFrame));
      const decoder = new FrameDecoder();
      const got: string[] = [];
      let at = 0;
      for (let i = 0; at < stream.length; i++) {
        const size = cuts[i % cuts.length]!;
        decoder.push(stream.subarray(at, at + size));
        at += size;
        for (let body = decoder.next(); body; body = decoder.next()) got.push(body.toString('utf8'));
      }
      return JSON.stringify(got) === JSON.stringify(bodies) && decoder.pendingBytes === 0;
    }),
  );
});

t.test('the usual header, read in place, is read as any other header section is (property)', async () => {
  /** What a decoder makes of `stream`: the bodies, then the error that stopped it, if any. */
  const outcome = (stream: Buffer, chunkSize: number) => {
    const decoder = new FrameDecoder(1000);
    const got: string[] = [];
    try {
      for (let at = 0; at < stream.length; at += chunkSize) {
        decoder.push(stream.subarray(at, at + chunkSize));
        for (let body = decoder.next(); body; body = decoder.next()) got.push(body.toString('latin1'));
      }
    } catch (error) {
      got.push(`error: ${(error as Error).message}`);
    }
    return got;
  };
  const header = fc.oneof(
    fc.nat({ max: 1200 }).map((length) => `Content-Length: ${length}`),
    fc.constantFrom('Content-Length: 00012', 'Content-Length: 12345678901', 'Content-Length: 1234567890', 'Content-Length:  12', 'content-length: 12',
      'Content-Length: 12 ', 'Content-Length: -1', 'Content-Length: 1e2', 'Content-Length: 12\r\nContent-Type: application/json; charset=latin1',
      'Content-Length: 12\r\nX: y', 'Content-Length: ', 'Content-Length: 12\n'),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(header, fc.string({ maxLength: 30 })), { minLength: 1, maxLength: 4 }), (frames) => {
      const stream = Buffer.from(frames.map(([head, body]) => `${head}\r\n\r\n${body}`).join(''), 'latin1');
      // Whole in one chunk, the usual header is read in place; a byte at a time, never.
      return JSON.stringify(outcome(stream, stream.length)) === JSON.stringify(outcome(stream, 1));
    }),
  );
});

t.test('the decoder refuses what would hold unbounded memory', async (t) => {
  const over = new FrameDecoder(100);
  over.push(Buffer.from('Content-Length: 101\r\n\r\n'));
  t.throws(() => over.next(), FramingError);
  const endless = new FrameDecoder();
  endless.push(Buffer.alloc(5000, 'a'));
  t.throws(() => endless.next(), { message: /header section is too long/ });
  const exact = new FrameDecoder(100);
  exact.push(Buffer.from(`Content-Length: 100\r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${'x'.repeat(100)}`));
  t.equal(exact.next()?.length, 100, 'the limit itself is allowed; header names are case-insensitive');
});

t.test('the failure budget: a burst, then a steady rate; nothing is ever delayed, and what is past it is not charged', async (t) => {
  let now = 0;
  const budget = new FailureBudget(3, 10, () => now);
  t.same([budget.spend(), budget.spend(), budget.spend()], [true, true, true]);
  t.ok(budget.spent, 'the burst is spent');
  t.same([budget.spend(), budget.spend()], [false, false]);
  now = 100;
  t.notOk(budget.spent, 'a tenth of a second gives one back');
  t.same([budget.spend(), budget.spend()], [true, false], 'one, not more: the failures past it were not charged');
  t.notOk(budget.whole);
  now = 10_000;
  t.ok(budget.whole, 'whole again with time');
});

t.test('session caps: all, the admins\' reserve, and per account', async (t) => {
  const caps = new SessionCaps({ maxSessions: 5, adminReserve: 2, maxSessionsPerPeer: 2 });
  const alice = [caps.admit('gateway', 'alice'), caps.admit('gateway', 'alice')];
  t.throws(() => caps.admit('gateway', 'alice'), { code: 'TooManySessions', message: /alice has 2 gateway sessions open/ });
  const bob = caps.admit('gateway', 'bob');
  t.throws(() => caps.admit('gateway', undefined), { code: 'TooManySessions', message: /the last 2 of the 5 sessions are kept for admins/ });
  const admins = [caps.admit('admin', 'alice'), caps.admit('admin', 'alice')];
  t.throws(() => caps.admit('admin', 'carol'), { code: 'TooManySessions', message: /all 5 sessions are taken/ });
  admins[0]!();
  admins[0]!();
  t.doesNotThrow(() => caps.admit('admin', 'carol'), 'a place given back, once, is taken again');
  alice[0]!();
  t.doesNotThrow(() => caps.admit('gateway', 'alice'));
  bob();
});

t.test('the expired-key warning: once an hour per name, and only the last hour\'s names kept', async (t) => {
  let now = 0;
  const once = new OncePerInterval(3_600_000, () => now);
  t.same([once.due('a'), once.due('a'), once.due('b')], [true, false, true]);
  now = 3_600_000;
  t.equal(once.due('a'), false, 'not again within the hour');
  now = 3_600_001;
  t.equal(once.due('a'), true, 'again after it');
  // Keys that expired, were presented, then deleted or renamed: their names must not stay for the daemon's life.
  for (let i = 0; i < 10_000; i++) once.due(`deleted-${i}`);
  t.equal(once.size, 10_001);
  now += 3_600_001;
  t.equal(once.due('c'), true);
  t.equal(once.size, 1, 'names older than an hour are gone');
});

t.test('the previous-value warning: once per ten minutes per key and connector; a flood of connectorIds is capped', async (t) => {
  let now = 0;
  const once = new OncePerPairPerInterval(600_000, 3, () => now);
  t.same([once.due('k', 'a'), once.due('k', 'a'), once.due('k', 'b'), once.due('other', 'a')], [true, false, true, true]);
  now = 599_999;
  t.equal(once.due('k', 'a'), false, 'not again within the interval');
  now = 600_000;
  t.equal(once.due('k', 'a'), true, 'again after it');
  t.equal(once.due('k', 'c'), true, 'a third pair, forgetting b whose interval passed');
  t.equal(once.due('k', 'd'), true);
  t.equal(once.due('k', 'e'), false, 'a fourth pair within the interval is beyond the cap: not reported, not kept');
  now = 1_200_000;
  t.equal(once.due('k', 'e'), true, 'once the others are old, room again');
});

t.test('an unexpected exception in a handler is answered as Internal and logged; the server goes on', async (t) => {
  const dir = t.testdir();
  const pipe = path.join(os.tmpdir(), `gwk-unit-${process.pid}.sock`);
  const tokens = await RoleTokens.ensure(dir);
  const log = new RecordingLog();
  const broken = {
    today: () => ({ toString: () => '2026-11-27' }),
    timeZone: 'UTC',
    counts: () => { throw new TypeError('disk gremlins'); },
    listJson: () => [Buffer.from('{"items":[],"total":0}')],
  };
  const context = { vault: broken, tokens, log, exposedLog: log, failures: new FailedAuthentications(log, async () => undefined), sessions: new SessionCaps(), serverVersion: 'test', startedAt: performance.now() } as unknown as DaemonContext;
  const server = await RpcServer.listen(pipe, {
    dispatch: (session: Session, method, params) => dispatch(context, session, method, params), openSession: (id, peer) => new Session(id, peer, ''), log, limits: SERVER_LIMITS,
  });
  t.teardown(() => server.close());
  const { client } = await openSession({ pipe, role: 'admin', token: fs.readFileSync(path.join(dir, 'admin.token'), 'utf8').trim() });
  t.teardown(() => client.close());
  await t.rejects(client.request('daemon.status', {}), { code: 'Internal', rpcCode: -32603, message: 'The daemon failed to answer this request; the details are in its log.' });
  t.match(log.lines.find((l) => l.level === 'error'), { meta: { event: 'request.failed', method: 'daemon.status', error: 'disk gremlins' } });
  t.same(await client.request('apiKey.list', {}), { items: [], total: 0 }, 'still serving');
});

t.test('role tokens: made once, proved whole, refused when damaged', async (t) => {
  const dir = t.testdir();
  const tokens = await RoleTokens.ensure(dir);
  const admin = fs.readFileSync(path.join(dir, 'admin.token'), 'utf8').trim();
  const gateway = fs.readFileSync(path.join(dir, 'gateway.token'), 'utf8').trim();
  const [nc, ns] = [newNonce(), newNonce()];
  const proves = (store: RoleTokens, role: 'admin' | 'gateway', token: string, binding = '') =>
    store.acceptsClientProof(role, ns, nc, binding, clientProof(proofKey(Buffer.from(token)), ns, nc, binding));
  t.ok(proves(tokens, 'admin', admin));
  t.ok(proves(tokens, 'gateway', gateway));
  t.notOk(proves(tokens, 'admin', gateway), 'a token proves its own role only');
  t.notOk(proves(tokens, 'admin', admin.slice(0, -1)));
  t.ok(proves(tokens, 'admin', admin, '4242:5151'), 'a proof for the binding the daemon sees');
  t.notOk(tokens.acceptsClientProof('admin', ns, nc, '4242:5151', clientProof(proofKey(Buffer.from(admin)), ns, nc, '4242:6161')), 'not one for other ends');
  t.notOk(tokens.acceptsClientProof('admin', ns, nc, '', ''), 'a proof of the wrong length is refused, not thrown on');
  t.equal(tokens.serverProof('admin', nc, ns, '4242:5151'), serverProof(proofKey(Buffer.from(admin)), nc, ns, '4242:5151'));
  t.not(serverProof(proofKey(Buffer.from(admin)), nc, ns, '4242:5151'), serverProof(proofKey(Buffer.from(admin)), nc, ns, ''), 'the binding is in the proof');
  const again = await RoleTokens.ensure(dir);
  t.ok(proves(again, 'admin', admin), 'existing tokens are kept');
  fs.writeFileSync(path.join(dir, 'admin.token'), `  ${admin}\r\n`);
  t.ok(proves(await RoleTokens.ensure(dir), 'admin', admin), 'white space around a token is not part of it');
  fs.writeFileSync(path.join(dir, 'gateway.token'), 'garbage');
  await t.rejects(RoleTokens.ensure(dir), { message: /does not hold a gateway-apikeys token. Delete it and restart/ });
  fs.rmSync(path.join(dir, 'gateway.token'));
  const rotated = await RoleTokens.ensure(dir);
  t.notOk(proves(rotated, 'gateway', gateway), 'deleting a token file rotates it');
});

t.test('the session proofs match the published worked example', async (t) => {
  type Example = { token: string; clientNonce: string; serverNonce: string; bindings: { binding: string; serverProof: string; clientProof: string }[] };
  const example = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/session-proof-example.json'), 'utf8')) as Example;
  const key = proofKey(Buffer.from(example.token));
  const docs = fs.readFileSync(path.join(import.meta.dirname, '../docs/protocol.md'), 'utf8');
  t.same(example.bindings.map((b) => b.binding), [endpointBinding(undefined), endpointBinding({ serverPid: 4242, clientPid: 5151 })], 'a Unix binding and a Windows one');
  t.equal(endpointBinding({ serverPid: 4242, clientPid: undefined }), '?', 'an end Windows did not name binds to what no honest peer computes');
  for (const { binding, serverProof: server, clientProof: client } of example.bindings) {
    t.equal(serverProof(key, example.clientNonce, example.serverNonce, binding), server, `server proof, binding '${binding}'`);
    t.equal(clientProof(key, example.serverNonce, example.clientNonce, binding), client, `client proof, binding '${binding}'`);
    t.ok(sameProof(client, client));
    t.notOk(sameProof(client, server));
    t.match(docs, server, 'docs/protocol.md publishes it');
    t.match(docs, client, 'docs/protocol.md publishes it');
  }
});

t.test('locations: flags, then environment, then the platform default', async (t) => {
  t.equal(defaultDataDir({}, 'linux'), '/var/lib/gateway-apikeys');
  t.equal(defaultDataDir({ ProgramData: 'D:\\PD' }, 'win32'), 'D:\\PD\\Nintex\\Gateway');
  t.equal(defaultPipe('/d', {}, 'win32'), '\\\\.\\pipe\\gateway-apikeys');
  t.equal(defaultPipe('/d', {}, 'linux'), '/d/gateway-apikeys.sock');
  t.equal(defaultPipe('/d', { GATEWAY_APIKEYS_PIPE: '/run/g.sock' }, 'linux'), '/run/g.sock');
  t.same(resolveLocations({}, { GATEWAY_APIKEYS_DATA_DIR: '/srv/keys' }, 'linux'), { dataDir: '/srv/keys', pipe: '/srv/keys/gateway-apikeys.sock' });
  t.same(resolveLocations({ dataDir: '/a', pipe: '/b.sock' }, { GATEWAY_APIKEYS_DATA_DIR: '/srv' }, 'linux'), { dataDir: '/a', pipe: '/b.sock' });
  t.throws(() => resolveLocations({ dataDir: '/' + 'x'.repeat(120) }, {}, 'linux'), /Unix sockets allow 107/);
});

t.test('short durations on the command line', async (t) => {
  t.same(['7d', '30D', '2w', '6m', '1y', 'P90D', 'p6m', 'soon', 'P1H'].map(validForFromText), ['P7D', 'P30D', 'P2W', 'P6M', 'P1Y', 'P90D', 'P6M', undefined, undefined]);
});
