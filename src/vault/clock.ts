import { Temporal } from 'temporal-polyfill';
import { epochDay } from './status.js';

/** Where the vault reads the time: injected, so tests and GATEWAY_APIKEYS_NOW can set it. */
export interface Clock {
  /** The current instant, in milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that reads `startAt` now and then advances in real time with `base`. */
export function clockStartingAt(startAt: number, base: Clock = systemClock): Clock {
  const offset = startAt - base.now();
  return { now: () => base.now() + offset };
}

/** The host's time zone, the default for a vault. */
export function hostTimeZone(): string {
  return Temporal.Now.timeZoneId();
}

/**
 * Today's date in the vault's time zone. Expiry dates are calendar dates there, so "today"
 * changes at local midnight; the date is cached until then because the authenticate path
 * asks for it on every request.
 */
export class VaultCalendar {
  readonly timeZone: string;
  private cachedToday: Temporal.PlainDate | undefined;
  private cachedEpochDay = 0;
  private cachedFrom = Infinity;
  private cachedUntil = -Infinity;

  constructor(
    readonly clock: Clock,
    timeZone: string,
  ) {
    this.timeZone = VaultCalendar.checkTimeZone(timeZone);
  }

  /** The canonical id of a time zone, or a RangeError naming it when it is not one. */
  static checkTimeZone(timeZone: string): string {
    try {
      return Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone).timeZoneId;
    } catch {
      throw new RangeError(`Unknown time zone '${timeZone}': use an IANA name such as Europe/Berlin or UTC.`);
    }
  }

  today(): Temporal.PlainDate {
    const now = this.clock.now();
    if (this.cachedToday === undefined || now < this.cachedFrom || now >= this.cachedUntil) {
      const startOfDay = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(this.timeZone).startOfDay();
      this.cachedToday = startOfDay.toPlainDate();
      this.cachedEpochDay = epochDay(this.cachedToday.toString());
      this.cachedFrom = startOfDay.epochMilliseconds;
      this.cachedUntil = startOfDay.add({ days: 1 }).epochMilliseconds;
    }
    return this.cachedToday;
  }

  /** Today as days since 1970-01-01: what status computations subtract from. */
  todayEpochDay(): number {
    this.today();
    return this.cachedEpochDay;
  }
}
