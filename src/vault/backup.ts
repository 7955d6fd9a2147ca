import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ApiKeyRecord } from './api-key.js';
import { formatInstant } from './instant.js';
import type { SecretKey } from './crypto.js';
import { ApiError } from '../shared/api-error.js';
import { replaceFileAtomically } from '../shared/file-system.js';
import { nodeFileSystem } from './storage/node-file-system.js';
import { type Log, silentLog } from '../shared/log.js';
import { AUDIT_DIRECTORY, AUDIT_HEAD_FILE, FIRST_AUDIT_FILE } from './storage/audit-trail.js';
import { BACKUP_FORMAT, type BackupHeader, backupInvalid, backupKey, BackupWriter, newBackupKdf, readBackupChunks, readBackupHeader } from './storage/backup-file.js';
import { claimDataDir, LOCK_FILE } from './storage/data-dir.js';
import { JOURNAL_FILE, JOURNAL_HEADER_BYTES, ROW_FORMAT, SNAPSHOT_FILE, storeFileVaultId } from './storage/file-format.js';
import { checkNewVaultPassphrase, MASTER_KEY_FILE, masterKeyFileVaultId } from './storage/master-key.js';
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
        format: BACKUP_FORMAT, rowFormat: ROW_FORMAT, vaultId: vault.vaultId, keyCount: rows.length, createdAt, chunkRows: CHUNK_ROWS, kdf,
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

/**
 * What restore.unfinished says: the vault the backup was taken from, and, once the restore has
 * made it, the new vault's id. Written before anything else and updated before the first audit
 * entry, so that a restore can tell its own leftovers from a vault (docs/storage.md, "Restore").
 */
interface RestoreMarker {
  restoring: 'gateway-apikeys';
  fromVault: string;
  vaultId?: string;
}

const VAULT_ID = /^[0-9a-f]{32}$/;
/** The files a restore writes in the data dir besides its lock and the audit directory, with the temporary files of their atomic writes. */
const RESTORE_FILES = new Set([RESTORE_MARKER, MASTER_KEY_FILE, SNAPSHOT_FILE, JOURNAL_FILE].flatMap((name) => [name, `${name}.tmp`]));
const RESTORE_AUDIT_FILES = new Set([FIRST_AUDIT_FILE, AUDIT_HEAD_FILE].flatMap((name) => [name, `${name}.tmp`]));
/**
 * The daemon's log directory (docs/storage.md, "Files"). A daemon started on an unfinished restore
 * makes it before it refuses the dir by name; a daemon that served the dir also made the tokens,
 * which are refused.
 */
const LOGS_DIRECTORY = 'logs';
/** No marker a restore writes comes near this; what is larger was not written by one. */
const MAX_MARKER_BYTES = 1024;

function markerBytes(marker: RestoreMarker): Buffer {
  return Buffer.from(`${JSON.stringify(marker)}\n`);
}

/** A marker as a restore writes it, or as the versions before the vault id wrote it; undefined otherwise. */
function parseMarker(bytes: Buffer): RestoreMarker | undefined {
  if (bytes.length > MAX_MARKER_BYTES) return undefined;
  const text = bytes.toString('utf8');
  const older = /^restoring a backup of vault ([0-9a-f]{32})\n$/.exec(text);
  if (older) return { restoring: 'gateway-apikeys', fromVault: older[1]! };
  try {
    const marker = JSON.parse(text) as Partial<RestoreMarker>;
    if (marker.restoring === 'gateway-apikeys' && VAULT_ID.test(marker.fromVault ?? '') && (marker.vaultId === undefined || VAULT_ID.test(marker.vaultId))) {
      return marker as RestoreMarker;
    }
  } catch {
    // not JSON: not a marker
  }
  return undefined;
}

/** The first `length` bytes of a file (fewer when it is shorter), or undefined when there is none. */
async function head(file: string, length: number): Promise<Buffer | undefined> {
  const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Why `dataDir`, which holds restore.unfinished, is not what an unfinished restore leaves, naming
 * the file that says so; undefined when it is. A restore leaves (some of) its lock, the marker, the
 * new vault's master key and store, the store with no journal record, and an audit trail of one
 * entry, its own, written only once the marker names the new vault: every file of one vault. A
 * crash while a restore empties the dir leaves a part of that, which passes too, and so does the
 * log of a daemon that refused the dir. Anything else (a token, a change in the journal, a second
 * audit entry, files of two vaults) is what a live vault has.
 */
async function notAnUnfinishedRestore(dataDir: string, entries: string[]): Promise<string | undefined> {
  const marker = parseMarker((await head(path.join(dataDir, RESTORE_MARKER), MAX_MARKER_BYTES + 1)) ?? Buffer.alloc(0));
  if (!marker) return `${RESTORE_MARKER} is not what a restore writes`;
  for (const name of entries) {
    if (name === LOCK_FILE) continue;
    const stat = await fsp.lstat(path.join(dataDir, name));
    const directory = name === AUDIT_DIRECTORY || name === LOGS_DIRECTORY;
    if (directory ? !stat.isDirectory() : !RESTORE_FILES.has(name) || !stat.isFile()) return `${name} is there, and a restore never writes it`;
  }
  // One vault: the one the marker names, if it names one yet, and every file's.
  let vault = marker.vaultId === undefined ? undefined : { id: marker.vaultId, file: RESTORE_MARKER };
  for (const name of [MASTER_KEY_FILE, SNAPSHOT_FILE, JOURNAL_FILE]) {
    const bytes = await head(path.join(dataDir, name), JOURNAL_HEADER_BYTES + 1);
    if (!bytes) continue;
    const id = (name === MASTER_KEY_FILE ? masterKeyFileVaultId(bytes) : storeFileVaultId(bytes))?.toString('hex');
    if (id === undefined) return `${name} is not a gateway-apikeys ${name === MASTER_KEY_FILE ? 'master key' : 'store file'}`;
    if (vault && vault.id !== id) return `${name} is of vault ${id}, and ${vault.file} of vault ${vault.id}`;
    vault ??= { id, file: name };
    if (name === JOURNAL_FILE && bytes.length > JOURNAL_HEADER_BYTES) return `${name} records changes, and a restore writes none`;
  }
  const audit = path.join(dataDir, AUDIT_DIRECTORY);
  const auditFiles = entries.includes(AUDIT_DIRECTORY) ? await fsp.readdir(audit) : [];
  for (const name of auditFiles) {
    if (!RESTORE_AUDIT_FILES.has(name) || !(await fsp.lstat(path.join(audit, name))).isFile()) return `${AUDIT_DIRECTORY}/${name} is there, and a restore never writes it`;
  }
  // Whole lines only: a restore killed while appending its entry leaves part of one.
  const trail = auditFiles.includes(FIRST_AUDIT_FILE) ? await fsp.readFile(path.join(audit, FIRST_AUDIT_FILE), 'utf8') : '';
  const written = trail.split('\n').slice(0, -1);
  const first = `${AUDIT_DIRECTORY}/${FIRST_AUDIT_FILE}`;
  if (written.length === 0) return undefined;
  if (written.length > 1) return `${first} holds ${written.length} entries, and a restore writes one`;
  if (marker.vaultId === undefined) return `${first} holds an entry, and ${RESTORE_MARKER} names no vault a restore made`;
  let event: unknown;
  try {
    event = (JSON.parse(written[0]!) as { event?: unknown }).event;
  } catch {
    // not an entry: refused below
  }
  return event === 'vault.restored' ? undefined : `${first} holds an entry that is not the restore's`;
}

/**
 * Refuses a `dataDir` that may not receive a restore, having touched nothing: one must be missing,
 * empty, or left by a restore that did not finish (and be only that).
 */
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
  const reason = await notAnUnfinishedRestore(dataDir, entries);
  if (reason !== undefined) {
    throw new ApiError('InvalidParams', `${dataDir} holds ${RESTORE_MARKER}, but is not what an unfinished restore leaves: ${reason}. ` +
      'A restore never goes over a vault, so nothing was touched. If this data directory is not needed, empty it, or restore into a new one.', 'dataDir');
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
    await replaceFileAtomically(nodeFileSystem, marker, markerBytes({ restoring: 'gateway-apikeys', fromVault: summary.vaultId }));
    const vault = await Vault.open({ dataDir, passphrase: options.vaultPassphrase, log, restoring: true });
    try {
      // Before the first audit entry: from here on, the marker says which vault is the restore's own.
      await replaceFileAtomically(nodeFileSystem, marker, markerBytes({ restoring: 'gateway-apikeys', fromVault: summary.vaultId, vaultId: vault.vaultId }));
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
