import type { ApiKeyListParams, ApiKeyListResult, SortColumn, Status } from '../generated/schemas.js';
import { type ApiKeyRecord, toInfo, writeInfoJson } from './api-key.js';
import { JsonBlocks } from './json-blocks.js';
import { foldName, nameMatcher } from './name.js';
import { epochDay, STATUS_URGENCY, statusFor } from './status.js';

/** A key with its folded (case-insensitive) name, as the index keeps it by name. */
export type NamedRecord = readonly [foldedName: string, record: ApiKeyRecord];

/** The order of names: case-insensitive, ties (names equal but for case) by the exact name. */
function compareNames(a: NamedRecord, b: NamedRecord): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1].name < b[1].name ? -1 : a[1].name > b[1].name ? 1 : 0;
}

/**
 * Keys in name order: what selectKeys starts from, so sorting by name is free and other sorts only
 * reorder. The records alone: a pair per key, kept between lists, cost 90 bytes a key
 * (docs/architecture.md, "The key table"); a list that filters by name folds the names it tests.
 */
export function sortByName(keys: Iterable<NamedRecord>): ApiKeyRecord[] {
  return Array.from(keys).sort(compareNames).map(([, record]) => record);
}

/** A matching key with what its sort and answer read, computed once per list. */
interface Row {
  record: ApiKeyRecord;
  daysLeft: number;
  status: Status;
}

const urgency = new Map(STATUS_URGENCY.map((s, i) => [s, i]));

/** Each column's order besides the name. Array.prototype.sort is stable, so ties keep name order. */
const COLUMN_ORDER: Record<Exclude<SortColumn, 'name'>, (a: Row, b: Row) => number> = {
  expiresOn: (a, b) => a.daysLeft - b.daysLeft,
  createdAt: (a, b) => a.record.createdAt - b.record.createdAt,
  // Never used sorts as the oldest use.
  lastUsedAt: (a, b) => (a.record.lastUsedAt ?? -Infinity) - (b.record.lastUsedAt ?? -Infinity) || 0,
  // Most urgent first: Expired, ExpiresSoon, Expiring, Active, then Disabled.
  status: (a, b) => urgency.get(a.status)! - urgency.get(b.status)!,
};

/** The page of keys apiKey.list answers, in order, with the day their status is computed for. */
interface Selection {
  rows: Row[];
  total: number;
  asOfDay: number;
}

/**
 * The test of folded names that `name` (a wildcard pattern) or `literalName` (a name as it is)
 * asks for; none when neither is given. The schema refuses both at once. A literal name is
 * compared folded, as uniqueness is: at most one key has it, and `*` and `?` are its own characters.
 */
function nameFilter(params: ApiKeyListParams): ((foldedName: string) => boolean) | undefined {
  if (params.literalName !== undefined) {
    const wanted = foldName(params.literalName);
    return (foldedName) => foldedName === wanted;
  }
  return params.name === undefined ? undefined : nameMatcher(params.name);
}

/**
 * apiKey.list's choice of keys as a pure function of the keys (in name order), the params and
 * today: filter by wildcard or literal name and by status (as of `asOf` when given), sort by any
 * column, then page. `total` counts every match.
 */
function selectKeys(keysByName: readonly ApiKeyRecord[], params: ApiKeyListParams, todayEpochDay: number): Selection {
  const asOfDay = params.asOf === undefined ? todayEpochDay : epochDay(params.asOf);
  const matchesName = nameFilter(params);
  const wantedStatus = params.status === undefined ? undefined : new Set<Status>(params.status);

  const rows: Row[] = [];
  for (let i = 0; i < keysByName.length; i++) {
    const record = keysByName[i]!;
    if (matchesName && !matchesName(foldName(record.name))) continue;
    const daysLeft = epochDay(record.expiresOn) - asOfDay;
    const { status } = statusFor(daysLeft, record.enabled);
    if (wantedStatus && !wantedStatus.has(status)) continue;
    rows.push({ record, daysLeft, status });
  }
  const sortBy = params.sortBy ?? 'name';
  if (sortBy !== 'name') rows.sort(COLUMN_ORDER[sortBy]);
  if (params.descending) rows.reverse();

  const offset = params.offset ?? 0;
  const end = params.limit === undefined ? rows.length : offset + params.limit;
  // Without paging the rows are the page: no copy of a vault-sized array.
  return { rows: offset === 0 && end >= rows.length ? rows : rows.slice(offset, end), total: rows.length, asOfDay };
}

/** apiKey.list's answer; `now` is the instant previous values are shown as of. */
export function listKeys(keysByName: readonly ApiKeyRecord[], params: ApiKeyListParams, todayEpochDay: number, now: number): ApiKeyListResult {
  const { rows, total, asOfDay } = selectKeys(keysByName, params, todayEpochDay);
  return { items: rows.map((row) => toInfo(row.record, asOfDay, now)), total };
}

/** The size of the blocks a list's JSON is written in: large enough for few writes, and each its own memory, freed when sent. */
const LIST_BLOCK_BYTES = 256 * 1024;
const ITEMS_START = Buffer.from('{"items":[', 'latin1');
const COMMA = Buffer.from(',', 'latin1');
const ITEMS_END = Buffer.from('],"total":', 'latin1');
const CLOSE = Buffer.from('}', 'latin1');
/** `],"total":…}` at most. */
const LIST_END_BYTES = 64;

/**
 * apiKey.list's answer as UTF-8 JSON in blocks, equal to `JSON.stringify(listKeys(…))` once joined:
 * what the daemon sends. Each key's text is written from its record straight into blocks of
 * 256 KiB (writeInfoJson), and nothing is kept: a vault of 100,000 keys answers 38 MB, which lives only
 * until it is sent (docs/architecture.md, "The key table").
 */
export function listKeysJson(keysByName: readonly ApiKeyRecord[], params: ApiKeyListParams, todayEpochDay: number, now: number): Buffer[] {
  const { rows, total } = selectKeys(keysByName, params, todayEpochDay);
  const out = new JsonBlocks(LIST_BLOCK_BYTES);
  out.reserve(ITEMS_START.length);
  out.bytes(ITEMS_START);
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) {
      out.reserve(COMMA.length);
      out.bytes(COMMA);
    }
    const row = rows[i]!;
    writeInfoJson(out, row.record, row.daysLeft, now);
  }
  out.reserve(LIST_END_BYTES);
  out.bytes(ITEMS_END);
  out.integer(total);
  out.bytes(CLOSE);
  return out.finish();
}
