/**
 * A budget of failures: a leaky bucket (GCRA) that allows a burst of `burst` failures, then
 * `perSecond`. It never delays anything: a failure beyond the budget is reported as such, and the
 * caller decides (docs/protocol.md, "Throttling"). A failure beyond the budget is not charged, so
 * the budget is back as soon as the rate drops under it.
 */
export class FailureBudget {
  private theoreticalArrival = 0;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Charges one failure; false when it is beyond the budget. */
  spend(): boolean {
    const now = this.now();
    const interval = 1000 / this.perSecond;
    const next = Math.max(this.theoreticalArrival, now) + interval;
    if (next - now > this.burst * interval) return false;
    this.theoreticalArrival = next;
    return true;
  }

  /** Whether the next failure would be beyond the budget. */
  get spent(): boolean {
    return this.theoreticalArrival - this.now() + 1000 / this.perSecond > this.burst * 1000 / this.perSecond;
  }

  /** Whether the bucket is empty again: the budget is whole, and nothing need remember it. */
  get whole(): boolean {
    return this.theoreticalArrival <= this.now();
  }
}
