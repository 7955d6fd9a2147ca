import fc from 'fast-check';
import t from 'tap';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { KeyUsage } from '../src/vault/key-usage.js';
import { BINARY_SNAPSHOT_FORMAT, decodeSnapshotKeys, encodeSnapshotKeys } from '../src/vault/storage/key-snapshot.js';
import { encodeRows, toRows } from '../src/vault/storage/mutations.js';

/** A record as plain data: its uses as persisted, so that two records compare by value. */
const plain = (r: ApiKeyRecord) => ({ ...r, previous: r.previous && { ...r.previous }, usage: r.usage?.all() ?? null });

/** What decoding gives, each record copied as it is read: the decoder reuses one record (docs/storage.md, "Formats"). */
const decoded = (bytes: Buffer, version = BINARY_SNAPSHOT_FORMAT) => Array.from(decodeSnapshotKeys(bytes, version), plain);

// Text of every kind: ASCII, any code point, graphemes, and lone surrogates, which UTF-8 cannot hold.
const text = (maxLength: number) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength }));
const instant = fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ noNaN: true }));
const date = fc.integer({ min: -100_000_000, max: 100_000_000 }).map((day) => new Date(day * 86_400_000).toISOString().slice(0, -14));
const value = fc.stringMatching(/^[0-9A-Za-z_]{0,53}$/);
const usage = fc.option(fc.tuple(fc.nat(), fc.array(fc.tuple(text(8), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 1e9 })), { maxLength: 3 })));
const record = fc.record({
  id: text(24), name: text(20), description: fc.oneof(text(40), fc.constant(''), fc.constant('€'.repeat(4000))), key: value,
  createdAt: instant, updatedAt: instant, expiresOn: date, enabled: fc.boolean(), disabledAt: fc.option(instant),
  disabledReason: fc.option(text(20)), rotatedAt: fc.option(instant), previous: fc.option(fc.record({ key: value, validUntil: instant })),
  lastUsedAt: fc.option(instant), usage,
}).map((r): ApiKeyRecord => ({ ...r, usage: r.usage === null ? null : KeyUsage.from([r.usage[0], r.usage[1].filter(([id], i, all) => all.findIndex(([other]) => other === id) === i)]) }));

t.test('the binary snapshot gives back every key as it was written (property)', async () => {
  fc.assert(fc.property(fc.array(record, { maxLength: 30 }), (records) => {
    const again = decoded(encodeSnapshotKeys(records));
    return JSON.stringify(again) === JSON.stringify(records.map(plain)) && again.every((r, i) => Object.is(r.createdAt, records[i]!.createdAt));
  }), { numRuns: 300 });
});

t.test('text with lone surrogates, empty and long text, and extreme days are kept exactly', async (t) => {
  const r: ApiKeyRecord = {
    id: 'id', name: 'a\ud800b', description: '\udc00'.repeat(4000), key: '', createdAt: -0, updatedAt: 8.64e15, expiresOn: '-271821-04-20',
    enabled: false, disabledAt: 0, disabledReason: '', rotatedAt: null, previous: null, lastUsedAt: null, usage: null,
  };
  const [back] = decoded(encodeSnapshotKeys([r, { ...r, id: 'id2', name: '', expiresOn: '+275760-09-13' }]));
  t.same(back, plain(r));
  t.ok(Object.is(back!.createdAt, -0), '-0 stays -0');
});

t.test('the decoder reads an empty snapshot, refuses bytes that are not keys, and format 4 and before go through JSON rows', async (t) => {
  t.same(decoded(encodeSnapshotKeys([])), []);
  const bytes = encodeSnapshotKeys([{ id: 'a', name: 'n', description: 'd', key: 'gwk_x', createdAt: 1, updatedAt: 2, expiresOn: '2027-01-01',
    enabled: true, disabledAt: null, disabledReason: null, rotatedAt: null, previous: null, lastUsedAt: 3, usage: null }]);
  t.throws(() => decoded(Buffer.concat([bytes, Buffer.from([0])])), RangeError, 'a byte after the last key');
  t.throws(() => decoded(bytes.subarray(0, bytes.length - 1)), RangeError, 'a key cut short');
  const rows = encodeRows(toRows([{ id: 'a', name: 'n', description: 'd', key: 'gwk_x', createdAt: 1, updatedAt: 2, expiresOn: '2027-01-01',
    enabled: true, disabledAt: null, disabledReason: null, rotatedAt: null, previous: null, lastUsedAt: 3, usage: null }]));
  t.same(decoded(rows, 4), decoded(bytes), 'JSON rows of format 4, the same key');
});
