/**
 * Slows down failed authentications (wrong proofs, unknown or malformed keys) without slowing
 * successes: a leaky bucket (GCRA). A burst of `burst` failures is answered at once; beyond it,
 * failures are answered no faster than `perSecond`, each held back until its turn. `maxDelayMs`
 * caps how far behind the bucket may fall, so that the failures of a flood that has stopped do not
 * keep slowing others' for long.
 */
export class FailureThrottle {
  private theoreticalArrival = 0;
  private failures = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly burst = 20,
    private readonly perSecond = 5,
    private readonly maxDelayMs = Infinity,
  ) {}

  /** Records a failure and returns how many milliseconds to hold its answer back. */
  failure(): number {
    this.failures++;
    const interval = 1000 / this.perSecond;
    const now = this.now();
    const free = this.burst * interval;
    this.theoreticalArrival = Math.min(Math.max(this.theoreticalArrival, now) + interval, now + free + this.maxDelayMs);
    return Math.max(0, this.theoreticalArrival - now - free);
  }

  /** Failures so far. */
  get count(): number {
    return this.failures;
  }
}
