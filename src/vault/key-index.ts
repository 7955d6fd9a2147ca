import type { ApiKeyRecord } from './api-key.js';
import { equalConstantTime } from './crypto.js';
import { foldName } from './name.js';
import { type NamedRecord, sortByName } from './query.js';
import type { Mutation } from './storage/mutations.js';

/**
 * The keys in memory, found by id, by name (case-insensitively) and by key value. A key value is
 * found through its lookup tag (keyed BLAKE2b, computed by `lookupTag`), then compared in constant
 * time. Changed only through `load` (a snapshot, at start) and `apply`, the same function that
 * replays the journal.
 */
export class KeyIndex {
  private readonly byId = new Map<string, ApiKeyRecord>();
  private readonly byFoldedName = new Map<string, ApiKeyRecord>();
  private readonly byLookupTag = new Map<string, ApiKeyRecord>();
  private sortedByName: NamedRecord[] | undefined;
  /** Snapshot keys whose lookup tag is not computed yet (see `load`). */
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
    }
    this.untagged.push(...records);
    this.sortedByName = undefined;
  }

  /** Computes up to `limit` of the lookup tags `load` left; returns whether some remain. */
  tagSome(limit = Infinity): boolean {
    for (; limit > 0 && this.untagged.length > 0; limit--) {
      const record = this.untagged.pop()!;
      if (this.byId.get(record.id) === record) this.byLookupTag.set(this.lookupTag(record.key), record);
    }
    return this.untagged.length > 0;
  }

  /** The key whose value is `keyValue`; the caller has checked its format. */
  findByKey(keyValue: string): ApiKeyRecord | undefined {
    if (this.untagged.length > 0) this.tagSome();
    const record = this.byLookupTag.get(this.lookupTag(keyValue));
    if (!record || !equalConstantTime(Buffer.from(record.key, 'latin1'), Buffer.from(keyValue, 'latin1'))) return undefined;
    return record;
  }

  apply(mutation: Mutation): void {
    if (mutation.type !== 'used') this.sortedByName = undefined;
    switch (mutation.type) {
      case 'put': {
        const { record } = mutation;
        const previous = this.byId.get(record.id);
        if (previous) this.remove(previous);
        this.byId.set(record.id, record);
        this.byFoldedName.set(foldName(record.name), record);
        this.byLookupTag.set(this.lookupTag(record.key), record);
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
        break;
    }
  }

  private remove(record: ApiKeyRecord): void {
    this.byId.delete(record.id);
    this.byFoldedName.delete(foldName(record.name));
    this.byLookupTag.delete(this.lookupTag(record.key));
  }
}
