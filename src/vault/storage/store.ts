import path from 'node:path';
import type { ApiKeyRecord } from '../api-key.js';
import type { SecretKey } from '../crypto.js';
import type { Log } from '../../shared/log.js';
import type { FoundStore, StoreState } from './anchor.js';
import {
  ANCHORED_FORMAT, type AuditRef, decodeJournal, decodeSnapshot, encodeJournalHeader, encodeJournalRecord, encodeSnapshot, type FileHeader,
  FORMAT_VERSION, JOURNAL_FILE, JOURNAL_HEADER_BYTES, NO_AUDIT_ENTRY, SNAPSHOT_FILE, tagOf,
} from './file-format.js';
import { replaceFileAtomically, type StoreFile, type StoreFileSystem } from '../../shared/file-system.js';
import { StoreIntegrityError } from './integrity-error.js';
import type { MasterKey } from './master-key.js';
import { type RotationStep, writeRotation } from './rotation.js';
import { decodeMutation, encodeMutation, type Mutation } from './mutations.js';
import { decodeSnapshotKeys, encodeSnapshotKeys } from './key-snapshot.js';


/**
 * What the files hold: the snapshot's records, then the journal's mutations to replay on them. The
 * records are read as they are iterated, once, each valid until the next is read (key-snapshot.ts).
 */
interface StoreContents {
  records: Iterable<ApiKeyRecord>;
  mutations: Mutation[];
}

/**
 * Durable storage of the keys: an atomic snapshot plus an append-only journal of mutations since.
 * A mutation costs one journal write and one fdatasync whatever the number of keys; compaction
 * rewrites the snapshot from the live records and starts an empty journal of the next generation.
 *
 * Crash points of a compaction: the new snapshot (generation g+1) is renamed in first, the new
 * journal second. A journal one generation behind the snapshot is therefore the old one, whose
 * records the snapshot already holds.
 *
 * Every snapshot and record names the audit trail's last entry as of its writing (an AuditRef),
 * and the store reports its state (generation, records, tag of the last one) for the trail to
 * anchor: docs/storage.md, "Anchors".
 */
export class KeyStore {
  /** Set when the journal may hold bytes the vault did not acknowledge: appends wait for a compaction. */
  private mustRewrite = false;
  /** Set once a rotation may have replaced master.key: this store's key is no longer the vault's, so it writes nothing more. */
  private rotated = false;

  private constructor(
    private readonly fs: StoreFileSystem,
    private readonly dataDir: string,
    private readonly key: SecretKey,
    private readonly vaultId: Buffer,
    private generation: number,
    private journal: StoreFile,
    private journalHeader: Buffer,
    private journalLength: number,
    private journalRecords: number,
    private snapshotLength: number,
    /** The tag of the last record, or of the snapshot when the journal holds none. */
    private lastTag: Buffer,
    private readonly log: Log,
  ) {}

  private static filePaths(dataDir: string) {
    return { snapshot: path.join(dataDir, SNAPSHOT_FILE), journal: path.join(dataDir, JOURNAL_FILE) };
  }

  /**
   * Opens the store in `dataDir` (creating an empty one if there is none), or throws a
   * StoreIntegrityError naming the file that cannot be trusted. Writes nothing to an existing
   * store except removing leftover temporary files.
   */
  static async open(fs: StoreFileSystem, dataDir: string, master: MasterKey, log: Log): Promise<{ store: KeyStore; contents: StoreContents; found: FoundStore }> {
    const files = KeyStore.filePaths(dataDir);
    await Promise.all([fs.remove(`${files.snapshot}.tmp`), fs.remove(`${files.journal}.tmp`)]);
    const [snapshotBytes, journalBytes] = await Promise.all([fs.readFile(files.snapshot), fs.readFile(files.journal)]);
    const snapshot = snapshotBytes && decodeSnapshot(master.key, snapshotBytes, SNAPSHOT_FILE, master.vaultId);
    const journal = journalBytes && decodeJournal(master.key, journalBytes, JOURNAL_FILE, master.vaultId);

    if (!snapshot) {
      if (journal && (journal.header.generation !== 0 || journal.payloads.length > 0)) {
        throw new StoreIntegrityError(SNAPSHOT_FILE, 'is missing while keys.journal holds keys');
      }
      // A new vault, or a first start that stopped before its snapshot was written.
      return KeyStore.create(fs, dataDir, master, log);
    }
    const records = decodeSnapshotKeys(snapshot.payload, snapshot.header.version);
    const generation = snapshot.header.generation;
    if (!journal) throw new StoreIntegrityError(JOURNAL_FILE, 'is missing, so keys changed since the last snapshot would be lost');

    let mutations: Mutation[] = [];
    let tags: Buffer[] = [];
    let auditRef = snapshot.auditRef;
    if (journal.header.generation === generation) {
      mutations = journal.payloads.map((payload) => decodeMutation(payload, journal.header.version));
      tags = journal.tags;
      if (journal.auditRefs.length > 0) auditRef = journal.auditRefs.at(-1);
      if (journal.tornTail) {
        log.warn('Dropped a torn journal tail left by a crash: the change it held was never acknowledged', {
          event: 'store.tornTail', file: JOURNAL_FILE, reason: journal.tornTail, droppedBytes: journalBytes!.length - journal.validLength,
        });
      }
    } else if (journal.header.generation !== generation - 1) {
      throw new StoreIntegrityError(JOURNAL_FILE, `is from generation ${journal.header.generation}, but keys.snapshot is from generation ${generation}`);
    }
    const handle = await fs.openExisting(files.journal);
    const store = new KeyStore(fs, dataDir, master.key, master.vaultId, generation, handle,
      // A copy: a view would keep the whole journal file read at start in memory for as long as the store lives.
      Buffer.from(journalBytes!.subarray(0, JOURNAL_HEADER_BYTES)), journal.validLength, mutations.length, snapshotBytes!.length,
      tags.at(-1) ?? snapshot.tag, log);
    // The old generation's journal, a torn tail, or files of an older format are replaced by the
    // next compaction, never appended to.
    store.mustRewrite = journal.header.generation !== generation || journal.tornTail !== undefined ||
      snapshot.header.version !== FORMAT_VERSION || journal.header.version !== FORMAT_VERSION;
    // The closure below takes the snapshot's tag alone: capturing `snapshot` would keep its decrypted
    // payload (the whole file, 22 MB at 100,000 keys) alive for as long as anyone holds `found`.
    const snapshotTag = snapshot.tag;
    const found: FoundStore = {
      state: store.state,
      // A snapshot of format 4 says the store was anchored; its journal may be older only when one generation behind (ignored).
      auditRef: snapshot.header.version >= ANCHORED_FORMAT ? auditRef ?? NO_AUDIT_ENTRY : undefined,
      tagAfter: (count) => (count === 0 ? snapshotTag : tags[count - 1]),
      created: false,
    };
    return { store, contents: { records, mutations }, found };
  }

  private static async create(fs: StoreFileSystem, dataDir: string, master: MasterKey, log: Log): Promise<{ store: KeyStore; contents: StoreContents; found: FoundStore }> {
    const files = KeyStore.filePaths(dataDir);
    const header: FileHeader = { vaultId: master.vaultId, generation: 0 };
    // Journal first: a start that stops between the two leaves an empty journal and no snapshot, which open() recognises.
    const journalHeader = encodeJournalHeader(master.key, header);
    await replaceFileAtomically(fs, files.journal, journalHeader);
    const snapshot = encodeSnapshot(master.key, header, NO_AUDIT_ENTRY, encodeSnapshotKeys([]));
    await replaceFileAtomically(fs, files.snapshot, snapshot);
    const handle = await fs.openExisting(files.journal);
    log.info('Created a new, empty key store', { event: 'store.created', dataDir });
    const tag = tagOf(snapshot);
    const store = new KeyStore(fs, dataDir, master.key, master.vaultId, 0, handle, journalHeader, journalHeader.length, 0, snapshot.length, tag, log);
    return { store, contents: { records: [], mutations: [] }, found: { state: store.state, auditRef: NO_AUDIT_ENTRY, tagAfter: () => tag, created: true } };
  }

  /** Where the store stands: what the audit trail anchors (anchor.ts). Only acknowledged writes count. */
  get state(): StoreState {
    return { generation: this.generation, records: this.journalRecords, tag: this.lastTag };
  }

  /** Whether the journal may hold bytes nobody acknowledged (after a write fault, a torn tail, an old generation): compact before appending. */
  get needsRewrite(): boolean {
    return this.mustRewrite;
  }

  /** Whether compacting now pays: the journal outgrew the snapshot, so its cost amortises over as many mutations as there are keys. */
  get journalOutgrewSnapshot(): boolean {
    return this.journalLength > Math.max(this.snapshotLength, 1024 * 1024);
  }

  get journalRecordCount(): number {
    return this.journalRecords;
  }

  /**
   * Makes `mutations` durable: one write and one fdatasync. Returns only when they are on disk; on
   * any fault the journal is cut back to what it held before, or, failing that, marked for a
   * rewrite, so that no unacknowledged mutation can come back after a restart.
   */
  async append(mutations: Mutation[], auditRef: AuditRef): Promise<void> {
    if (this.mustRewrite) throw new Error('the journal must be rewritten before it takes new records');
    const records = mutations.map((m, i) => encodeJournalRecord(this.key, this.journalHeader, this.journalRecords + i, auditRef, encodeMutation(m)));
    const bytes = records.length === 1 ? records[0]! : Buffer.concat(records);
    try {
      await this.journal.write(bytes, this.journalLength);
      await this.journal.sync();
    } catch (error) {
      try {
        await this.journal.truncate(this.journalLength);
        await this.journal.sync();
      } catch {
        this.mustRewrite = true;
      }
      throw error;
    }
    this.journalLength += bytes.length;
    this.journalRecords += mutations.length;
    this.lastTag = tagOf(records.at(-1)!);
  }

  /** Whether a rotation replaced (or may have replaced) this store's files: nothing more is written through it. */
  get superseded(): boolean {
    return this.rotated;
  }

  /**
   * Rotates the master key (docs/storage.md, "Rotating the master key"): `records` as the snapshot of
   * the next generation and its empty journal, sealed with `key` (the new master key's store key),
   * put in place with master.key and audit.key by writeRotation. From the first byte written this
   * store is superseded: its key may no longer be the vault's, so it appends and compacts no more.
   */
  async rotate(key: SecretKey, records: Iterable<ApiKeyRecord>, masterKey: Buffer, auditKey: Buffer, auditRef: AuditRef,
    onStep?: (step: RotationStep) => Promise<void>): Promise<void> {
    const header: FileHeader = { vaultId: this.vaultId, generation: this.generation + 1 };
    const snapshot = encodeSnapshot(key, header, auditRef, encodeSnapshotKeys(records));
    const journal = encodeJournalHeader(key, header);
    this.rotated = true;
    this.mustRewrite = true;
    await writeRotation(this.fs, this.dataDir, { masterKey, auditKey, journal, snapshot }, onStep);
    // The state of the rotated store, for the audit trail's head to anchor at close.
    this.generation = header.generation;
    this.journalRecords = 0;
    this.lastTag = tagOf(snapshot);
  }

  /** Writes `records` as the snapshot of the next generation and starts its empty journal. */
  async compact(records: Iterable<ApiKeyRecord>, auditRef: AuditRef): Promise<void> {
    if (this.rotated) throw new Error('the master key was rotated: this store writes nothing more');
    const files = KeyStore.filePaths(this.dataDir);
    const header: FileHeader = { vaultId: this.vaultId, generation: this.generation + 1 };
    const snapshot = encodeSnapshot(this.key, header, auditRef, encodeSnapshotKeys(records));
    const journalHeader = encodeJournalHeader(this.key, header);
    // Once the new snapshot may be on disk the old journal is stale, and records appended to it
    // would be ignored at the next start: no appends until the new journal is in place.
    this.mustRewrite = true;
    await replaceFileAtomically(this.fs, files.snapshot, snapshot);
    // The state from here on, even should the new journal fail: an open ignores the old one beside this snapshot.
    this.generation = header.generation;
    this.journalRecords = 0;
    this.lastTag = tagOf(snapshot);
    this.snapshotLength = snapshot.length;
    // Windows cannot rename a file over one that is open (EPERM), so the old journal is closed first
    // there; nothing is appended to it any more either way (mustRewrite above).
    if (process.platform === 'win32') await this.journal.close().catch(() => undefined);
    await replaceFileAtomically(this.fs, files.journal, journalHeader);
    const handle = await this.fs.openExisting(files.journal);
    await this.journal.close().catch(() => undefined);
    this.journal = handle;
    this.journalHeader = journalHeader;
    this.journalLength = journalHeader.length;
    this.mustRewrite = false;
    this.log.info('Compacted the key store', { event: 'store.compacted', generation: header.generation, snapshotBytes: snapshot.length });
  }

  async close(): Promise<void> {
    await this.journal.close();
  }
}
