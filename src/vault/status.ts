import type { Temporal } from 'temporal-polyfill';
import type { Color, Status } from '../generated/schemas.js';

export type { Color, Status };

/** The status table of DESIGN §3, most urgent last: the first band whose floor daysLeft reaches wins. */
const BANDS: readonly { fromDaysLeft: number; status: Status; color: Color }[] = [
  { fromDaysLeft: 15, status: 'Active', color: 'Green' },
  { fromDaysLeft: 4, status: 'Expiring', color: 'Orange' },
  { fromDaysLeft: 0, status: 'ExpiresSoon', color: 'Red' },
  { fromDaysLeft: -Infinity, status: 'Expired', color: 'Red' },
];

/** Statuses from the most to the least urgent: the order `sortBy: "status"` uses. */
export const STATUS_URGENCY: readonly Status[] = BANDS.map((b) => b.status).reverse();

export function statusFor(daysLeft: number): { status: Status; color: Color } {
  const band = BANDS.find((b) => daysLeft >= b.fromDaysLeft)!;
  return { status: band.status, color: band.color };
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil): plain integer
 * arithmetic, valid for any year, unlike Date.UTC, which reads years 0-99 as 1900-1999.
 */
export function epochDay(date: Temporal.PlainDate): number {
  const { month, day } = date;
  const year = date.year - (month <= 2 ? 1 : 0);
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** `expiresOn − today` in days: 0 on the last valid day, negative once expired. */
export function daysLeft(expiresOn: Temporal.PlainDate, today: Temporal.PlainDate): number {
  return epochDay(expiresOn) - epochDay(today);
}
