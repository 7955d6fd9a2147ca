import type { ApiKeyRecord } from '../api-key.js';
import type { PersistedUsage } from '../key-usage.js';
import { keyedHash, open, seal } from '../crypto.js';
import { foldName } from '../name.js';
import type { ClusterKeys } from './cluster-key.js';
import type { KeyRow } from './farm-database.js';
import { decodeMutation, encodeMutation } from './mutations.js';

/**
 * A key as the farm's database holds it (docs/farm.md, "Design"): its record sealed under the
 * cluster's record key, bound to its id and version, so that a row cannot be moved to another key
 * or replayed as another version; and its folded name as a keyed hash, which the database keeps
 * unique without learning the name. The record travels in the journal's encoding of a put
 * (src/vault/storage/mutations.ts): every field but the uses, which each host keeps and flushes
 * apart, and the last use, which travels with them.
 */

const RECORD_DATA = Buffer.from('gwk-farm-key', 'ascii');
const USAGE_DATA = Buffer.from('gwk-farm-usage', 'ascii');
const AUDIT_DATA = Buffer.from('gwk-farm-audit', 'ascii');
const AUDIT_GENESIS = Buffer.from('gateway-apikeys farm audit trail v1', 'ascii');
const AUDIT_HASH_BYTES = 32;
/** The journal format whose put encoding a sealed record uses: it reads back as that format's record. */
const RECORD_FORMAT = 4;

/** The most bytes a key's id takes in the database: a vault's ids are 22 characters (16 random bytes in base64url). */
const MAX_ID_BYTES = 64;

/** A key's id as the database files it: the id's own text, in UTF-8 (ids are random, never secret). */
export function idBytes(id: string): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_ID_BYTES || bytes.toString('utf8') !== id) throw new RangeError(`a key id is 1 to ${MAX_ID_BYTES} bytes of text`);
  return bytes;
}

/** The id of a key the database files under `bytes` (idBytes, back). */
export function idOf(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** A record as the farm shares it: every field but the uses and the last use, which each host keeps apart. */
export function sharedRecordBytes(record: ApiKeyRecord): Buffer {
  return encodeMutation({ type: 'put', record: { ...record, lastUsedAt: null, usage: null } });
}

/** The keyed hash under which the database keeps a name unique, whatever its case. */
export function nameHash(keys: ClusterKeys, name: string): Buffer {
  return keyedHash(keys.nameKey, Buffer.from(foldName(name), 'utf8'));
}

function recordData(id: Buffer, version: number): Buffer {
  const data = Buffer.alloc(RECORD_DATA.length + id.length + 8);
  RECORD_DATA.copy(data);
  id.copy(data, RECORD_DATA.length);
  data.writeBigUInt64BE(BigInt(version), RECORD_DATA.length + id.length);
  return data;
}

/** The row of `record` at `version`, ready for `FarmDatabase.writeKey`. */
export function sealKeyRecord(keys: ClusterKeys, record: ApiKeyRecord, version: number): KeyRow {
  const id = idBytes(record.id);
  const plaintext = sharedRecordBytes(record);
  return { id, version, nameHash: nameHash(keys, record.name), sealed: seal(keys.recordKey, plaintext, recordData(id, version)) };
}

/**
 * The record of a row, or an error when the row does not open under this cluster key, is bound to
 * another key or version, or names another id inside: a row altered in the database, or moved.
 */
export function openKeyRecord(keys: ClusterKeys, row: KeyRow): ApiKeyRecord {
  const plaintext = open(keys.recordKey, row.sealed, recordData(row.id, row.version));
  if (!plaintext) throw new Error(`The farm's database holds a key row that does not open (id ${idOf(row.id)}, version ${row.version}): altered, moved, or sealed under another cluster key.`);
  const mutation = decodeMutation(plaintext, RECORD_FORMAT);
  if (mutation.type !== 'put' || mutation.record.id !== idOf(row.id)) {
    throw new Error(`The farm's database holds a key row whose record is not the key it is filed as (id ${idOf(row.id)}).`);
  }
  return mutation.record;
}

const usageData = (keyId: Buffer, hostId: Buffer) => Buffer.concat([USAGE_DATA, keyId, hostId]);

/** One host's uses of a key, sealed for the database (connectorIds are the customer's, not the database's), bound to key and host. */
export function sealUsage(keys: ClusterKeys, keyId: Buffer, hostId: Buffer, usage: PersistedUsage): Buffer {
  return seal(keys.recordKey, Buffer.from(JSON.stringify(usage), 'utf8'), usageData(keyId, hostId));
}

/** A host's uses of a key from the database; undefined when they do not open (altered, or moved to another key or host). */
export function openUsage(keys: ClusterKeys, keyId: Buffer, hostId: Buffer, sealed: Buffer): PersistedUsage | undefined {
  const plaintext = open(keys.recordKey, sealed, usageData(keyId, hostId));
  return plaintext ? JSON.parse(plaintext.toString('utf8')) as PersistedUsage : undefined;
}

const auditData = (seq: number) => {
  const data = Buffer.alloc(AUDIT_DATA.length + 8);
  AUDIT_DATA.copy(data);
  data.writeBigUInt64BE(BigInt(seq), AUDIT_DATA.length);
  return data;
};

/** The hash that chains an entry to the one before (none before the first), keyed, as the single host's trail is (docs/storage.md, "The audit trail"). */
export function auditChainHash(keys: ClusterKeys, previousHash: Buffer | null, entry: Buffer): Buffer {
  return keyedHash(keys.auditKey, Buffer.concat([previousHash ?? AUDIT_GENESIS, entry]), AUDIT_HASH_BYTES);
}

/** A farm audit entry for the database (docs/farm.md, "The tables"): sealed, since it names a key, bound to its seq, and chained. */
export function sealAuditEntry(keys: ClusterKeys, seq: number, previousHash: Buffer | null, body: Record<string, unknown>): { entry: Buffer; hash: Buffer } {
  const entry = seal(keys.auditKey, Buffer.from(JSON.stringify(body), 'utf8'), auditData(seq));
  return { entry, hash: auditChainHash(keys, previousHash, entry) };
}

/** A farm audit entry's body; undefined when it does not open at this seq (altered, or moved). */
export function openAuditEntry(keys: ClusterKeys, seq: number, entry: Buffer): Record<string, unknown> | undefined {
  const plaintext = open(keys.auditKey, entry, auditData(seq));
  return plaintext ? JSON.parse(plaintext.toString('utf8')) as Record<string, unknown> : undefined;
}
