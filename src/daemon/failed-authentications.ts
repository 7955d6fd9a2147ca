import type { Log } from '../shared/log.js';
import { FailureBudget } from './failure-budget.js';
import { FAILURE_BUDGETS } from './limits.js';
import type { Session } from './session.js';

/** What one minute of failures looked like: counts only, never a presented value. */
interface Window {
  failures: number;
  overBudget: number;
  /** The users warned about this window: each once. */
  warned: Set<string>;
  connections: Set<number>;
  peers: Set<string>;
  reasons: Record<string, number>;
}

const newWindow = (): Window => ({ failures: 0, overBudget: 0, warned: new Set(), connections: new Set(), peers: new Set(), reasons: {} });
const PEERS_NAMED = 20;
/** The budget of the connections whose account the system does not tell: one, shared. */
const UNIDENTIFIED = 'unidentified';

type Budget = { burst: number; perSecond: number };

/**
 * Every failed authentication of the daemon, budgeted per user and reported (docs/security.md,
 * "Failed authentications"). Nothing is ever held back: answers held made valid requests queue
 * behind them, and one stranger's flood held everyone's.
 * - A wrong handshake proof is answered at once. Beyond the user's handshake budget (a burst of 20,
 *   then 5 a second) the connection is closed instead, unanswered, and the user's new connections
 *   are refused until the budget refills (not the unidentified user's: that would let one of them
 *   lock all of them out).
 * - An unknown or malformed key is answered at once, always: the keys are 256-bit random, so
 *   guessing is hopeless, while a gateway whose connectors present bad keys must not stall its
 *   valid ones. Beyond the user's key budget (a burst of 100, then 20 a second) it is reported.
 * - A warning when a user first goes past a budget, once a minute at most per user (20 users), and one summary line per
 *   minute with the counts, connections, peers and reasons. Successes are never counted.
 */
export class FailedAuthentications {
  private readonly handshakes = new Map<string, FailureBudget>();
  private readonly keys = new Map<string, FailureBudget>();
  private window = newWindow();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Log,
    /** Records a minute in which some user went past a budget in the audit trail, whose log line then says it. */
    private readonly onBurst: (summary: Record<string, unknown>) => Promise<unknown>,
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = 60_000,
  ) {}

  /** A wrong proof in a handshake of `session`: whether it is answered, or its connection closed instead. */
  handshakeFailed(session: Session, reason: string): 'answer' | 'close' {
    const within = this.budgetOf(this.handshakes, session.account, FAILURE_BUDGETS.handshake).spend();
    this.record(session, reason, within);
    return within ? 'answer' : 'close';
  }

  /** An unknown or malformed key presented on `session`: counted, never held. */
  keyFailed(session: Session, reason: string): void {
    this.record(session, reason, this.budgetOf(this.keys, session.account, FAILURE_BUDGETS.key).spend());
  }

  /** Why a new connection of `account` is refused now: it has spent its handshake budget. */
  refusal(account: string | undefined): string | undefined {
    return account !== undefined && this.handshakes.get(account)?.spent ? 'handshakeBudget' : undefined;
  }

  private budgetOf(budgets: Map<string, FailureBudget>, account: string | undefined, { burst, perSecond }: Budget): FailureBudget {
    const user = account ?? UNIDENTIFIED;
    let budget = budgets.get(user);
    if (!budget) budgets.set(user, (budget = new FailureBudget(burst, perSecond, this.now)));
    return budget;
  }

  private record(session: Session, reason: string, withinBudget: boolean): void {
    const window = this.window;
    window.failures++;
    window.connections.add(session.id);
    if (session.account !== undefined && window.peers.size < PEERS_NAMED) window.peers.add(session.account);
    window.reasons[reason] = (window.reasons[reason] ?? 0) + 1;
    if (!withinBudget) {
      window.overBudget++;
      const user = session.account ?? UNIDENTIFIED;
      if (!window.warned.has(user) && window.warned.size < PEERS_NAMED) {
        window.warned.add(user);
        this.log.warn('Failed authentications went past their budget: someone may be guessing tokens or keys', {
          event: 'auth.overBudget', account: session.account, role: session.role, ...this.describe(window),
        });
      }
    }
    this.timer ??= setTimeout(() => void this.endWindow(), this.windowMs).unref();
  }

  /**
   * Says what the window held, once, and starts a new one: a minute with failures past a budget is
   * recorded in the audit trail (and logged from its entry); other failures are logged as a summary.
   * The budgets that are whole again are forgotten, so that accounts that come and go cost nothing.
   */
  async endWindow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const budgets of [this.handshakes, this.keys]) for (const [user, budget] of budgets) if (budget.whole) budgets.delete(user);
    const window = this.window;
    this.window = newWindow();
    if (window.failures === 0) return;
    const summary = { ...this.describe(window), overBudget: window.overBudget, windowSeconds: this.windowMs / 1000 };
    if (window.overBudget === 0) {
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
