/**
 * Slows down one connection's failed authentications (wrong tokens, unknown or malformed keys)
 * without slowing its successes: a leaky bucket (GCRA). A burst of `burst` failures is answered
 * at once; beyond it, failures are answered no faster than `perSecond`, each held back until its
 * turn. Valid keys on the same connection are never held.
 */
export class FailureThrottle {
  private theoreticalArrival = 0;
  private failures = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly burst = 20,
    private readonly perSecond = 5,
  ) {}

  /** Records a failure and returns how many milliseconds to hold its answer back. */
  failure(): number {
    this.failures++;
    const interval = 1000 / this.perSecond;
    const now = this.now();
    this.theoreticalArrival = Math.max(this.theoreticalArrival, now) + interval;
    return Math.max(0, this.theoreticalArrival - now - this.burst * interval);
  }

  /** Failures on this connection so far. */
  get count(): number {
    return this.failures;
  }
}
