import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { FORMAT_VERSION } from '../src/vault/storage/file-format.js';
import { ManualClock } from './helpers/clock.js';
import { startDaemon } from './helpers/daemon.js';
import { FaultyFileSystem } from './helpers/faulty-fs.js';
import { copyOfFixture, crashImage, decryptedStore, openTestVault, rotate, visibleState } from './helpers/vault.js';

/**
 * Vaults written by earlier versions. A vault written by a daemon of storage format 2 (test/fixtures/vault-v2, made by the commit before
 * format 3) opens with every key, its journal replayed, and is rewritten in format 5 (anchored) at that start
 * (docs/storage.md, "Formats"). One of format 3 written before keys kept why they were disabled
 * (test/fixtures/vault-v3-early) opens with rows that end at their uses.
 */
const FIXTURE = path.join(import.meta.dirname, 'fixtures/vault-v2');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  clockAtEnd: string;
  keys: Record<string, unknown>[];
  deletedKey: string;
};


const versionOf = (file: string) => fs.readFileSync(file)[4];

t.test('the fixture is of format 2, with records in its journal', async (t) => {
  t.equal(versionOf(path.join(FIXTURE, 'keys.snapshot')), 2);
  t.equal(versionOf(path.join(FIXTURE, 'keys.journal')), 2);
  t.ok(fs.statSync(path.join(FIXTURE, 'keys.journal')).size > 300, 'the journal holds changes to replay');
  t.equal(FORMAT_VERSION, 5);
});

t.test('a format 2 vault opens with every key as it was, enabled and never rotated, and is rewritten as format 5 (anchored)', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v2');
  const clock = new ManualClock(expected.clockAtEnd);
  const { vault, log } = await openTestVault(t, { dataDir, clock });
  t.match(log.lines.find((line) => line.meta?.event === 'store.anchorAdopted'), { level: 'warn', meta: { generation: Number, records: Number } }, 'adopted: anchored from now on');
  const lifecycle = { enabled: true, rotatedAt: null, previousValidUntil: null, disabledAt: null, disabledReason: null };
  t.same(visibleState(vault), expected.keys.map((key) => ({ ...key, ...lifecycle })));
  for (const key of expected.keys) t.match(vault.authenticate(key.key as string, false), { authenticated: true, name: key.name });
  t.same(vault.authenticate(expected.deletedKey, false), { authenticated: false, reason: 'Unknown' }, 'the delete in the journal holds');
  t.same(vault.usage({ name: 'Orders connector' }), { name: 'Orders connector', connectors: [], unattributedCount: 0 }, 'no usage per connector before format 3');
  t.equal(versionOf(path.join(dataDir, 'keys.snapshot')), 5, 'the start compacted into format 5');
  t.equal(versionOf(path.join(dataDir, 'keys.journal')), 5);
  t.notOk(decryptedStore(dataDir).includes(expected.deletedKey), 'and wrote the deleted key off the disk');

  // Format 4 from then on: the new fields are kept.
  vault.authenticate(expected.keys[0]!.key as string, true, 'after-upgrade');
  await vault.setEnabled({ name: 'Journal key' }, false);
  const rotated = await rotate(vault, { name: 'Orders connector', graceHours: 2 });
  const before = visibleState(vault);
  await vault.close();
  const reopened = await openTestVault(t, { dataDir, clock });
  t.same(visibleState(reopened.vault), before);
  t.match(reopened.vault.get({ name: 'Journal key' }), { enabled: false, status: 'Disabled' });
  t.equal((await reopened.vault.reveal({ name: 'Orders connector' })).key, rotated.key);
  t.same(reopened.vault.usage({ name: expected.keys[0]!.name as string }).connectors.map((c) => c.connectorId), ['after-upgrade']);
});

t.test('a format 2 vault whose rewrite at start fails still serves every key; the next change rewrites it first', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v2');
  const fileSystem = new FaultyFileSystem();
  fileSystem.fail('rename', 'EIO', 1, /keys\.snapshot$/); // the new snapshot cannot take its place
  const clock = new ManualClock(expected.clockAtEnd);
  const { vault, log } = await openTestVault(t, { dataDir, clock, fileSystem });
  t.ok(log.lines.some((line) => line.level === 'error' && line.meta?.event === 'store.compactFailed'), 'the failed rewrite is logged');
  t.equal(vault.size, expected.keys.length);
  t.equal(versionOf(path.join(dataDir, 'keys.journal')), 2, 'still format 2');
  await vault.setEnabled({ name: 'Journal key' }, false);
  t.equal(versionOf(path.join(dataDir, 'keys.snapshot')), 5, 'no record of format 5 went into a format 2 journal');
  t.equal(versionOf(path.join(dataDir, 'keys.journal')), 5);
  const state = visibleState(vault);
  const image = crashImage(t, dataDir);
  const reopened = await openTestVault(t, { dataDir: image, clock });
  t.same(visibleState(reopened.vault), state);
});

t.test('the real daemon starts on a format 2 data dir and serves its keys', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v2');
  const daemon = await startDaemon(t, { dataDir, now: expected.clockAtEnd });
  const admin = await daemon.client('admin');
  t.same((await admin.request('apiKey.list', {})).items.map((k) => k.name), expected.keys.map((k) => k.name));
  const gateway = await daemon.client('gateway');
  t.match(await gateway.request('connector.authenticate', { key: expected.keys[2]!.key as string, connectorId: 'nac' }), { authenticated: true });
  t.equal(await daemon.stop(), 0);
  t.equal(versionOf(path.join(dataDir, 'keys.snapshot')), 5);
});

t.test('a format 3 vault written before keys kept why they were disabled: its disabled key has neither, and keeps them from then on', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v3-early');
  const clock = new ManualClock('2026-11-27T13:00:00Z');
  const { vault } = await openTestVault(t, { dataDir, clock });
  t.match(vault.get({ name: 'Billing' }), { enabled: false, status: 'Disabled', disabledAt: null, disabledReason: null });
  t.match(vault.get({ name: 'Orders' }), { enabled: true, disabledAt: null, disabledReason: null });
  t.match((await vault.audit.list({ keyName: 'Billing', event: 'apiKey.disabled' })).items, [{ detail: { reason: 'suspected misuse' } }], 'the reason is in its audit entry');
  await vault.setEnabled({ name: 'Billing' }, true);
  await vault.setEnabled({ name: 'Billing', reason: 'suspected misuse, again' }, false);
  await vault.close();
  const reopened = await openTestVault(t, { dataDir, clock });
  t.match(reopened.vault.get({ name: 'Billing' }), { disabledAt: '2026-11-27T13:00:00.000Z', disabledReason: 'suspected misuse, again' });
});

/**
 * A vault of format 4 (test/fixtures/vault-v4, made by its make-fixture.mjs with the commit before
 * format 5): a snapshot of JSON rows and a journal to replay. It opens with every key as it was, its
 * uses, a previous value in its grace and non-ASCII text included, and is rewritten as format 5,
 * whose binary snapshot gives the same keys back (docs/storage.md, "Versions").
 */
t.test('a format 4 vault opens with every key as it was and is rewritten as format 5, which reads back the same', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v4');
  const v4 = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/vault-v4/expected.json'), 'utf8')) as {
    clock: string; keys: (Record<string, unknown> & { key: string; previousKey: string | null })[]; usage: unknown;
  };
  t.equal(versionOf(path.join(dataDir, 'keys.snapshot')), 4);
  t.ok(fs.statSync(path.join(dataDir, 'keys.journal')).size > 400, 'the journal holds changes to replay');
  const clock = new ManualClock(v4.clock);
  const state = (vault: Parameters<typeof visibleState>[0]) => {
    const previous = new Map(vault.rows().map((row) => [row[1], row[10]]));
    return visibleState(vault).map((key) => ({ ...key, previousKey: previous.get(key.name) }));
  };
  const { vault } = await openTestVault(t, { dataDir, clock });
  t.same(state(vault), v4.keys, 'every key as format 4 held it, the journal replayed');
  t.same(vault.usage({ name: 'orders-edited' }), v4.usage, 'uses per connector');
  const rotated = v4.keys.find((key) => key.name === 'Rotated')!;
  t.match(vault.authenticate(rotated.previousKey!, false), { authenticated: true, previousValue: true }, 'the previous value in its grace');
  t.equal(versionOf(path.join(dataDir, 'keys.snapshot')), 5, 'the start compacted into format 5');
  t.equal(versionOf(path.join(dataDir, 'keys.journal')), 5);
  await vault.close();
  const reopened = await openTestVault(t, { dataDir, clock });
  t.same(state(reopened.vault), v4.keys, 'the binary snapshot reads back the same keys');
  t.same(reopened.vault.usage({ name: 'orders-edited' }), v4.usage);
});
