import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { StoreIntegrityError } from '../../src/vault/storage/integrity-error.js';
import { JOURNAL_HEADER_BYTES } from '../../src/vault/storage/file-format.js';
import { Vault } from '../../src/vault/vault.js';
import { ManualClock } from '../helpers/clock.js';
import { create, crashImage, filesUnder, freshDataDir, madeDataDir, openTestVault, RecordingLog, remove, TODAY, update, visibleState } from '../helpers/vault.js';

type State = ReturnType<typeof visibleState>;

/** Byte offsets where each journal record starts, and the end. */
function recordOffsets(journal: Buffer): number[] {
  const offsets = [];
  for (let at = JOURNAL_HEADER_BYTES; at < journal.length; at += 8 + journal.readUInt32BE(at)) offsets.push(at);
  offsets.push(journal.length);
  return offsets;
}

/**
 * A vault with a journal of `count` changes, left as a crash would leave it; with the visible
 * state after each change (states[0] is the empty vault).
 */
async function crashedVault(t: Test, count = 6): Promise<{ image: string; states: State[] }> {
  const { vault, dataDir } = await openTestVault(t, { lastUsedFlushMs: 3_600_000 });
  const states: State[] = [visibleState(vault)];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 2) await update(vault, { name: `key-${i - 1}`, description: `edited ${i}` });
    else await create(vault, { name: `key-${i}`, description: `number ${i}` });
    states.push(visibleState(vault));
  }
  return { image: crashImage(t, dataDir), states };
}

async function reopen(t: Test, dataDir: string, log = new RecordingLog()): Promise<{ state: State; log: RecordingLog }> {
  const vault = await Vault.open({ dataDir, timeZone: 'UTC', clock: new ManualClock(`${TODAY}T12:00:00Z`), log });
  const state = visibleState(vault);
  await vault.close();
  return { state, log };
}

/** Opening must fail naming `file`, and must change no byte of the data dir. */
async function refuses(t: Test, dataDir: string, file: string, message?: RegExp): Promise<void> {
  const before = filesUnder(dataDir);
  const error = await Vault.open({ dataDir, timeZone: 'UTC' }).then(
    async (vault) => { await vault.close(); return undefined; },
    (e: unknown) => e,
  );
  t.type(error, StoreIntegrityError, `refused to open (${file})`);
  t.equal((error as StoreIntegrityError | undefined)?.file, file, 'names the file');
  if (message) t.match((error as Error).message, message);
  t.same(filesUnder(dataDir), before, 'nothing was overwritten or repaired');
}

t.test('a crash image replays the journal to the acknowledged state', async (t) => {
  const { image, states } = await crashedVault(t);
  t.ok(fs.statSync(path.join(image, 'keys.journal')).size > JOURNAL_HEADER_BYTES, 'the changes are in the journal');
  t.same((await reopen(t, image)).state, states.at(-1));
});

t.test('random sequences of changes come back the same after a close and after a crash (property)', async (t) => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('create' as const), n: fc.integer({ min: 0, max: 5 }), description: fc.string({ maxLength: 30 }) }),
    fc.record({ kind: fc.constant('update' as const), n: fc.integer({ min: 0, max: 5 }), to: fc.integer({ min: 0, max: 5 }), validFor: fc.constantFrom(undefined, 'P7D', 'P1Y') }),
    fc.record({ kind: fc.constant('delete' as const), n: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constant('use' as const), n: fc.integer({ min: 0, max: 5 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      const dataDir = madeDataDir(t);
      const clock = new ManualClock(`${TODAY}T12:00:00Z`);
      const vault = await Vault.open({ dataDir, clock, timeZone: 'UTC', lastUsedFlushMs: 3_600_000 });
      const keys = new Map<string, string>();
      for (const o of ops) {
        clock.advance({ minutes: 1 });
        const name = `Key ${o.n}`;
        try {
          if (o.kind === 'create') keys.set(name, (await create(vault, { name, description: o.description })).key);
          if (o.kind === 'update') await update(vault, { name, newName: `Key ${o.to}`, ...(o.validFor ? { validFor: o.validFor } : {}) });
          if (o.kind === 'delete') await remove(vault, name);
          if (o.kind === 'use' && keys.has(name)) vault.authenticate(keys.get(name)!, true);
        } catch {
          // NameTaken, KeyNotFound: refused changes are part of the sequence
        }
      }
      const withoutUses = (state: State) => state.map((k) => ({ ...k, lastUsedAt: null }));
      const crashed = (await reopen(t, crashImage(t, dataDir))).state;
      const expected = visibleState(vault);
      await vault.close(); // flushes last-used times
      const afterClose = (await reopen(t, dataDir)).state;
      // A crash may lose unflushed last-used times, nothing else.
      return JSON.stringify(afterClose) === JSON.stringify(expected) &&
        JSON.stringify(withoutUses(crashed)) === JSON.stringify(withoutUses(expected));
    }),
    { numRuns: 15 },
  );
});

t.test('a torn last record is dropped with a warning; every earlier change stays', async (t) => {
  const { image, states } = await crashedVault(t);
  const journalFile = path.join(image, 'keys.journal');
  const journal = fs.readFileSync(journalFile);
  const offsets = recordOffsets(journal);
  t.equal(offsets.length, states.length, 'one record per change');
  const lastStart = offsets.at(-2)!;
  for (const cut of [lastStart + 3, lastStart + 8, lastStart + 40, journal.length - 1]) {
    const copy = crashImage(t, image);
    fs.truncateSync(path.join(copy, 'keys.journal'), cut);
    const { state, log } = await reopen(t, copy);
    t.same(state, states.at(-2), `cut at ${cut}`);
    t.match(log.lines.find((l) => l.level === 'warn'), { meta: { event: 'store.tornTail', file: 'keys.journal' } });
  }
  // A crash while the file grew can leave zeros after the last record.
  const zeros = crashImage(t, image);
  fs.appendFileSync(path.join(zeros, 'keys.journal'), Buffer.alloc(100));
  t.same((await reopen(t, zeros)).state, states.at(-1), 'a zero-filled tail is dropped');
});

t.test('truncation in the last record keeps the records before it; further back it is a rollback, refused (property)', async (t) => {
  const { image, states } = await crashedVault(t, 5);
  const journal = fs.readFileSync(path.join(image, 'keys.journal'));
  const offsets = recordOffsets(journal);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: JOURNAL_HEADER_BYTES, max: journal.length - 1 }), async (cut) => {
      const copy = crashImage(t, image);
      fs.truncateSync(path.join(copy, 'keys.journal'), cut);
      const complete = offsets.filter((o) => o <= cut).length - 1;
      // The last audit entry names the store as it was before the last change (docs/storage.md, "Anchors"):
      // losing that change alone is what a crash between its entry and its record leaves.
      if (complete >= states.length - 2) {
        const { state } = await reopen(t, copy);
        return JSON.stringify(state) === JSON.stringify(states[complete]);
      }
      const error = await Vault.open({ dataDir: copy }).then(async (vault) => vault.close(), (e: unknown) => e);
      return error instanceof StoreIntegrityError && error.file === 'keys.journal' && /anchors generation 0 with 4 journal records/.test(error.message);
    }),
    { numRuns: 25 },
  );
});

t.test('a flipped bit anywhere but the last record stops the start, naming the file (property)', async (t) => {
  const { image, states } = await crashedVault(t, 4);
  const sizes = Object.fromEntries(['keys.snapshot', 'keys.journal', 'master.key'].map((f) => [f, fs.statSync(path.join(image, f)).size]));
  const lastRecord = recordOffsets(fs.readFileSync(path.join(image, 'keys.journal'))).at(-2)!;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('keys.snapshot', 'keys.journal', 'master.key'), fc.nat(), fc.integer({ min: 0, max: 7 }), async (file, position, bit) => {
      const at = position % sizes[file]!;
      const copy = crashImage(t, image);
      const bytes = fs.readFileSync(path.join(copy, file));
      bytes[at]! ^= 1 << bit;
      fs.writeFileSync(path.join(copy, file), bytes);
      if (file === 'keys.journal' && at >= lastRecord) {
        // docs/storage.md: a final record that fails authentication is a torn tail.
        const { state } = await reopen(t, copy);
        return JSON.stringify(state) === JSON.stringify(states.at(-2));
      }
      const error = await Vault.open({ dataDir: copy }).then(async (vault) => vault.close(), (e: unknown) => e);
      return error instanceof StoreIntegrityError && error.file === file;
    }),
    { numRuns: 40 },
  );
});

t.test('a damaged record in the middle is refused even when its length is what was hit', async (t) => {
  const { image } = await crashedVault(t, 4);
  const offsets = recordOffsets(fs.readFileSync(path.join(image, 'keys.journal')));
  for (const at of [offsets[1]!, offsets[1]! + 2, offsets[1]! + 5, offsets[1]! + 30]) {
    const copy = crashImage(t, image);
    const bytes = fs.readFileSync(path.join(copy, 'keys.journal'));
    bytes[at]! ^= 0x10;
    fs.writeFileSync(path.join(copy, 'keys.journal'), bytes);
    await refuses(t, copy, 'keys.journal', /keys\.journal: (has a damaged record 1|record 1 at byte \d+ fails authentication)/);
  }
});

t.test('a truncated snapshot is refused', async (t) => {
  const { image } = await crashedVault(t, 2);
  const { vault } = await openTestVault(t, { dataDir: image });
  await vault.close(); // compacts: the keys are now in the snapshot
  const size = fs.statSync(path.join(image, 'keys.snapshot')).size;
  fs.truncateSync(path.join(image, 'keys.snapshot'), size - 10);
  await refuses(t, image, 'keys.snapshot', /fails authentication/);
  fs.truncateSync(path.join(image, 'keys.snapshot'), 10);
  await refuses(t, image, 'keys.snapshot', /not a gateway-apikeys snapshot file/);
});

t.test('files from another vault, or another master key, are refused', async (t) => {
  const a = await crashedVault(t, 2);
  const b = await crashedVault(t, 2);
  const swapped = crashImage(t, a.image);
  fs.copyFileSync(path.join(b.image, 'keys.journal'), path.join(swapped, 'keys.journal'));
  await refuses(t, swapped, 'keys.journal', /belongs to another vault/);
  const otherKey = crashImage(t, a.image);
  fs.copyFileSync(path.join(b.image, 'master.key'), path.join(otherKey, 'master.key'));
  await refuses(t, otherKey, 'keys.snapshot', /belongs to another vault than master.key/);
  const noKey = crashImage(t, a.image);
  fs.rmSync(path.join(noKey, 'master.key'));
  await refuses(t, noKey, 'master.key', /is missing/);
  const noJournal = crashImage(t, a.image);
  fs.rmSync(path.join(noJournal, 'keys.journal'));
  await refuses(t, noJournal, 'keys.journal', /is missing/);
  const noSnapshot = crashImage(t, a.image);
  fs.rmSync(path.join(noSnapshot, 'keys.snapshot'));
  await refuses(t, noSnapshot, 'keys.snapshot', /is missing/);
});

t.test('a first start that stopped between its files starts cleanly', async (t) => {
  const dataDir = freshDataDir(t);
  const { vault } = await openTestVault(t, { dataDir });
  await vault.close();
  fs.rmSync(path.join(dataDir, 'keys.snapshot'));
  t.same((await reopen(t, dataDir)).state, []);
});

t.test('a master key sealed with a passphrase', async (t) => {
  const dataDir = freshDataDir(t);
  const passphrase = Buffer.from('correct horse battery staple');
  const { vault } = await openTestVault(t, { dataDir, passphrase });
  const { key } = await create(vault, { name: 'sealed-key' });
  await vault.close();
  t.notOk(fs.readFileSync(path.join(dataDir, 'master.key')).includes(passphrase), 'the passphrase is not stored');
  await refuses(t, dataDir, 'master.key', /sealed with a passphrase and none was given/);
  const wrong = await Vault.open({ dataDir, passphrase: Buffer.from('wrong') }).catch((e: Error) => e);
  t.match(wrong, { name: 'StoreIntegrityError', message: /cannot be opened with this passphrase/ });
  const reopened = await Vault.open({ dataDir, passphrase, timeZone: 'UTC' });
  t.equal((await reopened.reveal({ name: 'sealed-key' })).key, key);
  await reopened.close();
});
