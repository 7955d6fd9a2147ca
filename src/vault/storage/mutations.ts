import { Temporal } from 'temporal-polyfill';
import type { ApiKeyRecord } from '../api-key.js';

/** A change to the set of keys: what the journal records and what replaying it applies. */
export type Mutation =
  | { type: 'put'; record: ApiKeyRecord }
  | { type: 'delete'; id: string }
  | { type: 'used'; lastUsedAt: [id: string, epochMs: number][] };

/** A record as stored (inside the encryption): dates as text. */
interface StoredRecord {
  id: string;
  name: string;
  description: string;
  key: string;
  createdAt: number;
  updatedAt: number;
  expiresOn: string;
  lastUsedAt: number | null;
}

type StoredMutation =
  | { type: 'put'; record: StoredRecord }
  | { type: 'delete'; id: string }
  | { type: 'used'; lastUsedAt: [string, number][] };

export function toStored(record: ApiKeyRecord): StoredRecord {
  return { ...record, expiresOn: record.expiresOn.toString() };
}

export function fromStored(stored: StoredRecord): ApiKeyRecord {
  return { ...stored, expiresOn: Temporal.PlainDate.from(stored.expiresOn) };
}

export function encodeMutation(mutation: Mutation): Buffer {
  const stored: StoredMutation = mutation.type === 'put' ? { type: 'put', record: toStored(mutation.record) } : mutation;
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

export function decodeMutation(bytes: Buffer): Mutation {
  const stored = JSON.parse(bytes.toString('utf8')) as StoredMutation;
  return stored.type === 'put' ? { type: 'put', record: fromStored(stored.record) } : stored;
}

export function encodeRecords(records: Iterable<ApiKeyRecord>): Buffer {
  return Buffer.from(JSON.stringify(Array.from(records, toStored)), 'utf8');
}

export function decodeRecords(bytes: Buffer): ApiKeyRecord[] {
  return (JSON.parse(bytes.toString('utf8')) as StoredRecord[]).map(fromStored);
}
