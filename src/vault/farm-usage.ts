import { MAX_CONNECTORS_PER_KEY, type PersistedConnectorUse, type PersistedUsage, rankOf } from './key-usage.js';

/**
 * A key's uses across the hosts of a farm (docs/farm.md, "Design"): each host counts its own and
 * flushes them apart, so a read adds them up. A connector used on several hosts is one connector:
 * its first use is the earliest, its last the latest, its count the sum; then the 64 of highest rank
 * are kept, as one host keeps them (docs/storage.md, "Usage per connector").
 */
export function combineHostUsage(perHost: readonly PersistedUsage[]): PersistedUsage | null {
  if (perHost.length === 0) return null;
  let unattributed = 0;
  const connectors = new Map<string, PersistedConnectorUse>();
  for (const [count, uses] of perHost) {
    unattributed += count;
    for (const [connectorId, firstUsedAt, lastUsedAt, used] of uses) {
      const seen = connectors.get(connectorId);
      connectors.set(connectorId, seen
        ? [connectorId, Math.min(seen[1], firstUsedAt), Math.max(seen[2], lastUsedAt), seen[3] + used]
        : [connectorId, firstUsedAt, lastUsedAt, used]);
    }
  }
  const kept = [...connectors.values()]
    .sort((x, y) => rankOf(y[2], y[3]) - rankOf(x[2], x[3]) || (x[0] < y[0] ? -1 : 1))
    .slice(0, MAX_CONNECTORS_PER_KEY);
  return [unattributed, kept];
}
