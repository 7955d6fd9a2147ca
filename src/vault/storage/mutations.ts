import type { ApiKeyRecord } from '../api-key.js';
import { KeyUsage, type PersistedConnectorUse, type PersistedUsage } from '../key-usage.js';

/** A key's uses as a `used` mutation carries them: its id, then its PersistedUsage. */
export type PersistedKeyUsage = [id: string, unattributedCount: number, connectors: PersistedConnectorUse[]];

/**
 * A change to the set of keys: what the journal records and what replaying it applies. A `used`
 * record carries last-used times and, from format 3, the uses per connector that changed, as
 * absolute values (docs/storage.md, "Usage per connector").
 */
export type Mutation =
  | { type: 'put'; record: ApiKeyRecord }
  | { type: 'delete'; id: string }
  | { type: 'used'; lastUsedAt: [id: string, epochMs: number][]; usage?: PersistedKeyUsage[] };

/**
 * A key as a row: its fields in this order, without their names (a snapshot holds every key, so
 * this makes it a third smaller, and faster to decrypt and parse at start). Format 2 rows end at
 * lastUsedAt; format 3 adds the lifecycle fields and the uses per connector, and later the disable's
 * instant and reason at the end: rows written before them end at usage (docs/storage.md, "Versions").
 */
type RowV2 = [id: string, name: string, description: string, key: string, createdAt: number, updatedAt: number, expiresOn: string, lastUsedAt: number | null];
type Row = [...RowV2, enabled: boolean, rotatedAt: number | null, previousKey: string | null, previousValidUntil: number | null, usage: PersistedUsage | null,
  disabledAt?: number | null, disabledReason?: string | null];

/** A put of format 2 carried the record as an object with named fields. */
type RecordV2 = Pick<ApiKeyRecord, 'id' | 'name' | 'description' | 'key' | 'createdAt' | 'updatedAt' | 'expiresOn' | 'lastUsedAt'>;

/** The first file format whose rows and puts carry the lifecycle fields (docs/storage.md, "Formats"). */
const LIFECYCLE_FORMAT = 3;

function toRow(r: ApiKeyRecord, withUsage: boolean): Row {
  return [r.id, r.name, r.description, r.key, r.createdAt, r.updatedAt, r.expiresOn, r.lastUsedAt,
    r.enabled, r.rotatedAt, r.previous?.key ?? null, r.previous?.validUntil ?? null, withUsage ? r.usage?.all() ?? null : null,
    r.disabledAt, r.disabledReason];
}

function fromRow(row: Row): ApiKeyRecord {
  const [id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt, enabled, rotatedAt, previousKey, previousValidUntil, usage,
    disabledAt = null, disabledReason = null] = row;
  return {
    id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt, enabled, rotatedAt,
    previous: previousKey === null ? null : { key: previousKey, validUntil: previousValidUntil! },
    usage: KeyUsage.from(usage),
    disabledAt, disabledReason,
  };
}

/** A key of format 2: enabled, never rotated, no uses per connector yet. */
function fromV2({ id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt }: RecordV2): ApiKeyRecord {
  return {
    id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt, enabled: true, rotatedAt: null, previous: null, usage: null,
    disabledAt: null, disabledReason: null,
  };
}

/**
 * A put carries the key's fields but not its uses: those travel in `used` records, and a change of
 * the key keeps the uses it had (KeyTable.apply).
 */
export function encodeMutation(mutation: Mutation): Buffer {
  const stored = mutation.type === 'put' ? { type: 'put', record: toRow(mutation.record, false) } : mutation;
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** A journal record of the given format version. */
export function decodeMutation(bytes: Buffer, version: number): Mutation {
  const stored = JSON.parse(bytes.toString('utf8')) as Mutation | { type: 'put'; record: Row | RecordV2 };
  if (stored.type !== 'put') return stored;
  return { type: 'put', record: version < LIFECYCLE_FORMAT ? fromV2(stored.record as RecordV2) : fromRow(stored.record as Row) };
}

/** A key as a snapshot or a backup holds it: every field, its uses included, taken as it is now. */
export type KeyRow = Row;

/** The keys as rows, at this instant: later changes to the records do not reach them. */
export function toRows(records: Iterable<ApiKeyRecord>): KeyRow[] {
  return Array.from(records, (r) => toRow(r, true));
}

export function encodeRows(rows: readonly KeyRow[]): Buffer {
  return Buffer.from(JSON.stringify(rows), 'utf8');
}

/** Keys as JSON rows of the given format version: a backup's, or a snapshot's before format 5. */
export function decodeRecords(bytes: Buffer, version: number): ApiKeyRecord[] {
  const rows = JSON.parse(bytes.toString('utf8')) as (Row | RowV2)[];
  if (version >= LIFECYCLE_FORMAT) return (rows as Row[]).map(fromRow);
  return (rows as RowV2[]).map(([id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt]) =>
    fromV2({ id, name, description, key, createdAt, updatedAt, expiresOn, lastUsedAt }));
}
