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

/**
 * The audit trail (docs/storage.md, "The audit trail"): one JSON line per change, reveal, rotation,
 * disable/enable, backup, restore, rekey and burst of failed authentications, appended and fsynced
 * under `<data-dir>/audit/`, before the change it records is acknowledged.
 *
 *   line  : {"seq","at","event","role","connection","account"?,"keyName"?,"detail","prev","hash"}
 *   hash  : b64url(BLAKE2b keyed by the audit key (derived from the master key) over the line without "hash")
 *   prev  : the hash of the entry before (of the genesis text for the first)
 *   files : audit-000001.jsonl, audit-000002.jsonl, … a new one past MAX_FILE_BYTES; the chain runs on across them
 *   head  : audit/head, {"seq","hash","mac"}: the last entry as of the last flush (coalesced, and at close), so that
 *           entries cut off the end are found missing.
 *
 * Only the vault can extend the chain: a forged or altered entry fails its hash, a removed one
 * breaks the next entry's prev, and one cut off the end falls short of the head. No entry holds a
 * secret: every text in it passes the mask of src/shared/secret-text.ts.
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
  entry?: AuditEntry & { prev: string; hash: string };
  problem?: string;
}

export class AuditTrail {
  private readonly writes = new WriteQueue();
  private headTimer: NodeJS.Timeout | undefined;
  private headWritten: number;

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
  ) {
    this.headWritten = seq;
  }

  /**
   * Opens the trail in `dataDir`, creating it on first use. Checks the last entry and the head: an
   * altered last entry or entries cut off the end stop the start (StoreIntegrityError), as the store
   * does; a torn last line (a crash in the middle of an append, never acknowledged) is dropped with a
   * warning.
   */
  static async open(fs: StoreFileSystem, dataDir: string, key: SecretKey, log: Log, now: () => number = Date.now): Promise<AuditTrail> {
    const directory = path.join(dataDir, DIRECTORY);
    await fsp.mkdir(directory, { recursive: true, mode: 0o700 });
    const files = await AuditTrail.files(directory);
    const genesis = keyedHash(key, Buffer.from(GENESIS)).toString('base64url');
    let seq = 0;
    let lastHash = genesis;
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
      } else if (files.length > 1) {
        // An empty newest file (a crash right after rotating): the chain's end is in the one before.
        const before = await fs.readFile(path.join(directory, fileName(files.at(-2)!)));
        const previous = AuditTrail.parse(key, before?.toString('utf8').trimEnd().split('\n').at(-1) ?? '');
        if (!previous.entry) throw new StoreIntegrityError(`${DIRECTORY}/${fileName(files.at(-2)!)}`, `its last entry ${previous.problem}`, ALTERED);
        seq = previous.entry.seq;
        lastHash = previous.entry.hash;
      }
    }
    const head = await AuditTrail.readHead(fs, directory, key);
    if (head && head.seq > seq) {
      throw new StoreIntegrityError(`${DIRECTORY}/${fileName(fileIndex)}`, `ends at entry ${seq}, but the trail had reached entry ${head.seq}: entries were cut off`, ALTERED);
    }
    const file = files.length > 0 ? await fs.openExisting(path.join(directory, fileName(fileIndex))) : undefined;
    return new AuditTrail(fs, directory, key, log, file, fileIndex, fileLength, seq, lastHash, now);
  }

  private static async files(directory: string): Promise<number[]> {
    return (await fsp.readdir(directory)).map((name) => FILE_PATTERN.exec(name)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  private static headMac(key: SecretKey, seq: number, hash: string): string {
    return keyedHash(key, Buffer.from(`head\n${seq}\n${hash}`)).toString('base64url');
  }

  private static async readHead(fs: StoreFileSystem, directory: string, key: SecretKey): Promise<{ seq: number; hash: string } | undefined> {
    const bytes = await fs.readFile(path.join(directory, HEAD_FILE));
    if (!bytes) return undefined;
    try {
      const head = JSON.parse(bytes.toString('utf8')) as { seq: number; hash: string; mac: string };
      if (head.mac === AuditTrail.headMac(key, head.seq, head.hash)) return head;
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
      return { entry: { ...(JSON.parse(body) as AuditEntry & { prev: string }), hash } };
    } catch {
      return { problem: 'is not an audit entry' };
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Appends an entry and makes it durable; resolves with it. Entries are appended one at a time, in
   * the order they are given. Texts are masked: a key value or token pasted anywhere is cut to its hint.
   */
  record(record: AuditRecord): Promise<AuditEntry> {
    return this.writes.run(async () => {
      const entry: AuditEntry & { prev: string } = {
        seq: this.seq + 1,
        at: new Date(this.now()).toISOString(),
        event: record.event,
        role: record.role,
        connection: record.connection,
        ...(record.account !== undefined && { account: record.account }),
        ...(record.keyName !== undefined && { keyName: maskSecrets(record.keyName) }),
        detail: JSON.parse(maskSecrets(JSON.stringify(record.detail ?? {}))) as Record<string, unknown>,
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
      this.headTimer ??= setTimeout(() => {
        this.writes.run(() => this.writeHead()).catch((error: NodeJS.ErrnoException) =>
          this.log.warn('The audit trail\'s head could not be written; it is written again with the next entry', { event: 'audit.writeFailed', reason: error.code ?? error.message }));
      }, HEAD_FLUSH_MS).unref();
      const { prev: _prev, ...visible } = entry;
      return visible;
    });
  }

  /** Starts the next file of the trail; the chain runs on from the last entry of the one before. */
  private async nextFile(): Promise<void> {
    if (this.file) {
      await this.file.close();
      this.fileIndex++;
    }
    this.file = await this.fs.create(path.join(this.directory, fileName(this.fileIndex)));
    this.fileLength = 0;
    await this.fs.syncDirectory(this.directory);
  }

  private async writeHead(): Promise<void> {
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    if (this.headWritten === this.seq) return;
    const head = { seq: this.seq, hash: this.lastHash, mac: AuditTrail.headMac(this.key, this.seq, this.lastHash) };
    await replaceFileAtomically(this.fs, path.join(this.directory, HEAD_FILE), Buffer.from(JSON.stringify(head)));
    this.headWritten = head.seq;
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
      for await (const { entry, problem, file, line } of this.entries()) {
        const where = `${file} line ${line}`;
        if (!entry) return { intact: false, brokenAt: expectedSeq, reason: `${where} ${problem}.` };
        if (entry.seq !== expectedSeq) {
          return { intact: false, brokenAt: expectedSeq, reason: `${where} is entry ${entry.seq} where entry ${expectedSeq} should be: ${entry.seq > expectedSeq ? 'entries are missing' : 'an entry is repeated'}.` };
        }
        if (entry.prev !== prev) return { intact: false, brokenAt: entry.seq, reason: `${where} does not link to the entry before it: an entry was removed or replaced.` };
        prev = entry.hash;
        expectedSeq++;
      }
      const entries = expectedSeq - 1;
      if (entries < this.seq) {
        return { intact: false, brokenAt: entries + 1, reason: `The trail ends at entry ${entries}, but entry ${this.seq} was written: entries were cut off the end.` };
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
      const { prev: _prev, hash: _hash, ...visible } = entry;
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
