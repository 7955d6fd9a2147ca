import type { ApiKeyUsageResult } from '../generated/schemas.js';

/** "1 connector", "3 connectors". */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How long ago `then` was, as of `now`, in the largest whole unit: minutes, then hours, then days after 48 hours. */
export function ago(then: number, now: number): string {
  const minutes = Math.floor((now - then) / 60_000);
  if (minutes < 1) return 'less than a minute ago';
  if (minutes < 60) return `${count(minutes, 'minute', 'minutes')} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${count(hours, 'hour', 'hours')} ago`;
  return `${count(Math.floor(hours / 24), 'day', 'days')} ago`;
}

/**
 * What removing, disabling or rotating a key will break, as its confirmation says it: "used by 3
 * connectors, last 2 hours ago", or "never used". `lastUsedAt` is the key's own (it covers the uses
 * without a connectorId, which apiKey.usage counts but does not date). The PowerShell module says
 * the same in the same words (test/fixtures/impact-cases.json).
 */
export function describeImpact(usage: Pick<ApiKeyUsageResult, 'connectors' | 'unattributedCount'>, lastUsedAt: string | null, now: number): string {
  const connectors = usage.connectors.length;
  const unattributed = usage.unattributedCount;
  if (connectors === 0 && unattributed === 0) return 'never used';
  const parts: string[] = [];
  if (connectors > 0) parts.push(`by ${count(connectors, 'connector', 'connectors')}`);
  if (unattributed > 0) parts.push(`${unattributed === 1 ? 'once' : `${unattributed} times`} without a connectorId`);
  const last = lastUsedAt === null ? '' : `, last ${ago(Date.parse(lastUsedAt), now)}`;
  return `used ${parts.join(' and ')}${last}`;
}
