import type { StoreStatus } from '../../generated/schemas.js';
import { given, print, type SessionCommand } from '../command.js';
import { seconds } from '../option-values.js';
import { table } from '../output.js';

/** How long a farm host may go without reading the farm's changes before --health calls it stale (docs/farm.md). */
const STALE_AFTER_SECONDS = 60;

/** Why this host is out of step with its store, or undefined when it is in step (`status --health`). */
export function storeProblem(store: StoreStatus, staleAfterSeconds: number): string | undefined {
  // A store that stops answering is not yet a reason to leave the load balancer: the host authenticates from its
  // replica, and every host may lose the database at once. Only a replica older than the threshold is.
  if (store.lagSeconds <= staleAfterSeconds) return undefined;
  return `${store.reachable ? '' : `the ${store.kind} store does not answer, and `}this host last read the store's changes ${Math.round(store.lagSeconds)} s ago (stale after ${staleAfterSeconds} s)`;
}

function storeLine(store: StoreStatus): string {
  if (store.kind === 'files') return 'store: files (this host\'s data dir alone)';
  const synced = store.lastSyncAt === null ? 'never synced' : `last synced ${store.lastSyncAt}, ${Math.round(store.lagSeconds)} s behind at most`;
  return `store: ${store.kind}, ${store.hosts} host${store.hosts === 1 ? '' : 's'}, ${store.reachable ? 'reachable' : 'NOT reachable'}, ${synced}`;
}

export const statusCommand: SessionCommand = {
  name: 'status',
  group: 'Keys',
  summary: "the daemon's version, uptime, store and the count of keys of each status; --health for a load balancer's probe",
  session: true,
  options: {
    health: { type: 'boolean', help: 'exit 0 when this host is in step with its store, 1 when it is stale (its store unread for longer than --stale-after) or the daemon does not answer' },
    'stale-after': { type: 'string', value: 'SECONDS', help: `with --health: how far behind its store a host may be (${STALE_AFTER_SECONDS})`, parse: seconds },
  },
  async run(client, invocation) {
    const status = await client.request('daemon.status', {});
    const { keys, store } = status;
    if (invocation.flags.health) {
      const problem = storeProblem(store, given<number>(invocation.flags, 'stale-after') ?? STALE_AFTER_SECONDS);
      print(invocation, status, () => (problem ? `stale: ${problem}.` : `in step: ${storeLine(store)}`));
      return problem ? 1 : 0;
    }
    print(invocation, status, () =>
      `gateway-apikeys ${status.serverVersion}, up ${status.uptimeSeconds} s\n${storeLine(store)}\n` +
      table(['KEYS', 'ACTIVE', 'EXPIRING', 'EXPIRES SOON', 'EXPIRED', 'DISABLED'],
        [[keys.total, keys.Active, keys.Expiring, keys.ExpiresSoon, keys.Expired, keys.Disabled].map(String)]));
    return 0;
  },
};
