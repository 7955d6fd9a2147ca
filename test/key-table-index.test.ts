import fc from 'fast-check';
import t from 'tap';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { KeyTable } from '../src/vault/key-table.js';

function record(n: number, name = `key-${n}`): ApiKeyRecord {
  return {
    id: `id-${n}`, name, description: '', key: `value-${n}`, createdAt: 0, updatedAt: 0, expiresOn: '2027-01-01',
    enabled: true, rotatedAt: null, previous: null, lastUsedAt: null, usage: null, disabledAt: null, disabledReason: null,
  };
}

t.test('lookup tags of loaded keys are made later, and any lookup makes the missing ones first', async (t) => {
  let tagged = 0;
  const index = new KeyTable((value) => {
    tagged++;
    return Number(value.slice('value-'.length));
  });
  index.load([record(1), record(2), record(3), record(4), record(5)]);
  t.equal(tagged, 0, 'load computes no tag');
  t.equal(index.findByName('KEY-3')?.id, 'id-3', 'names work at once');
  t.ok(index.tagSome(2), 'two made, some left');
  t.equal(tagged, 2);
  index.apply({ type: 'put', record: { ...record(4), name: 'renamed' } }); // replaces a key still waiting for its tag
  index.apply({ type: 'delete', id: 'id-5' });
  t.equal(index.name(index.findByKey('value-4') >> 1), 'renamed', 'a lookup finishes the tags first');
  t.equal(index.findByKey('value-5'), -1, 'a deleted key is not found');
  t.equal(index.id(index.findByKey('value-1') >> 1), 'id-1');
  t.notOk(index.tagSome(), 'nothing left');
  const before = tagged;
  index.findByKey('value-2');
  t.equal(tagged, before + 1, 'after that, one tag per lookup: the presented value');
});

t.test('the index keeps name order between changes and sorts again after one', async (t) => {
  const index = new KeyTable((value) => value.length);
  index.load([record(1, 'b'), record(2, 'A'), record(3, 'c')]);
  const first = index.keysByName();
  t.same(Array.from(first, (slot) => index.name(slot)), ['A', 'b', 'c']);
  t.equal(index.keysByName(), first, 'the same array while nothing changed');
  index.apply({ type: 'used', lastUsedAt: [['id-1', 5]] });
  t.equal(index.keysByName(), first, 'a use is not a change of order');
  index.apply({ type: 'put', record: record(4, 'aa') });
  t.same(Array.from(index.keysByName(), (slot) => index.name(slot)), ['A', 'aa', 'b', 'c']);
});

/** Every value a test has given a key, and what a lookup of each must find. */
function lookups(index: KeyTable, values: readonly string[]): string[] {
  return values.map((value) => {
    const match = index.findByKey(value);
    return match >= 0 ? `${index.id(match >> 1)}${match & 1 ? ' (previous)' : ''}` : '-';
  });
}

t.test('keys that share a lookup tag are told apart by their values, through puts, rotations, grace ends and deletes (property)', async () => {
  const op = fc.oneof(
    fc.record({ type: fc.constant('put' as const), id: fc.nat(5), withPrevious: fc.boolean(), validUntil: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ type: fc.constant('delete' as const), id: fc.nat(5) }),
    fc.record({ type: fc.constant('drop' as const), now: fc.integer({ min: 0, max: 10 }) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), fc.nat(3), (ops, loadedCount) => {
    // The same changes to an index where every value has a tag of its own, and to ones where tags collide: all, or in pairs.
    const indexes = [new KeyTable((v) => Number(v.replace(/\D/g, ''))), new KeyTable(() => 7), new KeyTable((v) => v.length % 2)];
    const values: string[] = [];
    let serial = 0;
    const current = new Map<number, ApiKeyRecord>();
    const loaded = Array.from({ length: loadedCount }, (_, n) => ({ ...record(n), key: `value-${++serial}` }));
    for (const r of loaded) {
      values.push(r.key);
      current.set(Number(r.id.slice(3)), r);
    }
    for (const index of indexes) index.load(loaded.map((r) => ({ ...r })));
    for (const o of ops) {
      if (o.type === 'put') {
        const before = current.get(o.id);
        const key = `value-${++serial}`;
        values.push(key);
        const next: ApiKeyRecord = { ...record(o.id), key, previous: o.withPrevious && before ? { key: before.key, validUntil: o.validUntil } : null };
        current.set(o.id, next);
        for (const index of indexes) index.apply({ type: 'put', record: { ...next } });
      } else if (o.type === 'delete') {
        current.delete(o.id);
        for (const index of indexes) index.apply({ type: 'delete', id: `id-${o.id}` });
      } else {
        for (const [id, r] of current) if (r.previous && r.previous.validUntil <= o.now) current.set(id, { ...r, previous: null });
        for (const index of indexes) index.dropPreviousValues(o.now);
      }
      const [unique, ...colliding] = indexes.map((index) => lookups(index, values));
      for (const other of colliding) if (JSON.stringify(other) !== JSON.stringify(unique)) return false;
    }
    // And what the unique index finds is what the keys hold: each current value, each previous value not dropped.
    return values.every((value) => {
      const holder = [...current.values()].find((r) => r.key === value || r.previous?.key === value);
      return lookups(indexes[0]!, [value])[0] === (holder ? `${holder.id}${holder.key === value ? '' : ' (previous)'}` : '-');
    });
  }), { numRuns: 300 });
});

t.test('one key filed twice under one tag (its value and its previous value collide): ending the grace keeps the value', async (t) => {
  const index = new KeyTable(() => 1);
  index.apply({ type: 'put', record: { ...record(1), key: 'value-a', previous: { key: 'value-b', validUntil: 5 } } });
  index.apply({ type: 'put', record: { ...record(2), key: 'value-c' } });
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['id-1', 'id-1 (previous)', 'id-2']);
  index.dropPreviousValues(5);
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['id-1', '-', 'id-2'], 'the value still found, the previous one not');
  index.apply({ type: 'delete', id: 'id-2' });
  index.apply({ type: 'delete', id: 'id-1' });
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['-', '-', '-']);
});

/** A record that uses every field of the table, each at a value `n` makes distinct. */
function full(n: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    ...record(n), description: `about ${n}`, key: `gwk_${String(n).padStart(49, 'x')}`, createdAt: n * 1000, updatedAt: n * 1000 + 1,
    ...extra,
  };
}

t.test('a key comes back from the table as it went in: null and extreme instants, expiry days at Date\'s limits, every kind of text', async (t) => {
  const farthest = 8.64e15;
  const cases: Partial<ApiKeyRecord>[] = [
    { lastUsedAt: null, rotatedAt: null, disabledAt: null, disabledReason: null },
    { lastUsedAt: 0, rotatedAt: -1, disabledAt: farthest, disabledReason: '', enabled: false },
    { createdAt: -farthest, updatedAt: farthest, lastUsedAt: 0.5, rotatedAt: -farthest },
    { expiresOn: '1970-01-01' }, { expiresOn: '1969-12-31' }, { expiresOn: '0001-01-01' }, { expiresOn: '9999-12-31' },
    { expiresOn: '2028-02-29' }, { expiresOn: '-271821-04-20' }, { expiresOn: '+275760-09-13' },
    { description: '' }, { description: 'd'.repeat(4000) }, { description: 'é€𝄞 \u0000 "\\ \ud800'.repeat(300) },
    { name: 'Straße-ß-ǅ', disabledReason: 'gesperrt: „Grund“ 🙂', enabled: false, disabledAt: 5 },
    { previous: { key: 'gwk_previous', validUntil: 7 }, rotatedAt: 6 },
    { key: '' }, { key: 'x'.repeat(53) },
  ];
  const table = new KeyTable((value) => value.length);
  cases.forEach((extra, n) => table.apply({ type: 'put', record: full(n, extra) }));
  cases.forEach((extra, n) => t.same(table.findById(`id-${n}`), full(n, extra), JSON.stringify(extra).slice(0, 80)));
  t.equal(table.findByName('STRASSE-SS-ǆ')?.id, 'id-13', 'found by its folded name');
});

t.test('what the table cannot keep as it is is refused, and nothing changes', async (t) => {
  const table = new KeyTable((value) => value.length);
  table.apply({ type: 'put', record: full(1) });
  for (const bad of [{ key: 'x'.repeat(54) }, { key: 'gwk_é' }, { key: 'gwk_"' }, { previous: { key: 'gwk_\u0000', validUntil: 1 } },
    { expiresOn: '2027-1-1' }, { expiresOn: '2027-02-30' }, { expiresOn: '-271821-04-19' }]) {
    t.throws(() => table.apply({ type: 'put', record: full(1, { name: 'changed', ...bad }) }), RangeError, JSON.stringify(bad));
    t.same(table.findById('id-1'), full(1), 'the key as it was');
  }
  t.equal(table.size, 1);
});

t.test('names that differ only in case are one name; a rename moves the key in the name table', async (t) => {
  const table = new KeyTable((value) => value.length);
  table.apply({ type: 'put', record: full(1, { name: 'Prod-Key' }) });
  for (const asked of ['prod-key', 'PROD-KEY', 'Prod-Key']) t.equal(table.findByName(asked)?.id, 'id-1', asked);
  table.apply({ type: 'put', record: full(1, { name: 'prod-KEY' }) });
  t.equal(table.findByName('PROD-key')?.name, 'prod-KEY', 'a change of case only');
  table.apply({ type: 'put', record: full(1, { name: 'other' }) });
  t.equal(table.findByName('prod-key'), undefined, 'the old name is gone');
  t.equal(table.findByName('OTHER')?.id, 'id-1');
});

t.test('deleted slots are reused, and the table grows across its doublings with every key still found every way', async (t) => {
  const table = new KeyTable((value) => value.length % 3); // three tags for all: every lookup walks long collisions
  const count = 1000; // past 16, 32, ..., 1024 slots
  for (let n = 0; n < count; n++) table.apply({ type: 'put', record: full(n) });
  t.equal(table.size, count);
  const limit = table.slotLimit;
  for (let n = 0; n < count; n += 2) table.apply({ type: 'delete', id: `id-${n}` });
  for (let n = 0; n < count; n += 2) table.apply({ type: 'put', record: full(n + count, { name: `again-${n}` }) });
  t.equal(table.slotLimit, limit, 'the deleted slots were used again: no new one');
  let found = 0;
  for (let n = 0; n < 2 * count; n++) {
    const present = n < count ? n % 2 === 1 : (n - count) % 2 === 0;
    const byId = table.findById(`id-${n}`);
    const byKey = table.findByKey(full(n).key);
    if (!present) {
      if (byId !== undefined || byKey !== -1) t.fail(`key ${n} is deleted but found`);
      continue;
    }
    if (byId?.key !== full(n).key || table.id(byKey >> 1) !== `id-${n}` || table.findByName(byId.name)?.id !== `id-${n}`) t.fail(`key ${n} not found`);
    else found++;
  }
  t.equal(found, count, 'every live key, by id, by name and by value');
  t.equal([...table.records()].length, count);
});

t.test('a use updates the key in place; a change of the key keeps its latest use and its uses per connector', async (t) => {
  const table = new KeyTable((value) => value.length);
  table.apply({ type: 'put', record: full(1) });
  const slot = table.slotById('id-1');
  table.recordUse(slot, 500, 'gw-1');
  table.apply({ type: 'put', record: full(1, { name: 'renamed', lastUsedAt: 100 }) });
  const after = table.findById('id-1')!;
  t.equal(after.lastUsedAt, 500, 'the later use stays');
  t.same(after.usage?.all(), [0, [['gw-1', 500, 500, 1]]]);
  table.apply({ type: 'used', lastUsedAt: [['id-1', 400]] });
  t.equal(table.findById('id-1')!.lastUsedAt, 500, 'an older flushed use does not win');
  table.apply({ type: 'delete', id: 'id-1' });
  table.apply({ type: 'put', record: full(2) });
  t.equal(table.findById('id-2')!.usage, null, 'a slot used again starts without the uses of the key it held');
  t.equal(table.findById('id-2')!.lastUsedAt, null);
});
