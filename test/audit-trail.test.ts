import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SecretKey } from '../src/vault/crypto.js';
import { type AuditRecord, AuditTrail } from '../src/vault/storage/audit-trail.js';
import { nodeFileSystem } from '../src/vault/storage/node-file-system.js';
import { madeDataDir, RecordingLog } from './helpers/vault.js';

/** The audit trail alone (docs/storage.md, "The audit trail"): its chain, and every way of breaking it being found. */

const entry = (n: number, keyName = `key-${n}`): AuditRecord => ({ event: 'apiKey.created', role: 'admin', connection: n, keyName, detail: { n } });

async function trailWith(t: Test, count: number, key = SecretKey.generate()) {
  const dataDir = madeDataDir(t);
  const log = new RecordingLog();
  let clock = Date.parse('2026-11-30T12:00:00Z');
  const trail = await AuditTrail.open(nodeFileSystem, dataDir, key, log, () => (clock += 1000));
  for (let i = 1; i <= count; i++) await trail.record(entry(i));
  return { dataDir, trail, key, log, file: path.join(dataDir, 'audit', 'audit-000001.jsonl') };
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

t.test('entries are appended in order, chained, and verify intact', async (t) => {
  const { trail, file } = await trailWith(t, 5);
  t.same(await trail.verify(), { intact: true, entries: 5 });
  const written = lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(written.map((e) => e.seq), [1, 2, 3, 4, 5]);
  for (let i = 1; i < written.length; i++) t.equal(written[i]!.prev, written[i - 1]!.hash, `entry ${i + 1} carries the hash of entry ${i}`);
  t.match(written[0], { at: '2026-11-30T12:00:01.000Z', event: 'apiKey.created', role: 'admin', connection: 1, keyName: 'key-1', detail: { n: 1 } });
  t.equal(fs.statSync(file).mode & 0o777, 0o600);
  t.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  await trail.close();
});

t.test('an entry\'s account is part of what its hash covers; entries without one verify as before', async (t) => {
  const { trail, file } = await trailWith(t, 1);
  await trail.record({ ...entry(2), account: 'alice (uid 1000)' });
  await trail.record(entry(3));
  t.same(await trail.verify(), { intact: true, entries: 3 });
  const written = lines(file);
  t.same(written.map((line) => (JSON.parse(line) as { account?: string }).account), [undefined, 'alice (uid 1000)', undefined]);
  t.match(written[1], /"connection":2,"account":"alice \(uid 1000\)","keyName":"key-2"/, 'after who acted, before the key');
  t.match((await trail.list({})).items[1], { account: 'alice (uid 1000)' });
  const pristine = fs.readFileSync(file, 'utf8');
  for (const [what, changed] of [
    ['another account', pristine.replace('alice (uid 1000)', 'mallory (uid 1000)')],
    ['the account removed', pristine.replace('"account":"alice (uid 1000)",', '')],
    ['an account added', pristine.replace('"connection":3,', '"connection":3,"account":"alice (uid 1000)",')],
  ] as const) {
    fs.writeFileSync(file, changed);
    t.match(await trail.verify(), { intact: false, brokenAt: what === 'an account added' ? 3 : 2, reason: /fails its check/ }, what);
  }
  fs.writeFileSync(file, pristine);
  await trail.close();
});

t.test('a flipped byte, a removed entry, a reordering, or a forged entry are named by verify', async (t) => {
  const { trail, file } = await trailWith(t, 6);
  const pristine = fs.readFileSync(file, 'utf8');
  const cases: [string, (ls: string[]) => string[], number][] = [
    ['a flipped byte in entry 3', (ls) => ls.map((l, i) => (i === 2 ? l.replace('"key-3"', '"key-X"') : l)), 3],
    ['entry 4 removed', (ls) => ls.filter((_, i) => i !== 3), 4],
    ['entries 2 and 3 swapped', (ls) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)], 2],
    ['entry 5 replaced by a copy of entry 1', (ls) => ls.map((l, i) => (i === 4 ? ls[0]! : l)), 5],
  ];
  for (const [what, change, brokenAt] of cases) {
    fs.writeFileSync(file, `${change(pristine.split('\n').filter(Boolean)).join('\n')}\n`);
    const result = await trail.verify();
    t.match(result, { intact: false, brokenAt, reason: /audit-000001\.jsonl line \d+/ }, what);
  }
  // A forger without the audit key can recompute nothing: an entry whose hash is made up fails.
  const forged = JSON.parse(pristine.split('\n')[1]!) as Record<string, unknown>;
  forged.keyName = 'someone-else';
  fs.writeFileSync(file, pristine.replace(pristine.split('\n')[1]!, JSON.stringify(forged)));
  t.match(await trail.verify(), { intact: false, brokenAt: 2, reason: /fails its check/ });
  fs.writeFileSync(file, pristine);
  t.same(await trail.verify(), { intact: true, entries: 6 }, 'and intact again once restored');
  await trail.close();
});

t.test('entries cut off the end are found: while open, and at the next open through the head', async (t) => {
  const { trail, file, dataDir, key } = await trailWith(t, 4);
  const kept = lines(file).slice(0, 2);
  fs.writeFileSync(file, `${kept.join('\n')}\n`);
  t.match(await trail.verify(), { intact: false, brokenAt: 3, reason: /cut off the end/ }, 'the running trail knows its last entry');
  fs.writeFileSync(file, `${lines(file).join('\n')}\n`);
  await trail.close(); // writes the head: entry 2 as last... so restore the four first
  const full = await trailWith(t, 4, key);
  await full.trail.close();
  fs.copyFileSync(full.file, file);
  fs.copyFileSync(path.join(full.dataDir, 'audit', 'head'), path.join(dataDir, 'audit', 'head'));
  fs.writeFileSync(file, `${lines(file).slice(0, 3).join('\n')}\n`);
  await t.rejects(AuditTrail.open(nodeFileSystem, dataDir, key, new RecordingLog()),
    { name: 'StoreIntegrityError', message: /ends at entry 3, but the trail had reached entry 4: entries were cut off/ });
});

t.test('a torn last line (a crash during an append) is dropped with a warning; an altered last entry stops the open', async (t) => {
  const { trail, file, dataDir, key } = await trailWith(t, 3);
  await trail.close();
  const intact = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, `${intact}{"seq":4,"at":"2026-11-30T12:0`);
  const log = new RecordingLog();
  const reopened = await AuditTrail.open(nodeFileSystem, dataDir, key, log);
  t.match(log.lines, [{ level: 'warn', meta: { event: 'audit.tornTail' } }]);
  t.equal(fs.readFileSync(file, 'utf8'), intact, 'the torn line is gone');
  t.same((await reopened.record(entry(4))).seq, 4, 'the chain goes on from entry 3');
  t.same(await reopened.verify(), { intact: true, entries: 4 });
  await reopened.close();
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"key-4"', '"key-Z"'));
  await t.rejects(AuditTrail.open(nodeFileSystem, dataDir, key, new RecordingLog()), { message: /its last entry fails its check: it was altered/ });
  await t.rejects(AuditTrail.open(nodeFileSystem, dataDir, SecretKey.generate(), new RecordingLog()), { message: /fails its check/ }, 'nor with another vault\'s key');
});

t.test('the chain runs on across files', async (t) => {
  const { trail, dataDir, key } = await trailWith(t, 0);
  const long = 'd'.repeat(100_000);
  for (let i = 1; i <= 100; i++) await trail.record({ ...entry(i), detail: { long } });
  const files = fs.readdirSync(path.join(dataDir, 'audit')).filter((f) => f.endsWith('.jsonl'));
  t.ok(files.length >= 2, `${files.length} files of at most 8 MiB`);
  t.same(await trail.verify(), { intact: true, entries: 100 });
  await trail.close();
  const reopened = await AuditTrail.open(nodeFileSystem, dataDir, key, new RecordingLog());
  t.equal((await reopened.record(entry(101))).seq, 101);
  t.same(await reopened.verify(), { intact: true, entries: 101 });
  fs.rmSync(path.join(dataDir, 'audit', files[0]!));
  t.match(await reopened.verify(), { intact: false, brokenAt: 1, reason: /entries are missing/ }, 'a whole file removed');
  await reopened.close();
});

t.test('list: by time, key name (any case) and event; limit keeps the most recent; no secret in an entry', async (t) => {
  const { trail } = await trailWith(t, 0);
  await trail.record(entry(1, 'Orders'));
  await trail.record({ event: 'apiKey.revealed', role: 'admin', connection: 2, keyName: 'orders', detail: {} });
  await trail.record(entry(3, 'Billing'));
  await trail.record({ event: 'apiKey.deleted', role: 'admin', connection: 4, keyName: 'ORDERS', detail: {} });
  t.same((await trail.list({ keyName: 'orders' })).items.map((e) => e.seq), [1, 2, 4]);
  t.same((await trail.list({ event: 'apiKey.created' })).items.map((e) => e.keyName), ['Orders', 'Billing']);
  t.same((await trail.list({ since: '2026-11-30T12:00:02Z', until: '2026-11-30T12:00:03Z' })).items.map((e) => e.seq), [2, 3]);
  t.same(await trail.list({ limit: 2 }).then((r) => [r.items.map((e) => e.seq), r.total]), [[3, 4], 4]);
  t.notOk('prev' in (await trail.list({})).items[0]! || 'hash' in (await trail.list({})).items[0]!, 'the chain\'s fields stay inside');
  const secret = `gwk_${'A'.repeat(49)}`;
  const written = await trail.record({ event: 'apiKey.created', role: 'admin', connection: 5, keyName: secret, detail: { note: `pasted ${secret}` } });
  t.notMatch(JSON.stringify(written), secret);
  t.match(written.keyName, /^gwk_AAAA…$/);
  await trail.close();
});

t.test('anchors: entries and the head carry the store\'s state, readers do not see it; verify checks the head and the entry the store names', async (t) => {
  const { trail, file, dataDir, key } = await trailWith(t, 1);
  const tag = Buffer.alloc(16, 7);
  trail.anchorStore({ generation: 2, records: 5, tag }, trail.lastEntry);
  await trail.record(entry(2));
  t.same(lines(file).map((l) => (JSON.parse(l) as { store?: unknown }).store), [undefined, [2, 5]], 'the state is in the line');
  t.notOk('store' in (await trail.list({})).items[1]!, 'and not in what readers see');
  await trail.writeHeadNow();
  const head = JSON.parse(fs.readFileSync(path.join(dataDir, 'audit', 'head'), 'utf8')) as { seq: number; store: unknown };
  t.same([head.seq, head.store], [2, { generation: 2, records: 5, tag: tag.toString('base64url') }]);
  fs.rmSync(path.join(dataDir, 'audit', 'head'));
  t.match(await trail.verify(), { intact: false, brokenAt: 3, reason: /audit\/head is missing/ }, 'a head once written must stay');
  await trail.writeHeadNow();
  t.same(await trail.verify(), { intact: true, entries: 2 });
  trail.anchorStore({ generation: 2, records: 5, tag }, { seq: 2, hash: Buffer.alloc(32, 1) });
  t.match(await trail.verify(), { intact: false, brokenAt: 2, reason: /not the one the key store names/ });
  await trail.close();
  const reopened = await AuditTrail.open(nodeFileSystem, dataDir, key, new RecordingLog());
  t.match(reopened.found, { last: { seq: 2, store: { generation: 2, records: 5 } }, head: { seq: 2, store: { generation: 2, records: 5 } } });
  fs.writeFileSync(path.join(dataDir, 'audit', 'head'), JSON.stringify({ ...head, store: { generation: 9, records: 0, tag: tag.toString('base64url') } }));
  await t.rejects(AuditTrail.open(nodeFileSystem, dataDir, key, new RecordingLog()), { message: /audit\/head: fails its check/ }, 'the MAC covers the store\'s state');
  await reopened.close();
});
