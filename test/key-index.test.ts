import fc from 'fast-check';
import t from 'tap';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { KeyIndex } from '../src/vault/key-index.js';

function record(n: number, name = `key-${n}`): ApiKeyRecord {
  return {
    id: `id-${n}`, name, description: '', key: `value-${n}`, createdAt: 0, updatedAt: 0, expiresOn: '2027-01-01',
    enabled: true, rotatedAt: null, previous: null, lastUsedAt: null, usage: null, disabledAt: null, disabledReason: null,
  };
}

t.test('lookup tags of loaded keys are made later, and any lookup makes the missing ones first', async (t) => {
  let tagged = 0;
  const index = new KeyIndex((value) => {
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
  t.equal(index.findByKey('value-4')?.record.name, 'renamed', 'a lookup finishes the tags first');
  t.equal(index.findByKey('value-5'), undefined, 'a deleted key is not found');
  t.equal(index.findByKey('value-1')?.record.id, 'id-1');
  t.notOk(index.tagSome(), 'nothing left');
  const before = tagged;
  index.findByKey('value-2');
  t.equal(tagged, before + 1, 'after that, one tag per lookup: the presented value');
});

t.test('the index keeps name order between changes and sorts again after one', async (t) => {
  const index = new KeyIndex((value) => value.length);
  index.load([record(1, 'b'), record(2, 'A'), record(3, 'c')]);
  const first = index.keysByName();
  t.same(first.map((r) => r.name), ['A', 'b', 'c']);
  t.equal(index.keysByName(), first, 'the same array while nothing changed');
  index.apply({ type: 'used', lastUsedAt: [['id-1', 5]] });
  t.equal(index.keysByName(), first, 'a use is not a change of order');
  index.apply({ type: 'put', record: record(4, 'aa') });
  t.same(index.keysByName().map((r) => r.name), ['A', 'aa', 'b', 'c']);
});

/** Every value a test has given a key, and what a lookup of each must find. */
function lookups(index: KeyIndex, values: readonly string[]): string[] {
  return values.map((value) => {
    const match = index.findByKey(value);
    return match ? `${match.record.id}${match.previous ? ' (previous)' : ''}` : '-';
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
    const indexes = [new KeyIndex((v) => Number(v.replace(/\D/g, ''))), new KeyIndex(() => 7), new KeyIndex((v) => v.length % 2)];
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
  const index = new KeyIndex(() => 1);
  index.apply({ type: 'put', record: { ...record(1), key: 'value-a', previous: { key: 'value-b', validUntil: 5 } } });
  index.apply({ type: 'put', record: { ...record(2), key: 'value-c' } });
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['id-1', 'id-1 (previous)', 'id-2']);
  index.dropPreviousValues(5);
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['id-1', '-', 'id-2'], 'the value still found, the previous one not');
  index.apply({ type: 'delete', id: 'id-2' });
  index.apply({ type: 'delete', id: 'id-1' });
  t.same(lookups(index, ['value-a', 'value-b', 'value-c']), ['-', '-', '-']);
});
