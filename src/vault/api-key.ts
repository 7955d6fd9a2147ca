import type { ApiKeyInfo, ApiKeyRevealResult } from '../generated/schemas.js';
import { keyHint } from './key-value.js';
import { daysLeft, type IsoDate, statusFor } from './status.js';

export type { ApiKeyInfo };

/** A key as the vault keeps it. Status is never stored: it is a function of expiresOn and today. */
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
  /**
   * The last successful connector.authenticate; null if never. The one field changed in place:
   * the authenticate path sets it on every success, so it must not copy the record.
   */
  lastUsedAt: number | null;
}

/** An instant as an RFC 3339 UTC string. */
function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** What interfaces show of a key, its status computed as of a day. Never the value: only its hint. */
export function toInfo(record: ApiKeyRecord, todayEpochDay: number): ApiKeyInfo {
  const left = daysLeft(record.expiresOn, todayEpochDay);
  const { status, color } = statusFor(left);
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
  };
}

/** The answer for a key as UTF-8 JSON, kept with what it was made for: the day and the last use. */
interface CachedInfo {
  day: number;
  lastUsedAt: number | null;
  bytes: Buffer;
}

/**
 * Each key's info as UTF-8 JSON, made once per day and per use: a list of 100,000 keys then copies
 * bytes instead of building and serialising 100,000 objects. The cache dies with the record
 * (an edit makes a new record).
 */
const infoCache = new WeakMap<ApiKeyRecord, CachedInfo>();

/**
 * `,` + `JSON.stringify(toInfo(record, day))` as bytes, cached when `day` is today: list items ready to
 * join (the comma included halves what a list of 100,000 keys copies). The tests hold it equal.
 */
export function infoJsonBytes(record: ApiKeyRecord, day: number, todayEpochDay: number): Buffer {
  const cached = infoCache.get(record);
  if (cached && cached.day === day && cached.lastUsedAt === record.lastUsedAt) return cached.bytes;
  const text = `,${JSON.stringify(toInfo(record, day))}`;
  if (day !== todayEpochDay) return Buffer.from(text, 'utf8');
  // Kept bytes get memory of their own. Buffer.from() would cut them from Node's shared 8 KiB pool,
  // and one kept slice holds its whole slab: cached answers made a few at a time, between other
  // requests' short-lived buffers, held up to 8 KiB each, so memory per key grew with the requests
  // served (test/guarantees/load.test.ts). Own memory costs about 200 bytes more per key.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  bytes.write(text, 'utf8');
  infoCache.set(record, { day, lastUsedAt: record.lastUsedAt, bytes });
  return bytes;
}

/** The View screen. */
export function toRevealed(record: ApiKeyRecord): ApiKeyRevealResult {
  return { name: record.name, description: record.description, expiresOn: record.expiresOn, key: record.key };
}
