import t from 'tap';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { KeyUsage } from '../src/vault/key-usage.js';
import { deriveClusterKeys, newClusterKey } from '../src/vault/storage/cluster-key.js';
import { idBytes, idOf, nameHash, openKeyRecord, sealKeyRecord } from '../src/vault/storage/farm-records.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { randomBytes } from '../src/shared/random.js';

/** Key records as the farm's database holds them (src/vault/storage/farm-records.ts, docs/farm.md "Design"). */

const keys = deriveClusterKeys(newClusterKey());

function record(extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomBytes(16).toString('base64url'), name: 'Orders connector ✓', description: 'Orders in NAC, "quoted" \\ and ünïcode', key: encodeKeyValue(randomBytes(32)),
    createdAt: 1_795_000_000_000, updatedAt: 1_795_000_100_000, expiresOn: '2027-06-30', enabled: false, disabledAt: 1_795_000_200_000, disabledReason: 'paused',
    rotatedAt: 1_795_000_050_000, previous: { key: encodeKeyValue(randomBytes(32)), validUntil: 1_795_086_450_000 },
    lastUsedAt: 1_795_000_300_000, usage: KeyUsage.from(null), ...extra,
  };
}

t.test('a record goes in sealed and comes out whole, but for the uses each host keeps', async (t) => {
  const original = record();
  const row = sealKeyRecord(keys, original, 7);
  t.same(row.id, idBytes(original.id));
  t.equal(row.version, 7);
  for (const secret of [original.name, original.description, original.key, original.previous!.key, 'paused']) {
    t.notOk(row.sealed.includes(Buffer.from(secret, 'utf8')), 'nothing of the key in clear in the row');
  }
  t.same(openKeyRecord(keys, row), { ...original, lastUsedAt: null, usage: null });
  t.same(openKeyRecord(keys, sealKeyRecord(keys, record({ previous: null, rotatedAt: null, disabledAt: null, disabledReason: null, enabled: true }), 1)).previous, null);
});

t.test('a row moved to another key or version, or altered, or of another cluster, does not open', async (t) => {
  const row = sealKeyRecord(keys, record(), 3);
  t.throws(() => openKeyRecord(keys, { ...row, version: 4 }), /does not open/, 'replayed as another version');
  t.throws(() => openKeyRecord(keys, { ...row, id: randomBytes(16) }), /does not open/, 'filed under another key');
  const altered = Buffer.from(row.sealed);
  altered[40]! ^= 1;
  t.throws(() => openKeyRecord(keys, { ...row, sealed: altered }), /does not open/);
  t.throws(() => openKeyRecord(deriveClusterKeys(newClusterKey()), row), /does not open/, 'another farm\'s cluster key');
});

t.test('names are unique whatever their case, and their hash is the cluster\'s own', async (t) => {
  t.same(nameHash(keys, 'Prod-Key'), nameHash(keys, 'prod-KEY'));
  t.same(nameHash(keys, 'STRASSE'), nameHash(keys, 'straße'), 'folded as names are compared');
  t.notSame(nameHash(keys, 'Prod-Key'), nameHash(keys, 'Prod-Key2'));
  t.notSame(nameHash(keys, 'Prod-Key'), nameHash(deriveClusterKeys(newClusterKey()), 'Prod-Key'), 'another farm hashes another way');
  t.equal(idOf(idBytes('Xb3_-9aQ')), 'Xb3_-9aQ', 'an id is filed as its text');
  t.throws(() => idBytes(''), RangeError, 'no empty id');
  t.throws(() => idBytes('x'.repeat(65)), RangeError, 'no id longer than a column should hold');
  t.throws(() => idBytes('\ud800'), RangeError, 'no id that would not come back the same');
});
