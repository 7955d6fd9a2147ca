import { Temporal } from 'temporal-polyfill';
import type { Clock } from '../../src/vault/clock.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private epochMs: number;

  constructor(instant: string) {
    this.epochMs = Date.parse(instant);
  }

  now(): number {
    return this.epochMs;
  }

  set(instant: string): void {
    this.epochMs = Date.parse(instant);
  }

  advance(duration: Temporal.DurationLike | string): void {
    this.epochMs = Temporal.Instant.fromEpochMilliseconds(this.epochMs).toZonedDateTimeISO('UTC').add(duration).epochMilliseconds;
  }
}
