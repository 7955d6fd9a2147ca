import { Temporal } from 'temporal-polyfill';
import { schemaDef } from './defs.js';
import { ApiError } from '../shared/api-error.js';

const VALID_FOR = schemaDef<{ 'x-default': string; 'x-max': string }>('ValidFor');
/** A new key's expiry when none is given: one year from today (29 Feb + 1 year = 28 Feb). */
const DEFAULT_VALID_FOR = VALID_FOR['x-default'];
/** The latest expiry: five years from today. */
const MAX_VALID_FOR = VALID_FOR['x-max'];
/** MAX_VALID_FOR in words, for messages: "5 years". */
const MAX_IN_WORDS = inWords(MAX_VALID_FOR);

function inWords(duration: string): string {
  const parsed = Temporal.Duration.from(duration);
  const parts = (['years', 'months', 'weeks', 'days'] as const)
    .filter((field) => parsed[field] !== 0)
    .map((field) => `${parsed[field]} ${parsed[field] === 1 ? field.slice(0, -1) : field}`);
  return parts.join(' ');
}

/** How an admin asks for an expiry: a date, or a date duration counted from today (never both: the schema says so). */
interface ExpiryChoice {
  expiresOn?: string;
  validFor?: string;
}

/**
 * The expiry an admin asked for, checked against today: not before today, not after today + 5
 * years. Undefined when neither field was given (create then takes the default; update keeps
 * the key's expiry).
 */
export function chosenExpiry(choice: ExpiryChoice, today: Temporal.PlainDate): Temporal.PlainDate | undefined {
  if (choice.expiresOn !== undefined) return checkExpiry(parseDate(choice.expiresOn), today, 'expiresOn');
  if (choice.validFor !== undefined) return checkExpiry(addDuration(today, choice.validFor), today, 'validFor');
  return undefined;
}

/** The expiry of a new key: the chosen one, or one year from today. */
export function newKeyExpiry(choice: ExpiryChoice, today: Temporal.PlainDate): Temporal.PlainDate {
  return chosenExpiry(choice, today) ?? today.add(DEFAULT_VALID_FOR);
}

function parseDate(text: string): Temporal.PlainDate {
  try {
    return Temporal.PlainDate.from(text, { overflow: 'reject' });
  } catch {
    throw new ApiError('ExpiryInvalid', `'${text}' is not a real calendar date written YYYY-MM-DD.`, 'expiresOn');
  }
}

/**
 * today + duration (its shape, years/months/weeks/days only, is the schema's rule), or 'beyond'
 * when the sum leaves Temporal's range (P999999Y).
 */
function addDuration(today: Temporal.PlainDate, validFor: string): Temporal.PlainDate | 'beyond' {
  let duration: Temporal.Duration;
  try {
    duration = Temporal.Duration.from(validFor);
  } catch {
    throw new ApiError('ExpiryInvalid', `'${validFor}' is not an ISO 8601 date duration such as P30D or P1Y.`, 'validFor');
  }
  try {
    return today.add(duration);
  } catch {
    return 'beyond';
  }
}

function checkExpiry(date: Temporal.PlainDate | 'beyond', today: Temporal.PlainDate, field: string): Temporal.PlainDate {
  const latest = today.add(MAX_VALID_FOR);
  if (date === 'beyond' || Temporal.PlainDate.compare(date, latest) > 0) {
    const asked = date === 'beyond' ? 'That expiry' : `The expiry ${date.toString()}`;
    throw new ApiError('ExpiryTooFar', `${asked} is more than ${MAX_IN_WORDS} away: the latest allowed is ${latest.toString()}.`, field);
  }
  if (Temporal.PlainDate.compare(date, today) < 0) {
    throw new ApiError('ExpiryInPast', `The expiry ${date.toString()} is in the past: it must be today (${today.toString()}) or later.`, field);
  }
  return date;
}
