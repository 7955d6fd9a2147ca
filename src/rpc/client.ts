import net from 'node:net';
import type { RpcMethod, RpcMethods } from '../generated/schemas.js';
import { encodeFrame, FrameDecoder } from './framing.js';

/** A JSON-RPC error answer: the daemon's `data.code` (DESIGN §5), or the JSON-RPC code when it gave none. */
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

/** The daemon cannot be reached at all. */
export class DaemonUnreachableError extends Error {
  constructor(readonly pipe: string, reason: string) {
    super(reason);
    this.name = 'DaemonUnreachableError';
  }
}

function unreachable(pipe: string, error: NodeJS.ErrnoException): DaemonUnreachableError {
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return new DaemonUnreachableError(pipe, `Permission denied on ${pipe}: run as the daemon's user, or as a member of the group that owns the socket.`);
  }
  return new DaemonUnreachableError(pipe,
    `The gateway-apikeys daemon is not running at ${pipe} (${error.code ?? error.message}). Start it with: gateway-apikeys serve`);
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A lean JSON-RPC client over the daemon's pipe, for the command line and the tests: requests
 * are framed by hand and answers matched by id, any number in flight.
 */
export class RpcClient {
  private readonly decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket, readonly pipe: string) {
    socket.on('data', (chunk) => {
      this.decoder.push(chunk);
      for (let body = this.decoder.next(); body; body = this.decoder.next()) this.settle(JSON.parse(body.toString('utf8')));
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new DaemonUnreachableError(pipe, 'The daemon closed the connection.')));
  }

  static connect(pipe: string, timeoutMs = 3000): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(pipe);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DaemonUnreachableError(pipe, `The daemon at ${pipe} did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RpcClient(socket, pipe));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(unreachable(pipe, error));
      });
    });
  }

  /** Calls a method; resolves with its result or rejects with an RpcCallError. */
  request<M extends RpcMethod>(method: M, params?: RpcMethods[M]['params']): Promise<RpcMethods[M]['result']>;
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

  private settle(message: { id?: number; result?: unknown; error?: { code: number; message: string; data?: { code?: string; field?: string } } }): void {
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
