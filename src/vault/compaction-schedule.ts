import type { Log } from '../shared/log.js';

/**
 * When the store is compacted (docs/storage.md, "Compaction"): within a delay asked for (a delete
 * asks for one within 30 s, a journal that outgrew the snapshot for one at once), the earliest ask
 * winning. A compaction that fails is logged and tried again a minute later; serving goes on.
 */
export class CompactionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private due = Infinity;
  private stopped = false;

  constructor(
    private readonly compact: () => Promise<void>,
    private readonly log: Log,
    private readonly retryMs = 60_000,
  ) {}

  /** Asks for a compaction within `delayMs`; an earlier one already asked for stands. */
  within(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.stopped || due >= this.due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.due = Infinity;
      this.timer = undefined;
      this.compact().catch((error: Error) => {
        this.log.error('Compaction failed; it is retried in a minute', { event: 'store.compactFailed', reason: error.message });
        this.within(this.retryMs);
      });
    }, delayMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
