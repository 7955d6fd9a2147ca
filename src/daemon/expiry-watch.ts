import type { Status } from '../generated/schemas.js';
import type { Log } from '../shared/log.js';
import type { Vault } from '../vault/vault.js';

const WARNED = {
  Expiring: { event: 'apiKey.expiring', message: 'API key expires within 14 days' },
  ExpiresSoon: { event: 'apiKey.expiresSoon', message: 'API key expires within 3 days' },
  Expired: { event: 'apiKey.expired', message: 'API key has expired: connectors using it now fail' },
} as const satisfies Partial<Record<Status, { event: string; message: string }>>;
const WINDOWS = Object.keys(WARNED) as (keyof typeof WARNED)[];

/** At start, keys already in a window are named one by one up to this many, then counted. */
const NAMED_AT_START = 20;

/**
 * Tells the operator when a key enters the Expiring, ExpiresSoon or Expired window: checked once
 * a minute (statuses change at local midnight and when keys are edited), one warning per change.
 * At start, the keys already in a window are reported, the most urgent by name.
 */
export class ExpiryWatch {
  private known = new Map<string, Status>();
  private readonly first: NodeJS.Immediate;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly vault: Vault, private readonly log: Log, intervalMs = 60_000) {
    // Not in the way of start-up: the first look is taken once the daemon serves.
    this.first = setImmediate(() => this.check(NAMED_AT_START));
    this.timer = setInterval(() => this.check(Infinity), intervalMs).unref();
  }

  private check(nameAtMost: number): void {
    const { items } = this.vault.list({ status: WINDOWS, sortBy: 'expiresOn' });
    const now = new Map<string, Status>();
    let named = 0;
    for (const key of items) {
      now.set(key.name, key.status);
      if (this.known.get(key.name) === key.status) continue;
      if (named++ >= nameAtMost) continue;
      const warning = WARNED[key.status as keyof typeof WARNED];
      this.log.warn(warning.message, { event: warning.event, keyName: key.name, expiresOn: key.expiresOn, daysLeft: key.daysLeft });
    }
    if (named > nameAtMost) {
      const count = (status: Status) => items.filter((k) => k.status === status).length;
      this.log.warn(`${named - nameAtMost} more API keys expire soon or have expired: list them with --status`, {
        event: 'apiKey.expiringSummary', Expired: count('Expired'), ExpiresSoon: count('ExpiresSoon'), Expiring: count('Expiring'),
      });
    }
    this.known = now;
  }

  stop(): void {
    clearImmediate(this.first);
    clearInterval(this.timer);
  }
}
