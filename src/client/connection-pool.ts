import type { SessionHelloResult } from '../generated/schemas.js';
import { PipeUnreachableError } from '../rpc/client.js';
import type { DaemonClient } from './connect.js';
import { ClientClosedError, DaemonUnavailableError } from './errors.js';

/**
 * The connections of one GatewayClient (docs/gateway-integration.md, "What a client does"): a few
 * sessions, each carrying many calls at once (pipelined, answers matched by id), opened as the
 * calls in flight grow, and opened again with backoff when the daemon restarts. It knows which
 * connection to use; what a call does when its connection breaks is gateway-client.ts's.
 */

/** One connection with its session open. */
export interface PooledSession {
  readonly client: DaemonClient;
  readonly hello: SessionHelloResult;
  inFlight: number;
  /** Lent to one conversation (withConnection): no call of the pool is put on it. */
  lent: boolean;
  /** Taken out of the pool: closed once its last call has its answer. */
  retired: boolean;
}

interface PoolOptions {
  pipe: string;
  maxConnections: number;
  /** How long a connection may take to open, retries while the daemon is not there included. */
  connectTimeoutMs: number;
  /** Opens one session, each attempt within `timeoutMs`. */
  open(timeoutMs: number): Promise<{ client: DaemonClient; hello: SessionHelloResult }>;
}

/** Calls in flight on the least busy connection before another is opened beside it. */
const SPREAD_AT = 16;
/** What one attempt to connect may take however little of the connect timeout is left (a Windows pipe busy, a stuck accept). */
const MIN_ATTEMPT_MS = 3000;
/** The wait before the second attempt to connect, doubled after each, up to the last. */
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 500;
/**
 * What a failed connect says when it is worth trying again: the daemon is not there yet (a restart:
 * its socket gone, or left by a killed daemon and refused), or it closed a connection it could not
 * take. A refused account (EACCES) or a path that cannot be a socket is not.
 */
const TRANSIENT = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN', 'ECONNRESET', 'EPIPE', 'CLOSED', 'TIMEOUT']);

/** The system's word for a failure to reach the pipe, or undefined when it is another failure (an impostor, a refusal). */
export function unreachableReason(error: unknown): string | undefined {
  if (error instanceof PipeUnreachableError) return error.reason;
  if (error instanceof Error && 'syscall' in error && typeof (error as NodeJS.ErrnoException).code === 'string') return (error as NodeJS.ErrnoException).code;
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ConnectionPool {
  private readonly sessions: PooledSession[] = [];
  private opening: Promise<PooledSession | undefined> | undefined;
  private closed = false;
  /** Connections lost (retireAll): one opened across a loss may be to the daemon that went. */
  private losses = 0;

  constructor(private readonly options: PoolOptions) {}

  /**
   * The least busy connection, when one is open; starts opening another when there is none, or
   * when every one has SPREAD_AT calls in flight and there is room for one more.
   */
  ready(): PooledSession | undefined {
    let best: PooledSession | undefined;
    for (const session of this.sessions) if (!session.lent && (best === undefined || session.inFlight < best.inFlight)) best = session;
    if ((best === undefined || best.inFlight >= SPREAD_AT) && this.opening === undefined && !this.closed && this.pooled() < this.options.maxConnections) {
      this.grow();
    }
    return best;
  }

  /** A connection for a call: one open, or the next one opened (DaemonUnavailableError when none can be within the connect timeout). */
  async acquire(): Promise<PooledSession> {
    for (;;) {
      if (this.closed) throw new ClientClosedError();
      const session = this.ready();
      if (session) return session;
      await this.opening;
    }
  }

  /** A call on `session` has its answer (or failed). */
  release(session: PooledSession): void {
    if (--session.inFlight === 0 && session.retired) session.client.close();
  }

  /**
   * A connection broke: the daemon may have gone, and with it every connection open now, whatever
   * order their closings are seen in. No call is put on them any more, so a call sent again goes
   * only to a connection opened after the loss; those still working finish their calls, then close.
   */
  retireAll(lost: PooledSession): void {
    // Counted once per connection: its other calls failing with it are the same loss.
    if (!lost.retired) this.losses++;
    for (const session of [...this.sessions]) if (!session.lent) this.retire(session);
  }

  /** A connection for one conversation alone (withConnection): an idle one of the pool, else one opened for it. */
  async lend(): Promise<PooledSession> {
    if (this.closed) throw new ClientClosedError();
    const idle = this.sessions.find((s) => !s.lent && s.inFlight === 0);
    const session = idle ?? this.adopt(await this.connect());
    session.lent = true;
    return session;
  }

  /** A lent connection is back: it serves the pool again, unless the pool has enough. */
  giveBack(session: PooledSession): void {
    session.lent = false;
    if (this.closed || this.pooled() > this.options.maxConnections) this.retire(session);
  }

  /** Closes every connection once its calls have their answers; resolves when all are closed. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions];
    for (const session of all) this.retire(session);
    await Promise.all(all.map((s) => s.client.closed));
  }

  /** The connections calls may be put on, the one being opened included. */
  private pooled(): number {
    let count = this.opening ? 1 : 0;
    for (const session of this.sessions) if (!session.lent) count++;
    return count;
  }

  private grow(): void {
    const lossesBefore = this.losses;
    const opening = this.connect().then((opened) => {
      if (this.closed) {
        opened.client.close();
        throw new ClientClosedError();
      }
      // Opened while a loss was seen: it may be to the daemon that went, so acquire() opens another.
      if (this.losses !== lossesBefore) {
        opened.client.close();
        return undefined;
      }
      return this.adopt(opened);
    });
    this.opening = opening;
    // A connection opened beside busy ones may fail unwatched: the calls go on on those.
    opening.catch(() => undefined).finally(() => {
      if (this.opening === opening) this.opening = undefined;
    });
  }

  private adopt(opened: { client: DaemonClient; hello: SessionHelloResult }): PooledSession {
    const session: PooledSession = { ...opened, inFlight: 0, lent: false, retired: false };
    this.sessions.push(session);
    void opened.client.closed.then(() => this.remove(session));
    return session;
  }

  /** Takes `session` out of the pool: it is closed once its last call has its answer (or at once, when it has none). */
  retire(session: PooledSession): void {
    this.remove(session);
    session.retired = true;
    if (session.inFlight === 0) session.client.close();
  }

  private remove(session: PooledSession): void {
    const index = this.sessions.indexOf(session);
    if (index >= 0) this.sessions.splice(index, 1);
  }

  /**
   * Opens a session, trying again with backoff while the daemon is not there, until the connect
   * timeout; then DaemonUnavailableError with the system's last word. Any other failure (an
   * impostor, a timeout, a refusal) is final at once.
   */
  private async connect(): Promise<{ client: DaemonClient; hello: SessionHelloResult }> {
    const deadline = Date.now() + this.options.connectTimeoutMs;
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      try {
        return await this.options.open(Math.max(deadline - Date.now(), MIN_ATTEMPT_MS));
      } catch (error) {
        const reason = unreachableReason(error);
        if (reason === undefined) throw error;
        if (!TRANSIENT.has(reason) || Date.now() + backoff > deadline || this.closed) throw new DaemonUnavailableError(this.options.pipe, reason);
        await sleep(backoff);
      }
    }
  }
}
