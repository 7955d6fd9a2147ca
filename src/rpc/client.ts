import net from 'node:net';
import { encodeFrame, FrameDecoder, FramingError } from './framing.js';

/**
 * A lean JSON-RPC client over a pipe, for the command line, the tests and the benchmarks: requests
 * are framed by hand and answers matched by id, any number in flight. Like the server, it knows no
 * method: the method map `M` is a type given by the caller (docs/architecture.md).
 */

/** What a caller knows of its methods `M`: for each name, the types of its params and result. */
type MethodMap<M> = { [K in keyof M]: { params: unknown; result: unknown } };
type AnyMethods = Record<string, { params: unknown; result: unknown }>;

/** A JSON-RPC error answer: the server's `data.code` (docs/protocol.md), or the JSON-RPC code when it gave none. */
export class RpcCallError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RpcCallError';
  }
}

/** The server cannot be reached at all; `reason` is the system's code (ENOENT, EACCES, ECONNREFUSED, TIMEOUT) or 'CLOSED'. */
export class PipeUnreachableError extends Error {
  constructor(readonly pipe: string, readonly reason: string, message: string) {
    super(message);
    this.name = 'PipeUnreachableError';
  }
}

/**
 * What answers on the pipe broke the protocol: a frame over the answer limit, a broken header, a
 * body that is not a JSON-RPC answer to a request that was sent. The connection is destroyed and
 * every request on it fails. The message never quotes what the peer sent (docs/security.md).
 */
export class RpcProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcProtocolError';
  }
}

/** A request was not answered within the client's request timeout; the connection is destroyed, and every request on it fails. */
export class RpcTimeoutError extends Error {
  constructor(readonly method: string, readonly timeoutMs: number) {
    super(`No answer to ${method} within ${timeoutMs / 1000} s.`);
    this.name = 'RpcTimeoutError';
  }
}

/**
 * What one connection may cost this client (docs/security.md, "What answers the pipe"). The
 * transport knows no method, so it cannot know how large or slow an answer may be: its caller
 * says, and changes them as the conversation goes on (src/client/connect.ts raises them once the
 * daemon has proved itself).
 */
export interface ClientLimits {
  /** The largest answer body accepted: a frame that announces more ends the connection before a byte of its body is kept. */
  maxAnswerBytes: number;
  /** How long each request may wait for its whole answer. */
  requestTimeoutMs: number;
}

/** A caller that sets nothing: answers of up to 1 MiB, 30 s each. */
const DEFAULT_LIMITS: ClientLimits = { maxAnswerBytes: 1024 * 1024, requestTimeoutMs: 30_000 };

interface ClientOptions extends Partial<ClientLimits> {
  /**
   * What a failure of the peer (RpcProtocolError, RpcTimeoutError) becomes before the caller's
   * requests reject with it: the caller's words and codes, which the transport does not know.
   */
  describeFailure?: (failure: RpcProtocolError | RpcTimeoutError) => Error;
}

/** Opens a connected socket to a pipe within a time limit. */
type Opener = (pipe: string, timeoutMs: number) => Promise<net.Socket>;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type ErrorAnswer = { code: number; message: string; data?: { code?: string; field?: string } };

export class RpcClient<M extends MethodMap<M> = AnyMethods> {
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private limits: ClientLimits;
  private readonly describeFailure: (failure: RpcProtocolError | RpcTimeoutError) => Error;
  private nextId = 1;
  private closedError: Error | undefined;
  /** Resolves when the connection is closed, by either end. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket, readonly pipe: string, options: ClientOptions = {}) {
    this.limits = {
      maxAnswerBytes: options.maxAnswerBytes ?? DEFAULT_LIMITS.maxAnswerBytes,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs,
    };
    this.decoder = new FrameDecoder(this.limits.maxAnswerBytes);
    this.describeFailure = options.describeFailure ?? ((failure) => failure);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new PipeUnreachableError(pipe, 'CLOSED', 'The server closed the connection.')));
  }

  /**
   * Connects to `pipe`. `open`, when given, makes the connection instead of Node's net.connect (the
   * caller's choice of how: on Windows, a pipe opened at the Identification level); it resolves
   * with a connected socket or rejects with an error whose `reason` (or `code`) says why.
   * `options` bound what the peer may cost (ClientLimits) and word its failures.
   */
  static connect<M extends MethodMap<M> = AnyMethods>(pipe: string, timeoutMs = 3000, open?: Opener, options?: ClientOptions): Promise<RpcClient<M>> {
    if (open) {
      return open(pipe, timeoutMs).then((socket) => new RpcClient<M>(socket, pipe, options), (error: Error & { reason?: string; code?: string }) => {
        const reason = error.reason ?? error.code ?? 'ERROR';
        throw new PipeUnreachableError(pipe, reason, `Cannot connect to ${pipe} (${reason}).`);
      });
    }
    return new Promise((resolve, reject) => {
      const socket = net.connect(pipe);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PipeUnreachableError(pipe, 'TIMEOUT', `Nothing answered at ${pipe} within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RpcClient<M>(socket, pipe, options));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const reason = error.code ?? 'ERROR';
        reject(new PipeUnreachableError(pipe, reason, `Cannot connect to ${pipe} (${reason}).`));
      });
    });
  }

  /** Changes the limits for the answers and requests to come (a frame already started keeps the limit it was checked against). */
  setLimits(limits: Partial<ClientLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.decoder.maxBodyBytes = this.limits.maxAnswerBytes;
  }

  /** Calls a method; resolves with its result, or rejects with an RpcCallError, or with what the peer's failure was described as. */
  request<K extends keyof M & string>(method: K, params?: M[K]['params']): Promise<M[K]['result']>;
  request(method: string, params?: unknown): Promise<unknown>;
  request(method: string, params?: unknown): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const { requestTimeoutMs } = this.limits;
      const timer = setTimeout(() => this.abort(new RpcTimeoutError(method, requestTimeoutMs), id), requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id, method, params })));
    });
  }

  close(): void {
    this.socket.end();
  }

  /** Closes at once, dropping whatever is unsent: for a peer that must be told nothing more. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Reads what arrived. Nothing the peer sends may throw out of here (an exception in a socket's
   * data handler would end the process with a stack trace): whatever is not a well-framed answer
   * to a request that was sent ends the connection instead.
   */
  private receive(chunk: Buffer): void {
    if (this.closedError) return; // the connection is being torn down: what still arrives is not kept
    try {
      this.decoder.push(chunk);
      for (let body = this.decoder.next(); body; body = this.decoder.next()) {
        this.settle(parseAnswer(body));
        if (this.closedError) return;
      }
    } catch (error) {
      this.abort(error instanceof RpcProtocolError ? error
        : new RpcProtocolError(error instanceof FramingError ? error.message : 'An answer could not be read.'));
    }
  }

  private settle(message: Answer): void {
    const waiting = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!waiting) throw new RpcProtocolError('An answer is not to any request that was sent.');
    clearTimeout(waiting.timer);
    this.pending.delete(message.id as number);
    if (message.error) {
      const { code, message: text, data } = message.error;
      waiting.reject(new RpcCallError(code, text, data?.code ?? String(code), data?.field));
    } else {
      waiting.resolve(message.result);
    }
  }

  /**
   * Ends the connection for what the peer did: every request fails with the failure as the caller
   * describes it. A timeout is the fault of one request (`culprit`): the others on the connection
   * were merely on it, and fail as a closed connection, which a caller may send again elsewhere.
   */
  private abort(failure: RpcProtocolError | RpcTimeoutError, culprit?: number): void {
    if (this.closedError) return;
    const described = this.describeFailure(failure);
    const timedOut = culprit === undefined ? undefined : this.pending.get(culprit);
    if (timedOut) {
      clearTimeout(timedOut.timer);
      this.pending.delete(culprit!);
      timedOut.reject(described);
    }
    this.fail(described, timedOut && new PipeUnreachableError(this.pipe, 'CLOSED', 'The connection was closed: another request on it went unanswered.'));
    this.decoder.clear();
    this.socket.destroy();
  }

  /** Fails every request still waiting, with `pending` when given, else with what closed the connection (the error later requests get). */
  private fail(error: Error, pending?: Error): void {
    this.closedError ??= error;
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(pending ?? this.closedError);
    }
    this.pending.clear();
  }
}

type Answer = { id?: unknown; result?: unknown; error?: ErrorAnswer };

/** A body as a JSON-RPC answer object, or RpcProtocolError. Its error's fields are checked where they are used. */
function parseAnswer(body: Buffer): Answer {
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RpcProtocolError('An answer is not JSON.');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new RpcProtocolError('An answer is not a JSON-RPC response object.');
  const answer = message as Answer;
  if (answer.error !== undefined && (typeof answer.error !== 'object' || answer.error === null || typeof answer.error.message !== 'string' ||
      typeof answer.error.code !== 'number')) {
    throw new RpcProtocolError('An error answer has no code or message.');
  }
  return answer;
}
