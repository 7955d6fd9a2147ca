import fc from 'fast-check';
import t from 'tap';
import { KeyUsage, MAX_CONNECTORS_PER_KEY, type PersistedUsage } from '../src/vault/key-usage.js';

t.test('a use is counted per connectorId, with its first and last use; none (or an empty one) counts apart', async (t) => {
  const usage = new KeyUsage();
  usage.record('orders', 1000);
  usage.record('orders', 3000);
  usage.record('billing', 2000);
  usage.record(undefined, 4000);
  usage.record('', 5000);
  t.same(usage.connectorsByLastUse(), [
    { connectorId: 'orders', firstUsedAt: 1000, lastUsedAt: 3000, count: 2 },
    { connectorId: 'billing', firstUsedAt: 2000, lastUsedAt: 2000, count: 1 },
  ], 'the most recently used first');
  t.equal(usage.unattributedCount, 2);
  t.equal(usage.connectorCount, 2);
});

t.test('the 65th connectorId evicts the least recently used one, whatever the order they came in', async (t) => {
  const usage = new KeyUsage();
  for (let i = 0; i < MAX_CONNECTORS_PER_KEY; i++) usage.record(`c${i}`, 1000 + i);
  usage.record('c0', 5000); // c0 came first but is now the most recent: c1 is the least recent
  usage.record('newcomer', 6000);
  const ids = usage.connectorsByLastUse().map((c) => c.connectorId);
  t.equal(ids.length, MAX_CONNECTORS_PER_KEY);
  t.notOk(ids.includes('c1'), 'c1 was evicted');
  t.ok(ids.includes('c0') && ids.includes('newcomer'));
  usage.record('c1', 7000);
  t.same(usage.connectorsByLastUse()[0], { connectorId: 'c1', firstUsedAt: 7000, lastUsedAt: 7000, count: 1 }, 'it comes back as new');
});

t.test('changes() holds what changed since the last merge of persisted values, as absolute values', async (t) => {
  const usage = new KeyUsage();
  t.equal(usage.changes(), null);
  usage.record('a', 10);
  usage.record('b', 20);
  usage.record(undefined, 30);
  const first = usage.changes()!;
  t.same(first, [1, [['a', 10, 10, 1], ['b', 20, 20, 1]]]);
  usage.merge(first); // what the journal took
  t.equal(usage.changes(), null, 'nothing pending once merged back');
  usage.record('a', 40);
  t.same(usage.changes(), [1, [['a', 10, 40, 2]]], 'only the connector that changed, with its totals');
  usage.record(undefined, 50);
  t.same(usage.changes(), [2, [['a', 10, 40, 2]]]);
});

t.test('merge: replaying a record twice, or an older one, changes nothing; a later incarnation replaces an earlier one', async (t) => {
  const usage = new KeyUsage();
  usage.merge([3, [['a', 10, 40, 5]]]);
  usage.merge([3, [['a', 10, 40, 5]]]);
  usage.merge([1, [['a', 10, 20, 2]]]);
  t.same(usage.all(), [3, [['a', 10, 40, 5]]]);
  usage.merge([3, [['a', 100, 100, 1]]]); // evicted and back: a new first use
  t.same(usage.all(), [3, [['a', 100, 100, 1]]]);
  usage.merge([3, [['a', 10, 40, 5]]]); // the older incarnation again: it loses
  t.same(usage.all(), [3, [['a', 100, 100, 1]]]);
  t.equal(KeyUsage.from(null), null);
  t.equal(new KeyUsage().all(), null, 'never used: nothing to write');
});

t.test('replaying every flush in order rebuilds what memory held (property)', async () => {
  const use = fc.record({ connector: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }), flush: fc.boolean() });
  fc.assert(
    fc.property(fc.array(use, { maxLength: 400 }), (uses) => {
      const live = new KeyUsage();
      const journal: PersistedUsage[] = [];
      uses.forEach((u, i) => {
        live.record(u.connector === undefined ? undefined : `c${u.connector}`, 1000 + i);
        if (u.flush) {
          const changed = live.changes();
          if (changed) {
            journal.push(changed);
            live.merge(changed);
          }
        }
      });
      const last = live.changes();
      if (last) journal.push(last);
      const replayed = new KeyUsage();
      for (const record of journal) replayed.merge(record);
      return JSON.stringify(replayed.connectorsByLastUse()) === JSON.stringify(live.connectorsByLastUse()) &&
        replayed.unattributedCount === live.unattributedCount;
    }),
    { numRuns: 300 },
  );
});
