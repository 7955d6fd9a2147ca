import { keyHint } from '../shared/secret-format.js';
import type { JsonBlocks } from './json-blocks.js';
import type { KeyTable } from './key-table.js';
import { type Status, statusFor } from './status.js';

/**
 * A key's JSON for a list, written from the key table's columns straight into the list's blocks:
 * the same bytes as `JSON.stringify(toInfo(…))` of api-key.ts, with no object or string per key
 * (docs/architecture.md, "The key table"). Apart from api-key.ts, which knows records, not the table.
 */

const ascii = (text: string) => Buffer.from(text, 'latin1');
/** The constant parts of a key's JSON, as bytes (docs/architecture.md, "The key table"). */
const PART = {
  name: ascii('{"name":'), description: ascii(',"description":'), createdAt: ascii(',"createdAt":'), updatedAt: ascii(',"updatedAt":'),
  expiresOn: ascii(',"expiresOn":'), lastUsedAt: ascii(',"lastUsedAt":'), hint: ascii(',"hint":'),
  enabledRotatedAt: ascii(',"enabled":true,"rotatedAt":'), disabledRotatedAt: ascii(',"enabled":false,"rotatedAt":'),
  previousValidUntil: ascii(',"previousValidUntil":'), disabledAt: ascii(',"disabledAt":'), disabledReason: ascii(',"disabledReason":'),
  null: ascii('null'), end: ascii('}'),
};
/** `,"status":…,"color":…,"daysLeft":` of each status: statusFor pairs each status with one colour. */
const statusParts = new Map<Status, Buffer>();
function statusPart(status: Status, color: string): Buffer {
  let part = statusParts.get(status);
  if (part === undefined) statusParts.set(status, part = ascii(`,"status":"${status}","color":"${color}","daysLeft":`));
  return part;
}
/** What a key's JSON takes at most besides its strings' text: its field names, five instants of extended years, daysLeft, quotes. */
const INFO_FIXED_BYTES = 512;

/** An optional instant of the key table: NaN is none. */
function instantOrNull(out: JsonBlocks, epochMs: number): void {
  if (Number.isNaN(epochMs)) out.bytes(PART.null);
  else out.instant(epochMs);
}

/** What an interface may show of a key value: its first characters (keyHint). */
const HINT_LENGTH = keyHint('gwk_0123456789').length;

/**
 * `JSON.stringify(toInfo(table.record(slot), day, now))` written into `out`, the same bytes
 * (test/query.test.ts holds them equal over random keys), read from the key table's columns,
 * given the key's days `left` as of that day, which the list has computed already: a list of
 * 100,000 keys writes it for each key on every list, with no object or string per key and nothing
 * kept (docs/architecture.md, "The key table").
 */
export function writeInfoJson(out: JsonBlocks, table: KeyTable, slot: number, left: number, now: number): void {
  const enabled = table.enabled(slot);
  const { status, color } = statusFor(left, enabled);
  const name = table.name(slot);
  const description = table.description(slot);
  const reason = table.disabledReason(slot);
  const previousValidUntil = table.previousValidUntil(slot);
  out.reserve(INFO_FIXED_BYTES, name.length + description.length + HINT_LENGTH + (reason?.length ?? 0));
  out.bytes(PART.name);
  out.string(name);
  out.bytes(PART.description);
  out.string(description);
  out.bytes(PART.createdAt);
  out.instant(table.createdAtOf(slot));
  out.bytes(PART.updatedAt);
  out.instant(table.updatedAtOf(slot));
  out.bytes(PART.expiresOn);
  out.date(table.expiresOnDay(slot));
  out.bytes(PART.lastUsedAt);
  instantOrNull(out, table.lastUsedAtOf(slot));
  out.bytes(statusPart(status, color));
  out.integer(left);
  out.bytes(PART.hint);
  const valueAt = table.valueStart(slot);
  out.quotedAscii(table.valueBytes, valueAt, valueAt + Math.min(HINT_LENGTH, table.valueLengthOf(slot)));
  out.bytes(enabled ? PART.enabledRotatedAt : PART.disabledRotatedAt);
  instantOrNull(out, table.rotatedAtOf(slot));
  out.bytes(PART.previousValidUntil);
  instantOrNull(out, now < previousValidUntil ? previousValidUntil : NaN);
  out.bytes(PART.disabledAt);
  instantOrNull(out, table.disabledAtOf(slot));
  out.bytes(PART.disabledReason);
  if (reason === null) out.bytes(PART.null);
  else out.string(reason);
  out.bytes(PART.end);
}
