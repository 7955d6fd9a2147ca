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
