import t, { type Test } from 'tap';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { FarmSync } from '../src/vault/farm-sync.js';
import { deriveClusterKeys, newClusterKey } from '../src/vault/storage/cluster-key.js';
import { FarmDatabase } from '../src/vault/storage/farm-database.js';
import { idBytes, sealKeyRecord } from '../src/vault/storage/farm-records.js';
import type { Mutation } from '../src/vault/storage/mutations.js';
import { randomBytes } from '../src/shared/random.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { storeProblem } from '../src/cli/commands/status.js';
import { skipWithoutPostgres, startPostgres } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/**
 * How a farm host keeps in step (src/vault/farm-sync.ts, docs/farm.md "How a host will work"):
 * against a real PostgreSQL, one host writing and another following through a proxy that can cut it.
 */

const skip = skipWithoutPostgres(t);

function record(name: string): ApiKeyRecord {
  return {
    id: randomBytes(16).toString('base64url'), name, description: '', key: encodeKeyValue(randomBytes(32)), createdAt: 1, updatedAt: 1, expiresOn: '2027-06-30',
    enabled: true, disabledAt: null, disabledReason: null, rotatedAt: null, previous: null, lastUsedAt: null, usage: null,
  };
}

/** Polls `condition` every 20 ms until it holds, failing after `ms`. */
async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
  }
}

async function farm(t: Test, pollMs: number) {
  const server = await startPostgres(t);
  process.env.PGPASSWORD = server.password;
  const proxy = await startTcpProxy(t, server);
  const url = (port: number) => `postgres://${server.user}@127.0.0.1:${port}/${server.database}`;
  const writer = FarmDatabase.open({ url: url(server.port) });
  t.teardown(() => writer.close());
  await writer.createSchema();
  await writer.createFarm({ farmId: randomBytes(16), recoveryWrap: randomBytes(80), createdAt: 1 });
  const keys = deriveClusterKeys(newClusterKey());
  const hostId = randomBytes(16);
  await writer.putHost({ hostId, name: 'host-b', keyWrap: randomBytes(72), joinedAt: 1 }, 1);

  // Host B: its replica is a map here; what it applied, in order, is kept to check.
  const replica = new Map<string, ApiKeyRecord>();
  const appliedSeqs: number[] = [];
  const apply = async (changes: readonly { seq: number; mutation: Mutation }[]) => {
    for (const { seq, mutation } of changes) {
      appliedSeqs.push(seq);
      if (mutation.type === 'put') replica.set(mutation.record.id, mutation.record);
      else if (mutation.type === 'delete') replica.delete(mutation.id);
    }
  };
  let now = 1_800_000_000_000;
  const hostDb = FarmDatabase.open({ url: url(proxy.port), timeoutMs: 1000 });
  t.teardown(() => hostDb.close());
  const sync = new FarmSync({ db: hostDb, keys, hostId, appliedSeq: 0, apply, pollMs, log: { debug() {}, info() {}, warn() {}, error() {} }, now: () => now });
  t.teardown(() => sync.stop());

  const versions = new Map<string, number>();
  const write = {
    async create(name: string) {
      const made = record(name);
      t.match(await writer.writeKey(idBytes(made.id), null, sealKeyRecord(keys, made, 1), undefined), { seq: Number });
      versions.set(made.id, 1);
      return made;
    },
    async disable(made: ApiKeyRecord) {
      const version = versions.get(made.id)!;
      t.match(await writer.writeKey(idBytes(made.id), version, sealKeyRecord(keys, { ...made, enabled: false }, version + 1), undefined), { seq: Number });
      versions.set(made.id, version + 1);
    },
    async remove(made: ApiKeyRecord) {
      t.match(await writer.writeKey(idBytes(made.id), versions.get(made.id)!, null, undefined), { seq: Number });
    },
  };
  return { writer, proxy, sync, replica, appliedSeqs, write, hostId, advance: (ms: number) => (now += ms) };
}

t.test('a change made on one host reaches another by notification, in seq order', { skip }, async (t) => {
  // A poll of ten minutes: only a notification can bring the changes within the test.
  const { sync, replica, appliedSeqs, write, writer, hostId } = await farm(t, 600_000);
  const early = await write.create('made before B started');
  await sync.start();
  t.ok(replica.has(early.id), 'start catches up');
  t.match(sync.status(), { kind: 'postgres', reachable: true, lagSeconds: 0, hosts: 1 });

  const made = await write.create('Orders connector');
  await until(() => replica.has(made.id));
  t.equal(replica.get(made.id)!.name, 'Orders connector', 'created on A, known on B');
  await write.disable(made);
  await until(() => replica.get(made.id)?.enabled === false);
  t.pass('disabled on A, disabled on B');
  await write.remove(made);
  await until(() => !replica.has(made.id));
  t.pass('deleted on A, gone on B');
  t.same(appliedSeqs, [1, 2, 3, 4], 'each change once, in order');
  await sync.syncNow();
  t.equal((await writer.hosts()).find((h) => h.hostId.equals(hostId))?.appliedSeq, 4, 'B told the farm how far it got');
});

t.test('cut off, a host serves what it has and turns stale; back, it catches up with what it missed', { skip }, async (t) => {
  const { sync, replica, write, proxy, advance } = await farm(t, 100);
  const kept = await write.create('kept');
  await sync.start();
  t.ok(replica.has(kept.id));

  proxy.cut('blackhole');
  const missed = await write.create('made during the partition');
  await write.remove(kept);
  await until(() => !sync.status().reachable);
  t.ok(replica.has(kept.id) && !replica.has(missed.id), 'B serves its replica as it was');
  t.equal(storeProblem(sync.status(), 60), undefined, 'cut off a moment, it is not stale yet: it authenticates from its replica');
  advance(61_000);
  t.match(sync.status(), { reachable: false, lagSeconds: 61 }, 'it says how long since it last read the changes');
  t.match(storeProblem(sync.status(), 60), /the postgres store does not answer, and this host last read the store's changes 61 s ago/, 'past the threshold, its health check fails');

  proxy.restore();
  await until(() => sync.status().reachable && replica.has(missed.id) && !replica.has(kept.id));
  t.pass('back: the changes made meanwhile are applied');
  t.equal(storeProblem(sync.status(), 60), undefined, 'and it is in step again');
  const after = await write.create('made after the partition');
  await until(() => replica.has(after.id));
  t.pass('and keeps in step');
});

t.test('a row altered in the database stops the host where it was, serving, and stale', { skip }, async (t) => {
  const { sync, replica, write, writer, advance } = await farm(t, 100);
  await sync.start();
  const made = await write.create('altered later');
  await until(() => replica.has(made.id));
  const appliedBefore = sync.appliedSeq;
  // What someone with the database's rights can do: change a sealed record in place, and announce it as a change.
  const pool = (writer as unknown as { pool: { query(text: string): Promise<unknown> } }).pool;
  await pool.query(`UPDATE gwk_keys SET sealed = overlay(sealed placing '\\x00'::bytea from 30 for 1);
    INSERT INTO gwk_changes (seq, key_id, version) SELECT last_seq + 1, (SELECT id FROM gwk_keys), 1 FROM gwk_farm;
    UPDATE gwk_farm SET last_seq = last_seq + 1`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  advance(61_000);
  t.equal(sync.appliedSeq, appliedBefore, 'the change that does not open is not applied');
  t.equal(replica.get(made.id)?.enabled, true, 'the replica keeps what it had');
  t.match(storeProblem(sync.status(), 60), /stale/, 'and the host says it is stale');
});
