import type { Temporal } from 'temporal-polyfill';
import type { ApiKeyInfo, ApiKeyRevealResult } from '../generated/schemas.js';
import { keyHint } from './key-value.js';
import { daysLeft, statusFor } from './status.js';

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
  readonly expiresOn: Temporal.PlainDate;
  /**
   * The last successful connector.authenticate; null if never. The one field changed in place:
   * the authenticate path sets it on every success, so it must not copy the record.
   */
  lastUsedAt: number | null;
}

/** An instant as an RFC 3339 UTC string. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** What interfaces show of a key, its status computed as of `today`. Never the value: only its hint. */
export function toInfo(record: ApiKeyRecord, today: Temporal.PlainDate): ApiKeyInfo {
  const left = daysLeft(record.expiresOn, today);
  const { status, color } = statusFor(left);
  return {
    name: record.name,
    description: record.description,
    createdAt: formatInstant(record.createdAt),
    updatedAt: formatInstant(record.updatedAt),
    expiresOn: record.expiresOn.toString(),
    lastUsedAt: record.lastUsedAt === null ? null : formatInstant(record.lastUsedAt),
    status,
    color,
    daysLeft: left,
    hint: keyHint(record.key),
  };
}

/** The View screen. */
export function toRevealed(record: ApiKeyRecord): ApiKeyRevealResult {
  return { name: record.name, description: record.description, expiresOn: record.expiresOn.toString(), key: record.key };
}
