import type { ApiKeyRecord } from './api-key.js';
import { equalConstantTime } from './crypto.js';
import { KeyUsage } from './key-usage.js';
import { foldName } from './name.js';
import { sortByName } from './query.js';
import type { Mutation } from './storage/mutations.js';

/** A key a presented value matched, and whether it matched the value before the key's last rotation. */
interface ValueMatch {
  readonly record: ApiKeyRecord;
  readonly previous: boolean;
}

/**
 * The keys whose value, or previous value, has a lookup tag: one key, or the few that share the tag.
 * A tag is a 32-bit number, so most hold one key and a vault of 100,000 a couple of pairs.
 */
type TagEntry = ApiKeyRecord | ApiKeyRecord[];

/**
 * The keys in memory, found by id, by name (case-insensitively) and by key value. A key value is
 * found through its lookup tag (32 bits of a keyed BLAKE2b, computed by `lookupTag`), then compared
 * in constant time with the values of the keys of that tag; a key's previous value, during the
 * grace of a rotation, has a tag of its own. A tag is a small integer, not a string, and maps to
 * the record itself: no string and no object per key (docs/architecture.md, "The key table"). Changed only
 * through `load` (a snapshot, at start), `apply`, the same function that replays the journal, and
 * `dropPreviousValues` at a compaction.
 */
export class KeyIndex {
  private readonly byId = new Map<string, ApiKeyRecord>();
  private readonly byFoldedName = new Map<string, ApiKeyRecord>();
  private readonly byLookupTag = new Map<number, TagEntry>();
  /** Ids of the keys that hold a previous value: few, so a compaction need not look at every key. */
  private readonly withPrevious = new Set<string>();
  private sortedByName: ApiKeyRecord[] | undefined;
  /** Snapshot keys whose lookup tags are not computed yet (see `load`). */
  private untagged: ApiKeyRecord[] = [];

  constructor(private readonly lookupTag: (keyValue: string) => number) {}

  get size(): number {
    return this.byId.size;
  }

  records(): IterableIterator<ApiKeyRecord> {
    return this.byId.values();
  }

  /** Every key in name order: sorted once after each change, not per list. */
  keysByName(): readonly ApiKeyRecord[] {
    this.sortedByName ??= sortByName(this.byFoldedName.entries());
    return this.sortedByName;
  }

  findByName(name: string): ApiKeyRecord | undefined {
    return this.byFoldedName.get(foldName(name));
  }

  findById(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id);
  }

  /**
   * Loads a snapshot's keys. Their lookup tags, a keyed hash each, are left to `tagSome`, so a large
   * vault serves sooner; the first key lookup computes whatever is still missing.
   */
  load(records: readonly ApiKeyRecord[]): void {
    for (const record of records) {
      this.byId.set(record.id, record);
      this.byFoldedName.set(foldName(record.name), record);
      if (record.previous) this.withPrevious.add(record.id);
    }
    // Not push(...records): spreading 100,000 arguments copies them onto the stack first.
    this.untagged = this.untagged.length === 0 ? records.slice() : this.untagged.concat(records);
    this.sortedByName = undefined;
  }

  /** Computes up to `limit` of the lookup tags `load` left; returns whether some remain. */
  tagSome(limit = Infinity): boolean {
    for (; limit > 0 && this.untagged.length > 0; limit--) {
      const record = this.untagged.pop()!;
      if (this.byId.get(record.id) === record) this.tag(record);
    }
    return this.untagged.length > 0;
  }

  /**
   * The key whose value, or previous value, is `keyValue`; the caller has checked its format and
   * decides whether a previous value is still in its grace.
   */
  findByKey(keyValue: string): ValueMatch | undefined {
    if (this.untagged.length > 0) this.tagSome();
    const entry = this.byLookupTag.get(this.lookupTag(keyValue));
    if (entry === undefined) return undefined;
    const presented = Buffer.from(keyValue, 'latin1');
    const matches = (stored: string) => equalConstantTime(Buffer.from(stored, 'latin1'), presented);
    for (const record of Array.isArray(entry) ? entry : [entry]) {
      if (matches(record.key)) return { record, previous: false };
      if (record.previous && matches(record.previous.key)) return { record, previous: true };
    }
    return undefined;
  }

  apply(mutation: Mutation): void {
    if (mutation.type !== 'used') this.sortedByName = undefined;
    switch (mutation.type) {
      case 'put': {
        const { record } = mutation;
        const previous = this.byId.get(record.id);
        if (previous) {
          // What the key's uses are now stays with it: the new record was planned, or written,
          // before the latest uses (docs/storage.md, "Usage per connector").
          if (previous.lastUsedAt !== null && (record.lastUsedAt === null || record.lastUsedAt < previous.lastUsedAt)) record.lastUsedAt = previous.lastUsedAt;
          if (previous.usage) record.usage = previous.usage;
          this.remove(previous);
        }
        this.byId.set(record.id, record);
        this.byFoldedName.set(foldName(record.name), record);
        if (record.previous) this.withPrevious.add(record.id);
        this.tag(record);
        break;
      }
      case 'delete': {
        const record = this.byId.get(mutation.id);
        if (record) this.remove(record);
        break;
      }
      case 'used':
        for (const [id, at] of mutation.lastUsedAt) {
          const record = this.byId.get(id);
          // The later use wins: a flush may land after a newer use was recorded in memory.
          if (record && (record.lastUsedAt === null || record.lastUsedAt < at)) record.lastUsedAt = at;
        }
        for (const [id, unattributed, connectors] of mutation.usage ?? []) {
          const record = this.byId.get(id);
          if (record) (record.usage ??= new KeyUsage()).merge([unattributed, connectors]);
        }
        break;
    }
  }

  /**
   * Forgets the previous values whose grace has ended by `now`, so that the compaction that follows
   * writes them off the disk (docs/storage.md, "Rotation"). In place: the key is the same key, and
   * an ended previous value already authenticated nothing.
   */
  dropPreviousValues(now: number): void {
    for (const id of this.withPrevious) {
      const record = this.byId.get(id);
      if (record?.previous && record.previous.validUntil <= now) {
        this.untag(record.previous.key, record);
        record.previous = null;
      }
      if (!record?.previous) this.withPrevious.delete(id);
    }
  }

  /** The earliest instant after `now` at which a previous value's grace ends; undefined when none will. */
  nextPreviousValueEnd(now: number): number | undefined {
    let next: number | undefined;
    for (const id of this.withPrevious) {
      const until = this.byId.get(id)?.previous?.validUntil;
      if (until !== undefined && until > now && (next === undefined || until < next)) next = until;
    }
    return next;
  }

  /** Whether a previous value's grace has ended by `now` while its ciphertext is still kept. */
  hasEndedPreviousValue(now: number): boolean {
    for (const id of this.withPrevious) {
      const until = this.byId.get(id)?.previous?.validUntil;
      if (until !== undefined && until <= now) return true;
    }
    return false;
  }

  private tag(record: ApiKeyRecord): void {
    this.addTag(record.key, record);
    if (record.previous) this.addTag(record.previous.key, record);
  }

  /** Files `record` under the tag of `value`, beside the keys already there. */
  private addTag(value: string, record: ApiKeyRecord): void {
    const tag = this.lookupTag(value);
    const entry = this.byLookupTag.get(tag);
    if (entry === undefined) this.byLookupTag.set(tag, record);
    else if (Array.isArray(entry)) entry.push(record);
    else this.byLookupTag.set(tag, [entry, record]);
  }

  /**
   * Takes `record` once from under the tag of `value`: once, because a key whose value and previous
   * value share a tag is filed there twice, and dropping the previous value keeps the other.
   */
  private untag(value: string, record: ApiKeyRecord): void {
    const tag = this.lookupTag(value);
    const entry = this.byLookupTag.get(tag);
    if (entry === record) {
      this.byLookupTag.delete(tag);
    } else if (Array.isArray(entry)) {
      const at = entry.indexOf(record);
      if (at >= 0) entry.splice(at, 1);
      if (entry.length === 1) this.byLookupTag.set(tag, entry[0]!);
    }
  }

  private remove(record: ApiKeyRecord): void {
    this.byId.delete(record.id);
    this.byFoldedName.delete(foldName(record.name));
    this.untag(record.key, record);
    if (record.previous) this.untag(record.previous.key, record);
    this.withPrevious.delete(record.id);
  }
}
