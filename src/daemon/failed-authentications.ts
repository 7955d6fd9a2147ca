import type { Log } from '../shared/log.js';
import { FailureThrottle } from './failure-throttle.js';
import type { Session } from './session.js';

/** What one minute of failures looked like: counts only, never a presented value. */
interface Window {
  failures: number;
  slowed: number;
  warned: boolean;
  connections: Set<number>;
  peers: Set<string>;
  reasons: Record<string, number>;
}

const newWindow = (): Window => ({ failures: 0, slowed: 0, warned: false, connections: new Set(), peers: new Set(), reasons: {} });
const PEERS_NAMED = 20;

/**
 * Every failed authentication of the daemon (a wrong handshake proof, a malformed or unknown key),
 * slowed and reported (docs/security.md, "Failed authentications"):
 * - per connection: a burst of 20, then 5 a second (Session's throttle);
 * - across all connections: a burst of 100, then 20 a second, at most 10 s behind; so reconnecting
 *   or opening many connections buys no speed;
 * - a warning when failures start being slowed, once a minute at most, and one summary line per
 *   minute with the counts, connections, peers and reasons. Successes are never slowed or counted.
 */
export class FailedAuthentications {
  private readonly everyone: FailureThrottle;
  private window = newWindow();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Log,
    /** Records a burst (a minute in which failures were slowed) in the audit trail, whose log line then says it. */
    private readonly onBurst: (summary: Record<string, unknown>) => Promise<unknown>,
    now: () => number = () => performance.now(),
    private readonly windowMs = 60_000,
  ) {
    this.everyone = new FailureThrottle(now, 100, 20, 10_000);
  }

  /** Records a failure on `session` for `reason`; returns how many milliseconds to hold its answer back. */
  record(session: Session, reason: string): number {
    const delay = Math.max(session.throttle.failure(), this.everyone.failure());
    const window = this.window;
    window.failures++;
    window.connections.add(session.id);
    if (session.account !== undefined && window.peers.size < PEERS_NAMED) window.peers.add(session.account);
    window.reasons[reason] = (window.reasons[reason] ?? 0) + 1;
    if (delay > 0) {
      window.slowed++;
      if (!window.warned) {
        window.warned = true;
        this.log.warn('Failed authentications are being slowed down: someone may be guessing tokens or keys', {
          event: 'auth.throttled', ...this.describe(window),
        });
      }
    }
    this.timer ??= setTimeout(() => void this.endWindow(), this.windowMs).unref();
    return delay;
  }

  /**
   * Says what the window held, once, and starts a new one: a burst is recorded in the audit trail
   * (and logged from its entry); other failures are logged as a summary.
   */
  async endWindow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const window = this.window;
    this.window = newWindow();
    if (window.failures === 0) return;
    const summary = { ...this.describe(window), slowed: window.slowed, windowSeconds: this.windowMs / 1000 };
    if (window.slowed === 0) {
      this.log.info(`${window.failures} failed authentications in the last ${this.windowMs / 1000} s`, { event: 'auth.failures', ...summary });
      return;
    }
    await this.onBurst(summary).catch((error: Error) =>
      this.log.error('The audit entry of a burst of failed authentications could not be written', { event: 'audit.writeFailed', reason: error.message, ...summary }));
  }

  private describe(window: Window): Record<string, unknown> {
    return { failures: window.failures, connections: window.connections.size, peers: [...window.peers], reasons: { ...window.reasons } };
  }
}
