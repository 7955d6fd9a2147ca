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
    return `tag:${value}`;
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
  const index = new KeyIndex((value) => value);
  index.load([record(1, 'b'), record(2, 'A'), record(3, 'c')]);
  const first = index.keysByName();
  t.same(first.map(([, r]) => r.name), ['A', 'b', 'c']);
  t.equal(index.keysByName(), first, 'the same array while nothing changed');
  index.apply({ type: 'used', lastUsedAt: [['id-1', 5]] });
  t.equal(index.keysByName(), first, 'a use is not a change of order');
  index.apply({ type: 'put', record: record(4, 'aa') });
  t.same(index.keysByName().map(([, r]) => r.name), ['A', 'aa', 'b', 'c']);
});
