import { Temporal } from 'temporal-polyfill';
import type { ApiKeyListParams, ApiKeyListResult, SortColumn, Status } from '../generated/schemas.js';
import { type ApiKeyRecord, toInfo } from './api-key.js';
import { foldName, nameMatcher } from './name.js';
import { epochDay, STATUS_URGENCY, statusFor } from './status.js';

/** A record with what sorting and filtering read, computed once per list. */
interface Row {
  record: ApiKeyRecord;
  folded: string;
  daysLeft: number;
  status: Status;
}

type Compare = (a: Row, b: Row) => number;

const byName: Compare = (a, b) =>
  a.folded < b.folded ? -1 : a.folded > b.folded ? 1 : a.record.name < b.record.name ? -1 : a.record.name > b.record.name ? 1 : 0;

const urgency = new Map(STATUS_URGENCY.map((s, i) => [s, i]));

/** Each column's order; ties fall back to the name, so every sort is total and repeatable. */
const COLUMN_ORDER: Record<SortColumn, Compare> = {
  name: byName,
  expiresOn: (a, b) => a.daysLeft - b.daysLeft,
  createdAt: (a, b) => a.record.createdAt - b.record.createdAt,
  // Never used sorts as the oldest use.
  lastUsedAt: (a, b) => (a.record.lastUsedAt ?? -Infinity) - (b.record.lastUsedAt ?? -Infinity) || 0,
  // Most urgent first: Expired, ExpiresSoon, Expiring, Active.
  status: (a, b) => urgency.get(a.status)! - urgency.get(b.status)!,
};

/**
 * apiKey.list as a pure function of the records, the params and today: filter by wildcard name and
 * status (as of `asOf` when given), sort by any column, then page. `total` counts every match.
 */
export function listKeys(
  records: Iterable<ApiKeyRecord>,
  params: ApiKeyListParams,
  today: Temporal.PlainDate,
): ApiKeyListResult {
  const asOf = params.asOf === undefined ? today : Temporal.PlainDate.from(params.asOf);
  const asOfDay = epochDay(asOf);
  const matchesName = params.name === undefined ? undefined : nameMatcher(params.name);
  const wantedStatus = params.status === undefined ? undefined : new Set<Status>(params.status);

  const rows: Row[] = [];
  for (const record of records) {
    const folded = foldName(record.name);
    if (matchesName && !matchesName(folded)) continue;
    const left = epochDay(record.expiresOn) - asOfDay;
    const { status } = statusFor(left);
    if (wantedStatus && !wantedStatus.has(status)) continue;
    rows.push({ record, folded, daysLeft: left, status });
  }

  const column = COLUMN_ORDER[params.sortBy ?? 'name'];
  const direction = params.descending ? -1 : 1;
  rows.sort((a, b) => direction * (column(a, b) || byName(a, b)));

  const offset = params.offset ?? 0;
  const end = params.limit === undefined ? undefined : offset + params.limit;
  return { items: rows.slice(offset, end).map((row) => toInfo(row.record, asOf)), total: rows.length };
}
