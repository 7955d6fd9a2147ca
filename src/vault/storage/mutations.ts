import type { ApiKeyRecord } from '../api-key.js';

/**
 * A change to the set of keys: what the journal records and what replaying it applies. Records
 * are plain data (dates as ISO text, instants as numbers), so they are stored as JSON as they are,
 * inside the encryption.
 */
export type Mutation =
  | { type: 'put'; record: ApiKeyRecord }
  | { type: 'delete'; id: string }
  | { type: 'used'; lastUsedAt: [id: string, epochMs: number][] };

export function encodeMutation(mutation: Mutation): Buffer {
  return Buffer.from(JSON.stringify(mutation), 'utf8');
}

export function decodeMutation(bytes: Buffer): Mutation {
  return JSON.parse(bytes.toString('utf8')) as Mutation;
}

export function encodeRecords(records: Iterable<ApiKeyRecord>): Buffer {
  return Buffer.from(JSON.stringify(Array.from(records)), 'utf8');
}

export function decodeRecords(bytes: Buffer): ApiKeyRecord[] {
  return JSON.parse(bytes.toString('utf8')) as ApiKeyRecord[];
}
