import type { Status } from '../generated/schemas.js';
import type { Log } from '../vault/log.js';
import type { Vault } from '../vault/vault.js';

const WARNED: Partial<Record<Status, { event: string; message: string }>> = {
  Expiring: { event: 'apiKey.expiring', message: 'API key expires within 14 days' },
  ExpiresSoon: { event: 'apiKey.expiresSoon', message: 'API key expires within 3 days' },
  Expired: { event: 'apiKey.expired', message: 'API key has expired: connectors using it now fail' },
};

/**
 * Tells the operator when a key enters the Expiring, ExpiresSoon or Expired window: checked once
 * a minute (statuses change at local midnight and when keys are edited), a warning per change.
 * At start, every key already in a window is reported once.
 */
export class ExpiryWatch {
  private known = new Map<string, Status>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly vault: Vault, private readonly log: Log, intervalMs = 60_000) {
    this.check();
    this.timer = setInterval(() => this.check(), intervalMs).unref();
  }

  check(): void {
    const now = new Map<string, Status>();
    for (const key of this.vault.list({}).items) {
      now.set(key.name, key.status);
      const warning = WARNED[key.status];
      if (warning && this.known.get(key.name) !== key.status) {
        this.log.warn(warning.message, { event: warning.event, keyName: key.name, expiresOn: key.expiresOn, daysLeft: key.daysLeft });
      }
    }
    this.known = now;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
