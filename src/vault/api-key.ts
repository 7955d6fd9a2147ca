import type { ApiKeyInfo, ApiKeyRevealResult } from '../generated/schemas.js';
import type { KeyUsage } from './key-usage.js';
import { keyHint } from '../shared/secret-format.js';
import { formatInstant } from './instant.js';
import type { JsonBlocks } from './json-blocks.js';
import type { KeyTable } from './key-table.js';
import { daysLeft, type IsoDate, type Status, statusFor } from './status.js';

export type { ApiKeyInfo };

/** The value a key had before its last rotation, and the instant it stops authenticating (docs/storage.md, "Rotation"). */
interface PreviousValue {
  readonly key: string;
  /** Epoch milliseconds: the value authenticates before this instant, never at or after it. */
  readonly validUntil: number;
}

/** A key as the vault keeps it. Status is never stored: it is a function of enabled, expiresOn and today. */
export interface ApiKeyRecord {
  /** Stable identity in storage, so a rename is one record changing, not a delete and a create. */
  readonly id: string;
  /** NFC-normalised. */
  readonly name: string;
  readonly description: string;
  /** The key value (`gwk_…`): shown again by reveal, so kept encrypted at rest, not only hashed. */
  readonly key: string;
  /** Instants, in milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The last day the key is valid, in the vault's time zone. */
  readonly expiresOn: IsoDate;
  /** false once disabled: its values then fail authentication (reason Disabled), everything else is kept. */
  readonly enabled: boolean;
  /**
   * When and why the key was disabled (the reason as its audit entry holds it, masked), so `get`
   * can say it; null while enabled, and for a key disabled before the vault kept them.
   */
  readonly disabledAt: number | null;
  readonly disabledReason: string | null;
  /** The last rotation; null if never rotated. */
  readonly rotatedAt: number | null;
  /**
   * The value before the last rotation while it may still authenticate; null when there is none.
   * Forgotten by the compaction after its grace (KeyTable.dropPreviousValues), which writes it off the disk.
   */
  previous: PreviousValue | null;
  /**
   * The last successful authentication; null if never. With `usage`, the state changed in place:
   * the authenticate path sets it on every success, so it must not copy the record. A change of
   * the key (a new record) carries both over (KeyTable.apply).
   */
  lastUsedAt: number | null;
  /** Uses per connector; null until the first. */
  usage: KeyUsage | null;
}

/** Whether a record's previous value still authenticates at `now`. */
function previousValueLive(record: ApiKeyRecord, now: number): boolean {
  return record.previous !== null && now < record.previous.validUntil;
}

/**
 * What interfaces show of a key, its status computed as of a day, its previous value's end as of
 * the instant `now`. Never the value: only its hint.
 */
export function toInfo(record: ApiKeyRecord, todayEpochDay: number, now: number): ApiKeyInfo {
  const left = daysLeft(record.expiresOn, todayEpochDay);
  const { status, color } = statusFor(left, record.enabled);
  return {
    name: record.name,
    description: record.description,
    createdAt: formatInstant(record.createdAt),
    updatedAt: formatInstant(record.updatedAt),
    expiresOn: record.expiresOn,
    lastUsedAt: record.lastUsedAt === null ? null : formatInstant(record.lastUsedAt),
    status,
    color,
    daysLeft: left,
    hint: keyHint(record.key),
    enabled: record.enabled,
    rotatedAt: record.rotatedAt === null ? null : formatInstant(record.rotatedAt),
    previousValidUntil: previousValueLive(record, now) ? formatInstant(record.previous!.validUntil) : null,
    disabledAt: record.disabledAt === null ? null : formatInstant(record.disabledAt),
    disabledReason: record.disabledReason,
  };
}

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

/** The View screen. */
export function toRevealed(record: ApiKeyRecord): ApiKeyRevealResult {
  return { name: record.name, description: record.description, expiresOn: record.expiresOn, key: record.key };
}
