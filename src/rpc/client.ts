import net from 'node:net';
import { encodeFrame, FrameDecoder } from './framing.js';

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

/** Opens a connected socket to a pipe within a time limit. */
type Opener = (pipe: string, timeoutMs: number) => Promise<net.Socket>;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

type ErrorAnswer = { code: number; message: string; data?: { code?: string; field?: string } };

export class RpcClient<M extends MethodMap<M> = AnyMethods> {
  private readonly decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | undefined;
  /** Resolves when the connection is closed, by either end. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket, readonly pipe: string) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk) => {
      this.decoder.push(chunk);
      for (let body = this.decoder.next(); body; body = this.decoder.next()) this.settle(JSON.parse(body.toString('utf8')));
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new PipeUnreachableError(pipe, 'CLOSED', 'The server closed the connection.')));
  }

  /**
   * Connects to `pipe`. `open`, when given, makes the connection instead of Node's net.connect (the
   * caller's choice of how: on Windows, a pipe opened at the Identification level); it resolves
   * with a connected socket or rejects with an error whose `reason` (or `code`) says why.
   */
  static connect<M extends MethodMap<M> = AnyMethods>(pipe: string, timeoutMs = 3000, open?: Opener): Promise<RpcClient<M>> {
    if (open) {
      return open(pipe, timeoutMs).then((socket) => new RpcClient<M>(socket, pipe), (error: Error & { reason?: string; code?: string }) => {
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
        resolve(new RpcClient<M>(socket, pipe));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const reason = error.code ?? 'ERROR';
        reject(new PipeUnreachableError(pipe, reason, `Cannot connect to ${pipe} (${reason}).`));
      });
    });
  }

  /** Calls a method; resolves with its result or rejects with an RpcCallError. */
  request<K extends keyof M & string>(method: K, params?: M[K]['params']): Promise<M[K]['result']>;
  request(method: string, params?: unknown): Promise<unknown>;
  request(method: string, params?: unknown): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
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

  private settle(message: { id?: number; result?: unknown; error?: ErrorAnswer }): void {
    const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id!);
    if (message.error) {
      const { code, message: text, data } = message.error;
      waiting.reject(new RpcCallError(code, text, data?.code ?? String(code), data?.field));
    } else {
      waiting.resolve(message.result);
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.closedError);
    this.pending.clear();
  }
}
