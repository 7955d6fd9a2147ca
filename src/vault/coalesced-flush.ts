/**
 * Collects ids whose in-memory state changed off the write path (last-used times: the authenticate
 * path must not write) and hands them to `persist` together, `intervalMs` after the first of them.
 * A failed persist keeps the ids and tries again after another interval; a crash meanwhile loses
 * only those (docs/storage.md, "Last-used times").
 */
export class CoalescedFlush {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly persist: (ids: string[]) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** Notes a change; cheap enough for every request. */
  add(id: string): void {
    this.pending.add(id);
    this.arm();
  }

  /** Persists what is pending now. Never throws: a failure is retried later (unless stopped). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    try {
      await this.persist(ids);
    } catch {
      for (const id of ids) this.pending.add(id);
      this.arm();
    }
  }

  /** No more timers: what is pending is flushed only by an explicit flush(). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (!this.stopped) this.timer ??= setTimeout(() => void this.flush(), this.intervalMs).unref();
  }
}
