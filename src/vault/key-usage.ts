/** How many connectorIds a key remembers; the one that ranks lowest goes first (docs/storage.md, "Usage per connector"). */
export const MAX_CONNECTORS_PER_KEY = 64;

/**
 * What each doubling of a connector's uses is worth, in recency: a connector used 2^n times ranks
 * as if it had been used n days later than it was. So a spray of one-off connectorIds (each ranking
 * at its own instant) cannot push out a connector in real use, while one that stopped being used
 * still ages out, after a day per doubling (docs/storage.md, "Usage per connector").
 */
export const DOUBLING_WORTH_MS = 24 * 60 * 60 * 1000;

/**
 * A connector's rank: it only grows while the connector is used (its count and its last use only
 * grow), so the 64 kept are the 64 of highest rank whatever order uses and replayed records came in.
 */
export function rankOf(lastUsedAt: number, count: number): number {
  return lastUsedAt + DOUBLING_WORTH_MS * Math.log2(count);
}

/** One connector's uses of a key, as persisted: absolute values, so replaying them twice changes nothing. */
export type PersistedConnectorUse = [connectorId: string, firstUsedAt: number, lastUsedAt: number, count: number];

/** A key's uses as persisted: the uses that named no connectorId, and those of each connector. */
export type PersistedUsage = [unattributedCount: number, connectors: PersistedConnectorUse[]];

/** One connector's uses, as kept in memory. */
interface ConnectorUse {
  /** With the connectorId, its identity: an evicted connector that comes back starts a new entry. */
  readonly firstUsedAt: number;
  lastUsedAt: number;
  count: number;
  /** The count last merged from storage: the entry has changes to persist while they differ. */
  persistedCount: number;
}

/** A connector's uses as apiKey.usage answers them, instants in epoch milliseconds. */
interface ConnectorUseInfo {
  connectorId: string;
  firstUsedAt: number;
  lastUsedAt: number;
  count: number;
}

/**
 * Which connectors authenticated with one key, and how often: made at the key's first use and
 * then updated in place on every successful authentication, so that recording a use is a counter
 * update (docs/architecture.md, "The hot path"). Beyond 64 connectorIds, the one of lowest rank
 * (rankOf: recency, plus a day per doubling of its uses) goes, which may be the newcomer itself. Persisted like last-used times, coalesced: `changes()` says what to write;
 * `merge` takes in what was written or read, which also marks it persisted.
 */
export class KeyUsage {
  private readonly connectors = new Map<string, ConnectorUse>();
  private unattributed = 0;
  private persistedUnattributed = 0;

  /** One successful authentication at `at`. An absent or empty connectorId counts as unattributed. */
  record(connectorId: string | undefined, at: number): void {
    if (!connectorId) {
      this.unattributed++;
      return;
    }
    const use = this.connectors.get(connectorId);
    if (use) {
      use.count++;
      if (at > use.lastUsedAt) use.lastUsedAt = at;
      return;
    }
    this.add(connectorId, { firstUsedAt: at, lastUsedAt: at, count: 1, persistedCount: 0 });
  }

  get unattributedCount(): number {
    return this.unattributed;
  }

  get connectorCount(): number {
    return this.connectors.size;
  }

  /** The connectors, the most recently used first. */
  connectorsByLastUse(): ConnectorUseInfo[] {
    const list = Array.from(this.connectors, ([connectorId, u]) => ({ connectorId, firstUsedAt: u.firstUsedAt, lastUsedAt: u.lastUsedAt, count: u.count }));
    return list.sort((a, b) => b.lastUsedAt - a.lastUsedAt || (a.connectorId < b.connectorId ? -1 : 1));
  }

  /** Everything, for a snapshot row; null when the key was never used. */
  all(): PersistedUsage | null {
    if (this.unattributed === 0 && this.connectors.size === 0) return null;
    return [this.unattributed, Array.from(this.connectors, ([id, u]): PersistedConnectorUse => [id, u.firstUsedAt, u.lastUsedAt, u.count])];
  }

  /** What changed since it was last merged from storage, as absolute values; null when nothing did. */
  changes(): PersistedUsage | null {
    const changed: PersistedConnectorUse[] = [];
    for (const [id, u] of this.connectors) if (u.count !== u.persistedCount) changed.push([id, u.firstUsedAt, u.lastUsedAt, u.count]);
    if (changed.length === 0 && this.unattributed === this.persistedUnattributed) return null;
    return [this.unattributed, changed];
  }

  /**
   * Merges persisted uses (a snapshot row, a replayed journal record, or the record just written):
   * counts and instants only grow, so merging what memory already holds changes nothing. An entry
   * of another first use is another incarnation of that connector (it was evicted and came back):
   * the later one wins. The same eviction rule as live uses keeps at most 64.
   */
  merge(persisted: PersistedUsage): void {
    if (persisted[0] > this.unattributed) this.unattributed = persisted[0];
    if (persisted[0] > this.persistedUnattributed) this.persistedUnattributed = persisted[0];
    for (const [id, firstUsedAt, lastUsedAt, count] of persisted[1]) {
      const use = this.connectors.get(id);
      if (!use) {
        this.add(id, { firstUsedAt, lastUsedAt, count, persistedCount: count });
      } else if (use.firstUsedAt === firstUsedAt) {
        if (count > use.count) use.count = count;
        if (lastUsedAt > use.lastUsedAt) use.lastUsedAt = lastUsedAt;
        if (count > use.persistedCount) use.persistedCount = count;
      } else if (lastUsedAt > use.lastUsedAt) {
        this.connectors.set(id, { firstUsedAt, lastUsedAt, count, persistedCount: count });
      }
    }
  }

  /** A usage made from persisted values: the state at a start. */
  static from(persisted: PersistedUsage | null): KeyUsage | null {
    if (persisted === null) return null;
    const usage = new KeyUsage();
    usage.merge(persisted);
    return usage;
  }

  private add(connectorId: string, use: ConnectorUse): void {
    this.connectors.set(connectorId, use);
    if (this.connectors.size <= MAX_CONNECTORS_PER_KEY) return;
    // Only a 65th connector pays for this scan; a known one costs a counter update. Ties go by
    // connectorId, not by the map's order, so that a replay (another order) evicts the same one.
    let lowest: string | undefined;
    let lowestRank = Infinity;
    for (const [id, u] of this.connectors) {
      const rank = rankOf(u.lastUsedAt, u.count);
      if (rank < lowestRank || (rank === lowestRank && id > lowest!)) {
        lowest = id;
        lowestRank = rank;
      }
    }
    this.connectors.delete(lowest!);
  }
}
