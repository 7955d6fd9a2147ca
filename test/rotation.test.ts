import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import type { StoreFile } from '../src/shared/file-system.js';
import { decodeSnapshot, JOURNAL_HEADER_BYTES } from '../src/vault/storage/file-format.js';
import { StoreIntegrityError } from '../src/vault/storage/integrity-error.js';
import { deriveVaultKeys, readMasterKeyFile } from '../src/vault/storage/master-key.js';
import type { RotationStep } from '../src/vault/storage/rotation.js';
import { rekeyVault } from '../src/vault/rekey.js';
import { Vault } from '../src/vault/vault.js';
import { ManualClock } from './helpers/clock.js';
import { CLI, startDaemon } from './helpers/daemon.js';
import { PowerLossFileSystem } from './helpers/power-loss-fs.js';
import { create, madeDataDir, openTestVault, rotate, scratchPath, TODAY, valuesByName } from './helpers/vault.js';

const run = promisify(execFile);
const ROTATED: { event: 'vault.rekeyed'; detail: Record<string, unknown> } = { event: 'vault.rekeyed', detail: { from: 'keyFile', to: 'keyFile', masterKey: 'new' } };

/** The raw key of a key-file master.key (bytes 22 to 54): which master key a data dir has. */
const rawKeyOf = (dataDir: string) => fs.readFileSync(path.join(dataDir, 'master.key')).subarray(22, 54).toString('hex');

/** Whether the store key that `masterKeyBytes` derive opens `dataDir`'s keys.snapshot. */
function opensSnapshot(masterKeyBytes: Buffer, dataDir: string, passphrase?: Buffer): boolean {
  const master = readMasterKeyFile(Buffer.from(masterKeyBytes), 'master.key', passphrase);
  const { lookupKey, storeKey, auditKey, auditWrapKey } = deriveVaultKeys(master);
  try {
    decodeSnapshot(storeKey, fs.readFileSync(path.join(dataDir, 'keys.snapshot')), 'keys.snapshot', master.vaultId);
    return true;
  } catch (error) {
    if (error instanceof StoreIntegrityError) return false;
    throw error;
  } finally {
    for (const key of [lookupKey, storeKey, auditKey, auditWrapKey]) key.dispose();
  }
}

/** A whole copy of a data dir (audit/ included): what a kill -9 at this instant leaves. */
function copyOf(t: Test, dataDir: string): string {
  const copy = scratchPath(t, 'image');
  fs.cpSync(dataDir, copy, { recursive: true });
  return copy;
}

/** A vault with keys, one of them rotated (its previous value in its grace); the values that must authenticate. */
async function vaultWithKeys(t: Test, clock: ManualClock, options: { dataDir?: string; passphrase?: Buffer } = {}) {
  const { vault, dataDir } = await openTestVault(t, { clock, ...options });
  for (let i = 0; i < 5; i++) await create(vault, { name: `key-${i}`, description: `secret description ${i}` });
  const previous = valuesByName(vault).get('key-0')!;
  await rotate(vault, { name: 'key-0', graceHours: 24 });
  vault.authenticate(valuesByName(vault).get('key-1')!, true, 'connector-a');
  const values = [...valuesByName(vault).values(), previous];
  return { vault, dataDir, values };
}

/** Opens `dataDir`: every value authenticates, and the audit trail verifies whole. */
async function checkOpens(t: Test, dataDir: string, clock: ManualClock, values: string[], what: string, passphrase?: Buffer): Promise<void> {
  const vault = await Vault.open({ dataDir, clock, timeZone: 'UTC', passphrase });
  try {
    t.ok(values.every((value) => vault.authenticate(value, false).authenticated), `${what}: every value authenticates`);
    t.match(await vault.audit.verify(), { intact: true }, `${what}: the audit trail verifies`);
  } finally {
    await vault.close();
  }
}

t.test('a rotation: the same values authenticate, the old master.key opens nothing written since, the audit trail verifies', async (t) => {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const { vault, dataDir, values } = await vaultWithKeys(t, clock);
  const oldMasterKey = fs.readFileSync(path.join(dataDir, 'master.key'));
  const entriesBefore = (await vault.audit.verify() as { entries: number }).entries;
  await vault.rotateMasterKey(undefined, ROTATED);
  const newMasterKey = fs.readFileSync(path.join(dataDir, 'master.key'));
  t.not(rawKeyOf(dataDir), oldMasterKey.subarray(22, 54).toString('hex'), 'a new master key');
  t.same(newMasterKey.subarray(6, 22), oldMasterKey.subarray(6, 22), 'the same vault id');
  t.notOk(opensSnapshot(oldMasterKey, dataDir), 'the old master.key does not open the new keys.snapshot');
  t.ok(opensSnapshot(newMasterKey, dataDir), 'the new one does');
  const journal = fs.readFileSync(path.join(dataDir, 'keys.journal'));
  t.equal(journal.length, JOURNAL_HEADER_BYTES, 'the journal was compacted: a header alone');
  t.same(fs.readdirSync(dataDir).filter((name) => name.includes('.rotating') || name.endsWith('.tmp')), [], 'nothing left beside');
  t.ok(fs.existsSync(path.join(dataDir, 'audit.key')), 'the audit key is kept in audit.key');
  await checkOpens(t, dataDir, clock, values, 'after the rotation');
  const reopened = await Vault.open({ dataDir, clock, timeZone: 'UTC' });
  t.same(await reopened.audit.verify(), { intact: true, entries: entriesBefore + 1 }, 'one entry more, and the whole trail verifies');
  t.same((await reopened.audit.list({ event: 'vault.rekeyed' })).items.map((e) => e.detail), [ROTATED.detail]);
  t.equal(reopened.usage({ name: 'key-1' }).connectors[0]?.connectorId, 'connector-a', 'uses are kept');
  // A second rotation replaces audit.key too, and the trail still verifies.
  const second = rawKeyOf(dataDir);
  await reopened.rotateMasterKey(undefined, ROTATED);
  t.not(rawKeyOf(dataDir), second);
  await checkOpens(t, dataDir, clock, values, 'after a second rotation');
  // The old master.key put back: refused by name, nothing written.
  const stale = copyOf(t, dataDir);
  fs.writeFileSync(path.join(stale, 'master.key'), oldMasterKey);
  const refused = await Vault.open({ dataDir: stale, clock, timeZone: 'UTC' }).catch((e: unknown) => e);
  t.type(refused, StoreIntegrityError, 'the old master.key opens nothing');
});

t.test('a sealed vault rotated: the old file with its old passphrase opens nothing written since', async (t) => {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const oldPassphrase = Buffer.from('the old passphrase, leaked');
  const newPassphrase = Buffer.from('the new passphrase, kept');
  const { vault, dataDir, values } = await vaultWithKeys(t, clock, { passphrase: oldPassphrase });
  await vault.close();
  const oldFile = fs.readFileSync(path.join(dataDir, 'master.key'));
  t.ok(opensSnapshot(oldFile, dataDir, oldPassphrase));
  const result = await rekeyVault({ dataDir, current: oldPassphrase, next: newPassphrase, newMasterKey: true });
  t.same(result, { from: 'passphrase', to: 'passphrase', newMasterKey: true });
  t.notOk(opensSnapshot(oldFile, dataDir, oldPassphrase), 'the old sealed file and its passphrase do not open the new store');
  const newFile = fs.readFileSync(path.join(dataDir, 'master.key'));
  t.throws(() => readMasterKeyFile(Buffer.from(newFile), 'master.key', oldPassphrase), { code: 'PassphraseWrong' }, 'the old passphrase does not open the new master.key');
  // rekeyVault runs on the system clock: the rotated key's previous value has ended by it.
  await checkOpens(t, dataDir, clock, values.slice(0, -1), 'sealed, after the rotation', newPassphrase);
});

t.test('a crash at each step of a rotation leaves the old vault or the new one, whole', async (t) => {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const { vault, dataDir, values } = await vaultWithKeys(t, clock);
  const oldKey = rawKeyOf(dataDir);
  const images: Partial<Record<RotationStep, string>> = {};
  await vault.rotateMasterKey(undefined, ROTATED, async (step) => {
    images[step] = copyOf(t, dataDir);
  });
  const written = copyOf(t, images.written!); // images.written itself is opened (and so cleaned) below
  const newKey = rawKeyOf(dataDir);
  t.equal(rawKeyOf(images.written!), oldKey, 'before master.key is replaced: the old key');
  await checkOpens(t, images.written!, clock, values, 'crash after the files were written');
  t.same(fs.readdirSync(images.written!).filter((name) => name.includes('.rotating')), [], 'and the rotation\'s files are removed');
  t.equal(rawKeyOf(images.written!), oldKey, 'it stays the old vault');

  t.equal(rawKeyOf(images.committed!), newKey, 'once master.key is replaced: the new key');
  // Every point of the move: none, audit.key, audit.key and keys.journal moved into place.
  for (const moved of [[], ['audit.key'], ['audit.key', 'keys.journal']]) {
    const image = copyOf(t, images.committed!);
    for (const name of moved) fs.renameSync(path.join(image, `${name}.rotating`), path.join(image, name));
    await checkOpens(t, image, clock, values, `crash after master.key, ${moved.length} files moved`);
    t.same(fs.readdirSync(image).filter((name) => name.includes('.rotating')), [], 'the move is finished');
    t.notOk(opensSnapshot(Buffer.from(fs.readFileSync(path.join(images.written!, 'master.key'))), image), 'the old key opens none of it');
  }
  // Crashed while the rotation's files were being written: some are missing.
  for (const missing of [['keys.snapshot.rotating'], ['keys.snapshot.rotating', 'keys.journal.rotating']]) {
    const image = copyOf(t, written);
    for (const name of missing) fs.rmSync(path.join(image, name));
    fs.writeFileSync(path.join(image, 'keys.snapshot.rotating.tmp'), 'half');
    await checkOpens(t, image, clock, values, `crash before ${missing.at(-1)} was written`);
    t.equal(rawKeyOf(image), oldKey);
  }
  // A keys.snapshot.rotating that neither key opens, beside a keys.snapshot that does not open either: refused, kept.
  const damaged = copyOf(t, written);
  fs.writeFileSync(path.join(damaged, 'keys.snapshot'), fs.readFileSync(path.join(damaged, 'keys.snapshot.rotating')));
  const refused = await Vault.open({ dataDir: damaged, clock, timeZone: 'UTC' }).catch((e: unknown) => e);
  t.match(refused, { name: 'StoreIntegrityError', file: 'keys.snapshot.rotating' });
  t.ok(fs.existsSync(path.join(damaged, 'keys.snapshot.rotating')), 'nothing removed');
});

t.test('a power loss at any instant of a rotation leaves a vault that opens with every key', async (t) => {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const dataDir = madeDataDir(t);
  const images: string[] = [];
  let capturing = false;
  class Images extends PowerLossFileSystem {
    private capture(): void {
      if (!capturing) return;
      const image = scratchPath(t, 'power-loss');
      this.powerLossImage(image);
      images.push(image);
    }
    override async create(file: string): Promise<StoreFile> {
      const handle = await super.create(file);
      this.capture();
      const sync = handle.sync.bind(handle);
      handle.sync = async () => { await sync(); this.capture(); };
      return handle;
    }
    override async rename(from: string, to: string) { await super.rename(from, to); this.capture(); }
    override async remove(file: string) { await super.remove(file); this.capture(); }
    override async syncDirectory(directory: string) { await super.syncDirectory(directory); this.capture(); }
  }
  const fileSystem = new Images(dataDir);
  const { vault, values } = await vaultWithKeys(t, clock, { dataDir, fileSystem } as never);
  const oldKey = rawKeyOf(dataDir);
  capturing = true;
  await vault.rotateMasterKey(undefined, ROTATED);
  capturing = false;
  const newKey = rawKeyOf(dataDir);
  const seen = new Set<string>();
  for (const image of images) {
    const key = rawKeyOf(image);
    seen.add(key === oldKey ? 'old' : key === newKey ? 'new' : 'other');
    const opened = await Vault.open({ dataDir: image, clock, timeZone: 'UTC' });
    const all = values.every((value) => opened.authenticate(value, false).authenticated);
    await opened.close();
    if (!all) t.fail(`a power-loss image (${path.basename(image)}) lost keys`);
  }
  t.ok(images.length > 10, `${images.length} power-loss images opened, every key in each`);
  t.same([...seen].sort(), ['new', 'old'], 'some from before the rotation, some after, none else');
});

t.test('rekey --new-master-key killed at any point leaves a vault that opens; refused while a daemon runs', async (t) => {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const { vault, dataDir } = await vaultWithKeys(t, clock);
  const values = [...valuesByName(vault).values()];
  await vault.close();
  const daemon = await startDaemon(t, { dataDir });
  const busy = await run(process.execPath, [CLI, 'rekey', '--data-dir', dataDir, '--to-key-file', '--new-master-key'])
    .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(busy.code, 1, 'refused while the daemon holds the data dir');
  t.match(busy.stderr, /already running/);
  await daemon.stop();
  const keyBefore = rawKeyOf(dataDir);

  const killedAfter = (when: number | string) => new Promise<number | null>((resolve) => {
    const child = execFile(process.execPath, [CLI, 'rekey', '--data-dir', dataDir, '--to-key-file', '--new-master-key'], { env: { ...process.env, GATEWAY_APIKEYS_PASSPHRASE: '' } });
    const before = rawKeyOf(dataDir);
    // By time; as a file of the rotation appears; or just after master.key is replaced (during the move).
    const due = when === 'committed' ? () => { try { return rawKeyOf(dataDir) !== before; } catch { return false; } }
      : () => fs.existsSync(path.join(dataDir, when as string));
    const timer = typeof when === 'number'
      ? setTimeout(() => child.kill('SIGKILL'), when)
      : setInterval(() => due() && child.kill('SIGKILL'), 1);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const outcomes = new Set<string>();
  for (const when of [0, 150, 300, 450, 600, 800, 1100, 1600, 2500, 'audit.key.rotating', 'keys.journal.rotating', 'keys.snapshot.rotating', 'master.key.tmp', 'committed', 'committed', 'committed']) {
    const before = rawKeyOf(dataDir);
    const code = await killedAfter(when);
    await checkOpens(t, dataDir, clock, values, `killed at ${when}`);
    outcomes.add(rawKeyOf(dataDir) === before ? 'old' : 'new');
    t.ok(code === 0 || code === null, `killed at ${when}: finished, or killed`);
  }
  t.not(rawKeyOf(dataDir), keyBefore, 'the rotations that finished replaced the key');
  t.same([...outcomes].sort(), ['new', 'old'], 'some kills left the old vault, some the new one');
  const last = await run(process.execPath, [CLI, 'rekey', '--data-dir', dataDir, '--to-key-file', '--new-master-key'], { env: { ...process.env, GATEWAY_APIKEYS_PASSPHRASE: '' } });
  t.match(last.stdout, /The master key of .* was replaced and every key rewritten under it/);
  await checkOpens(t, dataDir, clock, values, 'after a rotation to the end');
});
