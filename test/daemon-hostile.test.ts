import t, { type Test } from 'tap';
import { RpcClient } from '../src/rpc/client.js';
import { encodeFrame } from '../src/rpc/framing.js';
import { startDaemon, type DaemonProcess } from './helpers/daemon.js';
import { rssOf } from './helpers/process-memory.js';
import { RawSocket } from './helpers/raw-socket.js';

/** The daemon still answers a fresh client, and its keys are as expected. */
async function stillServing(t: Test, daemon: DaemonProcess, names: string[]): Promise<void> {
  const admin = await daemon.client('admin');
  t.same((await admin.request('apiKey.list', {})).items.map((k) => k.name), names, 'the daemon serves, state unchanged');
  admin.close();
}

t.test('bad bodies get JSON-RPC errors and the connection goes on', async (t) => {
  const daemon = await startDaemon(t);
  await (await daemon.client('admin')).request('apiKey.create', { name: 'survivor' });
  const raw = await RawSocket.connect(daemon.pipe);
  await raw.handshake('admin', daemon.adminToken());
  raw.frame('{"jsonrpc":"2.0","id":1,"method":'); // not JSON
  raw.frame('[{"jsonrpc":"2.0","id":2,"method":"daemon.status"}]'); // a batch
  raw.frame('42');
  raw.frame({ jsonrpc: '1.0', id: 3, method: 'daemon.status' });
  raw.frame({ jsonrpc: '2.0', id: { nested: true }, method: 'daemon.status' });
  raw.frame({ jsonrpc: '2.0', id: 5, method: 'apiKey.create', params: ['positional'] });
  raw.frame({ jsonrpc: '2.0', id: 6, method: 'apiKey.create', params: { name: 'x'.repeat(30_000) } });
  raw.frame({ jsonrpc: '2.0', id: 7, method: 'apiKey.create', params: { name: { deep: [[[[[[1]]]]]] } } });
  raw.frame({ jsonrpc: '2.0', id: 8, method: 'apiKey.list', params: null });
  raw.frame({ jsonrpc: '2.0', method: 'apiKey.delete', params: { name: 'survivor' } }); // a notification: no answer, no effect
  raw.frame({ jsonrpc: '2.0', id: 9, method: 'daemon.status' });
  const answers = await raw.waitFor(12);
  const byId = (id: unknown) => answers.find((a) => a.id === id);
  const nullIds = answers.filter((a) => a.id === null);
  t.match(nullIds, [{ error: { code: -32700 } }, { error: { code: -32600, message: /Batch/ } }, { error: { code: -32600 } }, { error: { code: -32600 } }]);
  t.match(byId(3), { error: { code: -32600 } });
  t.match(byId(5), { error: { code: -32602, data: { code: 'InvalidParams' } } });
  t.match(byId(6), { error: { data: { code: 'NameTooLong', field: 'name' } } });
  t.match(byId(7), { error: { data: { code: 'InvalidParams', field: 'name' } } });
  t.match(byId(8), { error: { data: { code: 'InvalidParams' } } });
  t.match(byId(9), { result: { keys: { total: 1 } } });
  for (const answer of answers) t.equal(answer.jsonrpc, '2.0');
  raw.close();
  await stillServing(t, daemon, ['survivor']);
});

t.test('broken framing closes only that connection', async (t) => {
  const daemon = await startDaemon(t);
  const bystander = await daemon.client('admin');
  for (const bytes of [
    'Content-Length: 99999999999\r\n\r\n',
    'Content-Length: 2000000\r\n\r\n{',
    'Content-Length: -5\r\n\r\n',
    'Content-Length: abc\r\n\r\n',
    'Content-Type: application/json\r\n\r\n{}',
    'Content-Length: 2\r\nContent-Type: application/json; charset=latin1\r\n\r\n{}',
    'X'.repeat(10_000),
    'no colon header\r\n\r\n',
  ]) {
    const raw = await RawSocket.connect(daemon.pipe);
    raw.send(bytes);
    const answers = await raw.waitFor(1);
    t.match(answers[0], { jsonrpc: '2.0', id: null, error: { code: -32700 } }, `answered: ${JSON.stringify(bytes.slice(0, 40))}`);
    for (let i = 0; i < 40 && !raw.closed; i++) await new Promise((r) => setTimeout(r, 25));
    t.ok(raw.closed, 'and closed');
  }
  t.match(await bystander.request('daemon.status', {}), { keys: { total: 0 } }, 'another client never noticed');
  await stillServing(t, daemon, []);
});

t.test('a client that disconnects mid-request, or mid-frame, harms nothing', async (t) => {
  const daemon = await startDaemon(t);
  for (let i = 0; i < 20; i++) {
    const raw = await RawSocket.connect(daemon.pipe);
    await raw.handshake('admin', daemon.adminToken());
    raw.frame({ jsonrpc: '2.0', id: 2, method: 'apiKey.create', params: { name: `vanishing-${i}` } });
    if (i % 2) raw.send('Content-Length: 500\r\n\r\n{"jsonrpc":"2.0","id":3,');
    raw.close();
  }
  await new Promise((r) => setTimeout(r, 300));
  const admin = await daemon.client('admin');
  const { items } = await admin.request('apiKey.list', { name: 'vanishing-*' });
  t.ok(items.length <= 20, `creates acknowledged or not, each whole (${items.length} made)`);
  t.match(await admin.request('daemon.status', {}), { serverVersion: '0.1.0' });
});

t.test('20 clients racing to create the same name: exactly one wins', async (t) => {
  const daemon = await startDaemon(t);
  const clients = await Promise.all(Array.from({ length: 20 }, () => daemon.client('admin')));
  const outcomes = await Promise.allSettled(clients.map((c, i) => c.request('apiKey.create', { name: i % 2 ? 'Contested' : 'CONTESTED', description: `client ${i}` })));
  const won = outcomes.filter((o) => o.status === 'fulfilled');
  const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  t.equal(won.length, 1);
  t.equal(lost.length, 19);
  for (const loss of lost) t.match(loss.reason, { code: 'NameTaken' });
  const admin = await daemon.client('admin');
  t.equal((await admin.request('apiKey.list', {})).total, 1);
});

t.test('a flood of requests from one client is served in order, without unbounded buffering', async (t) => {
  const daemon = await startDaemon(t);
  const raw = await RawSocket.connect(daemon.pipe);
  await raw.handshake('gateway', daemon.gatewayToken());
  const many = 2000;
  const batch: Buffer[] = [];
  for (let i = 1; i <= many; i++) batch.push(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'daemon.status' })));
  raw.send(Buffer.concat(batch));
  const answers = await raw.waitFor(many + 2, 20_000);
  t.equal(answers.length, many + 2, 'every request answered (and the two of the handshake)');
  t.ok(answers.every((a) => 'result' in a));
  raw.close();
});

t.test('RpcClient reports a daemon that is not running', async (t) => {
  await t.rejects(RpcClient.connect('/tmp/no-such-gateway-apikeys.sock'), { name: 'PipeUnreachableError', reason: 'ENOENT', message: /Cannot connect to/ });
});

t.test('a client that sends without ever reading cannot make the daemon hold its answers without bound', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'bulky-0', description: 'd'.repeat(4000) });
  const rssBefore = rssOf(daemon.child.pid!);
  const raw = await RawSocket.connect(daemon.pipe);
  await raw.handshake('admin', daemon.adminToken());
  raw.socket.pause(); // from now on, never reads an answer
  // Each answer is over 4 KB, made anew; 25,000 of them would be 100 MB if the daemon kept writing them.
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'apiKey.get', params: { name: 'bulky-0' } });
  const frame = encodeFrame(body);
  for (let i = 0; i < 25_000; i++) raw.socket.write(frame);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssAfter = rssOf(daemon.child.pid!);
  if (rssBefore && rssAfter) t.ok(rssAfter - rssBefore < 60 * 2 ** 20, `daemon RSS grew by ${Math.round((rssAfter - rssBefore) / 2 ** 20)} MiB (the unread answers would be 100 MB)`);
  t.equal((await admin.request('apiKey.list', { name: 'bulky-*' })).total, 1, 'and it serves others meanwhile');
  raw.close();
});
