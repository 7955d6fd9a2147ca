import fc from 'fast-check';
import t from 'tap';
import { DOUBLING_WORTH_MS, KeyUsage, MAX_CONNECTORS_PER_KEY, type PersistedConnectorUse, type PersistedUsage } from '../src/vault/key-usage.js';

const DAY = DOUBLING_WORTH_MS;
const listed = (usage: KeyUsage) => new Map(usage.connectorsByLastUse().map((c) => [c.connectorId, c.count]));

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

t.test('among connectors used as often, the 65th connectorId evicts the least recently used one, whatever the order they came in', async (t) => {
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

t.test('a spray of 10,000 one-off connectorIds leaves the connectors in real use listed, with their counts', async (t) => {
  const usage = new KeyUsage();
  const start = Date.UTC(2026, 0, 1);
  const real = ['orders', 'billing', 'crm', 'hr'];
  // A day of real traffic: each real connector a few times an hour, some more than others.
  for (let minute = 0; minute < 24 * 60; minute += 15) real.forEach((id, i) => { for (let k = 0; k <= i; k++) usage.record(id, start + minute * 60_000); });
  const before = listed(usage);
  // Then within an hour, 10,000 connectorIds used once each, real uses going on in between.
  const sprayStart = start + DAY;
  for (let i = 0; i < 10_000; i++) {
    usage.record(`spray-${i}`, sprayStart + i * 300);
    if (i % 2500 === 0) usage.record('orders', sprayStart + i * 300);
  }
  const after = listed(usage);
  t.equal(usage.connectorCount, MAX_CONNECTORS_PER_KEY);
  for (const id of real) t.equal(after.get(id), before.get(id)! + (id === 'orders' ? 4 : 0), `${id} kept with its count`);
  t.equal([...after.keys()].filter((id) => id.startsWith('spray-')).length, MAX_CONNECTORS_PER_KEY - real.length, 'the spray shares only the rest');
  t.ok(after.has('spray-9999'), 'among the one-offs, the latest are kept');
});

t.test('the boundaries of the rank: a day per doubling of uses, ties by connectorId, the newcomer itself may go', async (t) => {
  // 63 one-offs at instant 0, and 'heavy' used 8 times (3 doublings), last at instant 0: it ranks as if used at 3 days.
  const fill = () => {
    const usage = new KeyUsage();
    for (let i = 0; i < 63; i++) usage.record(`c${String(i).padStart(2, '0')}`, 0);
    for (let k = 0; k < 8; k++) usage.record('heavy', 0);
    return usage;
  };
  const justBefore = fill();
  justBefore.record('late', 3 * DAY - 1);
  t.ok(listed(justBefore).has('heavy') && !listed(justBefore).has('c62'), 'a one-off 1 ms before 3 days evicts a one-off, not heavy (the greatest id among ties: c62)');
  const atTie = fill();
  for (let i = 0; i < 63; i++) atTie.record(`late${i}`, 3 * DAY + 1 + i); // replaces every c.., the lowest rank
  atTie.record('zz-tie', 3 * DAY);
  t.notOk(listed(atTie).has('zz-tie'), 'a tie of ranks evicts the greater connectorId: the newcomer zz-tie');
  t.ok(listed(atTie).has('heavy'));
  const aTie2 = fill();
  for (let i = 0; i < 63; i++) aTie2.record(`late${i}`, 3 * DAY + 1 + i);
  aTie2.record('a-tie', 3 * DAY);
  t.notOk(listed(aTie2).has('heavy'), 'the same tie against a smaller connectorId: heavy goes');
  const after = fill();
  for (let i = 0; i < 63; i++) after.record(`late${i}`, 3 * DAY + 1 + i);
  after.record('later', 3 * DAY + 1);
  t.notOk(listed(after).has('heavy'), 'unused for more than a day per doubling, a heavy connector ages out');
  t.equal(after.connectorCount, MAX_CONNECTORS_PER_KEY);

  const full = new KeyUsage();
  for (let i = 0; i < MAX_CONNECTORS_PER_KEY; i++) (full.record(`r${i}`, 1000), full.record(`r${i}`, 1000));
  full.record('newcomer', 2000);
  t.notOk(listed(full).has('newcomer'), 'when all 64 outrank it, a newcomer is not listed (nor persisted)');
  t.equal(full.connectorCount, MAX_CONNECTORS_PER_KEY);
  t.equal(full.changes()![1].length, MAX_CONNECTORS_PER_KEY);
  const exactly = new KeyUsage();
  for (let i = 0; i < MAX_CONNECTORS_PER_KEY; i++) exactly.record(`e${i}`, i);
  t.equal(exactly.connectorCount, MAX_CONNECTORS_PER_KEY, '64 fit: nothing is evicted');
  t.equal(exactly.connectorsByLastUse().at(-1)!.connectorId, 'e0');
});

t.test('usage persisted by a daemon that kept the 64 most recent still loads whole', async (t) => {
  const row: PersistedConnectorUse[] = Array.from({ length: MAX_CONNECTORS_PER_KEY }, (_, i) => [`old${i}`, 1000 + i, 5000 + i, i % 3 === 0 ? 1 : 40]);
  const usage = KeyUsage.from([7, row])!;
  t.same(usage.all(), [7, row], 'every entry, as it was');
  t.equal(usage.changes(), null, 'nothing to write back');
});

t.test('connectors with real use survive any spray of one-offs that comes after them (property)', async () => {
  const realUse = fc.record({ connector: fc.integer({ min: 0, max: MAX_CONNECTORS_PER_KEY - 2 }), at: fc.integer({ min: 0, max: 3_600_000 }) });
  fc.assert(
    fc.property(fc.array(realUse, { minLength: 1, maxLength: 300 }), fc.integer({ min: 65, max: 400 }), (uses, spray) => {
      const usage = new KeyUsage();
      uses.sort((a, b) => a.at - b.at).forEach((u) => usage.record(`real${u.connector}`, u.at));
      const before = listed(usage);
      for (let i = 0; i < spray; i++) usage.record(`spray${i}`, 3_600_000 + i);
      const after = listed(usage);
      return [...before].every(([id, count]) => count < 2 || after.get(id) === count);
    }),
    { numRuns: 200 },
  );
});
