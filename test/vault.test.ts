import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ApiError } from '../src/shared/api-error.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { randomBytes } from '../src/shared/random.js';
import { parseParams } from '../src/daemon/params.js';
import { claimDataDir, DataDirLockedError } from '../src/vault/storage/data-dir.js';
import { Vault } from '../src/vault/vault.js';
import { create, filesUnder, freshDataDir, holdsInClear, openTestVault, remove, update, visibleState } from './helpers/vault.js';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a ApiError');
}

t.test('create answers the info and the value once; get, list and reveal agree', async (t) => {
  const { vault } = await openTestVault(t);
  const created = await create(vault, { name: 'orders-connector', description: 'Orders in NAC' });
  t.match(created, {
    name: 'orders-connector', description: 'Orders in NAC', expiresOn: '2027-11-27', status: 'Active', color: 'Green',
    daysLeft: 365, lastUsedAt: null, createdAt: '2026-11-27T12:00:00.000Z', updatedAt: '2026-11-27T12:00:00.000Z',
  });
  t.match(created.key, /^gwk_[0-9A-Za-z]{49}$/);
  t.equal(created.hint, created.key.slice(0, 8));
  const { key, ...info } = created;
  t.same(vault.get({ name: 'ORDERS-CONNECTOR' }), info, 'get is case-insensitive');
  t.same(vault.list(parseParams('apiKey.list', {})), { items: [info], total: 1 });
  t.same(await vault.reveal({ name: 'orders-connector' }), { name: 'orders-connector', description: 'Orders in NAC', expiresOn: '2027-11-27', key });
  t.equal((await create(vault, { name: 'second' })).description, '', 'description defaults to empty');
});

t.test('names are unique case-insensitively and after NFC; a clash changes nothing', async (t) => {
  const { vault } = await openTestVault(t);
  await create(vault, { name: 'Prod-Key' });
  const before = visibleState(vault);
  t.match(await rejection(create(vault, { name: 'prod-key' })), { code: 'NameTaken', field: 'name', message: /'Prod-Key' already exists/ });
  t.match(await rejection(create(vault, { name: 'PROD-KEY', description: 'x' })), { code: 'NameTaken' });
  await create(vault, { name: 'Café' });
  t.match(await rejection(create(vault, { name: 'Cafe\u0301' })), { code: 'NameTaken' }, 'NFC-equal');
  t.match(await rejection(create(vault, { name: 'CAFÉ' })), { code: 'NameTaken' }, 'NFC-equal and case-different');
  await create(vault, { name: 'Straße' });
  t.match(await rejection(create(vault, { name: 'STRASSE' })), { code: 'NameTaken' }, 'ß folds to ss');
  t.equal(vault.size, 3);
  t.same(visibleState(vault).filter((k) => k.name === 'Prod-Key'), before);
});

t.test('expiry rules apply at create and update, and a failure changes nothing', async (t) => {
  const { vault } = await openTestVault(t);
  t.match(await rejection(create(vault, { name: 'k1', expiresOn: '2026-11-26' })), { code: 'NameTooShort' }, 'schema first');
  t.match(await rejection(create(vault, { name: 'key1', expiresOn: '2026-11-26' })), { code: 'ExpiryInPast', field: 'expiresOn' });
  t.match(await rejection(create(vault, { name: 'key1', expiresOn: '2031-11-28' })), { code: 'ExpiryTooFar' });
  t.match(await rejection(create(vault, { name: 'key1', validFor: 'P6Y' })), { code: 'ExpiryTooFar', field: 'validFor' });
  t.equal(vault.size, 0);
  t.equal((await create(vault, { name: 'key1', expiresOn: '2026-11-27' })).status, 'ExpiresSoon', 'today is allowed');
  t.equal((await create(vault, { name: 'key2', expiresOn: '2031-11-27' })).daysLeft, 1826);
  t.equal((await create(vault, { name: 'key3', validFor: 'P30D' })).expiresOn, '2026-12-27');
  const before = vault.get({ name: 'key3' });
  t.match(await rejection(update(vault, { name: 'key3', expiresOn: '2020-01-01' })), { code: 'ExpiryInPast' });
  t.same(vault.get({ name: 'key3' }), before);
});

t.test('editing the expiry of an expired key re-activates it immediately', async (t) => {
  const { vault, clock } = await openTestVault(t);
  const { key } = await create(vault, { name: 'short-lived', validFor: 'P7D' });
  t.same(vault.authenticate(key, true), { authenticated: true, name: 'short-lived', expiresOn: '2026-12-04', status: 'Expiring' });
  clock.advance({ days: 7 });
  t.match(vault.authenticate(key, true), { authenticated: true, status: 'ExpiresSoon' }, 'valid through the end of its last day');
  clock.advance({ days: 1 });
  t.same(vault.authenticate(key, true), { authenticated: false, reason: 'Expired' });
  t.match(vault.get({ name: 'short-lived' }), { status: 'Expired', color: 'Red', daysLeft: -1 });
  const edited = await update(vault, { name: 'short-lived', validFor: 'P90D' });
  t.match(edited, { status: 'Active', expiresOn: '2027-03-05', updatedAt: '2026-12-05T12:00:00.000Z' });
  t.match(vault.authenticate(key, true), { authenticated: true, status: 'Active' }, 'the same value works again');
});

t.test('update renames, describes, and checks the new name', async (t) => {
  const { vault } = await openTestVault(t);
  const { key } = await create(vault, { name: 'alpha', description: 'first' });
  await create(vault, { name: 'beta' });
  t.match(await rejection(update(vault, { name: 'alpha', newName: 'BETA' })), { code: 'NameTaken', field: 'newName' });
  t.match(await rejection(update(vault, { name: 'nobody', description: 'x' })), { code: 'KeyNotFound', field: 'name' });
  t.match(await update(vault, { name: 'alpha', newName: 'ALPHA' }), { name: 'ALPHA' }, 'a change of case only is the same key');
  const renamed = await update(vault, { name: 'alpha', newName: 'gamma', description: '' });
  t.match(renamed, { name: 'gamma', description: '' });
  t.match(await rejection(Promise.resolve().then(() => vault.get({ name: 'alpha' }))), { code: 'KeyNotFound' });
  t.equal((await vault.reveal({ name: 'gamma' })).key, key, 'a rename keeps the value');
  t.match(vault.authenticate(key, false), { authenticated: true, name: 'gamma' });
  await create(vault, { name: 'alpha' });
  t.pass('the old name is free again');
});

t.test('an update that changes nothing writes nothing', async (t) => {
  const { vault, dataDir } = await openTestVault(t);
  await create(vault, { name: 'steady', description: 'same' });
  const journal = path.join(dataDir, 'keys.journal');
  const size = fs.statSync(journal).size;
  const info = await update(vault, { name: 'steady', description: 'same', expiresOn: '2027-11-27' });
  t.equal(info.updatedAt, info.createdAt);
  t.equal(fs.statSync(journal).size, size);
});

t.test('delete: authentication fails from the moment it returns; nothing can show the key again', async (t) => {
  const { vault } = await openTestVault(t);
  const { key } = await create(vault, { name: 'doomed' });
  t.match(vault.authenticate(key, true), { authenticated: true });
  t.same(await remove(vault, 'DOOMED'), { deleted: true });
  t.same(vault.authenticate(key, true), { authenticated: false, reason: 'Unknown' });
  t.same(vault.authenticate(key, false), { authenticated: false, reason: 'Unknown' });
  t.match(await rejection(Promise.resolve().then(() => vault.reveal({ name: 'doomed' }))), { code: 'KeyNotFound' });
  t.match(await rejection(remove(vault, 'doomed')), { code: 'KeyNotFound' });
  t.same(vault.list(parseParams('apiKey.list', {})), { items: [], total: 0 });
});

t.test('authenticate: Malformed without lookup, Unknown, success records use; verify records nothing', async (t) => {
  const { vault, clock } = await openTestVault(t);
  const { key } = await create(vault, { name: 'gateway-client' });
  t.same(vault.authenticate('hello', true), { authenticated: false, reason: 'Malformed' });
  t.same(vault.authenticate(key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'), true), { authenticated: false, reason: 'Malformed' }, 'checksum');
  t.same(vault.authenticate(encodeKeyValue(randomBytes(32)), true), { authenticated: false, reason: 'Unknown' });
  t.same(vault.authenticate(key, false), { authenticated: true, name: 'gateway-client', expiresOn: '2027-11-27', status: 'Active' });
  t.equal(vault.get({ name: 'gateway-client' }).lastUsedAt, null, 'verify records no use');
  clock.advance({ minutes: 5 });
  vault.authenticate(key, true);
  t.equal(vault.get({ name: 'gateway-client' }).lastUsedAt, '2026-11-27T12:05:00.000Z');
});

t.test('state survives close and reopen, last-used times included', async (t) => {
  const dataDir = freshDataDir(t);
  const first = await openTestVault(t, { dataDir });
  const a = await create(first.vault, { name: 'one', description: 'd1', validFor: 'P30D' });
  await create(first.vault, { name: 'two' });
  await update(first.vault, { name: 'two', newName: 'Two-renamed', description: 'd2' });
  await create(first.vault, { name: 'three' });
  await remove(first.vault, 'three');
  first.clock.advance({ hours: 1 });
  first.vault.authenticate(a.key, true);
  const before = visibleState(first.vault);
  await first.vault.close();
  const second = await openTestVault(t, { dataDir, clock: first.clock });
  t.same(visibleState(second.vault), before);
  t.equal(second.vault.get({ name: 'one' }).lastUsedAt, '2026-11-27T13:00:00.000Z');
});

t.test('last-used times are persisted coalesced, off the authenticate path', async (t) => {
  const { vault, dataDir } = await openTestVault(t, { lastUsedFlushMs: 200 });
  const { key } = await create(vault, { name: 'busy' });
  const journal = path.join(dataDir, 'keys.journal');
  const size = fs.statSync(journal).size;
  for (let i = 0; i < 100; i++) vault.authenticate(key, true);
  t.equal(fs.statSync(journal).size, size, 'no write on the authenticate path');
  await new Promise((resolve) => setTimeout(resolve, 600));
  const grown = fs.statSync(journal).size;
  t.ok(grown > size, 'one flush after the interval');
  t.ok(grown - size < 300, `100 uses make one small record (${grown - size} bytes)`);
});

t.test('one claim per data dir', async (t) => {
  const dataDir = freshDataDir(t);
  const lock = await claimDataDir(dataDir);
  await t.rejects(claimDataDir(dataDir), DataDirLockedError);
  await t.rejects(claimDataDir(dataDir), { message: /Another gateway-apikeys daemon is already running/ });
  await lock.release();
  const again = await claimDataDir(dataDir);
  t.pass('the lock is free again once released');
  await again.release();
});

t.test('files: data dir and its directories 0700, every file 0600', { skip: process.platform === 'win32' && 'POSIX modes' }, async (t) => {
  const { vault, dataDir } = await openTestVault(t);
  await create(vault, { name: 'mode-check' });
  await vault.close();
  t.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
  for (const entry of fs.readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    t.equal(fs.statSync(file).mode & 0o777, entry.isDirectory() ? 0o700 : 0o600, path.relative(dataDir, file));
  }
});

t.test('a data dir others can write to is refused', { skip: process.platform === 'win32' && 'POSIX modes' }, async (t) => {
  const dataDir = freshDataDir(t);
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.chmodSync(dataDir, 0o770);
  await t.rejects(claimDataDir(dataDir), { message: /can be written by its group .*chmod 700/ });
  fs.chmodSync(dataDir, 0o707);
  await t.rejects(claimDataDir(dataDir), { message: /every user/ });
  t.same(fs.readdirSync(dataDir), [], 'nothing was written');
});

t.test('no name, description or key value is on disk in clear, but in the audit trail the names', async (t) => {
  const { vault, dataDir } = await openTestVault(t);
  const secrets: string[] = [];
  for (let i = 0; i < 5; i++) {
    const created = await create(vault, { name: `visible-name-${i}`, description: `a telling description ${i}` });
    secrets.push(created.key, created.key.slice(4, 47), created.name, `a telling description ${i}`);
    vault.authenticate(created.key, true);
  }
  await update(vault, { name: 'visible-name-0', newName: 'renamed-visibly' });
  secrets.push('renamed-visibly');
  await remove(vault, 'visible-name-1');
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The audit trail may name keys (docs/storage.md); it holds no description and no value.
  const names = new Set([...Array.from({ length: 5 }, (_, i) => `visible-name-${i}`), 'renamed-visibly']);
  const check = () => {
    for (const [file, bytes] of filesUnder(dataDir)) {
      const audit = path.basename(path.dirname(file)) === 'audit';
      for (const secret of secrets) {
        if (audit && names.has(secret)) continue;
        t.notOk(holdsInClear(bytes, secret), `${path.relative(dataDir, file)} holds '${secret.slice(0, 8)}…' in clear`);
      }
    }
  };
  check();
  await vault.close();
  check();
});

t.test('keys loaded from the snapshot authenticate right after the start', async (t) => {
  const dataDir = freshDataDir(t);
  const first = await openTestVault(t, { dataDir });
  const keys: string[] = [];
  for (let i = 0; i < 30; i++) keys.push((await create(first.vault, { name: `loaded-${i}` })).key);
  await first.vault.close(); // compacts: the keys are in the snapshot now
  const { vault } = await openTestVault(t, { dataDir, clock: first.clock });
  await update(vault, { name: 'loaded-1', description: 'edited before its tag was made' });
  await remove(vault, 'loaded-2');
  t.match(vault.authenticate(keys[0]!, false), { authenticated: true, name: 'loaded-0' });
  t.match(vault.authenticate(keys[1]!, false), { authenticated: true, name: 'loaded-1' });
  t.same(vault.authenticate(keys[2]!, false), { authenticated: false, reason: 'Unknown' });
  for (let i = 3; i < 30; i++) t.match(vault.authenticate(keys[i]!, false), { authenticated: true, name: `loaded-${i}` });
});
