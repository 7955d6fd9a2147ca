import type { ApiKeyRecord } from './api-key.js';
import { equalConstantTime } from './crypto.js';
import { KeyUsage } from './key-usage.js';
import { foldName } from './name.js';
import { type NamedRecord, sortByName } from './query.js';
import type { Mutation } from './storage/mutations.js';

/**
 * A key a presented value matched, and whether it matched the value before the key's last rotation.
 * Made once per value when the key is indexed, so a lookup allocates nothing for it.
 */
interface ValueMatch {
  readonly record: ApiKeyRecord;
  readonly previous: boolean;
}

/**
 * The keys in memory, found by id, by name (case-insensitively) and by key value. A key value is
 * found through its lookup tag (keyed BLAKE2b, computed by `lookupTag`), then compared in constant
 * time; a key's previous value, during the grace of a rotation, has a tag of its own. Changed only
 * through `load` (a snapshot, at start), `apply`, the same function that replays the journal, and
 * `dropPreviousValues` at a compaction.
 */
export class KeyIndex {
  private readonly byId = new Map<string, ApiKeyRecord>();
  private readonly byFoldedName = new Map<string, ApiKeyRecord>();
  private readonly byLookupTag = new Map<string, ValueMatch>();
  /** Ids of the keys that hold a previous value: few, so a compaction need not look at every key. */
  private readonly withPrevious = new Set<string>();
  private sortedByName: NamedRecord[] | undefined;
  /** Snapshot keys whose lookup tags are not computed yet (see `load`). */
  private untagged: ApiKeyRecord[] = [];

  constructor(private readonly lookupTag: (keyValue: string) => string) {}

  get size(): number {
    return this.byId.size;
  }

  records(): IterableIterator<ApiKeyRecord> {
    return this.byId.values();
  }

  /** Every key with its folded name, in name order: sorted once after each change, not per list. */
  keysByName(): readonly NamedRecord[] {
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
    this.untagged.push(...records);
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
    const match = this.byLookupTag.get(this.lookupTag(keyValue));
    if (!match) return undefined;
    const stored = match.previous ? match.record.previous?.key : match.record.key;
    if (stored === undefined || !equalConstantTime(Buffer.from(stored, 'latin1'), Buffer.from(keyValue, 'latin1'))) return undefined;
    return match;
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
        this.byLookupTag.delete(this.lookupTag(record.previous.key));
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
    this.byLookupTag.set(this.lookupTag(record.key), { record, previous: false });
    if (record.previous) this.byLookupTag.set(this.lookupTag(record.previous.key), { record, previous: true });
  }

  private remove(record: ApiKeyRecord): void {
    this.byId.delete(record.id);
    this.byFoldedName.delete(foldName(record.name));
    this.byLookupTag.delete(this.lookupTag(record.key));
    if (record.previous) this.byLookupTag.delete(this.lookupTag(record.previous.key));
    this.withPrevious.delete(record.id);
  }
}
