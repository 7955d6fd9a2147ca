import type { ApiKeyListParams, ApiKeyListResult, SortColumn, Status } from '../generated/schemas.js';
import { toInfo } from './api-key.js';
import { writeInfoJson } from './key-info-json.js';
import type { KeyTable } from './key-table.js';
import { JsonBlocks } from './json-blocks.js';
import { foldName, nameMatcher } from './name.js';
import { epochDay, STATUS_URGENCY, statusFor } from './status.js';

const urgency = new Map(STATUS_URGENCY.map((s, i) => [s, i]));

/** What a list reads of each matching key, computed once per list: its days left, by slot. */
type DaysLeft = Int32Array;

/**
 * Each column's order besides the name, over slots. Array.prototype.sort is stable, so ties keep
 * name order. Never used sorts as the oldest use.
 */
function columnOrder(column: Exclude<SortColumn, 'name'>, table: KeyTable, left: DaysLeft): (a: number, b: number) => number {
  switch (column) {
    case 'expiresOn':
      return (a, b) => left[a]! - left[b]!;
    case 'createdAt':
      return (a, b) => table.createdAtOf(a) - table.createdAtOf(b);
    case 'lastUsedAt': {
      const used = (slot: number) => {
        const at = table.lastUsedAtOf(slot);
        return Number.isNaN(at) ? -Infinity : at;
      };
      return (a, b) => used(a) - used(b) || 0;
    }
    case 'status': {
      // Most urgent first: Expired, ExpiresSoon, Expiring, Active, then Disabled.
      const rank = (slot: number) => urgency.get(statusFor(left[slot]!, table.enabled(slot)).status)!;
      return (a, b) => rank(a) - rank(b);
    }
  }
}

/** The page of keys apiKey.list answers, in order, with the day their status is computed for. */
interface Selection {
  slots: number[];
  daysLeft: DaysLeft;
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
function selectKeys(table: KeyTable, params: ApiKeyListParams, todayEpochDay: number): Selection {
  const asOfDay = params.asOf === undefined ? todayEpochDay : epochDay(params.asOf);
  const matchesName = nameFilter(params);
  const wantedStatus = params.status === undefined ? undefined : new Set<Status>(params.status);

  const keysByName = table.keysByName();
  const slots: number[] = [];
  const daysLeft: DaysLeft = new Int32Array(table.slotLimit);
  for (let i = 0; i < keysByName.length; i++) {
    const slot = keysByName[i]!;
    if (matchesName && !matchesName(foldName(table.name(slot)))) continue;
    const left = table.expiresOnDay(slot) - asOfDay;
    if (wantedStatus && !wantedStatus.has(statusFor(left, table.enabled(slot)).status)) continue;
    slots.push(slot);
    daysLeft[slot] = left;
  }
  const sortBy = params.sortBy ?? 'name';
  if (sortBy !== 'name') slots.sort(columnOrder(sortBy, table, daysLeft));
  if (params.descending) slots.reverse();

  const offset = params.offset ?? 0;
  const end = params.limit === undefined ? slots.length : offset + params.limit;
  // Without paging the slots are the page: no copy of a vault-sized array.
  return { slots: offset === 0 && end >= slots.length ? slots : slots.slice(offset, end), daysLeft, total: slots.length, asOfDay };
}

/** apiKey.list's answer; `now` is the instant previous values are shown as of. */
export function listKeys(table: KeyTable, params: ApiKeyListParams, todayEpochDay: number, now: number): ApiKeyListResult {
  const { slots, total, asOfDay } = selectKeys(table, params, todayEpochDay);
  return { items: slots.map((slot) => toInfo(table.record(slot), asOfDay, now)), total };
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
 * what the daemon sends. Each key's text is written from the key table's columns straight into blocks of
 * 256 KiB (writeInfoJson), and nothing is kept: a vault of 100,000 keys answers 38 MB, which lives only
 * until it is sent (docs/architecture.md, "The key table").
 */
export function listKeysJson(table: KeyTable, params: ApiKeyListParams, todayEpochDay: number, now: number): Buffer[] {
  const { slots, daysLeft, total } = selectKeys(table, params, todayEpochDay);
  const out = new JsonBlocks(LIST_BLOCK_BYTES);
  out.reserve(ITEMS_START.length);
  out.bytes(ITEMS_START);
  for (let i = 0; i < slots.length; i++) {
    if (i > 0) {
      out.reserve(COMMA.length);
      out.bytes(COMMA);
    }
    const slot = slots[i]!;
    writeInfoJson(out, table, slot, daysLeft[slot]!, now);
  }
  out.reserve(LIST_END_BYTES);
  out.bytes(ITEMS_END);
  out.integer(total);
  out.bytes(CLOSE);
  return out.finish();
}
