import type { ApiKeyRecord } from '../api-key.js';
import { dateOfDay } from '../instant.js';
import { KeyUsage } from '../key-usage.js';
import { epochDay } from '../status.js';
import { decodeRecords } from './mutations.js';

/**
 * A snapshot's keys in binary, from format 5 (docs/storage.md, "Formats"): a count, then each key's
 * fixed fields and its texts, so that a start reads them into the key table in one pass with no JSON
 * and no object per key. Older snapshots hold JSON rows (mutations.ts); the journal stays JSON.
 *
 *   keys  : count(u32) key*
 *   key   : flags(u8) createdAt(f64) updatedAt(f64) expiresOn(i32, epoch day)
 *           [lastUsedAt(f64)] [rotatedAt(f64)] [disabledAt(f64)] [previousValidUntil(f64)]
 *           id key [previousKey] name description [disabledReason] [usage, as JSON]
 *   text  : length(u32) bytes: UTF-8, or UTF-16LE when the length's top bit is set (text with a lone
 *           surrogate, which UTF-8 cannot hold, kept as it is)
 * All little-endian; a field in brackets is there when its flag is.
 */
export const BINARY_SNAPSHOT_FORMAT = 5;

const ENABLED = 1;
const LAST_USED = 2;
const ROTATED = 4;
const DISABLED_AT = 8;
const PREVIOUS = 16;
const REASON = 32;
const USAGE = 64;
const UTF16 = 0x8000_0000;
const LONE_SURROGATE = /\p{Cs}/u;

/** A growing buffer the keys are written into. */
class Writer {
  bytes: Buffer;
  at = 0;

  constructor(size: number) {
    this.bytes = Buffer.alloc(size);
  }

  room(bytes: number): void {
    if (this.at + bytes <= this.bytes.length) return;
    const wider = Buffer.alloc(Math.max(this.bytes.length * 2, this.at + bytes));
    this.bytes.copy(wider, 0, 0, this.at);
    this.bytes = wider;
  }

  u8(value: number): void {
    this.room(1);
    this.at = this.bytes.writeUInt8(value, this.at);
  }

  f64(value: number): void {
    this.room(8);
    this.at = this.bytes.writeDoubleLE(value, this.at);
  }

  i32(value: number): void {
    this.room(4);
    this.at = this.bytes.writeInt32LE(value, this.at);
  }

  text(value: string): void {
    const utf16 = LONE_SURROGATE.test(value);
    const encoding = utf16 ? 'utf16le' : 'utf8';
    const length = Buffer.byteLength(value, encoding);
    this.room(4 + length);
    this.at = this.bytes.writeUInt32LE(utf16 ? (length | UTF16) >>> 0 : length, this.at);
    this.at += this.bytes.write(value, this.at, encoding);
  }
}

/** The keys of a snapshot of format 5, with their uses as they are now. */
export function encodeSnapshotKeys(records: Iterable<ApiKeyRecord>): Buffer {
  const out = new Writer(64 * 1024);
  out.room(4);
  out.at = 4;
  let count = 0;
  for (const r of records) {
    const usage = r.usage?.all() ?? null;
    out.u8((r.enabled ? ENABLED : 0) | (r.lastUsedAt !== null ? LAST_USED : 0) | (r.rotatedAt !== null ? ROTATED : 0) |
      (r.disabledAt !== null ? DISABLED_AT : 0) | (r.previous ? PREVIOUS : 0) | (r.disabledReason !== null ? REASON : 0) | (usage ? USAGE : 0));
    out.f64(r.createdAt);
    out.f64(r.updatedAt);
    out.i32(epochDay(String(r.expiresOn)));
    if (r.lastUsedAt !== null) out.f64(r.lastUsedAt);
    if (r.rotatedAt !== null) out.f64(r.rotatedAt);
    if (r.disabledAt !== null) out.f64(r.disabledAt);
    if (r.previous) out.f64(r.previous.validUntil);
    out.text(r.id);
    out.text(r.key);
    if (r.previous) out.text(r.previous.key);
    out.text(r.name);
    out.text(r.description);
    if (r.disabledReason !== null) out.text(r.disabledReason);
    if (usage) out.text(JSON.stringify(usage));
    count++;
  }
  out.bytes.writeUInt32LE(count, 0);
  return out.bytes.subarray(0, out.at);
}

/**
 * The keys of a snapshot of format 5, read one at a time into one record that each next key
 * overwrites: a reader copies what it keeps (KeyTable.load does), so no object is made per key. The
 * payload is let go once the last key is read. Throws a RangeError on bytes that do not hold keys.
 */
class BinaryKeys implements Iterable<ApiKeyRecord>, Iterator<ApiKeyRecord> {
  private at = 4;
  private left: number;
  private readonly record: ApiKeyRecord = {
    id: '', name: '', description: '', key: '', createdAt: 0, updatedAt: 0, expiresOn: '', enabled: true, disabledAt: null,
    disabledReason: null, rotatedAt: null, previous: null, lastUsedAt: null, usage: null,
  };

  /** How many keys: the table makes room for them at once. */
  readonly length: number;

  constructor(private bytes: Buffer) {
    this.left = this.length = bytes.readUInt32LE(0);
  }

  [Symbol.iterator](): Iterator<ApiKeyRecord> {
    return this;
  }

  next(): IteratorResult<ApiKeyRecord> {
    if (this.left === 0) {
      if (this.at !== this.bytes.length) throw new RangeError('bytes after the last key');
      this.bytes = Buffer.alloc(0);
      return { done: true, value: undefined };
    }
    this.left--;
    const flags = this.u8();
    const r = this.record as { -readonly [F in keyof ApiKeyRecord]: ApiKeyRecord[F] };
    r.enabled = (flags & ENABLED) !== 0;
    r.createdAt = this.f64();
    r.updatedAt = this.f64();
    r.expiresOn = dateOfDay(this.i32());
    r.lastUsedAt = flags & LAST_USED ? this.f64() : null;
    r.rotatedAt = flags & ROTATED ? this.f64() : null;
    r.disabledAt = flags & DISABLED_AT ? this.f64() : null;
    const validUntil = flags & PREVIOUS ? this.f64() : 0;
    r.id = this.text();
    r.key = this.text();
    r.previous = flags & PREVIOUS ? { key: this.text(), validUntil } : null;
    r.name = this.text();
    r.description = this.text();
    r.disabledReason = flags & REASON ? this.text() : null;
    r.usage = flags & USAGE ? KeyUsage.from(JSON.parse(this.text())) : null;
    return { done: false, value: r };
  }

  private u8(): number {
    return this.bytes.readUInt8(this.at++);
  }

  private f64(): number {
    const value = this.bytes.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  private i32(): number {
    const value = this.bytes.readInt32LE(this.at);
    this.at += 4;
    return value;
  }

  private text(): string {
    const head = this.bytes.readUInt32LE(this.at);
    const length = head & ~UTF16;
    const start = this.at + 4;
    this.at = start + length;
    if (this.at > this.bytes.length) throw new RangeError('a text runs past the end of the keys');
    return this.bytes.toString(head & UTF16 ? 'utf16le' : 'utf8', start, this.at);
  }
}

/** A snapshot's keys, of the given format version: read as they are iterated from format 5, JSON rows before it. */
export function decodeSnapshotKeys(bytes: Buffer, version: number): Iterable<ApiKeyRecord> {
  return version >= BINARY_SNAPSHOT_FORMAT ? new BinaryKeys(bytes) : decodeRecords(bytes, version);
}
