import fs from 'node:fs';
import path from 'node:path';
import { LOCATIONS } from '../generated/locations.js';
import type { AuthenticateResult, DaemonStatusResult, Role, RpcMethod, RpcMethods } from '../generated/schemas.js';
import { resolveLocations, TOKEN_FILES } from '../locations.js';
import { RpcCallError } from '../rpc/client.js';
import { openSession, REQUEST_TIMEOUT_MS } from './connect.js';
import { ConnectionPool, type PooledSession, unreachableReason } from './connection-pool.js';
import { ClientClosedError, DaemonConnectionLostError, GatewayApiKeysError, TokenUnavailableError } from './errors.js';

/**
 * The Node client of the daemon, for a gateway's own code and for the CLI
 * (docs/gateway-integration.md): many calls at once over a small pool of pipelined connections
 * (connection-pool.ts), each opened with protocol 3 (connect.ts); a daemon restart ridden out; the
 * daemon's refusals as GatewayApiKeysError with its code.
 */

export interface GatewayClientOptions {
  /** The daemon's pipe (a socket path off Windows): GATEWAY_APIKEYS_PIPE, else the platform's default in the data dir. */
  pipe?: string;
  /** The daemon's data dir, where the default pipe and token files are: GATEWAY_APIKEYS_DATA_DIR, else the platform's default. */
  dataDir?: string;
  /** The role's token itself (never logged, never in a message). Not with tokenFile. */
  token?: string;
  /** A file holding the role's token. Without it or `token`: GATEWAY_APIKEYS_TOKEN, else the role's token file in the data dir. */
  tokenFile?: string;
  /** The role to prove: `gateway` when the token comes from the data dir; else, without one, whichever the token proves (admin first). */
  role?: Role;
  /** Connections opened at most for the calls of the pool (4): another is opened when each has 16 calls in flight. */
  maxConnections?: number;
  /** How long a call may wait for a connection, while the daemon restarts included, before DaemonUnavailableError (10 s); 0: one attempt. */
  connectTimeoutMs?: number;
  /** How long each call may wait for its answer before DaemonTimeoutError (60 s). */
  requestTimeoutMs?: number;
  /** How long each request of the handshake may wait (10 s, the daemon's own deadline for it). */
  handshakeTimeoutMs?: number;
}

export interface CallOptions {
  /** Gives up waiting: the call rejects with the signal's reason. A request already sent is still answered, and the answer dropped. */
  signal?: AbortSignal;
}

/** Methods of one connection's handshake or conversation: never put on a pooled connection. */
type ConnectionMethod = 'session.challenge' | 'session.hello' | 'backup.create' | 'backup.read';
/** The methods a pooled call may make. */
export type PooledMethod = Exclude<RpcMethod, ConnectionMethod>;
/** The methods of a conversation on one connection (withConnection): a backup's among them. */
export type ConnectionOwnMethod = Exclude<RpcMethod, 'session.challenge' | 'session.hello'>;

type Params<K extends RpcMethod> = RpcMethods[K]['params'];
type Result<K extends RpcMethod> = RpcMethods[K]['result'];

/** One connection lent to a conversation whose requests must share it (a backup: backup.create, then its parts). */
export interface DedicatedConnection {
  readonly pipe: string;
  request<K extends ConnectionOwnMethod>(method: K, params: Params<K>, options?: CallOptions): Promise<Result<K>>;
  /** Resolves when the connection is closed, by either end (after daemon.shutdown: the daemon has stopped taking requests). */
  readonly closed: Promise<void>;
}

const CONNECTION_METHODS: ReadonlySet<string> = new Set<ConnectionMethod>(['session.challenge', 'session.hello', 'backup.create', 'backup.read']);

/**
 * The calls sent once more, on a new connection, when theirs breaks before the answer: those that
 * change nothing, and connector.authenticate. Authenticate records a use, so a retry could count one
 * use twice, but only if the daemon handled the first and then lost the connection without dying
 * (a daemon that is killed loses its last uses anyway, and one that stops cleanly answers first);
 * failing a gateway's request for a restart would be worse. apiKey.reveal is not sent twice: each
 * reveal is an audited disclosure. Changes are never sent twice (DaemonConnectionLostError).
 */
const SENT_AGAIN: ReadonlySet<RpcMethod> = new Set<RpcMethod>([
  'connector.authenticate', 'daemon.status', 'apiKey.verify', 'apiKey.list', 'apiKey.get', 'apiKey.usage', 'audit.list', 'audit.verify',
]);

const DEFAULT_MAX_CONNECTIONS = 4;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The failures of a call as the client reports them: the daemon's refusals with its code. */
function reported(error: unknown): Error {
  if (error instanceof RpcCallError) return new GatewayApiKeysError(error.message, error.code, error.rpcCode, error.field);
  return error as Error;
}

/**
 * `promise`, or the signal's reason as soon as it is aborted. What is given up on is still settled
 * later: its rejection is caught here, so it never goes unhandled.
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The token and the role to prove, from the options, the environment or the data dir (docs/architecture.md, "Locations"). */
function credentials(options: GatewayClientOptions, dataDir: string): { token: string; role: Role | undefined } {
  if (options.token !== undefined && options.tokenFile !== undefined) throw new TypeError('Give token or tokenFile, not both.');
  if (options.token !== undefined) return { token: options.token.trim(), role: options.role };
  const fromEnv = process.env[LOCATIONS.environment.token];
  if (options.tokenFile === undefined && fromEnv) return { token: fromEnv.trim(), role: options.role };
  const role = options.tokenFile === undefined ? options.role ?? 'gateway' : options.role;
  const file = options.tokenFile ?? path.join(dataDir, TOKEN_FILES[role ?? 'gateway']);
  try {
    return { token: fs.readFileSync(file, 'utf8').trim(), role };
  } catch (error) {
    throw new TokenUnavailableError(file, (error as NodeJS.ErrnoException).code ?? 'ERROR');
  }
}

export class GatewayClient {
  private closing = false;

  private constructor(
    /** Where the daemon answers. */
    readonly pipe: string,
    /** The role the token proved. */
    readonly role: Role,
    private readonly pool: ConnectionPool,
  ) {}

  /**
   * Opens the first connection and its session, so that a wrong pipe, a wrong token or an impostor
   * is known at once (DaemonUnavailableError, DaemonImpostorError); the others open as calls need them.
   */
  static async connect(options: GatewayClientOptions = {}): Promise<GatewayClient> {
    const { dataDir, pipe } = resolveLocations({ dataDir: options.dataDir, pipe: options.pipe });
    const { token, role } = credentials(options, dataDir);
    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError('maxConnections must be a whole number of 1 or more.');
    let proved = role;
    const pool = new ConnectionPool({
      pipe, maxConnections, connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Once a role is proved, every later connection proves that one: no second challenge for the other.
      open: (timeoutMs) => openSession({
        pipe, token, role: proved, connectTimeoutMs: timeoutMs, requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
      }),
    });
    const first = await pool.acquire().catch((error: unknown) => {
      throw reported(error);
    });
    proved = first.hello.role;
    return new GatewayClient(pipe, first.hello.role, pool);
  }

  /** Whether a presented key is valid, and whose; a success records a use for `connectorId` (connector.authenticate). */
  authenticate(key: string, options: CallOptions & { connectorId?: string } = {}): Promise<AuthenticateResult> {
    const { connectorId, signal } = options;
    return this.request('connector.authenticate', connectorId === undefined ? { key } : { key, connectorId }, { signal });
  }

  /** The daemon's version, uptime and key counts (daemon.status): the health check's call. */
  status(options?: CallOptions): Promise<DaemonStatusResult> {
    return this.request('daemon.status', {}, options);
  }

  /** Any method of docs/protocol.md the role may call, typed from its schemas: `request('apiKey.create', {name})`. */
  request<K extends PooledMethod>(method: K, params: Params<K>, options?: CallOptions): Promise<Result<K>>;
  async request(method: PooledMethod, params: unknown, options: CallOptions = {}): Promise<unknown> {
    if (CONNECTION_METHODS.has(method)) throw new TypeError(`${method} belongs to one connection: use withConnection.`);
    const { signal } = options;
    signal?.throwIfAborted();
    for (let sent = 0; ; sent++) {
      const session = this.pool.ready() ?? await abortable(this.pool.acquire(), signal).catch((error: unknown) => {
        throw reported(error);
      });
      session.inFlight++;
      try {
        return await abortable(session.client.request(method, params as never), signal);
      } catch (error) {
        if (signal?.aborted || error instanceof RpcCallError) throw reported(error);
        if (unreachableReason(error) === undefined) {
          // A timeout or a protocol error: the transport has destroyed the connection, and the next call must not find it.
          this.pool.retire(session);
          throw error;
        }
        // The connection broke under the call: the daemon may be restarting.
        this.pool.retireAll(session);
        if (this.closing) throw new ClientClosedError();
        if (sent > 0 || !SENT_AGAIN.has(method)) throw new DaemonConnectionLostError(this.pipe, method);
      } finally {
        this.pool.release(session);
      }
    }
  }

  /**
   * Runs `run` on one connection of its own, for requests that belong together on it (a backup:
   * backup.create, then backup.read of each part) or must see it close (daemon.shutdown). Nothing
   * is sent twice there: a broken connection is DaemonConnectionLostError.
   */
  async withConnection<T>(run: (connection: DedicatedConnection) => Promise<T>): Promise<T> {
    const session = await this.pool.lend().catch((error: unknown) => {
      throw reported(error);
    });
    const connection: DedicatedConnection = {
      pipe: this.pipe,
      closed: session.client.closed,
      request: async (method, params, options = {}) => {
        if ((method as string).startsWith('session.')) throw new TypeError(`${method} is the client's own.`);
        options.signal?.throwIfAborted();
        try {
          return await abortable(session.client.request(method, params as never), options.signal);
        } catch (error) {
          if (options.signal?.aborted || unreachableReason(error) === undefined) throw reported(error);
          throw new DaemonConnectionLostError(this.pipe, method);
        }
      },
    };
    try {
      return await run(connection);
    } finally {
      this.pool.giveBack(session);
    }
  }

  /** Closes every connection once its calls have their answers; later calls fail with ClientClosedError. */
  close(): Promise<void> {
    this.closing = true;
    return this.pool.close();
  }
}
