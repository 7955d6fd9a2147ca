import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseParams } from '../src/daemon/params.js';
import { randomBytes } from '../src/shared/random.js';
import { ApiError } from '../src/shared/api-error.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import {
  crashImage, create, decryptedStore, freshDataDir, openTestVault, remove, rotate, TODAY, update, visibleState,
} from './helpers/vault.js';
import { ManualClock } from './helpers/clock.js';
import { FaultyFileSystem } from './helpers/faulty-fs.js';

/**
 * The key lifecycle beyond the product page (docs/protocol.md, "Methods"), on the vault with a
 * clock moved by hand: rotation with a grace, disable and enable, uses per connector, and what of
 * each reaches the disk (docs/storage.md).
 */

async function rejection(promise: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a ApiError');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds, for at most `ms` (compactions run on timers, and a loaded machine is slow). */
async function eventually(done: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(20)) if (done()) return true;
  return done();
}

t.test('rotate: the new value works at once, the previous one until previousValidUntil, then never', async (t) => {
  const { vault, clock } = await openTestVault(t);
  const created = await create(vault, { name: 'orders', description: 'Orders in NAC', validFor: 'P90D' });
  clock.advance({ minutes: 5 });
  vault.authenticate(created.key, true, 'nac-orders');
  clock.advance({ minutes: 5 });
  const rotated = await rotate(vault, { name: 'ORDERS', graceHours: 2 });
  t.not(rotated.key, created.key);
  t.match(rotated, {
    name: 'orders', description: 'Orders in NAC', expiresOn: '2027-02-25', status: 'Active', enabled: true, hint: rotated.key.slice(0, 8),
    rotatedAt: '2026-11-27T12:10:00.000Z', updatedAt: '2026-11-27T12:10:00.000Z', previousValidUntil: '2026-11-27T14:10:00.000Z',
    lastUsedAt: '2026-11-27T12:05:00.000Z', createdAt: created.createdAt,
  }, 'expiry, name, description and last use are kept');
  t.same(vault.authenticate(rotated.key, true, 'nac-orders'), { authenticated: true, name: 'orders', expiresOn: '2027-02-25', status: 'Active' });
  t.same(vault.authenticate(created.key, true, 'nac-legacy'),
    { authenticated: true, name: 'orders', expiresOn: '2027-02-25', status: 'Active', previousValue: true }, 'the previous value says so');
  t.same(vault.authenticate(created.key, false), { authenticated: true, name: 'orders', expiresOn: '2027-02-25', status: 'Active', previousValue: true });
  t.equal(vault.get({ name: 'orders' }).previousValidUntil, '2026-11-27T14:10:00.000Z');
  t.equal((await vault.reveal({ name: 'orders' })).key, rotated.key, 'the View screen shows the new value');
  t.same(vault.usage({ name: 'orders' }).connectors.map((c) => [c.connectorId, c.count]), [['nac-legacy', 1], ['nac-orders', 2]], 'uses with either value count, and the usage stays');

  clock.set('2026-11-27T14:09:59.999Z');
  t.match(vault.authenticate(created.key, false), { authenticated: true, previousValue: true }, 'a millisecond before the end');
  clock.set('2026-11-27T14:10:00.000Z');
  t.same(vault.authenticate(created.key, true), { authenticated: false, reason: 'Unknown' }, 'from that instant on, an unknown value');
  t.match(vault.authenticate(rotated.key, true), { authenticated: true });
  t.match(vault.get({ name: 'orders' }), { previousValidUntil: null, rotatedAt: '2026-11-27T12:10:00.000Z' }, 'previousValidUntil is null once passed');
});

t.test('a second rotation ends the first one\'s grace at once; one previous value at most', async (t) => {
  const { vault, clock } = await openTestVault(t);
  const first = await create(vault, { name: 'twice' });
  const second = await rotate(vault, { name: 'twice', graceHours: 24 });
  clock.advance({ minutes: 1 });
  const third = await rotate(vault, { name: 'twice', graceHours: 24 });
  t.same(vault.authenticate(first.key, false), { authenticated: false, reason: 'Unknown' }, 'the first value ended with the second rotation');
  t.match(vault.authenticate(second.key, false), { authenticated: true, previousValue: true }, 'the second is now the previous value');
  t.match(vault.authenticate(third.key, false), { authenticated: true });
  t.notOk('previousValue' in vault.authenticate(third.key, false));
  t.equal(third.previousValidUntil, '2026-11-28T12:01:00.000Z', 'its grace counts from the second rotation');
});

t.test('graceHours 0 ends the previous value at once; the default grace is 24 hours', async (t) => {
  const { vault } = await openTestVault(t);
  const abrupt = await create(vault, { name: 'abrupt' });
  const rotated = await rotate(vault, { name: 'abrupt', graceHours: 0 });
  t.same(vault.authenticate(abrupt.key, false), { authenticated: false, reason: 'Unknown' });
  t.equal(rotated.previousValidUntil, rotated.rotatedAt, 'the answer says the previous value stopped at the rotation');
  t.equal(vault.get({ name: 'abrupt' }).previousValidUntil, null);
  await create(vault, { name: 'default' });
  t.equal((await rotate(vault, { name: 'default' })).previousValidUntil, '2026-11-28T12:00:00.000Z');
});

t.test('graceHours outside 0-168 or not whole is GraceInvalid, before anything changes', async (t) => {
  const { vault } = await openTestVault(t);
  const { key } = await create(vault, { name: 'graceful' });
  for (const graceHours of [-1, 169, 1.5, '24', null]) {
    t.match(await rejection(rotate(vault, { name: 'graceful', graceHours })), { code: 'GraceInvalid', field: 'graceHours' }, String(graceHours));
  }
  t.match(await rejection(rotate(vault, { name: 'graceful', graceHours: 169 })), { message: 'graceHours can be at most 168 (one week).' });
  t.match(await rejection(rotate(vault, { name: 'nobody', graceHours: 1 })), { code: 'KeyNotFound' });
  t.equal((await vault.reveal({ name: 'graceful' })).key, key, 'nothing changed');
  t.equal((await rotate(vault, { name: 'graceful', graceHours: 168 })).previousValidUntil, '2026-12-04T12:00:00.000Z', '168 is allowed');
  t.same(parseParams('apiKey.rotate', { name: 'graceful' }), { name: 'graceful', graceHours: 24 }, 'the schema fills in the default');
});

t.test('disable: authentication fails with Disabled from the moment it returns, for both values; enable undoes it', async (t) => {
  const { vault, clock, dataDir } = await openTestVault(t);
  const made = await create(vault, { name: 'switch', validFor: 'P30D' });
  const rotated = await rotate(vault, { name: 'switch', graceHours: 1 });
  clock.advance({ minutes: 1 });
  const info = await vault.setEnabled({ name: 'SWITCH' }, false);
  t.match(info, { status: 'Disabled', color: 'Gray', enabled: false, daysLeft: 30, expiresOn: '2026-12-27', updatedAt: '2026-11-27T12:01:00.000Z' });
  t.same(vault.authenticate(rotated.key, true), { authenticated: false, reason: 'Disabled' });
  t.same(vault.authenticate(made.key, true), { authenticated: false, reason: 'Disabled' }, 'the previous value too');
  t.equal(vault.get({ name: 'switch' }).lastUsedAt, null, 'a refused use records nothing');
  t.equal((await vault.reveal({ name: 'switch' })).key, rotated.key, 'the value is kept');
  t.same(vault.counts(), { total: 1, Active: 0, Expiring: 0, ExpiresSoon: 0, Expired: 0, Disabled: 1 });
  t.same(vault.list(parseParams('apiKey.list', { status: ['Disabled'] })).items.map((k) => k.name), ['switch']);
  t.match(await rejection(rotate(vault, { name: 'switch' })), { code: 'KeyDisabled', field: 'name', message: /'switch' is disabled: enable it/ });

  const journal = fs.statSync(path.join(dataDir, 'keys.journal')).size;
  const entries = (await vault.audit.list({})).total;
  t.same(await vault.setEnabled({ name: 'switch' }, false), info, 'disabling a disabled key changes nothing');
  t.equal(fs.statSync(path.join(dataDir, 'keys.journal')).size, journal, 'and writes nothing');
  t.equal((await vault.audit.list({})).total, entries, 'nor records anything');

  t.match(await vault.setEnabled({ name: 'switch' }, true), { status: 'Active', enabled: true });
  t.match(vault.authenticate(rotated.key, false), { authenticated: true });
  t.match(vault.authenticate(made.key, false), { authenticated: true, previousValue: true }, 'a previous value still in its grace works again');
});

t.test('a disabled key keeps when and why it was disabled, through a crash and a compaction, until it is enabled', async (t) => {
  const dataDir = freshDataDir(t);
  const { vault, clock } = await openTestVault(t, { dataDir });
  await create(vault, { name: 'paused' });
  await create(vault, { name: 'quiet' });
  clock.advance({ minutes: 5 });
  const pasted = encodeKeyValue(randomBytes(32));
  const paused = await vault.setEnabled({ name: 'paused', reason: `suspected misuse: seen as ${pasted}` }, false);
  const why = { enabled: false, disabledAt: '2026-11-27T12:05:00.000Z', disabledReason: `suspected misuse: seen as ${pasted.slice(0, 8)}…` };
  t.match(paused, why, 'a key value pasted into the reason is cut to its hint');
  t.match(await vault.setEnabled({ name: 'quiet' }, false), { disabledAt: '2026-11-27T12:05:00.000Z', disabledReason: null }, 'no reason given');
  t.match(vault.get({ name: 'PAUSED' }), why);
  t.same((await vault.audit.list({ keyName: 'paused', event: 'apiKey.disabled' })).items.map((e) => e.detail), [{ reason: why.disabledReason }], 'the audit entry says the same');
  t.notOk(decryptedStore(dataDir).includes(pasted), 'nor does the store keep the value');

  const crashed = await openTestVault(t, { dataDir: crashImage(t, dataDir), clock });
  t.match(crashed.vault.get({ name: 'paused' }), why, 'replayed from the journal');
  await crashed.vault.close(); // compacts: the keys are snapshot rows now
  const compacted = await openTestVault(t, { dataDir: crashed.dataDir, clock });
  t.match(compacted.vault.get({ name: 'paused' }), why, 'read from the snapshot');
  t.match(await compacted.vault.update(parseParams('apiKey.update', { name: 'paused', description: 'on hold' })), why, 'an edit keeps them');

  clock.advance({ minutes: 1 });
  t.match(await vault.setEnabled({ name: 'paused' }, true), { enabled: true, disabledAt: null, disabledReason: null }, 'enabled: gone');
  clock.advance({ minutes: 1 });
  t.match(await vault.setEnabled({ name: 'paused' }, false), { disabledAt: '2026-11-27T12:07:00.000Z', disabledReason: null }, 'a new disable says its own');
});

t.test('a disabled key that has also expired is Disabled, and answers Disabled', async (t) => {
  const { vault, clock } = await openTestVault(t);
  const { key } = await create(vault, { name: 'old-and-off', validFor: 'P1D' });
  await vault.setEnabled({ name: 'old-and-off' }, false);
  clock.advance({ days: 5 });
  t.match(vault.get({ name: 'old-and-off' }), { status: 'Disabled', daysLeft: -4 });
  t.same(vault.authenticate(key, true), { authenticated: false, reason: 'Disabled' });
  await vault.setEnabled({ name: 'old-and-off' }, true);
  t.same(vault.authenticate(key, true), { authenticated: false, reason: 'Expired' }, 'enabled, it is simply expired');
});

t.test('usage per connector: counts, first and last use; verify records none; kept across a rename, a rotation and a restart', async (t) => {
  const dataDir = freshDataDir(t);
  const first = await openTestVault(t, { dataDir });
  const { vault, clock } = first;
  const { key } = await create(vault, { name: 'busy' });
  t.same(vault.usage({ name: 'busy' }), { name: 'busy', connectors: [], unattributedCount: 0 }, 'never used');
  vault.authenticate(key, true, 'orders');
  clock.advance({ minutes: 1 });
  vault.authenticate(key, true, 'billing');
  clock.advance({ minutes: 1 });
  vault.authenticate(key, true, 'orders');
  vault.authenticate(key, true);
  vault.authenticate(key, false, 'verify-only');
  await update(vault, { name: 'busy', newName: 'Busy key' });
  const rotated = await rotate(vault, { name: 'busy key' });
  vault.authenticate(key, true, 'orders'); // the previous value, in its grace
  const expected = {
    name: 'Busy key',
    connectors: [
      { connectorId: 'orders', firstUsedAt: '2026-11-27T12:00:00.000Z', lastUsedAt: '2026-11-27T12:02:00.000Z', count: 3 },
      { connectorId: 'billing', firstUsedAt: '2026-11-27T12:01:00.000Z', lastUsedAt: '2026-11-27T12:01:00.000Z', count: 1 },
    ],
    unattributedCount: 1,
  };
  t.same(vault.usage({ name: 'busy key' }), expected);
  await vault.close();
  const second = await openTestVault(t, { dataDir, clock });
  t.same(second.vault.usage({ name: 'Busy key' }), expected, 'a clean restart keeps it');
  t.match(second.vault.authenticate(key, false), { previousValue: true }, 'and the previous value in its grace');
  t.match(second.vault.authenticate(rotated.key, false), { authenticated: true });
});

t.test('uses are persisted coalesced: what was flushed survives a crash, what was not is all a crash can lose', async (t) => {
  const { vault, dataDir } = await openTestVault(t, { lastUsedFlushMs: 50 });
  const { key } = await create(vault, { name: 'crashy' });
  for (let i = 0; i < 10; i++) vault.authenticate(key, true, 'orders');
  vault.authenticate(key, true);
  t.ok(await eventually(() => decryptedStore(dataDir).includes('"orders",')), 'the flush wrote them');
  for (let i = 0; i < 5; i++) vault.authenticate(key, true, 'orders'); // not flushed yet when the image is taken
  const image = crashImage(t, dataDir);
  const after = await openTestVault(t, { dataDir: image });
  t.same(after.vault.usage({ name: 'crashy' }).connectors.map((c) => c.count), [10]);
  t.equal(after.vault.usage({ name: 'crashy' }).unattributedCount, 1);
});

t.test('a flush of very many keys is written as several bounded records', async (t) => {
  const { vault, dataDir, clock } = await openTestVault(t, { lastUsedFlushMs: 3_600_000 });
  const keys: string[] = [];
  for (let i = 0; i < 1001; i++) keys.push((await create(vault, { name: `many-${i}` })).key);
  for (const key of keys) vault.authenticate(key, true, 'everyone');
  await vault.close();
  const reopened = await openTestVault(t, { dataDir, clock });
  t.same(reopened.vault.usage({ name: 'many-1000' }).connectors.map((c) => c.count), [1]);
  t.same(reopened.vault.usage({ name: 'many-0' }).connectors.map((c) => c.count), [1]);
});

t.test('the previous value\'s ciphertext leaves the disk at the compaction after its grace', async (t) => {
  const dataDir = freshDataDir(t);
  const { vault, clock } = await openTestVault(t, { dataDir, compactAfterDeleteMs: 10 });
  const { key } = await create(vault, { name: 'rotating' });
  await create(vault, { name: 'bystander' });
  await rotate(vault, { name: 'rotating', graceHours: 1 });
  t.ok(decryptedStore(dataDir).includes(key), 'during the grace the store holds it');
  clock.set(`${TODAY}T12:59:59.900Z`);
  await remove(vault, 'bystander'); // a compaction 10 ms later, before the grace ends
  t.ok(await eventually(() => !decryptedStore(dataDir).includes('bystander')), 'that compaction ran');
  t.ok(decryptedStore(dataDir).includes(key), 'and kept the value in its grace');
  clock.set(`${TODAY}T13:00:00.000Z`);
  // That compaction asked for the next one at the grace's end (plus a second's margin).
  t.ok(await eventually(() => !decryptedStore(dataDir).includes(key)), 'the compaction after the end wrote it off the disk');
  t.same(vault.authenticate(key, false), { authenticated: false, reason: 'Unknown' });
  await vault.close(); // that compaction may still be writing: done before the test's directory is removed
});

t.test('a grace that ends while a compaction writes is written off by the next one', async (t) => {
  const dataDir = freshDataDir(t);
  const fileSystem = new FaultyFileSystem();
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const { vault } = await openTestVault(t, { dataDir, clock, fileSystem, compactAfterDeleteMs: 10 });
  const { key } = await create(vault, { name: 'rotating' });
  await create(vault, { name: 'bystander' });
  await rotate(vault, { name: 'rotating', graceHours: 1 });
  clock.set(`${TODAY}T12:59:59.900Z`);
  // The compaction the delete asks for drops what has ended when it starts; the grace ends as it renames its snapshot.
  const rename = fileSystem.rename;
  fileSystem.rename = async (from, to) => {
    await rename(from, to);
    if (to.endsWith('keys.snapshot')) clock.set(`${TODAY}T13:00:00.000Z`);
  };
  await remove(vault, 'bystander');
  t.ok(await eventually(() => !decryptedStore(dataDir).includes('bystander')), 'that compaction ran');
  t.ok(await eventually(() => !decryptedStore(dataDir).includes(key)), 'the next compaction wrote it off the disk');
  await vault.close();
});

t.test('a value a rotation ends at once leaves the disk like a deleted key\'s; a grace that ended while stopped, at the start', async (t) => {
  const dataDir = freshDataDir(t);
  const { vault, clock } = await openTestVault(t, { dataDir, compactAfterDeleteMs: 10 });
  const { key } = await create(vault, { name: 'abrupt' });
  const second = await rotate(vault, { name: 'abrupt', graceHours: 5 });
  const third = await rotate(vault, { name: 'abrupt', graceHours: 0 });
  t.ok(await eventually(() => {
    const store = decryptedStore(dataDir);
    return !store.includes(key) && !store.includes(second.key);
  }), 'both ended values left the disk');
  t.ok(decryptedStore(dataDir).includes(third.key));

  const { key: lingering } = await create(vault, { name: 'lingering' });
  await rotate(vault, { name: 'lingering', graceHours: 1 });
  await vault.close();
  t.ok(decryptedStore(dataDir).includes(lingering), 'a shutdown during the grace keeps it');
  clock.advance({ hours: 2 });
  await openTestVault(t, { dataDir, clock });
  t.notOk(decryptedStore(dataDir).includes(lingering), 'the start after the grace writes it off');
});

t.test('the state of every key, lifecycle included, survives close and reopen', async (t) => {
  const dataDir = freshDataDir(t);
  const first = await openTestVault(t, { dataDir });
  await create(first.vault, { name: 'plain' });
  await create(first.vault, { name: 'off' });
  await first.vault.setEnabled({ name: 'off' }, false);
  const { key } = await create(first.vault, { name: 'rotated' });
  await rotate(first.vault, { name: 'rotated', graceHours: 3 });
  const before = visibleState(first.vault);
  await first.vault.close();
  const second = await openTestVault(t, { dataDir, clock: first.clock });
  t.same(visibleState(second.vault), before);
  t.match(second.vault.authenticate(key, false), { authenticated: true, previousValue: true });
  t.match(second.vault.get({ name: 'off' }), { enabled: false, status: 'Disabled' });
});
