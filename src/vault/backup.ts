import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ApiKeyRecord } from './api-key.js';
import { formatInstant } from './api-key.js';
import type { SecretKey } from './crypto.js';
import { ApiError } from '../shared/api-error.js';
import { type Log, silentLog } from '../shared/log.js';
import { BACKUP_FORMAT, type BackupHeader, backupInvalid, backupKey, BackupWriter, newBackupKdf, readBackupChunks, readBackupHeader } from './storage/backup-file.js';
import { claimDataDir, LOCK_FILE } from './storage/data-dir.js';
import { FORMAT_VERSION } from './storage/file-format.js';
import { checkNewVaultPassphrase } from './storage/master-key.js';
import { nodeFileSystem, replaceFileAtomically } from '../shared/file-system.js';
import { decodeRecords, encodeRows, type KeyRow } from './storage/mutations.js';
import { type Actor, RESTORE_MARKER, Vault } from './vault.js';

/** Keys per chunk: a chunk is sealed in a few milliseconds, so a backup never holds the event loop for long. */
const CHUNK_ROWS = 1000;

/** What a backup holds, as `restore --verify` and Test-GatewayApiKeyBackup describe it. */
interface BackupSummary {
  vaultId: string;
  keyCount: number;
  createdAt: string;
}

const summaryOf = (header: BackupHeader): BackupSummary => ({ vaultId: header.vaultId, keyCount: header.keyCount, createdAt: header.createdAt });

/**
 * One backup being taken from a running vault (docs/storage.md, "Backups"): the keys are captured as
 * rows at one instant, then sealed a chunk at a time as the client reads them, so authentication
 * goes on between chunks. Read in order: the prelude, then chunk 0, 1, … until `last`.
 */
export class BackupStream {
  /**
   * Key derivations run one after the other, process-wide: each takes 256 MiB of the process's
   * memory for a second, whichever vault it is for.
   */
  private static deriving: Promise<unknown> = Promise.resolve();
  private next = 0;
  private disposed = false;

  private constructor(
    private readonly key: SecretKey,
    private readonly writer: BackupWriter,
    private rows: KeyRow[],
    readonly summary: BackupSummary,
    private readonly onEnd: () => void,
  ) {}

  /** Parts to read: the prelude and the chunks (an empty vault has one, empty). */
  get parts(): number {
    return 1 + Math.max(1, Math.ceil(this.rows.length / CHUNK_ROWS));
  }

  /**
   * Starts a backup of `vault`: captures its keys, derives the key from `passphrase` off the event
   * loop, and records the backup in the audit trail before a byte of it leaves. `onEnd` is called
   * once the backup holds nothing any more (its last part read, or ended); a start that fails never
   * calls it.
   */
  static async start(vault: Vault, passphrase: Uint8Array, by: Actor, onEnd: () => void): Promise<BackupStream> {
    const rows = vault.rows();
    const createdAt = formatInstant(Date.now());
    const kdf = newBackupKdf();
    const derived = BackupStream.deriving.then(() => backupKey(passphrase, kdf));
    BackupStream.deriving = derived.catch(() => undefined);
    const key = await derived;
    try {
      const header: BackupHeader = {
        format: BACKUP_FORMAT, rowFormat: FORMAT_VERSION, vaultId: vault.vaultId, keyCount: rows.length, createdAt, chunkRows: CHUNK_ROWS, kdf,
      };
      await vault.record({ event: 'vault.backedUp', detail: { keyCount: rows.length, createdAt } }, by);
      return new BackupStream(key, new BackupWriter(key, header), rows, summaryOf(header), onEnd);
    } catch (error) {
      key.dispose();
      throw error;
    }
  }

  /** Part `index`: the one after the last read (a client reads in order; a part is made once). */
  read(index: number): { data: Buffer; last: boolean } {
    if (this.disposed) throw new ApiError('InvalidParams', 'This backup has ended; start another.', 'index');
    if (index !== this.next) throw new ApiError('InvalidParams', `Read the parts of a backup in order: part ${this.next} is next.`, 'index');
    this.next++;
    const last = this.next === this.parts;
    const data = index === 0 ? this.writer.prelude : this.writer.chunk(index - 1, encodeRows(this.rows.slice((index - 1) * CHUNK_ROWS, index * CHUNK_ROWS)), last);
    if (last) this.dispose();
    return { data, last };
  }

  /** Forgets the rows and wipes the key: after the last part, or when its connection closes first. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rows = [];
    this.key.dispose();
    this.onEnd();
  }
}

/**
 * A backup file's keys, with its passphrase proved and every byte checked, in memory: nothing is
 * written. PassphraseWrong or BackupInvalid otherwise. `onProgress` hears of each chunk opened.
 */
export async function readBackup(bytes: Buffer, passphrase: Uint8Array, onProgress?: (keysRead: number, keyCount: number) => void): Promise<{ summary: BackupSummary; records: ApiKeyRecord[] }> {
  const { header } = readBackupHeader(bytes);
  const key = await backupKey(passphrase, header.kdf);
  try {
    const records: ApiKeyRecord[] = [];
    for (const chunk of readBackupChunks(bytes, key, (index) => onProgress?.(Math.min((index + 1) * header.chunkRows, header.keyCount), header.keyCount))) {
      try {
        records.push(...decodeRecords(chunk, header.rowFormat));
      } catch {
        throw backupInvalid('a chunk holds keys this version cannot read');
      }
    }
    if (records.length !== header.keyCount) throw backupInvalid(`it holds ${records.length} keys where its header says ${header.keyCount}`);
    return { summary: summaryOf(header), records };
  } finally {
    key.dispose();
  }
}

interface RestoreOptions {
  /** The backup file's bytes. */
  backup: Buffer;
  /** The passphrase it was made with. */
  passphrase: Uint8Array;
  /** A new or empty data dir, or one an unfinished restore left. */
  dataDir: string;
  /** Seals the new vault's master key with this passphrase (Argon2id); a key file otherwise. */
  vaultPassphrase?: Uint8Array;
  log?: Log;
  onProgress?: (keysRead: number, keyCount: number) => void;
}

/** Refuses a `dataDir` that may not receive a restore: one must be missing, empty, or left by a restore that did not finish. */
async function prepareRestoreTarget(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const others = entries.filter((name) => name !== LOCK_FILE);
  if (others.length === 0) return;
  if (!others.includes(RESTORE_MARKER)) {
    throw new ApiError('InvalidParams', `${dataDir} is not empty: a restore goes into a new or empty data directory only, never over or into another vault. Nothing was written.`, 'dataDir');
  }
}

/**
 * Restores a backup into a new data dir (docs/storage.md, "Restore"), offline. The whole file is
 * read and checked first, so a wrong passphrase or any damage writes nothing. Then the data dir is
 * claimed like a daemon would (a daemon holding it refuses the restore), marked unfinished, given
 * a new master key, filled in one compaction, and unmarked: a crash at any point leaves a dir that
 * no daemon serves and that the next restore starts over in.
 */
export async function restoreVault(options: RestoreOptions): Promise<BackupSummary> {
  const { dataDir } = options;
  const log = options.log ?? silentLog;
  // The new vault's master.key is sealed with vaultPassphrase: one too short is refused before anything is written.
  if (options.vaultPassphrase) checkNewVaultPassphrase(options.vaultPassphrase);
  const { summary, records } = await readBackup(options.backup, options.passphrase, options.onProgress);
  await prepareRestoreTarget(dataDir);
  const lock = await claimDataDir(dataDir);
  try {
    await prepareRestoreTarget(dataDir); // again, now that nobody else can write to it
    for (const name of await fsp.readdir(dataDir)) {
      if (name !== LOCK_FILE && name !== RESTORE_MARKER) await fsp.rm(path.join(dataDir, name), { recursive: true, force: true });
    }
    const marker = path.join(dataDir, RESTORE_MARKER);
    await replaceFileAtomically(nodeFileSystem, marker, Buffer.from(`restoring a backup of vault ${summary.vaultId}\n`));
    const vault = await Vault.open({ dataDir, passphrase: options.vaultPassphrase, log, restoring: true });
    try {
      await vault.restoreAll(records, { fromVault: summary.vaultId, keyCount: summary.keyCount, backupCreatedAt: summary.createdAt });
    } finally {
      await vault.close();
    }
    await nodeFileSystem.remove(marker);
    await nodeFileSystem.syncDirectory(dataDir);
    return summary;
  } finally {
    await lock.release();
  }
}
