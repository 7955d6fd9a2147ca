import type { ApiKeyInfo, ApiKeyRevealResult } from '../generated/schemas.js';
import type { KeyUsage } from './key-usage.js';
import { keyHint } from '../shared/secret-format.js';
import { daysLeft, type IsoDate, statusFor } from './status.js';

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
   * Set to null in place by the compaction after its grace (KeyIndex), which writes it off the disk.
   */
  previous: PreviousValue | null;
  /**
   * The last successful authentication; null if never. With `usage`, the state changed in place:
   * the authenticate path sets it on every success, so it must not copy the record. A change of
   * the key (a new record) carries both over (KeyIndex.apply).
   */
  lastUsedAt: number | null;
  /** Uses per connector; null until the first. */
  usage: KeyUsage | null;
}

/** Whether a record's previous value still authenticates at `now`. */
function previousValueLive(record: ApiKeyRecord, now: number): boolean {
  return record.previous !== null && now < record.previous.validUntil;
}

/** An instant as an RFC 3339 UTC string. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
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

/** The answer for a key as UTF-8 JSON, kept with what it was made for: the day, the last use, a previous value shown. */
interface CachedInfo {
  day: number;
  lastUsedAt: number | null;
  previousShown: boolean;
  bytes: Buffer;
}

/**
 * Each key's info as UTF-8 JSON, made once per day and per use: a list of 100,000 keys then copies
 * bytes instead of building and serialising 100,000 objects. The cache dies with the record
 * (an edit makes a new record).
 */
const infoCache = new WeakMap<ApiKeyRecord, CachedInfo>();

/**
 * `,` + `JSON.stringify(toInfo(record, day, now))` as bytes, cached when `day` is today: list items ready
 * to join (the comma included halves what a list of 100,000 keys copies). The tests hold it equal.
 */
export function infoJsonBytes(record: ApiKeyRecord, day: number, todayEpochDay: number, now: number): Buffer {
  const cached = infoCache.get(record);
  const previousShown = previousValueLive(record, now);
  if (cached && cached.day === day && cached.lastUsedAt === record.lastUsedAt && cached.previousShown === previousShown) return cached.bytes;
  const text = `,${JSON.stringify(toInfo(record, day, now))}`;
  if (day !== todayEpochDay) return Buffer.from(text, 'utf8');
  // Kept bytes get memory of their own. Buffer.from() would cut them from Node's shared 8 KiB pool,
  // and one kept slice holds its whole slab: cached answers made a few at a time, between other
  // requests' short-lived buffers, held up to 8 KiB each, so memory per key grew with the requests
  // served (test/guarantees/load.test.ts). Own memory costs about 200 bytes more per key.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  bytes.write(text, 'utf8');
  infoCache.set(record, { day, lastUsedAt: record.lastUsedAt, previousShown, bytes });
  return bytes;
}

/** The View screen. */
export function toRevealed(record: ApiKeyRecord): ApiKeyRevealResult {
  return { name: record.name, description: record.description, expiresOn: record.expiresOn, key: record.key };
}
