import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { DaemonClient } from '../src/client/connect.js';
import { cli } from './helpers/backup.js';
import { callError } from './helpers/daemon.js';
import { type FarmHost, RECOVERY_PASSPHRASE, startFarm, within } from './helpers/farm.js';
import { postgresTool, skipWithoutPostgres } from './helpers/postgres.js';
import { deriveClusterKeys, unwrapForHost } from '../src/vault/storage/cluster-key.js';
import { FarmDatabase } from '../src/vault/storage/farm-database.js';
import { readFarmMembership } from '../src/vault/storage/farm-membership.js';
import { auditChainHash, openAuditEntry } from '../src/vault/storage/farm-records.js';
import { deriveVaultKeys, readMasterKeyFile } from '../src/vault/storage/master-key.js';
import { nodeFileSystem } from '../src/vault/storage/node-file-system.js';

/**
 * Three real daemons as one farm (docs/farm.md): what one host does, the others see within a second,
 * by notification; two hosts racing for one name or one version get one success and one refusal;
 * a fourth host joins with the recovery passphrase and serves every key; and the database sees no
 * name, value or description. The poll is ten minutes here, so only a notification can bring a
 * change in time.
 */

const skip = skipWithoutPostgres(t);
/** docs/farm.md: a change on one host fails on every connected host within 1 s. */
const PROPAGATION_MS = 1000;

async function authenticates(host: FarmHost, key: string): Promise<boolean> {
  return (await host.gateway.request('connector.authenticate', { key })).authenticated;
}

async function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, code: (error as { code: string }).code };
  }
}

async function keysOf(admin: DaemonClient) {
  return (await admin.request('apiKey.list', { sortBy: 'name' })).items.map(({ name, description, expiresOn, enabled, createdAt, updatedAt }) =>
    ({ name, description, expiresOn, enabled, createdAt, updatedAt }));
}

t.test('three hosts as one farm', { skip }, async (t) => {
  const farm = await startFarm(t, { pollMs: 600_000 });
  const [a, b, c] = farm.hosts as [FarmHost, FarmHost, FarmHost];

  await t.test('a key made on A authenticates on B and C; a delete, disable or rotation on A fails on B within 1 s', async (t) => {
    const made = await a.admin.request('apiKey.create', { name: 'orders', description: 'Orders connector' });
    t.ok(await authenticates(a, made.key), 'on A at once');
    const arrived = await within(PROPAGATION_MS, async () => (await authenticates(b, made.key)) && (await authenticates(c, made.key)));
    t.comment(`create arrived in ${arrived.toFixed(0)} ms`);
    t.same(await keysOf(b.admin), await keysOf(a.admin), 'B holds the key as A does, field by field');

    await a.admin.request('apiKey.disable', { name: 'orders', reason: 'suspected leak' });
    t.ok(await within(PROPAGATION_MS, async () => !(await authenticates(b, made.key))) >= 0, 'disabled on A: fails on B');
    t.match(await b.gateway.request('connector.authenticate', { key: made.key }), { authenticated: false, reason: 'Disabled' });
    await a.admin.request('apiKey.enable', { name: 'orders' });
    await within(PROPAGATION_MS, () => authenticates(b, made.key));

    const rotated = await a.admin.request('apiKey.rotate', { name: 'orders', graceHours: 0 });
    await within(PROPAGATION_MS, async () => !(await authenticates(b, made.key)));
    t.ok(await authenticates(b, rotated.key), 'rotated on A: the old value fails on B, the new one works');

    await a.admin.request('apiKey.delete', { name: 'orders' });
    await within(PROPAGATION_MS, async () => !(await authenticates(b, rotated.key)) && !(await authenticates(c, rotated.key)));
    t.equal((await callError(c.admin.request('apiKey.get', { name: 'orders' }))).code, 'KeyNotFound', 'deleted on A: gone on C');
  });

  await t.test('an edit on B is seen on A and C: every host writes', async (t) => {
    const made = await b.admin.request('apiKey.create', { name: 'billing' });
    await within(PROPAGATION_MS, () => authenticates(a, made.key));
    await c.admin.request('apiKey.update', { name: 'billing', description: 'set on C', newName: 'Billing' });
    await within(PROPAGATION_MS, async () => (await a.admin.request('apiKey.get', { name: 'billing' })).description === 'set on C');
    t.same(await keysOf(a.admin), await keysOf(c.admin));
    t.same(await keysOf(b.admin), await keysOf(c.admin));
  });

  await t.test('the same name created on A and B at once: one key and one NameTaken, ten times over', async (t) => {
    for (let round = 0; round < 10; round++) {
      const name = `race-${round}`;
      const results = await Promise.all([a, b].map((host) => settled(host.admin.request('apiKey.create', { name }))));
      const won = results.filter((r) => r.ok);
      t.equal(won.length, 1, `round ${round}: one create succeeds`);
      t.same(results.filter((r) => !r.ok).map((r) => !r.ok && r.code), ['NameTaken'], `round ${round}: the other is NameTaken`);
      const key = (won[0] as { value: { key: string } }).value.key;
      await within(PROPAGATION_MS, async () => (await authenticates(a, key)) && (await authenticates(b, key)) && (await authenticates(c, key)));
    }
    const names = (await a.admin.request('apiKey.list', {})).items.map((k) => k.name).filter((n) => n.startsWith('race-'));
    t.equal(names.length, 10, 'one key per name, on every host');
  });

  await t.test('concurrent edits of one key from A and B: one success and one Conflict, and nothing lost', async (t) => {
    await a.admin.request('apiKey.create', { name: 'shared' });
    await within(PROPAGATION_MS, async () => (await settled(b.admin.request('apiKey.get', { name: 'shared' }))).ok);
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([a, b].map((host) => settled(host.admin.request('apiKey.update', { name: 'shared', description: `${host.name} round ${round}` }))));
      const codes = results.map((r) => (r.ok ? 'ok' : r.code)).sort();
      t.same(codes, ['Conflict', 'ok'], `round ${round}: one edit wins, the other is a Conflict`);
      const winner = [a, b][results.findIndex((r) => r.ok)]!;
      const expected = `${winner.name} round ${round}`;
      // The winner's edit reaches every host, the loser's nowhere.
      await within(PROPAGATION_MS, async () => {
        const seen = await Promise.all([a, b, c].map(async (host) => (await host.admin.request('apiKey.get', { name: 'shared' })).description));
        return seen.every((d) => d === expected);
      });
    }
    const conflict = await (async () => {
      // A Conflict changes nothing: the loser, retried, succeeds on the version it now holds.
      const again = await b.admin.request('apiKey.update', { name: 'shared', description: 'retried' });
      return again.description;
    })();
    t.equal(conflict, 'retried');
  });

  await t.test('a fourth host joins with the recovery passphrase and serves every key; a wrong passphrase is refused and writes nothing', async (t) => {
    const hostsBefore = (await a.admin.request('daemon.status', {})).store!.hosts;
    const wrong = await farm.join('host-wrong', `${RECOVERY_PASSPHRASE} typo`);
    t.not(wrong.code, 0, 'a wrong passphrase fails');
    t.match(wrong.stderr, /PassphraseWrong|recovery passphrase is not/);
    t.notOk(fs.existsSync(path.join(wrong.dataDir, 'farm.json')), 'the data dir did not become a farm host');
    const status = JSON.parse((await cli(['farm', 'status', '--data-dir', a.dataDir, '--json'], farm.env)).stdout) as { hosts: { name: string }[] };
    t.notOk(status.hosts.some((h) => h.name === 'host-wrong'), 'the database has no row for it');
    t.equal(status.hosts.length, hostsBefore);

    const joined = await farm.join('host-d');
    t.equal(joined.code, 0, joined.stderr);
    const d = await farm.serve('host-d', joined.dataDir, joined.proxy);
    t.same(await keysOf(d.admin), await keysOf(a.admin), 'D serves every key, field by field');
    for (const key of (await a.admin.request('apiKey.list', {})).items) {
      const value = (await a.admin.request('apiKey.reveal', { name: key.name })).key;
      t.ok(await authenticates(d, value), `${key.name} authenticates on D`);
    }
    t.equal((await d.admin.request('daemon.status', {})).store!.hosts, hostsBefore + 1);
  });

  await t.test('uses are counted on each host and added up on a read, whichever host answers', async (t) => {
    const made = await a.admin.request('apiKey.create', { name: 'used everywhere' });
    await within(PROPAGATION_MS, async () => (await authenticates(b, made.key)) && (await authenticates(c, made.key)));
    for (const [host, connectorId, times] of [[a, 'nac-orders', 3], [b, 'nac-orders', 2], [c, 'nac-billing', 1]] as const) {
      for (let i = 0; i < times; i++) await host.gateway.request('connector.authenticate', { key: made.key, connectorId });
    }
    // Each host flushes its uses to its journal every few seconds, then to the database every five.
    const counts = async (host: FarmHost) => Object.fromEntries((await host.admin.request('apiKey.usage', { name: 'used everywhere' })).connectors
      .map((u) => [u.connectorId, u.count] as const).sort(([x], [y]) => (x < y ? -1 : 1)));
    let seen = {};
    await within(20_000, async () => JSON.stringify(seen = await counts(a)) === JSON.stringify({ 'nac-billing': 1, 'nac-orders': 5 })).catch((error: Error) => {
      throw new Error(`${error.message}: A says ${JSON.stringify(seen)}`);
    });
    t.same(await counts(c), { 'nac-orders': 5, 'nac-billing': 1 }, 'every host adds up every host\'s uses');
    // The checks that it reached B and C authenticated there without a connectorId: counted apart, and added up too.
    t.ok((await a.admin.request('apiKey.usage', { name: 'used everywhere' })).unattributedCount >= 2, 'uses without a connectorId, from B and C, seen on A');
  });

  await t.test('the audit trail is in the database: one sealed entry per change, in its transaction, chained', async (t) => {
    // The cluster key as host A holds it: its master key's farm subkey opens farm.json's wrap.
    const master = readMasterKeyFile(fs.readFileSync(path.join(a.dataDir, 'master.key')), 'master.key');
    const { farmHostKey } = deriveVaultKeys(master);
    const membership = (await readFarmMembership(nodeFileSystem, a.dataDir))!;
    const keys = deriveClusterKeys(unwrapForHost(membership.keyWrap, farmHostKey, membership.farmId, membership.hostId)!);
    process.env.PGPASSWORD = farm.server.password;
    const db = FarmDatabase.open({ url: farm.server.url });
    t.teardown(() => db.close());
    const { lastSeq } = (await db.readFarm())!;
    const entries = await db.auditSince(0);
    t.same(entries.map((e) => e.seq), Array.from({ length: lastSeq }, (_, i) => i + 1),
      'one entry per committed change, and none for the refused ones (the NameTaken and Conflict rounds above)');
    let previous: Buffer | null = null;
    const events: Record<string, unknown>[] = [];
    for (const { seq, entry, hash } of entries) {
      t.ok(hash.equals(auditChainHash(keys, previous, entry)), `entry ${seq} chains to the one before`);
      const body = openAuditEntry(keys, seq, entry);
      if (!body) t.fail(`entry ${seq} opens under the cluster key`);
      else events.push(body);
      previous = hash;
    }
    t.match(events[0], { seq: 1, event: 'apiKey.created', keyName: 'orders', role: 'admin', host: 'host-a' }, 'an entry says what, to which key, by which role, on which host');
    t.ok(events.some((e) => e.event === 'apiKey.updated' && e.host === 'host-c'), 'every host writes the one trail');
    t.notOk(openAuditEntry(keys, 2, entries[0]!.entry), 'an entry moved to another seq does not open');
  });

  await t.test('the database holds no key value, name or description: a dump of it is scanned for each', async (t) => {
    const dump = execFileSync(postgresTool('pg_dump'), ['-h', '127.0.0.1', '-p', String(farm.server.port), '-U', farm.server.user, '--data-only', '--inserts', farm.server.database],
      { env: { ...process.env, PGPASSWORD: farm.server.password }, maxBuffer: 256 * 1024 * 1024 });
    const text = dump.toString('latin1');
    t.match(text, /gwk_keys/, 'the dump holds the farm\'s tables');
    const keys = (await a.admin.request('apiKey.list', {})).items;
    t.ok(keys.length >= 12);
    for (const key of keys) {
      const value = (await a.admin.request('apiKey.reveal', { name: key.name })).key;
      const connectors = (await a.admin.request('apiKey.usage', { name: key.name })).connectors.map((u) => u.connectorId);
      const secrets = { value, name: key.name, description: key.description, ...Object.fromEntries(connectors.map((id, i) => [`connector ${i}`, id])) };
      for (const [what, secret] of Object.entries(secrets).filter(([, s]) => s.length >= 4)) {
        t.notOk(dump.includes(Buffer.from(secret, 'utf8')), `the dump does not hold ${key.name}'s ${what} in clear`);
        t.notOk(text.includes(Buffer.from(secret, 'utf8').toString('hex')), `nor in hex`);
      }
    }
  });
});
