import type { GatewayClient } from '../client/gateway-client.js';
import type { ApiKeyUsageResult } from '../generated/schemas.js';
import { counted } from './output.js';

/** How long ago `then` was, as of `now`, in the largest whole unit: minutes, then hours, then days after 48 hours. */
export function ago(then: number, now: number): string {
  const minutes = Math.floor((now - then) / 60_000);
  if (minutes < 1) return 'less than a minute ago';
  if (minutes < 60) return `${counted(minutes, 'minute')} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${counted(hours, 'hour')} ago`;
  return `${counted(Math.floor(hours / 24), 'day')} ago`;
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
  if (connectors > 0) parts.push(`by ${counted(connectors, 'connector')}`);
  if (unattributed > 0) parts.push(`${unattributed === 1 ? 'once' : `${unattributed} times`} without a connectorId`);
  const last = lastUsedAt === null ? '' : `, last ${ago(Date.parse(lastUsedAt), now)}`;
  return `used ${parts.join(' and ')}${last}`;
}

/** The impact of one key, asked of the daemon: its usage, and its own last use. */
export async function impactOf(client: GatewayClient, name: string): Promise<string> {
  const [usage, key] = await Promise.all([client.request('apiKey.usage', { name }), client.request('apiKey.get', { name })]);
  return describeImpact(usage, key.lastUsedAt, Date.now());
}
