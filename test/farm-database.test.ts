import crypto from 'node:crypto';
import t, { type Test } from 'tap';
import { type AuditAppend, FarmDatabase, type KeyRow, StoreUnreachableError } from '../src/vault/storage/farm-database.js';
import { skipWithoutPostgres, startPostgres, type PostgresServer } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/**
 * The farm's tables (src/vault/storage/farm-database.ts, docs/farm.md) against a real PostgreSQL:
 * the database orders changes, keeps names unique, refuses a stale version, and a refused or cut-off
 * write leaves nothing behind.
 */

const skip = skipWithoutPostgres(t);

const bytes = (n = 16) => crypto.randomBytes(n);
const keyRow = (id: Buffer, version: number, nameHash: Buffer, sealed = bytes(40)): KeyRow => ({ id, version, nameHash, sealed });

/** An audit chain as the vault will make it: each entry's hash covers the one before. */
const audit = (label: string): AuditAppend & { seen: (Buffer | null)[] } => {
  const seen: (Buffer | null)[] = [];
  return {
    seen,
    make(previousHash, seq) {
      seen.push(previousHash);
      const entry = Buffer.from(`${label} #${seq}`);
      return { entry, hash: crypto.createHash('sha256').update(previousHash ?? Buffer.alloc(0)).update(entry).digest() };
    },
  };
};

async function farm(t: Test, server?: PostgresServer, port?: number) {
  server ??= await startPostgres(t);
  // The password travels as libpq's does: PGPASSWORD, never in the URL or on a command line.
  process.env.PGPASSWORD = server.password;
  const url = `postgres://${server.user}@127.0.0.1:${port ?? server.port}/${server.database}`;
  const open = (timeoutMs = 5000) => {
    const db = FarmDatabase.open({ url, timeoutMs });
    t.teardown(() => db.close());
    return db;
  };
  return { server, open };
}

async function initialised(t: Test) {
  const { server, open } = await farm(t);
  const db = open();
  await db.createSchema();
  t.ok(await db.createFarm({ farmId: bytes(), recoveryWrap: bytes(80), createdAt: 1 }), 'a new farm');
  return { server, open, db };
}

t.test('one farm per database; hosts join, and report what they applied', { skip }, async (t) => {
  const { db } = await initialised(t);
  await db.createSchema();
  t.notOk(await db.createFarm({ farmId: bytes(), recoveryWrap: bytes(80), createdAt: 2 }), 'a second farm is refused');
  t.equal((await db.readFarm())?.createdAt, 1, 'and the first is unchanged');
  const a = bytes();
  const b = bytes();
  await db.putHost({ hostId: a, name: 'host-a', keyWrap: bytes(72), joinedAt: 10 }, 10);
  await db.putHost({ hostId: b, name: 'host-b', keyWrap: bytes(72), joinedAt: 11 }, 11);
  const rewrap = bytes(72);
  await db.putHost({ hostId: a, name: 'host-a', keyWrap: rewrap, joinedAt: 99 }, 12);
  await db.reportApplied(b, 7, 20);
  const hosts = await db.hosts();
  t.same(hosts.map((h) => [h.name, h.joinedAt, h.appliedSeq, h.seenAt]), [['host-a', 10, 0, 12], ['host-b', 11, 7, 20]]);
  t.same(hosts[0]!.keyWrap, rewrap, 'a host joining again replaces its wrap, and keeps when it first joined');
});

t.test('changes are ordered; a taken name, a stale version or a missing key refuses the write and changes nothing', { skip }, async (t) => {
  const { db } = await initialised(t);
  const trail = audit('change');
  const id = bytes();
  const name = bytes(32);
  t.same(await db.writeKey(id, null, keyRow(id, 1, name), trail), { seq: 1 });
  const other = bytes();
  t.same(await db.writeKey(other, null, keyRow(other, 1, name), trail), { refused: 'nameTaken' }, 'the same name hash: NameTaken');
  t.same(await db.writeKey(id, 2, keyRow(id, 3, name), trail), { refused: 'conflict' }, 'a stale version: Conflict');
  t.same(await db.writeKey(bytes(), 1, keyRow(id, 2, bytes(32)), trail), { refused: 'notFound' });
  t.equal((await db.readFarm())?.lastSeq, 1, 'no refused write took a seq');
  t.equal((await db.auditSince(0)).length, 1, 'nor wrote an audit entry');

  const second = bytes();
  t.same(await db.writeKey(second, null, keyRow(second, 1, bytes(32)), trail), { seq: 2 });
  t.same(await db.writeKey(second, 1, keyRow(second, 2, name), trail), { refused: 'nameTaken' }, 'renamed onto a taken name: NameTaken');
  const edited = keyRow(id, 2, bytes(32));
  t.same(await db.writeKey(id, 1, edited, trail), { seq: 3 }, 'the right version: written');
  t.same(await db.writeKey(second, 1, keyRow(second, 2, name), trail), { seq: 4 }, 'the old name is free again');
  t.same(await db.writeKey(id, 2, null, trail), { seq: 5 }, 'deleted');

  const label = (keyId: Buffer) => (keyId.equals(id) ? 'id' : keyId.equals(second) ? 'second' : '?');
  const changes = await db.changesSince(2);
  t.same(changes.map((c) => [c.seq, label(c.keyId), c.key?.version ?? null]),
    [[3, 'id', null], [4, 'second', 2], [5, 'id', null]], 'after seq 2, in order, each with its key as it is now: none once deleted');
  const all = await db.allKeys();
  t.equal(all.seq, 5);
  t.same(all.keys.map((k) => k.id), [second]);

  const entries = await db.auditSince(0);
  t.same(entries.map((e) => e.entry.toString()), ['change #1', 'change #2', 'change #3', 'change #4', 'change #5']);
  t.equal(trail.seen.length, 5, 'an entry was made for each committed write only');
  t.equal(trail.seen[0], null, 'the first entry chains to nothing');
  for (let i = 1; i < entries.length; i++) t.same(trail.seen[i], entries[i - 1]!.hash, `entry ${i + 1} chains to entry ${i}`);
});

t.test('two hosts at once: one name, one key; one version, one edit', { skip }, async (t) => {
  const { open, db } = await initialised(t);
  const hostA = open();
  const hostB = open();
  for (let round = 0; round < 10; round++) {
    const name = bytes(32);
    const [a, b] = [bytes(), bytes()];
    const results = await Promise.all([hostA.writeKey(a, null, keyRow(a, 1, name), undefined), hostB.writeKey(b, null, keyRow(b, 1, name), undefined)]);
    t.same(results.map((r) => ('seq' in r ? 'written' : r.refused)).sort(), ['nameTaken', 'written'], `round ${round}: created once`);
    const winner = 'seq' in results[0]! ? a : b;
    const edits = await Promise.all([hostA.writeKey(winner, 1, keyRow(winner, 2, name), undefined), hostB.writeKey(winner, 1, keyRow(winner, 2, name), undefined)]);
    t.same(edits.map((r) => ('seq' in r ? 'written' : r.refused)).sort(), ['conflict', 'written'], `round ${round}: edited once`);
  }
  const farmRow = await db.readFarm();
  const changes = await db.changesSince(0, 100);
  t.equal(changes.length, 20, 'twenty writes committed');
  t.same(changes.map((c) => c.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'numbered 1 to 20 without a gap');
  t.equal(farmRow?.lastSeq, 20);
});

t.test('a listening host hears of each committed change, and of nothing refused', { skip }, async (t) => {
  const { open, db } = await initialised(t);
  const heard: number[] = [];
  let wakeUp: () => void = () => undefined;
  const stop = await open().listen((seq) => {
    heard.push(seq);
    wakeUp();
  }, () => undefined);
  const id = bytes();
  const name = bytes(32);
  const arrived = new Promise<void>((resolve) => (wakeUp = resolve));
  await db.writeKey(id, null, keyRow(id, 1, name), undefined);
  await arrived;
  t.same(heard, [1]);
  await db.writeKey(bytes(), null, keyRow(bytes(), 1, name), undefined); // refused: NameTaken
  const next = new Promise<void>((resolve) => (wakeUp = resolve));
  await db.writeKey(id, 1, null, undefined);
  await next;
  t.same(heard, [1, 2], 'the refused write was not announced');
  await stop();
});

t.test('cut off the database: StoreUnreachableError, and nothing written', { skip }, async (t) => {
  const server = await startPostgres(t);
  const proxy = await startTcpProxy(t, server);
  const direct = (await farm(t, server)).open();
  await direct.createSchema();
  await direct.createFarm({ farmId: bytes(), recoveryWrap: bytes(80), createdAt: 1 });
  const host = (await farm(t, server, proxy.port)).open(1000);
  const id = bytes();
  t.same(await host.writeKey(id, null, keyRow(id, 1, bytes(32)), undefined), { seq: 1 }, 'through the proxy');

  for (const mode of ['reset', 'blackhole'] as const) {
    proxy.cut(mode);
    const other = bytes();
    const error = await host.writeKey(other, null, keyRow(other, 1, bytes(32)), audit('cut')).catch((e: unknown) => e);
    t.type(error, StoreUnreachableError, `cut by ${mode}: the write fails as unreachable`);
    await t.rejects(host.changesSince(0), StoreUnreachableError, `cut by ${mode}: so does a read`);
    t.equal((await direct.readFarm())?.lastSeq, 1, `cut by ${mode}: nothing was committed`);
    t.same((await direct.allKeys()).keys.map((k) => k.id), [id]);
    proxy.restore();
    t.equal((await host.changesSince(0)).length, 1, `restored after ${mode}: the host reads again`);
  }
  t.equal((await direct.auditSince(0)).length, 0, 'and no audit entry was left by the failed writes');
  t.notMatch(String(server.log()), /cut #/, 'nothing of the entries reached the server\'s log');
});

t.test('uses: each host\'s row replaced by its next flush, every host\'s read together, dropped with the key', { skip }, async (t) => {
  const { db } = await initialised(t);
  const id = bytes();
  await db.writeKey(id, null, keyRow(id, 1, bytes(32)), undefined);
  const [a, b] = [bytes(), bytes()];
  await db.flushUsage(a, [{ keyId: id, lastUsedAt: 10, sealed: Buffer.from('a1') }]);
  await db.flushUsage(b, [{ keyId: id, lastUsedAt: 20, sealed: Buffer.from('b1') }]);
  await db.flushUsage(a, [{ keyId: id, lastUsedAt: 30, sealed: Buffer.from('a2') }]);
  const read = await db.usageOf(id);
  t.same(read.map(({ hostId, row }) => [hostId.equals(a) ? 'a' : 'b', row.lastUsedAt, row.sealed.toString()]).sort(), [['a', 30, 'a2'], ['b', 20, 'b1']]);
  const gone = bytes();
  await db.flushUsage(a, [{ keyId: gone, lastUsedAt: 1, sealed: Buffer.from('x') }]);
  t.same(await db.usageOf(gone), [], 'no row for a key the farm does not hold');
  await db.writeKey(id, 1, null, undefined);
  t.same(await db.usageOf(id), [], 'a deleted key\'s uses go with it');
});
