/** Instants as interfaces show them: RFC 3339 UTC text, made fast for lists of many keys. */

const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;
/** `YYYY-MM-DDT` of recently formatted days, by epoch day: a list formats four instants per key, and keys share days. */
const dayPrefixes = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * An instant as an RFC 3339 UTC string: `Date.prototype.toISOString`'s text (test/instant.test.ts
 * holds them equal), made from a cached day and the time of day, at a fraction of its cost.
 */
export function formatInstant(epochMs: number): string {
  // Beyond Date's range, or not a whole millisecond: Date's own answer (it throws, or truncates).
  if (!Number.isInteger(epochMs) || Math.abs(epochMs) > MAX_DATE_MS) return new Date(epochMs).toISOString();
  const day = Math.floor(epochMs / DAY_MS);
  let rest = epochMs - day * DAY_MS;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  return `${dayPrefix(day)}${TWO_DIGITS[(rest - (rest % 60)) / 60]}:${TWO_DIGITS[rest % 60]}:${TWO_DIGITS[second]}.${THREE_DIGITS[ms]}Z`;
}

/** `YYYY-MM-DDT` of an epoch day, as toISOString writes it (extended years too): formatInstant's and the list's cached start of an instant. */
export function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(day * DAY_MS).toISOString();
    prefix = iso.slice(0, iso.indexOf('T') + 1);
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/** `YYYY-MM-DD` of recent epoch days: the key table keeps an expiry as its day, and answers it as text. */
const dates = new Map<number, string>();

/** An epoch day as an ISO date, as Temporal.PlainDate writes it (extended years too), cached. */
export function dateOfDay(day: number): string {
  let text = dates.get(day);
  if (text === undefined) {
    text = dayPrefix(day).slice(0, -1);
    if (dates.size >= 4096) dates.clear();
    dates.set(day, text);
  }
  return text;
}
