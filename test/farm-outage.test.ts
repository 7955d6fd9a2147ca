import t from 'tap';
import { cli } from './helpers/backup.js';
import { callError } from './helpers/daemon.js';
import { type FarmHost, startFarm, within } from './helpers/farm.js';
import { skipWithoutPostgres } from './helpers/postgres.js';

/**
 * A farm host cut off from the database (docs/farm.md, "Failures"): it keeps authenticating from
 * its replica, refuses admin changes with StoreUnavailable and writes none of them anywhere, turns
 * stale past the threshold, and catches up within a second of the link's return, with what the
 * other hosts changed meanwhile. The same when it restarts while the database is out of its reach.
 */

const skip = skipWithoutPostgres(t);
const CATCH_UP_MS = 1000;

// In two CI runs this file passed every check, then something kept its process alive until tap's
// timeout killed it; it never did on a checkout. Once every test and teardown is done, what is still
// open is named, and the process ends, rather than the run failing on a timeout.
t.teardown(() => {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().map((h) => h.constructor.name);
    process.stderr.write(`farm-outage: still open 10 s after its end: ${handles.join(', ')}\n`);
    process.exit();
  }, 10_000).unref();
});

async function authenticates(host: FarmHost, key: string): Promise<boolean> {
  return (await host.gateway.request('connector.authenticate', { key })).authenticated;
}

async function names(host: FarmHost): Promise<string[]> {
  return (await host.admin.request('apiKey.list', { sortBy: 'name' })).items.map((k) => k.name);
}

/** What a farm shares of its keys: all but the uses, which each host counts apart. */
async function shared(host: FarmHost) {
  return (await host.admin.request('apiKey.list', { sortBy: 'name' })).items.map(({ lastUsedAt: _used, daysLeft: _days, ...key }) => key);
}

async function health(host: FarmHost, staleAfter: number, env: Record<string, string>) {
  const result = await cli(['status', '--health', '--stale-after', String(staleAfter), '--data-dir', host.dataDir, '--pipe', host.daemon.pipe], env);
  return { code: result.code, text: `${result.stdout}${result.stderr}`.trim() };
}

t.test('partition: B cut off serves from memory, refuses changes, turns stale, and catches up when the link returns', { skip }, async (t) => {
  const farm = await startFarm(t, { hosts: 2 });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  const kept = await a.admin.request('apiKey.create', { name: 'kept' });
  const doomed = await a.admin.request('apiKey.create', { name: 'doomed' });
  await within(5000, async () => (await authenticates(b, kept.key)) && (await authenticates(b, doomed.key)));
  const bBefore = await shared(b);

  b.proxy.cut('reset');
  t.ok(await authenticates(b, kept.key), 'B authenticates from memory');
  for (const [what, call] of [
    ['create', () => b.admin.request('apiKey.create', { name: 'made on b' })],
    ['update', () => b.admin.request('apiKey.update', { name: 'kept', description: 'edited on b' })],
    ['disable', () => b.admin.request('apiKey.disable', { name: 'kept' })],
    ['rotate', () => b.admin.request('apiKey.rotate', { name: 'kept' })],
    ['delete', () => b.admin.request('apiKey.delete', { name: 'kept' })],
  ] as const) {
    const error = await callError(call());
    t.equal(error.code, 'StoreUnavailable', `${what} on B: StoreUnavailable`);
    t.equal(error.rpcCode, -32014);
  }
  b.proxy.cut('blackhole');
  t.equal((await callError(b.admin.request('apiKey.create', { name: 'made on b' }))).code, 'StoreUnavailable', 'a silent link too, after the timeout');
  // Reset again, the silent connections with it: a host that is waiting out a silent one catches up only after its timeout (5 s).
  b.proxy.cut('reset');
  t.same(await shared(b), bBefore, 'nothing half-written on B');
  t.same(await names(a), ['doomed', 'kept'], 'nor in the farm');
  t.ok(await authenticates(b, kept.key), 'and B still authenticates');

  // Meanwhile, on A: a key made, one deleted, one disabled.
  const made = await a.admin.request('apiKey.create', { name: 'made meanwhile' });
  await a.admin.request('apiKey.delete', { name: 'doomed' });
  await a.admin.request('apiKey.disable', { name: 'kept' });
  t.ok(await authenticates(b, doomed.key), 'B, cut off, does not know yet');

  t.equal((await health(b, 60, farm.env)).code, 0, 'cut off a moment, B is not stale: it serves');
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const stale = await health(b, 1, farm.env);
  t.equal(stale.code, 1, 'past the threshold, --health says stale');
  t.match(stale.text, /stale: the postgres store does not answer/);
  t.match(await b.admin.request('daemon.status', {}), { store: { kind: 'postgres', reachable: false } });

  b.proxy.restore();
  const caughtUp = await within(CATCH_UP_MS, async () => (await authenticates(b, made.key)) && !(await authenticates(b, doomed.key)) && !(await authenticates(b, kept.key)));
  t.comment(`caught up ${caughtUp.toFixed(0)} ms after the link returned`);
  t.same(await names(b), await names(a), 'B holds what A holds');
  t.equal((await health(b, 1, farm.env)).code, 0, 'and is in step');
  const edited = await b.admin.request('apiKey.update', { name: 'made meanwhile', description: 'from b, back' });
  t.equal(edited.description, 'from b, back', 'and takes changes again');
});

t.test('restart during an outage: B starts on its replica, serves it, and catches up when the database returns', { skip }, async (t) => {
  const farm = await startFarm(t, { hosts: 2 });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  const kept = await a.admin.request('apiKey.create', { name: 'kept' });
  await within(5000, () => authenticates(b, kept.key));

  b.proxy.cut('reset');
  await b.restart();
  t.ok(await authenticates(b, kept.key), 'restarted cut off, B authenticates from its replica');
  t.match(await b.admin.request('daemon.status', {}), { store: { reachable: false, lastSyncAt: null } });
  t.equal((await callError(b.admin.request('apiKey.update', { name: 'kept', description: 'x' }))).code, 'StoreUnavailable',
    'and refuses changes: it cannot know the versions it holds are the farm\'s');
  const made = await a.admin.request('apiKey.create', { name: 'made meanwhile' });
  await a.admin.request('apiKey.rotate', { name: 'kept', graceHours: 0 });

  b.proxy.restore();
  await within(CATCH_UP_MS, async () => (await authenticates(b, made.key)) && !(await authenticates(b, kept.key)));
  t.pass('back: it caught up, the rotation included');
  t.same(await names(b), ['kept', 'made meanwhile']);
  t.equal((await b.admin.request('apiKey.update', { name: 'kept', description: 'after' })).description, 'after', 'and takes changes again');
});

t.test('a host started with --store but no farm.json is refused; a URL with a password is refused before anything', { skip }, async (t) => {
  const farm = await startFarm(t, { hosts: 1 });
  const [a] = farm.hosts as [FarmHost];
  const password = await cli(['serve', '--store', `postgres://gwk:${farm.server.password}@127.0.0.1:${farm.server.port}/postgres`, '--data-dir', a.dataDir], farm.env);
  t.equal(password.code, 2, 'a password in the URL: a usage error');
  t.match(password.stderr, /never part of the store URL/);
  t.notMatch(password.stderr, farm.server.password, 'and the error does not repeat it');
  const notHost = await cli(['farm', 'status', '--data-dir', `${a.dataDir}-none`], farm.env);
  t.not(notHost.code, 0);
  t.match(notHost.stderr, /not a farm host's data directory/);
});
