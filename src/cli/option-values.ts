import { type RpcMethods, schemaDocuments } from '../generated/schemas.js';
import { graceHoursFromText } from './grace.js';
import { closest } from './suggest.js';
import { UsageError } from './usage-error.js';
import { validForFromText } from './validity-text.js';
import { checkStoreUrl } from '../shared/store-url.js';

/**
 * An option's text as the value its params field takes, or a UsageError that names the option and
 * shows what it takes: the command line's words, never a params field's (docs/architecture.md,
 * "The command line"). Choices come from the schemas' enums and match whatever the case.
 */

interface Schema { enum?: string[]; items?: Schema; $ref?: string; properties?: Record<string, Schema> }
const documentOf = (id: string) => schemaDocuments.find((d) => d.$id === id) as { $defs?: Record<string, Schema> } & Schema;

type Element<T> = T extends readonly (infer E)[] ? E : T;

/** The values a params field of `method` takes, from its schema (an enum, or an array of one, here or in defs.json). */
export function choicesOf<M extends keyof RpcMethods, F extends keyof RpcMethods[M]['params'] & string>(method: M, field: F): readonly NonNullable<Element<RpcMethods[M]['params'][F]>>[] {
  let schema = documentOf(`params/${method}.json`).properties![field]!;
  if (schema.items) schema = schema.items;
  if (schema.$ref) schema = documentOf('defs.json').$defs![schema.$ref.split('/').pop()!]!;
  return schema.enum as NonNullable<Element<RpcMethods[M]['params'][F]>>[];
}

/** One of `choices`, typed in any case and with or without dashes (`expiring`, `expires-on`). */
export function choice<T extends string>(typed: string, option: string, choices: readonly T[]): T {
  const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const found = choices.find((c) => fold(c) === fold(typed));
  if (found !== undefined) return found;
  const near = closest(typed, choices);
  throw new UsageError(`--${option} takes ${listed(choices)}, not '${typed}'.${near ? ` Did you mean ${near}?` : ''}`, { code: 'InvalidParams', option: `--${option}` });
}

/** A comma-separated list of choices: --status expiring,expiressoon. */
export function choices<T extends string>(typed: string, option: string, allowed: readonly T[]): T[] {
  return typed.split(',').map((part) => choice(part.trim(), option, allowed));
}

export function wholeNumber(typed: string, option: string): number {
  if (!/^\d+$/.test(typed)) throw new UsageError(`--${option} takes a whole number, not '${typed}'.`, { code: 'InvalidParams', option: `--${option}` });
  return Number(typed);
}

/** Whole seconds from 1 to an hour, for --timeout. */
export function seconds(typed: string, option: string): number {
  const value = /^\d+$/.test(typed) ? Number(typed) : NaN;
  if (!(value >= 1 && value <= 3600)) throw new UsageError(`--${option} takes whole seconds from 1 to 3600, not '${typed}'.`, { code: 'InvalidParams', option: `--${option}` });
  return value;
}

/** A calendar date as YYYY-MM-DD; whether it is a real one is the daemon's to say. */
export function date(typed: string, option: string, code = 'InvalidParams'): string {
  if (!/^\d{4}-\d\d-\d\d$/.test(typed)) throw new UsageError(`--${option} takes a date written YYYY-MM-DD, not '${typed}'.`, { code, option: `--${option}` });
  return typed;
}

/** An instant for --since/--until: RFC 3339, or a date meaning its first instant in UTC. */
export function instant(typed: string, option: string): string {
  if (/^\d{4}-\d\d-\d\d$/.test(typed)) return `${typed}T00:00:00Z`;
  if (Number.isNaN(Date.parse(typed)) || !/T/.test(typed)) {
    throw new UsageError(`--${option} takes a date (YYYY-MM-DD) or an RFC 3339 instant (2026-12-01T08:00:00Z), not '${typed}'.`, { code: 'InvalidParams', option: `--${option}` });
  }
  return typed;
}

/** A validity for --valid-for, sent in its canonical ISO form. */
export function validity(typed: string, option: string): string {
  const sent = validForFromText(typed.trim());
  if (sent === undefined) {
    throw new UsageError(`--${option} takes a number and d, w, m or y (90d, 2w, 6m, 1y), or an ISO 8601 date duration (P6M), not '${typed}'.`,
      { code: 'ExpiryInvalid', option: `--${option}` });
  }
  return sent;
}

/** Whole hours for --grace: 24, 24h, 2d. */
export function graceHours(typed: string, option: string): number {
  const hours = graceHoursFromText(typed.trim());
  if (hours === undefined) {
    throw new UsageError(`--${option} takes whole hours (24 or 24h) or whole days (2d), from 0 to a week, not '${typed}'.`, { code: 'GraceInvalid', option: `--${option}` });
  }
  return hours;
}

function listed(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** A farm's store URL (--store, GATEWAY_APIKEYS_STORE), checked as farm.json's is: never with a password (docs/farm.md). */
export function storeUrl(typed: string | undefined): string | undefined {
  if (typed === undefined || typed === '') return undefined;
  try {
    return checkStoreUrl(typed);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
