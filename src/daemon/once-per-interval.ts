/**
 * Says yes once per interval per name: the expired-key warning, at most once an hour per key.
 * Entries are kept oldest first, and one older than the interval decides nothing, so it goes at
 * the next call: the map holds only the names said yes to within the last interval. A deleted or
 * renamed key's entry leaves with the others, instead of staying for the life of the daemon.
 */
export class OncePerInterval {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether `name` is due now; if it is, it is not again until the interval has passed. */
  due(name: string): boolean {
    const now = this.now();
    // Insertion order is time order: each name is set only when absent, and the clock is monotonic.
    for (const [oldest, at] of this.last) {
      if (at >= now - this.intervalMs) break;
      this.last.delete(oldest);
    }
    if (this.last.has(name)) return false;
    this.last.set(name, now);
    return true;
  }

  /** Names said yes to within the last interval. */
  get size(): number {
    return this.last.size;
  }
}

/**
 * OncePerInterval for pairs (a key's name, a connectorId), asked on every use of a previous value
 * (docs/architecture.md, "The hot path"): two map lookups and a clock read, no string made and no
 * entry walked per call. A new pair first forgets its key's pairs whose interval has passed; at
 * most `maxPerFirst` pairs per key are remembered, and a new pair beyond them is not due, so that
 * a flood of connectorIds neither grows memory nor floods the log.
 */
export class OncePerPairPerInterval {
  private readonly last = new Map<string, Map<string, number>>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxPerFirst = 64,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the pair is due now; if it is, it is not again until the interval has passed. */
  due(first: string, second: string): boolean {
    const now = this.now();
    let seconds = this.last.get(first);
    const at = seconds?.get(second);
    if (at !== undefined) {
      if (now - at < this.intervalMs) return false;
      seconds!.set(second, now);
      return true;
    }
    if (!seconds) this.last.set(first, (seconds = new Map()));
    for (const [other, otherAt] of seconds) if (now - otherAt >= this.intervalMs) seconds.delete(other);
    if (seconds.size >= this.maxPerFirst) return false;
    seconds.set(second, now);
    return true;
  }
}
