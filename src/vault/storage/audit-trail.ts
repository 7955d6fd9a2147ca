import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AuditEntry, AuditListParams, AuditListResult, AuditVerifyResult } from '../../generated/schemas.js';
import { keyedHash, type SecretKey } from '../crypto.js';
import type { Log } from '../../shared/log.js';
import { foldName } from '../name.js';
import { maskSecrets } from '../../shared/secret-text.js';
import { WriteQueue } from '../write-queue.js';
import { replaceFileAtomically, type StoreFile, type StoreFileSystem } from '../../shared/file-system.js';
import { StoreIntegrityError } from './integrity-error.js';
import type { FoundTrail, StoreState } from './anchor.js';
import { type AuditRef, NO_AUDIT_ENTRY } from './file-format.js';

/**
 * The audit trail (docs/storage.md, "The audit trail"): one JSON line per change, reveal, rotation,
 * disable/enable, backup, restore, rekey and burst of failed authentications, appended and fsynced
 * under `<data-dir>/audit/`, before the change it records is acknowledged.
 *
 *   line  : {"seq","at","event","role","connection","account"?,"keyName"?,"detail","store"?,"prev","hash"}
 *   store : [generation, records]: the key store's state as the entry was written (anchor.ts)
 *   hash  : b64url(BLAKE2b keyed by the audit key (derived from the master key) over the line without "hash")
 *   prev  : the hash of the entry before (of the genesis text for the first)
 *   files : audit-000001.jsonl, audit-000002.jsonl, … a new one past MAX_FILE_BYTES; the chain runs on across them
 *   head  : audit/head, {"seq","hash","store"?,"mac"}: the last entry and the key store's state (with the tag of
 *           its last record) as of the last flush (coalesced, and at close), so that entries cut off the end are
 *           found missing, and a key store put back from before it too (docs/storage.md, "Anchors").
 *
 * Only the vault can extend the chain: a forged or altered entry fails its hash, a removed one
 * breaks the next entry's prev, and one cut off the end falls short of the head and of the entry
 * the key store names. No entry holds a secret: every text in it passes the mask of
 * src/shared/secret-text.ts.
 */

export type AuditRecord = Omit<AuditEntry, 'seq' | 'at'>;

export const AUDIT_DIRECTORY = 'audit';
const DIRECTORY = AUDIT_DIRECTORY;
export const AUDIT_HEAD_FILE = 'head';
const HEAD_FILE = AUDIT_HEAD_FILE;
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const FILE_PATTERN = /^audit-(\d{6})\.jsonl$/;
const HASH_FIELD = ',"hash":"';
const GENESIS = 'gateway-apikeys audit trail v1';
/** How long a change of the head may wait before it is written (the head is only an anchor against truncation). */
const HEAD_FLUSH_MS = 3000;

const fileName = (index: number) => `audit-${String(index).padStart(6, '0')}.jsonl`;
/** The trail's first file: the only one a new vault has. */
export const FIRST_AUDIT_FILE = fileName(1);

/** An entry line with its hash checked: the entry, or why it is not one. */
interface ParsedLine {
  entry?: StoredEntry & { hash: string };
  problem?: string;
}

/** An entry as its line holds it: with the store's state and the link to the one before, which readers do not see. */
type StoredEntry = AuditEntry & { store?: [generation: number, records: number]; prev: string };

/** audit/head as written: `store` from the format with anchors on (its tag in base64url). */
interface StoredHead {
  seq: number;
  hash: string;
  store?: { generation: number; records: number; tag: string };
  mac: string;
}

export class AuditTrail {
  private readonly writes = new WriteQueue();
  private headTimer: NodeJS.Timeout | undefined;
  private headWritten: number;
  /** The key store's state, once the vault tells it: entries and the head anchor it. */
  private store: StoreState | undefined;
  private storeWritten: StoreState | undefined;
  /** The entry the key store names last: verify checks the trail holds it. */
  private anchoredBy: AuditRef = NO_AUDIT_ENTRY;
  /** Once a head of the format with anchors is on disk, it must stay there: verify reports it missing. */
  private headRequired: boolean;

  private constructor(
    private readonly fs: StoreFileSystem,
    private readonly directory: string,
    private readonly key: SecretKey,
    private readonly log: Log,
    private file: StoreFile | undefined,
    private fileIndex: number,
    private fileLength: number,
    private seq: number,
    private lastHash: string,
    private readonly now: () => number,
    /** What open found, for checkAnchors. */
    readonly found: FoundTrail,
  ) {
    this.headWritten = seq;
    this.storeWritten = found.head?.store;
    this.headRequired = found.head?.store !== undefined;
  }

  /**
   * Opens the trail in `dataDir`, creating it on first use. Checks the last entry and the head: an
   * altered last entry or entries cut off the end stop the start (StoreIntegrityError), as the store
   * does; a torn last line (a crash in the middle of an append, never acknowledged) is dropped with a
   * warning.
   */
  static async open(fs: StoreFileSystem, dataDir: string, key: SecretKey, log: Log, now: () => number = Date.now): Promise<AuditTrail> {
    // Made with the first entry or head, not here: a missing trail is found, not silently begun (anchor.ts).
    const directory = path.join(dataDir, DIRECTORY);
    const files = await AuditTrail.files(directory);
    const genesis = keyedHash(key, Buffer.from(GENESIS)).toString('base64url');
    let seq = 0;
    let lastHash = genesis;
    let lastStore: StoredEntry['store'];
    let fileIndex = files.at(-1) ?? 1;
    let fileLength = 0;
    if (files.length > 0) {
      const name = fileName(fileIndex);
      const bytes = (await fs.readFile(path.join(directory, name))) ?? Buffer.alloc(0);
      let text = bytes.toString('utf8');
      if (text.length > 0 && !text.endsWith('\n')) {
        const kept = text.lastIndexOf('\n') + 1;
        log.warn('Dropped a torn last line of the audit trail left by a crash: the event it held was never acknowledged', {
          event: 'audit.tornTail', file: `${DIRECTORY}/${name}`, droppedBytes: Buffer.byteLength(text.slice(kept)),
        });
        text = text.slice(0, kept);
        const handle = await fs.openExisting(path.join(directory, name));
        await handle.truncate(Buffer.byteLength(text));
        await handle.sync();
        await handle.close();
      }
      fileLength = Buffer.byteLength(text);
      const last = text.trimEnd().split('\n').at(-1);
      if (last) {
        const parsed = AuditTrail.parse(key, last);
        if (!parsed.entry) throw new StoreIntegrityError(`${DIRECTORY}/${name}`, `its last entry ${parsed.problem}`, ALTERED);
        seq = parsed.entry.seq;
        lastHash = parsed.entry.hash;
        lastStore = parsed.entry.store;
      } else if (files.length > 1) {
        // An empty newest file (a crash right after rotating): the chain's end is in the one before.
        const before = await fs.readFile(path.join(directory, fileName(files.at(-2)!)));
        const previous = AuditTrail.parse(key, before?.toString('utf8').trimEnd().split('\n').at(-1) ?? '');
        if (!previous.entry) throw new StoreIntegrityError(`${DIRECTORY}/${fileName(files.at(-2)!)}`, `its last entry ${previous.problem}`, ALTERED);
        seq = previous.entry.seq;
        lastHash = previous.entry.hash;
        lastStore = previous.entry.store;
      }
    }
    const head = await AuditTrail.readHead(fs, directory, key);
    if (head && head.seq > seq) {
      throw new StoreIntegrityError(`${DIRECTORY}/${fileName(fileIndex)}`, `ends at entry ${seq}, but the trail had reached entry ${head.seq}: entries were cut off`, ALTERED);
    }
    const file = files.length > 0 ? await fs.openExisting(path.join(directory, fileName(fileIndex))) : undefined;
    const found: FoundTrail = {
      last: {
        seq, hash: seq === 0 ? NO_AUDIT_ENTRY.hash : Buffer.from(lastHash, 'base64url'), file: `${DIRECTORY}/${fileName(fileIndex)}`,
        ...(lastStore && { store: { generation: lastStore[0], records: lastStore[1] } }),
      },
      ...(head && { head: { seq: head.seq, ...(head.store && { store: { ...head.store, tag: Buffer.from(head.store.tag, 'base64url') } }) } }),
    };
    return new AuditTrail(fs, directory, key, log, file, fileIndex, fileLength, seq, lastHash, now, found);
  }

  /** The trail's files, by number; none when audit/ is missing. */
  private static async files(directory: string): Promise<number[]> {
    const names = await fsp.readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return names.map((name) => FILE_PATTERN.exec(name)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  /** The head's MAC: over the entry, and from the format with anchors on over the store's state, under its own label. */
  private static headMac(key: SecretKey, head: Omit<StoredHead, 'mac'>): string {
    const text = head.store
      ? `head v2\n${head.seq}\n${head.hash}\n${head.store.generation}\n${head.store.records}\n${head.store.tag}`
      : `head\n${head.seq}\n${head.hash}`;
    return keyedHash(key, Buffer.from(text)).toString('base64url');
  }

  private static async readHead(fs: StoreFileSystem, directory: string, key: SecretKey): Promise<StoredHead | undefined> {
    const bytes = await fs.readFile(path.join(directory, HEAD_FILE));
    if (!bytes) return undefined;
    try {
      const head = JSON.parse(bytes.toString('utf8')) as StoredHead;
      if (head.mac === AuditTrail.headMac(key, head)) return head;
    } catch {
      // fall through: not a head this vault wrote
    }
    throw new StoreIntegrityError(`${DIRECTORY}/${HEAD_FILE}`, 'fails its check: it was altered or damaged', ALTERED);
  }

  /** One line checked: its hash over the rest of the line, with the audit key. */
  private static parse(key: SecretKey, line: string): ParsedLine {
    const at = line.lastIndexOf(HASH_FIELD);
    if (at < 0 || !line.endsWith('"}')) return { problem: 'is not an audit entry' };
    const body = `${line.slice(0, at)}}`;
    const hash = line.slice(at + HASH_FIELD.length, -2);
    if (keyedHash(key, Buffer.from(body, 'utf8')).toString('base64url') !== hash) return { problem: 'fails its check: it was altered' };
    try {
      return { entry: { ...(JSON.parse(body) as StoredEntry), hash } };
    } catch {
      return { problem: 'is not an audit entry' };
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The last durable entry, as the key store names it. */
  get lastEntry(): AuditRef {
    return this.seq === 0 ? NO_AUDIT_ENTRY : { seq: this.seq, hash: Buffer.from(this.lastHash, 'base64url') };
  }

  /**
   * The key store's state now, and the entry it names last (both durable): later entries name the
   * state, and the head is written with it a few seconds later (anchor.ts).
   */
  anchorStore(state: StoreState, auditRef: AuditRef): void {
    this.store = state;
    this.anchoredBy = auditRef;
    this.scheduleHead();
  }

  /** Writes the head now (a new vault's first, or the first of a vault written before anchors). */
  writeHeadNow(): Promise<void> {
    return this.writes.run(() => this.writeHead(true));
  }

  private scheduleHead(): void {
    this.headTimer ??= setTimeout(() => {
      this.writes.run(() => this.writeHead()).catch((error: NodeJS.ErrnoException) =>
        this.log.warn('The audit trail\'s head could not be written; it is written again with the next entry', { event: 'audit.writeFailed', reason: error.code ?? error.message }));
    }, HEAD_FLUSH_MS).unref();
  }

  /**
   * Appends an entry and makes it durable; resolves with it. Entries are appended one at a time, in
   * the order they are given. Texts are masked: a key value or token pasted anywhere is cut to its hint.
   */
  record(record: AuditRecord): Promise<AuditEntry> {
    return this.writes.run(async () => {
      const entry: StoredEntry = {
        seq: this.seq + 1,
        at: new Date(this.now()).toISOString(),
        event: record.event,
        role: record.role,
        connection: record.connection,
        ...(record.account !== undefined && { account: record.account }),
        ...(record.keyName !== undefined && { keyName: maskSecrets(record.keyName) }),
        detail: JSON.parse(maskSecrets(JSON.stringify(record.detail ?? {}))) as Record<string, unknown>,
        ...(this.store && { store: [this.store.generation, this.store.records] }),
        prev: this.lastHash,
      };
      const body = JSON.stringify(entry);
      const hash = keyedHash(this.key, Buffer.from(body, 'utf8')).toString('base64url');
      const line = Buffer.from(`${body.slice(0, -1)}${HASH_FIELD}${hash}"}\n`, 'utf8');
      if (!this.file || this.fileLength + line.length > MAX_FILE_BYTES && this.fileLength > 0) await this.nextFile();
      try {
        await this.file!.write(line, this.fileLength);
        await this.file!.sync();
      } catch (error) {
        await this.file!.truncate(this.fileLength).catch(() => undefined);
        throw error;
      }
      this.fileLength += line.length;
      this.seq = entry.seq;
      this.lastHash = hash;
      this.scheduleHead();
      const { prev: _prev, store: _store, ...visible } = entry;
      return visible;
    });
  }

  /** Starts the next file of the trail; the chain runs on from the last entry of the one before. */
  private async nextFile(): Promise<void> {
    if (this.file) {
      await this.file.close();
      this.fileIndex++;
    } else {
      await this.makeDirectory();
    }
    this.file = await this.fs.create(path.join(this.directory, fileName(this.fileIndex)));
    this.fileLength = 0;
    await this.fs.syncDirectory(this.directory);
  }

  /** audit/ and its entry in the data dir, durable: made with the trail's first file or head. */
  private async makeDirectory(): Promise<void> {
    if (await fsp.mkdir(this.directory, { recursive: true, mode: 0o700 })) await this.fs.syncDirectory(path.dirname(this.directory));
  }

  private async writeHead(always = false): Promise<void> {
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    const store = this.store;
    const storeChanged = store !== undefined && (store.generation !== this.storeWritten?.generation || store.records !== this.storeWritten.records);
    if (!always && this.headWritten === this.seq && !storeChanged) return;
    const unsigned: Omit<StoredHead, 'mac'> = {
      seq: this.seq, hash: this.lastHash,
      ...(store && { store: { generation: store.generation, records: store.records, tag: store.tag.toString('base64url') } }),
    };
    if (!this.file) await this.makeDirectory();
    await replaceFileAtomically(this.fs, path.join(this.directory, HEAD_FILE), Buffer.from(JSON.stringify({ ...unsigned, mac: AuditTrail.headMac(this.key, unsigned) })));
    this.headWritten = unsigned.seq;
    this.storeWritten = store;
    this.headRequired ||= store !== undefined;
  }

  /** Every entry, oldest first, each checked, as the reader goes: a generator over the files. */
  private async *entries(): AsyncGenerator<ParsedLine & { file: string; line: number }> {
    for (const index of await AuditTrail.files(this.directory)) {
      const name = fileName(index);
      const text = (await this.fs.readFile(path.join(this.directory, name)))?.toString('utf8') ?? '';
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (let i = 0; i < lines.length; i++) yield { ...AuditTrail.parse(this.key, lines[i]!), file: `${DIRECTORY}/${name}`, line: i + 1 };
    }
  }

  /**
   * The first broken or missing link, or how many entries are intact: each entry's hash, its link to
   * the one before, its sequence number, and the last one against the head.
   */
  verify(): Promise<AuditVerifyResult> {
    return this.writes.run(async () => {
      let expectedSeq = 1;
      let prev = keyedHash(this.key, Buffer.from(GENESIS)).toString('base64url');
      let anchoredHash: string | undefined;
      for await (const { entry, problem, file, line } of this.entries()) {
        const where = `${file} line ${line}`;
        if (!entry) return { intact: false, brokenAt: expectedSeq, reason: `${where} ${problem}.` };
        if (entry.seq !== expectedSeq) {
          return { intact: false, brokenAt: expectedSeq, reason: `${where} is entry ${entry.seq} where entry ${expectedSeq} should be: ${entry.seq > expectedSeq ? 'entries are missing' : 'an entry is repeated'}.` };
        }
        if (entry.prev !== prev) return { intact: false, brokenAt: entry.seq, reason: `${where} does not link to the entry before it: an entry was removed or replaced.` };
        if (entry.seq === this.anchoredBy.seq) anchoredHash = entry.hash;
        prev = entry.hash;
        expectedSeq++;
      }
      const entries = expectedSeq - 1;
      if (entries < this.seq) {
        return { intact: false, brokenAt: entries + 1, reason: `The trail ends at entry ${entries}, but entry ${this.seq} was written: entries were cut off the end.` };
      }
      if (anchoredHash !== undefined && anchoredHash !== this.anchoredBy.hash.toString('base64url')) {
        return { intact: false, brokenAt: this.anchoredBy.seq, reason: `Entry ${this.anchoredBy.seq} is not the one the key store names: the trail was replaced.` };
      }
      if (this.headRequired && !(await this.fs.readFile(path.join(this.directory, HEAD_FILE)))) {
        return { intact: false, brokenAt: entries + 1, reason: `${DIRECTORY}/${HEAD_FILE} is missing: without it, entries cut off the end would go unseen.` };
      }
      return { intact: true, entries };
    });
  }

  /** Entries matching `filter`, oldest first; `limit` keeps the most recent matches; `total` counts all. */
  async list(filter: AuditListParams): Promise<AuditListResult> {
    const since = filter.since === undefined ? -Infinity : Date.parse(filter.since);
    const until = filter.until === undefined ? Infinity : Date.parse(filter.until);
    const keyName = filter.keyName === undefined ? undefined : foldName(filter.keyName);
    const items: AuditEntry[] = [];
    let total = 0;
    for await (const { entry } of this.entries()) {
      if (!entry) continue; // a broken entry is audit.verify's to report
      const at = Date.parse(entry.at);
      if (at < since || at > until) continue;
      if (filter.event !== undefined && entry.event !== filter.event) continue;
      if (keyName !== undefined && (entry.keyName === undefined || foldName(entry.keyName) !== keyName)) continue;
      total++;
      const { prev: _prev, hash: _hash, store: _store, ...visible } = entry;
      items.push(visible);
      if (filter.limit !== undefined && items.length > filter.limit) items.shift();
    }
    return { items, total };
  }

  /** Writes the head and closes the file. A head that cannot be written is logged: the entries are durable already. */
  close(): Promise<void> {
    return this.writes.run(async () => {
      await this.writeHead().catch((error: NodeJS.ErrnoException) =>
        this.log.error('The audit trail\'s head could not be written at close', { event: 'audit.writeFailed', reason: error.code ?? error.message }));
      await this.file?.close();
      this.file = undefined;
    });
  }
}

const ALTERED = 'Nothing was changed. Restore the data directory from a backup; to start a new trail instead, move the audit directory aside (the old one stays as evidence).';
