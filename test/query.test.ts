import t from 'tap';
import { Temporal } from 'temporal-polyfill';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { foldName, nameMatcher } from '../src/vault/name.js';
import { parseParams } from '../src/daemon/params.js';
import { listKeys, listKeysJson } from '../src/vault/query.js';
import { KeyTable } from '../src/vault/key-table.js';
import fc from 'fast-check';
import { epochDay } from '../src/vault/status.js';

const today = Temporal.PlainDate.from('2026-11-27');
let n = 0;
function record(name: string, expiresInDays: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  n++;
  return {
    id: `id${n}`, name, description: `about ${name}`, key: `gwk_${String(n).padStart(4, '0')}${'x'.repeat(45)}`,
    createdAt: Date.parse('2026-01-01T00:00:00Z') + n * 1000, updatedAt: Date.parse('2026-01-01T00:00:00Z') + n * 1000,
    expiresOn: today.add({ days: expiresInDays }).toString(), enabled: true, rotatedAt: null, previous: null, lastUsedAt: null, usage: null,
    disabledAt: null, disabledReason: null, ...extra,
  };
}

/** The keys in a key table, as a list reads them. */
function tableOf(keys: readonly ApiKeyRecord[]): KeyTable {
  const table = new KeyTable(() => 0);
  table.load(keys.map((r) => ({ ...r })));
  return table;
}

/** The instant lists are made at: previous values are shown until then. */
const NOW = Date.parse('2026-11-27T12:00:00Z');

const records = [
  record('prod-orders', 200, { lastUsedAt: Date.parse('2026-11-20T10:00:00Z') }),
  record('Prod-Billing', 10, { lastUsedAt: Date.parse('2026-11-26T10:00:00Z') }),
  record('test-alpha', -3),
  record('Straße-key', 2, { lastUsedAt: Date.parse('2026-10-01T00:00:00Z') }),
  record('zeta', 15),
  record('ápice', 4),
];
const byName = tableOf(records);
const list = (params: object) => listKeys(byName, parseParams('apiKey.list', params), epochDay(today.toString()), NOW);
const names = (params: object) => list(params).items.map((i) => i.name);

t.test('default: every key, sorted by name case-insensitively', async (t) => {
  t.same(names({}), ['Prod-Billing', 'prod-orders', 'Straße-key', 'test-alpha', 'zeta', 'ápice']);
  t.equal(list({}).total, 6);
  t.same(names({ descending: true }), ['ápice', 'zeta', 'test-alpha', 'Straße-key', 'prod-orders', 'Prod-Billing']);
});

t.test('each column sorts ascending and descending', async (t) => {
  t.same(names({ sortBy: 'expiresOn' }), ['test-alpha', 'Straße-key', 'ápice', 'Prod-Billing', 'zeta', 'prod-orders']);
  t.same(names({ sortBy: 'expiresOn', descending: true }), ['prod-orders', 'zeta', 'Prod-Billing', 'ápice', 'Straße-key', 'test-alpha']);
  t.same(names({ sortBy: 'createdAt' }), records.map((r) => r.name));
  t.same(names({ sortBy: 'createdAt', descending: true }), records.map((r) => r.name).reverse());
  t.same(names({ sortBy: 'lastUsedAt' }), ['test-alpha', 'zeta', 'ápice', 'Straße-key', 'prod-orders', 'Prod-Billing'], 'never used first, ties by name');
  t.same(names({ sortBy: 'lastUsedAt', descending: true }), ['Prod-Billing', 'prod-orders', 'Straße-key', 'ápice', 'zeta', 'test-alpha']);
  t.same(names({ sortBy: 'status' }), ['test-alpha', 'Straße-key', 'Prod-Billing', 'ápice', 'prod-orders', 'zeta'], 'most urgent first');
  t.same(names({ sortBy: 'status', descending: true }), ['zeta', 'prod-orders', 'ápice', 'Prod-Billing', 'Straße-key', 'test-alpha']);
});

t.test('status and colour as of today, or as of asOf', async (t) => {
  const byName = Object.fromEntries(list({}).items.map((i) => [i.name, i]));
  t.match(byName['test-alpha'], { status: 'Expired', color: 'Red', daysLeft: -3 });
  t.match(byName['Straße-key'], { status: 'ExpiresSoon', color: 'Red', daysLeft: 2 });
  t.match(byName['ápice'], { status: 'Expiring', color: 'Orange', daysLeft: 4 });
  t.match(byName['Prod-Billing'], { status: 'Expiring', color: 'Orange', daysLeft: 10 });
  t.match(byName['zeta'], { status: 'Active', color: 'Green', daysLeft: 15 });
  const later = Object.fromEntries(list({ asOf: '2026-12-10' }).items.map((i) => [i.name, i]));
  t.match(later['zeta'], { status: 'ExpiresSoon', daysLeft: 2 }, 'a preview as of a later date');
  t.match(later['Prod-Billing'], { status: 'Expired', daysLeft: -3 });
  t.same(names({ status: ['Expired'], asOf: '2026-12-10' }), ['Prod-Billing', 'Straße-key', 'test-alpha', 'ápice']);
});

t.test('filter by status', async (t) => {
  t.same(names({ status: ['Expired'] }), ['test-alpha']);
  t.same(names({ status: ['ExpiresSoon', 'Expiring'] }), ['Prod-Billing', 'Straße-key', 'ápice']);
  t.same(names({ status: [] }), [], 'an empty status list matches nothing');
});

t.test('wildcard names, case-insensitive', async (t) => {
  t.same(names({ name: 'prod-*' }), ['Prod-Billing', 'prod-orders']);
  t.same(names({ name: 'PROD-*' }), ['Prod-Billing', 'prod-orders']);
  t.same(names({ name: '*a' }), ['test-alpha', 'zeta']);
  t.same(names({ name: 'z?ta' }), ['zeta']);
  t.same(names({ name: 'STRASSE-KEY' }), ['Straße-key'], 'ß folds like SS');
  t.same(names({ name: 'a\u0301pice' }), ['ápice'], 'NFC-equal patterns match');
  t.same(names({ name: '*' }), names({}));
  t.same(names({ name: 'nothing*' }), []);
  t.same(names({ name: 'prod.orders' }), [], '. is literal');
  t.same(names({ name: '[p]rod-orders' }), [], 'brackets are literal');
});

t.test('a literal name: the one key of that name whatever its case, * and ? its own characters, never a pattern', async (t) => {
  const keys = [
    record('Orders * (all)', 30), record('Orders x (all)', 30), record('Orders ? (all)', 30), record('ab?', 30), record('abc', 5),
    record('Straße-key', 30), record('ápice', 30), record('zeta', 30),
  ];
  const named = tableOf(keys);
  const listed = (params: object) => listKeys(named, parseParams('apiKey.list', params), epochDay(today.toString()), NOW);
  const found = (params: object) => listed(params).items.map((i) => i.name);
  t.same(found({ literalName: 'Orders * (all)' }), ['Orders * (all)'], '* is not a wildcard');
  t.same(found({ name: 'Orders * (all)' }), ['Orders * (all)', 'Orders ? (all)', 'Orders x (all)'], 'as a pattern it matches three');
  t.same(found({ literalName: 'orders ? (ALL)' }), ['Orders ? (all)'], '? is not a wildcard, and case does not matter');
  t.same(found({ literalName: 'AB?' }), ['ab?'], 'not abc');
  t.same(found({ literalName: 'Orders (all)' }), [], 'no key of that name: nothing, not an error');
  t.same(found({ literalName: 'Orders' }), [], 'a prefix is not the name');
  t.same(found({ literalName: 'Orders * (all)!' }), [], 'nor a longer name');
  t.same(found({ literalName: 'STRASSE-KEY' }), ['Straße-key'], 'folded as uniqueness folds: ß like SS');
  t.same(found({ literalName: 'A\u0301PICE' }), ['ápice'], 'after NFC');
  t.same(listed({ literalName: 'abc', status: ['Active'] }), { items: [], total: 0 }, 'with the other filters');
  t.same(found({ literalName: 'abc', status: ['ExpiresSoon', 'Expiring'] }), ['abc']);
  t.same(listed({ literalName: 'zeta', offset: 1 }), { items: [], total: 1 }, 'and paging: total counts the one match');
});

t.test('offset and limit page the sorted matches; total counts them all', async (t) => {
  t.same(list({ limit: 2 }), { total: 6, items: list({}).items.slice(0, 2) });
  t.same(names({ offset: 4 }), ['zeta', 'ápice']);
  t.same(names({ offset: 2, limit: 2 }), ['Straße-key', 'test-alpha']);
  t.same(list({ offset: 10 }), { items: [], total: 6 });
  t.same(list({ limit: 0 }), { items: [], total: 6 });
  t.equal(list({ name: 'prod*', limit: 1 }).total, 2);
});

t.test('items carry ApiKeyInfo (docs/protocol.md) and only the hint of the key', async (t) => {
  const item = list({ name: 'zeta' }).items[0]!;
  t.same(Object.keys(item).sort(), ['color', 'createdAt', 'daysLeft', 'description', 'disabledAt', 'disabledReason', 'enabled', 'expiresOn', 'hint',
    'lastUsedAt', 'name', 'previousValidUntil', 'rotatedAt', 'status', 'updatedAt']);
  t.match(item, { enabled: true, rotatedAt: null, previousValidUntil: null, disabledAt: null, disabledReason: null });
  t.equal(item.hint.length, 8);
  t.equal(item.expiresOn, '2026-12-12');
  t.match(item.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.equal(item.lastUsedAt, null);
});

t.test('wildcard matching agrees with a regular expression (property), and many stars stay fast', async (t) => {
  const alphabet = fc.constantFrom('a', 'b', 'A', '*', '?');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', 'B'), { maxLength: 10 }), (p, s) => {
      const pattern = p.join('');
      const name = s.join('');
      const regex = new RegExp('^' + foldName(pattern).replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'u');
      return nameMatcher(pattern)(foldName(name)) === regex.test(foldName(name));
    }),
    { numRuns: 5000 },
  );
  // A pattern that makes a backtracking regex explode is answered by the linear matcher.
  const evil = '*a'.repeat(30) + '*b';
  t.equal(nameMatcher(evil)('a'.repeat(100)), false);
});

t.test('the JSON the daemon sends equals JSON.stringify of the answer (property)', async () => {
  // Any UTF-16 code unit, lone surrogates and control characters too: JSON.stringify escapes them, and so must the list.
  const anyUnits = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });
  // Control characters, ASCII and Latin-1 (UTF-8 from 0x80: never a byte of its own).
  const nearAscii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)), maxLength });
  // Plain ASCII (the list copies it byte for byte), non-ASCII graphemes, and any code unit: each string field takes each path.
  const text = (maxLength: number) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), nearAscii(maxLength), anyUnits(maxLength));
  // Whole milliseconds anywhere in Date's range (years before 0 and after 9999 too), and fractions, which Date truncates.
  const instant = fc.oneof(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }));
  const key = fc.record({
    name: text(12), description: text(20), days: fc.integer({ min: -40, max: 2000 }), value: fc.stringMatching(/^[0-9A-Za-z]{0,12}$/),
    createdAt: instant, updatedAt: instant, lastUsedAt: fc.option(instant), rotatedAt: fc.option(instant),
    enabled: fc.boolean(), previousUntil: fc.option(fc.integer({ min: NOW - 1e6, max: NOW + 1e6 })),
    disabledReason: fc.option(text(20)), disabledAt: fc.option(instant),
  });
  const params = fc.record({
    name: fc.constantFrom('*', 'a*', '?*', 'x'), status: fc.subarray(['Active', 'Expiring', 'ExpiresSoon', 'Expired', 'Disabled']),
    sortBy: fc.constantFrom('name', 'expiresOn', 'lastUsedAt', 'status', 'createdAt'), descending: fc.boolean(),
    asOf: fc.constantFrom('2026-11-27', '2027-01-01', '2020-02-29'), offset: fc.nat(10), limit: fc.nat(10),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.array(key, { maxLength: 2500 }), params, (keys, p) => {
      const named = tableOf(keys.map((k, i) => record(`${k.name}${i}`, k.days, {
          description: k.description, createdAt: k.createdAt, updatedAt: k.updatedAt, lastUsedAt: k.lastUsedAt, enabled: k.enabled,
          disabledAt: k.disabledAt, disabledReason: k.disabledReason,
          // The hint is the value's first characters, of the key format's alphabet (the key table holds no other).
          ...(k.value !== '' && { key: `gwk_${k.value}` }),
          rotatedAt: k.previousUntil === null ? k.rotatedAt : k.createdAt, previous: k.previousUntil === null ? null : { key: 'gwk_old', validUntil: k.previousUntil },
        })));
      const parsed = parseParams('apiKey.list', p);
      const day = epochDay('2026-11-27');
      return Buffer.concat(listKeysJson(named, parsed, day, NOW)).toString('utf8') === JSON.stringify(listKeys(named, parsed, day, NOW));
    }),
    { numRuns: 60 },
  );
});

t.test('keys as long as their JSON gets, written across many blocks, are the answer byte for byte', async (t) => {
  // Every instant in an extended year, the longest status, days left of many digits, and strings of only control characters and lone
  // surrogates (6 bytes each): keys at the bound the list reserves per key, so a bound too small would cut one at a block's edge.
  const day = epochDay(today.toString());
  const farthest = 8.64e15 - 1;
  const widest = Array.from({ length: 4000 }, (_, i) => record(`${'\u0001\ud800'.repeat(20)}${i}`, -1_000_000 - i, {
    description: (i % 2 ? '\u001f' : '\udc00').repeat(i % 60), key: `gwk_${'Z'.repeat(49)}`, createdAt: -farthest, updatedAt: farthest,
    lastUsedAt: -farthest + i, rotatedAt: farthest - i, previous: { key: 'gwk_old', validUntil: farthest }, enabled: false,
    disabledAt: -farthest, disabledReason: '"\\'.repeat(i % 30),
  }));
  const named = tableOf(widest);
  const pieces = listKeysJson(named, parseParams('apiKey.list', {}), day, 0);
  t.ok(pieces.length > 4, `${pieces.length} blocks`);
  t.equal(Buffer.concat(pieces).toString('utf8'), JSON.stringify(listKeys(named, parseParams('apiKey.list', {}), day, 0)));
});

t.test('the JSON is written in blocks of its own memory, made anew by each list; a key longer than a block gets a block of its size', async (t) => {
  const day = epochDay(today.toString());
  // Descriptions of every length around a block's edge, non-ASCII ones too (3 bytes of UTF-8 per character), and one of 200,000 characters.
  const many = Array.from({ length: 3000 }, (_, i) => record(`many-${String(i).padStart(4, '0')}`, i % 40 - 5, {
    description: (i % 3 === 0 ? '€' : i % 3 === 1 ? 'é"\\\n' : 'a').repeat(i % 97), lastUsedAt: i % 2 ? NOW - i * 997 : null,
  }));
  many.push(record('many-huge', 3, { description: '€'.repeat(200_000) }));
  const named = tableOf(many);
  const pieces = listKeysJson(named, parseParams('apiKey.list', {}), day, NOW);
  t.ok(pieces.length > 3, `${pieces.length} blocks`);
  t.equal(Buffer.concat(pieces).toString('utf8'), JSON.stringify(listKeys(named, parseParams('apiKey.list', {}), day, NOW)), 'joined, the answer');
  for (const piece of pieces) t.equal(piece.byteOffset, 0, 'each block starts its own memory: no slice of a shared pool');
  t.ok(pieces.some((piece) => piece.length > 256 * 1024), 'the huge key has a block of its own size');
  const again = listKeysJson(named, parseParams('apiKey.list', {}), day, NOW);
  t.ok(again.every((piece) => pieces.every((earlier) => earlier.buffer !== piece.buffer)), 'nothing is kept from one list to the next');
});

t.test('a disabled key is Disabled (Gray) whatever its days left: filtered, counted and sorted as such', async (t) => {
  const keys = [
    record('on-active', 200), record('off-active', 200, { enabled: false }), record('off-expired', -5, { enabled: false }), record('on-expired', -5),
  ];
  const named = tableOf(keys);
  const listed = (params: object) => listKeys(named, parseParams('apiKey.list', params), epochDay(today.toString()), NOW);
  const info = Object.fromEntries(listed({}).items.map((i) => [i.name, i]));
  t.match(info['off-active'], { status: 'Disabled', color: 'Gray', enabled: false, daysLeft: 200 }, 'days left stay what they are');
  t.match(info['off-expired'], { status: 'Disabled', color: 'Gray', daysLeft: -5 }, 'Disabled wins over Expired');
  t.match(info['on-expired'], { status: 'Expired', enabled: true });
  t.same(listed({ status: ['Disabled'] }).items.map((i) => i.name), ['off-active', 'off-expired']);
  t.same(listed({ status: ['Expired'] }).items.map((i) => i.name), ['on-expired'], 'a disabled expired key is not Expired');
  t.same(listed({ status: ['Disabled'], asOf: '2031-01-01' }).items.map((i) => i.name), ['off-active', 'off-expired'], 'as of any date');
  t.same(listed({ sortBy: 'status' }).items.map((i) => i.name), ['on-expired', 'on-active', 'off-active', 'off-expired'], 'Disabled after Active: least urgent');
});

t.test('previousValidUntil is shown until that instant, then null; rotatedAt stays', async (t) => {
  const until = NOW + 3_600_000;
  const rotated = record('rotated', 100, { rotatedAt: NOW - 1000, previous: { key: 'gwk_old', validUntil: until } });
  const named = tableOf([rotated]);
  const at = (now: number) => listKeys(named, parseParams('apiKey.list', {}), epochDay(today.toString()), now).items[0]!;
  const json = (now: number) => JSON.parse(Buffer.concat(listKeysJson(named, parseParams('apiKey.list', {}), epochDay(today.toString()), now)).toString()).items[0];
  t.match(at(NOW), { rotatedAt: '2026-11-27T11:59:59.000Z', previousValidUntil: '2026-11-27T13:00:00.000Z' });
  t.equal(json(NOW).previousValidUntil, '2026-11-27T13:00:00.000Z');
  t.match(at(until - 1), { previousValidUntil: '2026-11-27T13:00:00.000Z' });
  t.match(at(until), { rotatedAt: '2026-11-27T11:59:59.000Z', previousValidUntil: null }, 'null from the instant itself');
  t.equal(json(until).previousValidUntil, null, 'the JSON answer too');
});
