import type { ApiKeyRecord } from './api-key.js';
import { dateOfDay } from './instant.js';
import { KeyUsage } from './key-usage.js';
import { foldName } from './name.js';
import { epochDay, type IsoDate } from './status.js';
import type { Mutation } from './storage/mutations.js';

/** Room for a key value's text, byte for byte: `gwk_` + 49 characters (src/shared/secret-format.ts). */
const VALUE_BYTES = 53;
const VALUE_TEXT = /^[0-9A-Za-z_-]{0,53}$/;
const FIRST_CAPACITY = 16;
/** A hash table's buckets hold `slot + 1`, 0 for never used, -1 for a removed entry that probes go past. */
const EMPTY = 0;
const REMOVED = -1;
/** Flags of a slot. */
const LIVE = 1;
const ENABLED = 2;
/** Its lookup tags are in the tag table: a slot loaded at start waits for `tagSome` (docs/architecture.md, "The key table"). */
const TAGGED = 4;

/** A key's previous value during the grace of a rotation: few keys have one, so they are kept beside the table. */
interface PreviousValue {
  readonly key: string;
  readonly validUntil: number;
}

/** 32 bits of FNV-1a over a string's UTF-16 units: where a name or an id starts its probe. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** The first bucket of a 32-bit hash: multiplied through, so that hashes differing in their high bits spread too. */
function bucketOf(hash: number, mask: number): number {
  const mixed = Math.imul(hash, 0x9e3779b1);
  return (mixed ^ (mixed >>> 15)) & mask;
}

/** Whether `a` and `b` are the same text, in a time that depends on their length only. */
function equalTextConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * An open-addressed hash table of slots in one Int32Array, with each bucket's hash in another:
 * probes compare the hash, then the caller compares the key itself. Entries of equal hashes (names
 * never, lookup tags sometimes) sit in buckets of their own, all found by one probe.
 */
class SlotHashTable {
  private slots = new Int32Array(2 * FIRST_CAPACITY);
  private hashes = new Int32Array(2 * FIRST_CAPACITY);
  private used = 0;
  private removed = 0;

  get byteLength(): number {
    return this.slots.byteLength + this.hashes.byteLength;
  }

  /**
   * The first bucket holding an entry of `hash` (then `next(hash, bucket)`), or -1 after the last:
   * a probe with no closure, for the authenticate path (`entryAt` reads a bucket's entry).
   */
  first(hash: number): number {
    return this.from(hash, bucketOf(hash, this.slots.length - 1));
  }

  next(hash: number, bucket: number): number {
    return this.from(hash, (bucket + 1) & (this.slots.length - 1));
  }

  entryAt(bucket: number): number {
    return this.slots[bucket]! - 1;
  }

  private from(hash: number, at: number): number {
    const mask = this.slots.length - 1;
    for (; ; at = (at + 1) & mask) {
      const held = this.slots[at]!;
      if (held === EMPTY) return -1;
      if (held !== REMOVED && this.hashes[at] === hash) return at;
    }
  }

  add(hash: number, entry: number): void {
    if ((this.used + this.removed + 1) * 2 > this.slots.length) this.rebuild(this.used + 1);
    const mask = this.slots.length - 1;
    let at = bucketOf(hash, mask);
    while (this.slots[at]! > 0) at = (at + 1) & mask;
    if (this.slots[at] === REMOVED) this.removed--;
    this.slots[at] = entry + 1;
    this.hashes[at] = hash;
    this.used++;
  }

  /** Removes `entry` from under `hash` once (a key whose two values share a tag is there twice). */
  remove(hash: number, entry: number): void {
    const mask = this.slots.length - 1;
    for (let at = bucketOf(hash, mask); this.slots[at] !== EMPTY; at = (at + 1) & mask) {
      if (this.slots[at] === entry + 1 && this.hashes[at] === hash) {
        this.slots[at] = REMOVED;
        this.used--;
        this.removed++;
        return;
      }
    }
  }

  /** Buckets for `entries` at once. */
  reserve(entries: number): void {
    if (entries * 2 > this.slots.length) this.rebuild(entries);
  }

  /** Buckets at least twice the entries, a power of two; removed entries dropped. */
  private rebuild(entries: number): void {
    let size = this.slots.length;
    while (entries * 2 > size) size *= 2;
    const { slots, hashes } = this;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.used = 0;
    this.removed = 0;
    for (let i = 0; i < slots.length; i++) if (slots[i]! > 0) this.add(hashes[i]!, slots[i]! - 1);
  }
}

/**
 * The keys in memory, one slot per key in a few large arrays rather than an object per key
 * (docs/architecture.md, "The key table"): instants in Float64Arrays (NaN for none), the expiry as
 * an epoch day, flags in a Uint8Array, key values as their text's bytes; ids, names, descriptions
 * and disable reasons as the strings they were read as; previous values and uses per connector
 * beside the table, for the few keys that have them. A key is found by id and by folded name
 * through open-addressed tables of slots, and by key value through its 32-bit lookup tag (a keyed
 * BLAKE2b computed by `lookupTag`), then compared in constant time with the value of every key of
 * that tag: a tag alone never authenticates. A record is made on demand for one key (`record`);
 * lists read the columns. Changed only through `load` (a snapshot, at start), `apply`, the same
 * function that replays the journal, `recordUse`, and `dropPreviousValues` at a compaction.
 */
export class KeyTable {
  private capacity = FIRST_CAPACITY;
  /** Slots ever used; a deleted slot below it is reused first (`free`). */
  private end = 0;
  private live = 0;
  private readonly free: number[] = [];
  private flags = new Uint8Array(FIRST_CAPACITY);
  private createdAt = new Float64Array(FIRST_CAPACITY);
  private updatedAt = new Float64Array(FIRST_CAPACITY);
  private lastUsed = new Float64Array(FIRST_CAPACITY);
  private rotatedAt = new Float64Array(FIRST_CAPACITY);
  private disabledAt = new Float64Array(FIRST_CAPACITY);
  private expiresDay = new Int32Array(FIRST_CAPACITY);
  /** The hash of each key's folded name, so a probe by name folds only the names whose hash matches. */
  private nameHash = new Int32Array(FIRST_CAPACITY);
  private valueLength = new Uint8Array(FIRST_CAPACITY);
  private values = Buffer.alloc(FIRST_CAPACITY * VALUE_BYTES);
  private ids: string[] = [];
  private names: string[] = [];
  private descriptions: string[] = [];
  private reasons: (string | null)[] = [];
  private readonly previous = new Map<number, PreviousValue>();
  private readonly usage = new Map<number, KeyUsage>();
  private readonly byId = new SlotHashTable();
  private readonly byName = new SlotHashTable();
  /** Entries `2 × slot` for a key's value, `2 × slot + 1` for its previous value. */
  private readonly byTag = new SlotHashTable();
  /** Slots below this that `load` filled are tagged by `tagSome`, from the top down. */
  private untaggedEnd = 0;
  private sortedByName: Int32Array | undefined;

  constructor(private readonly lookupTag: (keyValue: string) => number) {}

  get size(): number {
    return this.live;
  }

  /** The bytes of the table's arrays, its columns and hash tables: what the daemon holds in buffers for its keys. */
  get byteLength(): number {
    const columns = [this.flags, this.createdAt, this.updatedAt, this.lastUsed, this.rotatedAt, this.disabledAt, this.expiresDay, this.nameHash,
      this.valueLength, this.values];
    return columns.reduce((sum, column) => sum + column.byteLength, 0) + this.byId.byteLength + this.byName.byteLength + this.byTag.byteLength;
  }

  /** Every slot is below this: what an array by slot needs. */
  get slotLimit(): number {
    return this.end;
  }

  /** The live slots, in slot order. */
  *slots(): IterableIterator<number> {
    for (let slot = 0; slot < this.end; slot++) if (this.flags[slot]! & LIVE) yield slot;
  }

  /** Every key as a record, made one at a time: for a compaction or a backup, which write each and let it go. */
  *records(): IterableIterator<ApiKeyRecord> {
    for (const slot of this.slots()) yield this.record(slot);
  }

  /** Every key's slot in name order (case-insensitive, ties by the exact name): sorted once after a change, not per list. */
  keysByName(): Int32Array {
    if (this.sortedByName === undefined) {
      const folded: string[] = new Array<string>(this.end);
      const order: number[] = [];
      for (const slot of this.slots()) {
        order.push(slot);
        folded[slot] = foldName(this.names[slot]!);
      }
      order.sort((a, b) => {
        const fa = folded[a]!;
        const fb = folded[b]!;
        if (fa !== fb) return fa < fb ? -1 : 1;
        const na = this.names[a]!;
        const nb = this.names[b]!;
        return na < nb ? -1 : na > nb ? 1 : 0;
      });
      this.sortedByName = Int32Array.from(order);
    }
    return this.sortedByName;
  }

  findByName(name: string): ApiKeyRecord | undefined {
    const slot = this.slotByName(name);
    return slot < 0 ? undefined : this.record(slot);
  }

  findById(id: string): ApiKeyRecord | undefined {
    const slot = this.slotById(id);
    return slot < 0 ? undefined : this.record(slot);
  }

  /** The slot of the key named `name`, whatever its case; -1 when none. */
  slotByName(name: string): number {
    const folded = foldName(name);
    const hash = hashText(folded);
    for (let at = this.byName.first(hash); at >= 0; at = this.byName.next(hash, at)) {
      const slot = this.byName.entryAt(at);
      if (foldName(this.names[slot]!) === folded) return slot;
    }
    return -1;
  }

  slotById(id: string): number {
    const hash = hashText(id);
    for (let at = this.byId.first(hash); at >= 0; at = this.byId.next(hash, at)) {
      const slot = this.byId.entryAt(at);
      if (this.ids[slot] === id) return slot;
    }
    return -1;
  }

  /**
   * The key whose value, or previous value, is `keyValue`, as `2 × slot`, or `2 × slot + 1` for a
   * previous value; -1 when none. The caller has checked its format and decides whether a previous
   * value is still in its grace. No allocation: the value is compared with the table's bytes.
   */
  findByKey(keyValue: string): number {
    if (this.untaggedEnd > 0) this.tagSome();
    const tag = this.lookupTag(keyValue);
    // Every key of the tag is tried: a tag alone never authenticates.
    for (let at = this.byTag.first(tag); at >= 0; at = this.byTag.next(tag, at)) {
      const entry = this.byTag.entryAt(at);
      const slot = entry >> 1;
      if (entry & 1 ? equalTextConstantTime(this.previous.get(slot)!.key, keyValue) : this.valueIs(slot, keyValue)) return entry;
    }
    return -1;
  }

  /**
   * Loads a snapshot's keys. Their lookup tags, a keyed hash each, are left to `tagSome`, so a large
   * vault serves sooner. Keys that say how many they are (an array, a format 5 snapshot) get their
   * room at once, not by doublings that copy every array and rebuild every hash table.
   */
  load(records: Iterable<ApiKeyRecord> & { readonly length?: number }): void {
    if (records.length !== undefined) this.reserve(this.live + records.length);
    for (const record of records) {
      const slot = this.put(record, false);
      if (slot >= this.untaggedEnd) this.untaggedEnd = slot + 1;
    }
    this.sortedByName = undefined;
  }

  /** Computes up to `limit` of the lookup tags `load` left; returns whether some remain. */
  tagSome(limit = Infinity): boolean {
    for (; limit > 0 && this.untaggedEnd > 0; limit--) {
      const slot = --this.untaggedEnd;
      if ((this.flags[slot]! & (LIVE | TAGGED)) === LIVE) this.tag(slot);
    }
    return this.untaggedEnd > 0;
  }

  apply(mutation: Mutation): void {
    switch (mutation.type) {
      case 'put':
        this.put(mutation.record, true);
        this.sortedByName = undefined;
        break;
      case 'delete': {
        const slot = this.slotById(mutation.id);
        if (slot >= 0) this.remove(slot);
        this.sortedByName = undefined;
        break;
      }
      case 'used':
        for (const [id, at] of mutation.lastUsedAt) {
          const slot = this.slotById(id);
          // The later use wins: a flush may land after a newer use was recorded in memory.
          if (slot >= 0 && !(this.lastUsed[slot]! >= at)) this.lastUsed[slot] = at;
        }
        for (const [id, unattributed, connectors] of mutation.usage ?? []) {
          const slot = this.slotById(id);
          if (slot >= 0) this.usageFor(slot).merge([unattributed, connectors]);
        }
        break;
    }
  }

  /** A successful authentication at `now` (docs/architecture.md, "The hot path"): a number and a counter updated in place. */
  recordUse(slot: number, now: number, connectorId: string | undefined): void {
    this.lastUsed[slot] = now;
    this.usageFor(slot).record(connectorId, now);
  }

  /**
   * Forgets the previous values whose grace has ended by `now`, so that the compaction that follows
   * writes them off the disk (docs/storage.md, "Rotation"). In place: the key is the same key, and
   * an ended previous value already authenticated nothing.
   */
  dropPreviousValues(now: number): void {
    for (const [slot, previous] of this.previous) if (previous.validUntil <= now) this.dropPrevious(slot);
  }

  /** The earliest instant after `now` at which a previous value's grace ends; undefined when none will. */
  nextPreviousValueEnd(now: number): number | undefined {
    let next: number | undefined;
    for (const { validUntil } of this.previous.values()) if (validUntil > now && (next === undefined || validUntil < next)) next = validUntil;
    return next;
  }

  /** Whether a previous value's grace has ended by `now` while its ciphertext is still kept. */
  hasEndedPreviousValue(now: number): boolean {
    for (const { validUntil } of this.previous.values()) if (validUntil <= now) return true;
    return false;
  }

  // A slot's fields, for the hot path and lists: read from the columns, no record made.

  id(slot: number): string {
    return this.ids[slot]!;
  }

  /** The key's uses per connector; undefined before its first use. */
  usageOf(slot: number): KeyUsage | undefined {
    return this.usage.get(slot);
  }

  name(slot: number): string {
    return this.names[slot]!;
  }

  description(slot: number): string {
    return this.descriptions[slot]!;
  }

  enabled(slot: number): boolean {
    return (this.flags[slot]! & ENABLED) !== 0;
  }

  expiresOnDay(slot: number): number {
    return this.expiresDay[slot]!;
  }

  expiresOn(slot: number): IsoDate {
    return dateOfDay(this.expiresDay[slot]!);
  }

  createdAtOf(slot: number): number {
    return this.createdAt[slot]!;
  }

  updatedAtOf(slot: number): number {
    return this.updatedAt[slot]!;
  }

  /** NaN when never used, like the other optional instants below. */
  lastUsedAtOf(slot: number): number {
    return this.lastUsed[slot]!;
  }

  rotatedAtOf(slot: number): number {
    return this.rotatedAt[slot]!;
  }

  disabledAtOf(slot: number): number {
    return this.disabledAt[slot]!;
  }

  disabledReason(slot: number): string | null {
    return this.reasons[slot] ?? null;
  }

  /** When the key's previous value stops authenticating; NaN when it has none. */
  previousValidUntil(slot: number): number {
    return this.previous.get(slot)?.validUntil ?? NaN;
  }

  /** Every key's value as bytes, `VALUE_BYTES` a slot: a list copies each hint from here (`valueStart`), with no view made per key. */
  get valueBytes(): Uint8Array {
    return this.values;
  }

  valueStart(slot: number): number {
    return slot * VALUE_BYTES;
  }

  valueLengthOf(slot: number): number {
    return this.valueLength[slot]!;
  }

  /** One key as a record, made on demand: what the rules of the vault read and plan changes from. */
  record(slot: number): ApiKeyRecord {
    const start = slot * VALUE_BYTES;
    return {
      id: this.ids[slot]!,
      name: this.names[slot]!,
      description: this.descriptions[slot]!,
      key: Buffer.from(this.values.buffer, this.values.byteOffset + start, this.valueLength[slot]!).toString('latin1'),
      createdAt: this.createdAt[slot]!,
      updatedAt: this.updatedAt[slot]!,
      expiresOn: this.expiresOn(slot),
      enabled: this.enabled(slot),
      disabledAt: nullIfNaN(this.disabledAt[slot]!),
      disabledReason: this.disabledReason(slot),
      rotatedAt: nullIfNaN(this.rotatedAt[slot]!),
      previous: this.previous.get(slot) ?? null,
      lastUsedAt: nullIfNaN(this.lastUsed[slot]!),
      usage: this.usage.get(slot) ?? null,
    };
  }

  /**
   * Writes `record` into its key's slot, or a new one. A change of a key keeps what its uses are
   * now: the new record was planned, or written, before the latest uses (docs/storage.md, "Usage
   * per connector"). Returns the slot.
   */
  private put(record: ApiKeyRecord, tag: boolean): number {
    const expiresDay = epochDay(String(record.expiresOn));
    // The table keeps the day; a text it would not give back the same is refused rather than changed.
    if (dateOfDay(expiresDay) !== String(record.expiresOn)) throw new RangeError(`an expiry date must be YYYY-MM-DD: ${String(record.expiresOn)}`);
    // Its bytes are its text, and its hint goes into JSON unescaped: the key format's alphabet only.
    if (!VALUE_TEXT.test(record.key) || (record.previous && !VALUE_TEXT.test(record.previous.key))) throw new RangeError('a key value holds characters no key value has');
    let slot = this.slotById(record.id);
    if (slot >= 0) {
      const lastUsed = this.lastUsed[slot]!;
      const usage = this.usage.get(slot);
      this.remove(slot);
      this.free.pop(); // the same slot again
      // On the record itself, as the key's state in memory: its caller answers from it.
      if (!Number.isNaN(lastUsed) && (record.lastUsedAt === null || record.lastUsedAt < lastUsed)) record.lastUsedAt = lastUsed;
      if (usage) record.usage = usage;
    } else {
      slot = this.free.pop() ?? this.end++;
      if (slot >= this.capacity) this.grow();
    }
    this.flags[slot] = LIVE | (record.enabled ? ENABLED : 0);
    this.ids[slot] = record.id;
    this.names[slot] = record.name;
    this.descriptions[slot] = record.description;
    this.reasons[slot] = record.disabledReason;
    this.createdAt[slot] = record.createdAt;
    this.updatedAt[slot] = record.updatedAt;
    this.lastUsed[slot] = record.lastUsedAt ?? NaN;
    this.rotatedAt[slot] = record.rotatedAt ?? NaN;
    this.disabledAt[slot] = record.disabledAt ?? NaN;
    this.expiresDay[slot] = expiresDay;
    this.valueLength[slot] = this.values.write(record.key, slot * VALUE_BYTES, 'latin1');
    if (record.previous) this.previous.set(slot, { key: record.previous.key, validUntil: record.previous.validUntil });
    if (record.usage) this.usage.set(slot, record.usage);
    const nameHash = hashText(foldName(record.name));
    this.nameHash[slot] = nameHash;
    this.byName.add(nameHash, slot);
    this.byId.add(hashText(record.id), slot);
    if (tag) this.tag(slot);
    this.live++;
    return slot;
  }

  private remove(slot: number): void {
    if (this.flags[slot]! & TAGGED) {
      this.byTag.remove(this.lookupTag(this.valueText(slot)), 2 * slot);
      const previous = this.previous.get(slot);
      if (previous) this.byTag.remove(this.lookupTag(previous.key), 2 * slot + 1);
    }
    this.byName.remove(this.nameHash[slot]!, slot);
    this.byId.remove(hashText(this.ids[slot]!), slot);
    this.previous.delete(slot);
    this.usage.delete(slot);
    this.flags[slot] = 0;
    // Strings go with the key; the numbers are overwritten by the slot's next key.
    this.ids[slot] = this.names[slot] = this.descriptions[slot] = '';
    this.reasons[slot] = null;
    this.free.push(slot);
    this.live--;
  }

  private tag(slot: number): void {
    this.byTag.add(this.lookupTag(this.valueText(slot)), 2 * slot);
    const previous = this.previous.get(slot);
    if (previous) this.byTag.add(this.lookupTag(previous.key), 2 * slot + 1);
    this.flags[slot] = this.flags[slot]! | TAGGED;
  }

  private dropPrevious(slot: number): void {
    const previous = this.previous.get(slot)!;
    if (this.flags[slot]! & TAGGED) this.byTag.remove(this.lookupTag(previous.key), 2 * slot + 1);
    this.previous.delete(slot);
  }

  /** The key's uses, made at its first. */
  private usageFor(slot: number): KeyUsage {
    let usage = this.usage.get(slot);
    if (usage === undefined) this.usage.set(slot, usage = new KeyUsage());
    return usage;
  }

  private valueText(slot: number): string {
    const start = slot * VALUE_BYTES;
    return Buffer.from(this.values.buffer, this.values.byteOffset + start, this.valueLength[slot]!).toString('latin1');
  }

  /** Whether the key's value is `text`, compared in constant time over its length. */
  private valueIs(slot: number, text: string): boolean {
    const length = this.valueLength[slot]!;
    if (text.length !== length) return false;
    const values = this.values;
    let diff = 0;
    for (let i = 0, at = slot * VALUE_BYTES; i < length; i++, at++) diff |= values[at]! ^ text.charCodeAt(i);
    return diff === 0;
  }

  /** Room for `keys` keys in all: the columns and the hash tables at the size they would grow to. */
  private reserve(keys: number): void {
    let capacity = this.capacity;
    while (capacity < keys) capacity *= 2;
    if (capacity > this.capacity) this.growTo(capacity);
    this.byId.reserve(keys);
    this.byName.reserve(keys);
    this.byTag.reserve(keys);
  }

  /** Doubles every column. */
  private grow(): void {
    let capacity = this.capacity * 2;
    while (capacity < this.end) capacity *= 2;
    this.growTo(capacity);
  }

  private growTo(capacity: number): void {
    const float64 = (old: Float64Array) => {
      const wider = new Float64Array(capacity);
      wider.set(old);
      return wider;
    };
    const int32 = (old: Int32Array) => {
      const wider = new Int32Array(capacity);
      wider.set(old);
      return wider;
    };
    const bytes = (old: Uint8Array) => {
      const wider = new Uint8Array(capacity);
      wider.set(old);
      return wider;
    };
    this.flags = bytes(this.flags);
    this.createdAt = float64(this.createdAt);
    this.updatedAt = float64(this.updatedAt);
    this.lastUsed = float64(this.lastUsed);
    this.rotatedAt = float64(this.rotatedAt);
    this.disabledAt = float64(this.disabledAt);
    this.expiresDay = int32(this.expiresDay);
    this.nameHash = int32(this.nameHash);
    this.valueLength = bytes(this.valueLength);
    this.values = Buffer.concat([this.values], capacity * VALUE_BYTES);
    this.capacity = capacity;
  }
}

function nullIfNaN(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
