import path from 'node:path';
import type { SecretKey } from '../crypto.js';
import type { Log } from '../../shared/log.js';
import { replaceFileAtomically, type StoreFileSystem } from '../../shared/file-system.js';
import { decodeSnapshot, JOURNAL_FILE, SNAPSHOT_FILE } from './file-format.js';
import { StoreIntegrityError } from './integrity-error.js';
import { AUDIT_KEY_FILE, MASTER_KEY_FILE } from './master-key.js';

/**
 * A rotation of the master key (docs/storage.md, "Rotating the master key") replaces four files
 * that only make sense together: master.key, and audit.key, keys.journal and keys.snapshot sealed
 * under keys derived from it. The three are first written beside their places as `NAME.rotating`;
 * replacing master.key (atomically) is the one instant the rotation happens; then they are moved
 * into place, keys.snapshot last, so a keys.snapshot.rotating says the move is unfinished.
 * finishRotation, run by every open before the store is read, completes or undoes what a crash
 * interrupted.
 */
const ROTATING = '.rotating';
/** In the order they are moved into place: keys.snapshot.rotating is the last to go. */
const ROTATED_FILES = [AUDIT_KEY_FILE, JOURNAL_FILE, SNAPSHOT_FILE] as const;

export interface RotatedFiles {
  masterKey: Buffer;
  auditKey: Buffer;
  journal: Buffer;
  snapshot: Buffer;
}

/** Test aid: called after each step of a rotation, so a test can stop it there (a crash). */
export type RotationStep = 'written' | 'committed' | 'moved';

/** Writes a rotation's files, replaces master.key, and moves the rest into place. */
export async function writeRotation(fs: StoreFileSystem, dataDir: string, files: RotatedFiles, onStep?: (step: RotationStep) => Promise<void>): Promise<void> {
  const contents = { [AUDIT_KEY_FILE]: files.auditKey, [JOURNAL_FILE]: files.journal, [SNAPSHOT_FILE]: files.snapshot };
  for (const name of ROTATED_FILES) await replaceFileAtomically(fs, path.join(dataDir, name + ROTATING), contents[name]);
  await onStep?.('written');
  await replaceFileAtomically(fs, path.join(dataDir, MASTER_KEY_FILE), files.masterKey);
  await onStep?.('committed');
  await moveIntoPlace(fs, dataDir);
  await onStep?.('moved');
}

async function moveIntoPlace(fs: StoreFileSystem, dataDir: string): Promise<void> {
  for (const name of ROTATED_FILES) {
    const rotating = path.join(dataDir, name + ROTATING);
    if (!(await fs.readFile(rotating))) continue; // moved before a crash
    await fs.rename(rotating, path.join(dataDir, name));
    // Durable before the next move: keys.snapshot.rotating must outlive the others' moves.
    await fs.syncDirectory(dataDir);
  }
}

/**
 * Completes or undoes a rotation a crash interrupted, before the store is read; nothing to do
 * after a whole one. `storeKey` is derived from master.key as it is now: when it opens
 * keys.snapshot.rotating, master.key was replaced, so the rotation happened and its files are moved
 * into place; otherwise master.key is the old one, and the files it left are removed, once the old
 * keys.snapshot is known to open (a file neither key opens is refused by name, and kept).
 */
export async function finishRotation(fs: StoreFileSystem, dataDir: string, vaultId: Buffer, storeKey: SecretKey, log: Log): Promise<void> {
  await Promise.all(ROTATED_FILES.map((name) => fs.remove(path.join(dataDir, `${name}${ROTATING}.tmp`))));
  const snapshotFile = path.join(dataDir, SNAPSHOT_FILE + ROTATING);
  const rotated = await fs.readFile(snapshotFile);
  if (rotated && opens(storeKey, rotated, vaultId)) {
    await moveIntoPlace(fs, dataDir);
    log.warn('Finished moving the files of a master key rotation that was interrupted', { event: 'vault.rotationFinished' });
    return;
  }
  if (rotated) {
    const current = await fs.readFile(path.join(dataDir, SNAPSHOT_FILE));
    if (!current || !opens(storeKey, current, vaultId)) {
      throw new StoreIntegrityError(`${SNAPSHOT_FILE}${ROTATING}`, 'fails authentication with master.key, and so does keys.snapshot');
    }
  }
  let removed = false;
  for (const name of ROTATED_FILES) {
    const rotating = path.join(dataDir, name + ROTATING);
    if (await fs.readFile(rotating)) {
      await fs.remove(rotating);
      removed = true;
    }
  }
  if (removed) {
    await fs.syncDirectory(dataDir);
    log.warn('Removed the files of a master key rotation that stopped before it happened: the vault keeps its master key', { event: 'vault.rotationUndone' });
  }
}

function opens(storeKey: SecretKey, bytes: Buffer, vaultId: Buffer): boolean {
  try {
    decodeSnapshot(storeKey, bytes, SNAPSHOT_FILE, vaultId);
    return true;
  } catch (error) {
    if (error instanceof StoreIntegrityError) return false;
    throw error;
  }
}
