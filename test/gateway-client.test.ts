import t, { type Test } from 'tap';
import {
  DaemonConnectionLostError, DaemonImpostorError, DaemonProtocolError, DaemonTimeoutError, DaemonUnavailableError, GatewayApiKeysError, GatewayClient,
} from '../src/client/index.js';
import { fakeDaemon } from './helpers/fake-daemon.js';
import { startDaemon, shortPipe } from './helpers/daemon.js';

/**
 * GatewayClient (src/client/gateway-client.ts), the Node client of docs/gateway-integration.md,
 * against the real daemon where it can be, and against test/helpers/fake-daemon.ts where the
 * daemon must do something on cue (close a connection at one request, never answer one).
 */

const TOKEN = `gwt_${'F'.repeat(49)}`;

/** Every rejection no one handled while this file runs: a call must fail once, to its caller, and nowhere else. */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** What a promise settles to: its value, or the error it rejects with. */
const settled = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: Error) => error);

async function daemonWithKeys(t: Test, count: number) {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const keys: { name: string; key: string }[] = [];
  for (let i = 0; i < count; i++) {
    const { name, key } = await admin.request('apiKey.create', { name: `connector ${i}` });
    keys.push({ name, key });
  }
  admin.close();
  return { daemon, keys };
}

t.test('10,000 authentications, 64 in flight: every answer is its own request\'s, and every use counted once', async (t) => {
  const { daemon, keys } = await daemonWithKeys(t, 8);
  const client = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe });
  t.equal(client.role, 'gateway', 'the gateway role, with gateway.token from the data dir');
  let next = 0;
  let mismatched = 0;
  const caller = async () => {
    for (let i = next++; i < 10_000; i = next++) {
      const { name, key } = keys[i % keys.length]!;
      const result = await client.authenticate(key, { connectorId: `caller ${i % 3}` });
      if (!result.authenticated || result.name !== name) mismatched++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, caller));
  t.equal(mismatched, 0, 'each answer names the key its request presented');
  await client.close();
  const admin = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe, role: 'admin' });
  let uses = 0;
  for (const { name } of keys) uses += (await admin.request('apiKey.usage', { name })).connectors.reduce((sum, c) => sum + c.count, 0);
  t.equal(uses, 10_000, 'the daemon counted 10,000 uses: none lost, none sent twice');
  await admin.close();
});

t.test('the pool spreads calls over a few connections, never more than maxConnections', async (t) => {
  const fake = await fakeDaemon(t, { token: TOKEN, react: () => ({ result: { authenticated: false, reason: 'Unknown' } }) });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, maxConnections: 3 });
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next++ < 3000) await client.authenticate('gwk_x');
  }));
  t.equal(fake.connections(), 3, 'three connections carried 64 calls in flight');
  const perConnection = new Set(fake.received.filter((r) => r.method === 'connector.authenticate').map((r) => r.connection));
  t.equal(perConnection.size, 3, 'each carried calls');
  await client.close();
});

t.test('the daemon killed and restarted under 64 callers: authentications ride it out, a change in flight fails once', async (t) => {
  const { daemon, keys } = await daemonWithKeys(t, 1);
  const { key } = keys[0]!;
  const gateway = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe, connectTimeoutMs: 60_000 });
  const admin = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe, role: 'admin', connectTimeoutMs: 60_000 });
  let phase: 'before' | 'down' | 'after' = 'before';
  let completed = 0;
  let stop = false;
  /** Per caller: its calls' outcomes, and whether one succeeded after the restart. */
  const outcomes = Array.from({ length: 64 }, () => ({ ok: 0, errors: [] as Error[], okAfter: 0 }));
  const callers = outcomes.map(async (outcome, c) => {
    for (let i = 0; !stop; i++) {
      const call: Promise<unknown> = c < 8
        ? admin.request('apiKey.create', { name: `made by ${c} #${i}` })
        : gateway.authenticate(key, { connectorId: `caller ${c}` });
      const result = await settled(call);
      if (result instanceof Error) outcome.errors.push(result);
      else {
        outcome.ok++;
        if (phase === 'after') outcome.okAfter++;
      }
      completed++;
      if (phase === 'after' && outcomes.every((o) => o.okAfter > 0)) stop = true;
    }
  });
  while (completed < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
  daemon.child.kill('SIGKILL');
  phase = 'down';
  await daemon.exited;
  await startDaemon(t, { dataDir: daemon.dataDir, pipe: daemon.pipe });
  phase = 'after';
  await Promise.all(callers);
  const authenticateErrors = outcomes.slice(8).flatMap((o) => o.errors);
  t.same(authenticateErrors.map((e) => e.message), [], 'no authentication failed: each lost one was sent again on a new connection');
  const changeErrors = outcomes.slice(0, 8).flatMap((o) => o.errors);
  t.ok(changeErrors.every((e) => e instanceof DaemonConnectionLostError), `a change in flight fails with DaemonConnectionLost, never sent twice (${changeErrors.length} did)`);
  t.ok(outcomes.slice(0, 8).every((o) => o.errors.length <= 1), 'each change caller saw at most one error: the one call it had in flight');
  t.ok(outcomes.every((o) => o.okAfter > 0), 'every caller succeeded after the restart');
  await gateway.close();
  await admin.close();
});

t.test('an impostor at the pipe after a restart gets no proof and no key: DaemonImpostor', async (t) => {
  const { daemon, keys } = await daemonWithKeys(t, 1);
  const { key } = keys[0]!;
  const client = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe, connectTimeoutMs: 30_000 });
  t.match(await client.authenticate(key), { authenticated: true });
  daemon.child.kill('SIGKILL');
  await daemon.exited;
  const impostor = await fakeDaemon(t, { pipe: daemon.pipe });
  const error = await settled(client.authenticate(key, { connectorId: 'orders' }));
  t.type(error, DaemonImpostorError);
  t.equal((error as DaemonImpostorError).code, 'DaemonImpostor');
  t.same([...new Set(impostor.received.map((r) => r.method))], ['session.challenge'], 'it was asked for a challenge, nothing else');
  t.notOk(impostor.received.some((r) => r.body.includes(key) || r.body.includes('clientProof')), 'no key value, no client proof reached it');
  t.notOk((error as Error).message.includes(daemon.gatewayToken()), 'the message holds no token');
  await client.close();
});

t.test('a wrong token: DaemonImpostor at connect, the token in no message', async (t) => {
  const daemon = await startDaemon(t);
  const wrong = `gwt_${'W'.repeat(49)}`;
  for (const role of ['gateway', undefined] as const) {
    const error = await settled(GatewayClient.connect({ pipe: daemon.pipe, token: wrong, role }));
    t.type(error, DaemonImpostorError, `role ${role ?? 'any'}`);
    t.notOk((error as Error).message.includes(wrong), 'the message holds no token');
  }
});

t.test('nothing at the pipe: DaemonUnavailable once the connect timeout has passed, for each call', async (t) => {
  const pipe = shortPipe();
  const error = await settled(GatewayClient.connect({ pipe, token: TOKEN, connectTimeoutMs: 200 }));
  t.type(error, DaemonUnavailableError);
  t.match(error, { code: 'DaemonUnreachable', reason: 'ENOENT', pipe });

  const fake = await fakeDaemon(t, { token: TOKEN, react: () => ({ result: {} }) });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, connectTimeoutMs: 200 });
  fake.stop();
  const results = await Promise.all(Array.from({ length: 10 }, () => settled(client.status())));
  t.ok(results.every((r) => r instanceof DaemonUnavailableError), 'each of 10 calls gets one DaemonUnavailable');
  await client.close();
});

t.test('the daemon\'s refusals carry its code and field', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe, role: 'admin' });
  t.match(await settled(admin.request('apiKey.get', { name: 'no such key' })), { name: 'GatewayApiKeysError', code: 'KeyNotFound', rpcCode: -32004 });
  const short = await settled(admin.request('apiKey.create', { name: 'ab' }));
  t.type(short, GatewayApiKeysError);
  t.match(short, { code: 'NameTooShort', field: 'name' });
  const gateway = await GatewayClient.connect({ dataDir: daemon.dataDir, pipe: daemon.pipe });
  t.match(await settled(gateway.request('apiKey.list', {})), { code: 'Forbidden' }, 'the gateway role may not list');
  t.match(await gateway.status(), { keys: { total: 0 } });
  await admin.close();
  await gateway.close();
});

t.test('a lost connection: a read is sent once more, a change never', async (t) => {
  const fake = await fakeDaemon(t, {
    token: TOKEN,
    react: (method, _params, n) => {
      if (method === 'daemon.status') return n === 1 ? 'close' : { result: { ok: n } };
      if (method === 'apiKey.get') return n <= 2 ? 'close' : { result: {} };
      return 'close';
    },
  });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, role: 'admin' });
  t.same(await client.status(), { ok: 2 }, 'status: the connection closed under it, and the second sending was answered');
  const create = await settled(client.request('apiKey.create', { name: 'a change' }));
  t.type(create, DaemonConnectionLostError);
  t.equal(fake.received.filter((r) => r.method === 'apiKey.create').length, 1, 'the change was sent once');
  t.type(await settled(client.request('apiKey.get', { name: 'x' })), DaemonConnectionLostError, 'a read lost twice fails, once');
  t.equal(fake.received.filter((r) => r.method === 'apiKey.get').length, 2, 'a read is sent twice at most');
  await client.close();
});

t.test('a daemon that dies under calls on several connections: each read is sent once more, on a connection opened after the loss', async (t) => {
  let lostAfter = Infinity;
  // The connections of the daemon that died never answer; those opened after it, as a new daemon's, do.
  const fake = await fakeDaemon(t, {
    token: TOKEN,
    react: (_method, params, _n, connection) => (connection > lostAfter ? { result: { authenticated: true, name: params.key } } : 'silent'),
  });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, maxConnections: 4 });
  const sent = () => fake.received.filter((r) => r.method === 'connector.authenticate');
  const calls: Promise<unknown>[] = [];
  // In waves of 16, the calls one connection takes before the pool opens another beside it.
  for (let wave = 1; wave <= 4; wave++) {
    for (let i = 0; i < 16; i++) calls.push(settled(client.authenticate(`key ${calls.length}`)));
    while (sent().length < 16 * wave) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  lostAfter = fake.connections();
  const carrying = new Set(sent().map((r) => r.connection));
  t.ok(carrying.size >= 2, `the 64 calls in flight were spread over ${carrying.size} of ${lostAfter} connections`);
  // A client sees a dead daemon's connections close one by one: here the oldest first, the rest a little later.
  fake.drop(1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  fake.dropAll();
  const results = await Promise.all(calls);
  t.same(results.filter((r) => r instanceof Error).map((e) => (e as Error).message), [], 'no call failed');
  t.equal(sent().filter((r) => r.connection > lostAfter).length, 64, 'each call was sent again once, on a connection opened after the first loss');
  await client.close();
});

t.test('a timeout fails the call that waited, and the others on its connection go elsewhere', async (t) => {
  const fake = await fakeDaemon(t, {
    token: TOKEN,
    react: (method, _params, n) => (method === 'daemon.status' || n === 1 ? 'silent' : { result: { items: [], total: 0 } }),
  });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, role: 'admin', maxConnections: 1, requestTimeoutMs: 300 });
  const [status, list, create] = await Promise.all([
    settled(client.status()),
    settled(client.request('apiKey.list', {})),
    settled(client.request('apiKey.create', { name: 'made while stuck' })),
  ]);
  t.type(status, DaemonTimeoutError, 'the request that was not answered: DaemonTimeout');
  t.same(list, { items: [], total: 0 }, 'a read on the same connection: sent again on a new one, answered');
  t.type(create, DaemonConnectionLostError, 'a change on the same connection: lost, not sent again');
  t.equal(fake.connections(), 2);
  await client.close();
});

t.test('a connection the transport gave up on (a protocol error) is never handed to the next call', async (t) => {
  const fake = await fakeDaemon(t, { token: TOKEN, react: (_method, _params, n) => (n === 1 ? 'garbage' : { result: { n } }) });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, role: 'admin', maxConnections: 1 });
  t.type(await settled(client.status()), DaemonProtocolError, 'the call that got the bad frame');
  // Calls one after another without a turn of the event loop between them, as a busy caller makes.
  const next = [];
  for (let i = 0; i < 5; i++) next.push(await settled(client.status()));
  t.same(next.map((r) => r instanceof Error ? r.name : 'answered'), Array(5).fill('answered'), 'the next calls go to a new connection');
  await client.close();
});

t.test('an AbortSignal: before the call nothing is sent; in flight or while connecting, the call ends at once', async (t) => {
  const fake = await fakeDaemon(t, { token: TOKEN, react: (method) => (method === 'daemon.status' ? 'silent' : { result: { items: [], total: 0 } }) });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN, role: 'admin', connectTimeoutMs: 60_000 });
  const before = fake.received.length;
  const aborted = await settled(client.status({ signal: AbortSignal.abort() }));
  t.match(aborted, { name: 'AbortError' });
  t.equal(fake.received.length, before, 'nothing was sent');

  const controller = new AbortController();
  const inFlight = settled(client.status({ signal: controller.signal }));
  while (!fake.received.some((r) => r.method === 'daemon.status')) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort(new Error('the gateway request was cancelled'));
  t.match(await inFlight, { message: 'the gateway request was cancelled' }, 'the signal\'s reason');
  t.same(await client.request('apiKey.list', {}), { items: [], total: 0 }, 'the connection goes on');
  t.equal(fake.connections(), 1);

  fake.stop();
  const waiting = new AbortController();
  const connecting = settled(client.request('apiKey.list', {}, { signal: waiting.signal }));
  setTimeout(() => waiting.abort(), 100);
  t.match(await connecting, { name: 'AbortError' }, 'waiting for the daemon to come back ends too');
  await client.close();
});

t.test('session and backup methods are not pooled calls', async (t) => {
  const fake = await fakeDaemon(t, { token: TOKEN, react: () => ({ result: {} }) });
  const client = await GatewayClient.connect({ pipe: fake.pipe, token: TOKEN });
  // @ts-expect-error: not a pooled method
  await t.rejects(client.request('backup.read', { index: 0 }), TypeError);
  // @ts-expect-error: not a pooled method
  await t.rejects(client.request('session.hello', { role: 'admin', clientProof: 'x' }), TypeError);
  await client.close();
});

t.test('no call\'s rejection went unhandled in any test above', async (t) => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(unhandled, []);
});
