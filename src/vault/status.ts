import type { Color, Status } from '../generated/schemas.js';
import { schemaDef } from './defs.js';

export type { Color, Status };

const STATUS = schemaDef<{
  'x-bands': { fromDaysLeft: number | null; status: Status; color: Color }[];
  'x-disabled': { status: Status; color: Color };
}>('Status');

/**
 * The status table (docs/architecture.md, "The rules of a key"), from `x-bands` of Status in
 * schemas/defs.json, most urgent last: the first band whose floor daysLeft reaches wins.
 */
const BANDS: readonly { fromDaysLeft: number; status: Status; color: Color }[] = STATUS['x-bands']
  .map((band) => ({ ...band, fromDaysLeft: band.fromDaysLeft ?? -Infinity }));

/** A disabled key's status and colour, whatever its days left (`x-disabled`): not a band of days. */
const DISABLED: { status: Status; color: Color } = { status: STATUS['x-disabled'].status, color: STATUS['x-disabled'].color };

/**
 * Statuses from the most to the least urgent: the order `sortBy: "status"` uses. Disabled comes
 * last: an admin chose it, and nothing about it changes with time.
 */
export const STATUS_URGENCY: readonly Status[] = [...BANDS.map((b) => b.status).reverse(), DISABLED.status];

/**
 * A key's status and colour: a pure function of whether it is enabled and of its days left (its
 * expiry and today). Disabled wins over every band. Answers shared objects: the list and
 * authenticate paths call it for every key.
 */
export function statusFor(daysLeft: number, enabled = true): { status: Status; color: Color } {
  if (!enabled) return DISABLED;
  for (const band of BANDS) if (daysLeft >= band.fromDaysLeft) return band;
  throw new RangeError(`daysLeft ${daysLeft} is not a number`);
}

/**
 * A calendar date as ISO 8601 text, `YYYY-MM-DD`: how the vault keeps and sends expiry dates
 * (compact, sortable, ready for the wire). The rules compute with Temporal.PlainDate.
 */
export type IsoDate = string;

/** Days of dates already seen: keys share few expiry dates, and list and authenticate ask for every key's. */
const epochDays = new Map<IsoDate, number>();

/**
 * Days since 1970-01-01 of an ISO date (Hinnant's days_from_civil): plain integer arithmetic,
 * valid for any year, unlike Date.UTC, which reads years 0-99 as 1900-1999.
 */
export function epochDay(date: IsoDate): number {
  let days = epochDays.get(date);
  if (days === undefined) {
    const month = Number(date.slice(-5, -3));
    const day = Number(date.slice(-2));
    const year = Number(date.slice(0, -6)) - (month <= 2 ? 1 : 0);
    const era = Math.floor(year / 400);
    const yearOfEra = year - era * 400;
    const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
    const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
    days = era * 146_097 + dayOfEra - 719_468;
    if (epochDays.size >= 100_000) epochDays.clear(); // bounded: asOf and test dates come and go
    epochDays.set(date, days);
  }
  return days;
}

/** `expiresOn − today` in days: 0 on the last valid day, negative once expired. */
export function daysLeft(expiresOn: IsoDate, todayEpochDay: number): number {
  return epochDay(expiresOn) - todayEpochDay;
}
