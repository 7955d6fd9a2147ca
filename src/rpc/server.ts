import fs from 'node:fs';
import net from 'node:net';
import { Message, type RequestMessage, ResponseError, type ResponseMessage } from 'vscode-jsonrpc/node';
import { FrameMessageReader } from './frame-reader.js';
import { FrameMessageWriter } from './frame-writer.js';
import { FramingError } from './framing.js';

/**
 * The JSON-RPC server of docs/architecture.md's transport layer: a named pipe (Windows) or Unix
 * domain socket, per client vscode-jsonrpc's reader and writer interfaces (implemented for this
 * socket by FrameMessageReader and FrameMessageWriter), and every request handed to a `dispatch`
 * function given from outside. It knows no method: what a method does, and who may call it, is
 * the caller's. Nothing a client sends can throw here: bad frames close that client's socket, bad
 * messages are answered, and other clients go on.
 */

/**
 * Answers one request of one connection: the result, or a ResponseError to send as the error.
 * `session` is what `openSession` made for the connection.
 */
export type Dispatch<S> = (session: S, method: string, params: unknown) => Promise<unknown>;

/** The structured log the server reports connection events to (winston's Logger fits). */
export interface ServerLog {
  info(message: string, meta?: Record<string, unknown>): void;
}

export interface ServerOptions<S> {
  dispatch: Dispatch<S>;
  /** Per-connection state, made when a client connects; `id` numbers connections from 1. */
  openSession(id: number): S;
  log: ServerLog;
}

/**
 * A connection is not read while it has this many requests in flight, or this many bytes of
 * answers it has not read yet: a client that sends without reading cannot make the daemon hold
 * unbounded memory.
 */
const MAX_IN_FLIGHT = 256;
const MAX_UNREAD_ANSWER_BYTES = 8 * 1024 * 1024;

interface Client<S> {
  id: number;
  session: S;
  socket: net.Socket;
  inFlight: number;
  idle: (() => void) | undefined;
}

/** The pipe is taken by another process answering on it (a daemon of another data dir). */
export class PipeInUseError extends Error {
  constructor(readonly pipe: string) {
    super(`Another process is already listening on ${pipe}. Stop it, or give this daemon another --pipe.`);
    this.name = 'PipeInUseError';
  }
}

/** Whether something answers on a Unix socket path: a live server, as opposed to a file left by a crash. */
function somethingListens(pipe: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(pipe);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
}

export class RpcServer<S> {
  private readonly clients = new Set<Client<S>>();
  private nextId = 1;

  private constructor(
    private readonly server: net.Server,
    readonly pipe: string,
    private readonly options: ServerOptions<S>,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async listen<S>(pipe: string, options: ServerOptions<S>): Promise<RpcServer<S>> {
    const server = net.createServer();
    const rpc = new RpcServer(server, pipe, options);
    if (process.platform !== 'win32' && fs.existsSync(pipe)) {
      if (await somethingListens(pipe)) throw new PipeInUseError(pipe);
      fs.rmSync(pipe, { force: true }); // left by a daemon that crashed
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PipeInUseError(pipe) : error));
      // The socket is made 0660 from the start: owner and group (the gateway's) may connect, nobody
      // else. listen() binds synchronously, so the process-wide umask is back before anything else runs.
      const umask = process.platform === 'win32' ? undefined : process.umask(0o117);
      try {
        server.listen(pipe, () => resolve());
      } finally {
        if (umask !== undefined) process.umask(umask);
      }
    });
    return rpc;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  private accept(socket: net.Socket): void {
    const id = this.nextId++;
    const reader = new FrameMessageReader(socket);
    const writer = new FrameMessageWriter(socket);
    const client: Client<S> = { id, session: this.options.openSession(id), socket, inFlight: 0, idle: undefined };
    this.clients.add(client);

    reader.onInvalid((invalid) => {
      void writer.write({ jsonrpc: '2.0', id: invalid.id, error: { code: invalid.code, message: invalid.message } } as ResponseMessage);
    });
    reader.onError((error) => {
      if (error instanceof FramingError) {
        this.options.log.info('Closed a connection that sent a malformed frame', { event: 'connection.badFrame', connection: id, reason: error.message });
        void writer.write({ jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${error.message}` } } as ResponseMessage);
        writer.end();
      }
    });
    // A client that vanishes mid-request is its own business: the daemon just forgets it.
    socket.on('error', () => undefined);
    socket.on('drain', () => this.readIfFlowing(client));
    socket.on('close', () => {
      this.clients.delete(client);
      reader.dispose();
      writer.dispose();
      client.idle?.();
    });
    reader.listen((message) => {
      // Notifications need no answer, and no method of the contract is one.
      if (Message.isRequest(message)) void this.answer(client, writer, message);
    });
  }

  /**
   * Dispatches a request the moment its frame is read and writes the answer; the writer sends the
   * answers of one read together. (vscode-jsonrpc's MessageConnection would queue each message for
   * a turn of the event loop of its own: measured at 64 requests in flight, that halved throughput.)
   */
  private async answer(client: Client<S>, writer: FrameMessageWriter, request: RequestMessage): Promise<void> {
    client.inFlight++;
    if (client.inFlight >= MAX_IN_FLIGHT || client.socket.writableLength > MAX_UNREAD_ANSWER_BYTES) client.socket.pause();
    try {
      const outcome = await this.options.dispatch(client.session, request.method, request.params);
      const response: ResponseMessage = outcome instanceof ResponseError
        ? { jsonrpc: '2.0', id: request.id, error: outcome.toJson() }
        : { jsonrpc: '2.0', id: request.id, result: outcome ?? null };
      await writer.write(response);
    } finally {
      client.inFlight--;
      this.readIfFlowing(client);
      if (client.inFlight === 0) client.idle?.();
    }
  }

  /** Reads a paused connection again once it is well below both limits. */
  private readIfFlowing(client: Client<S>): void {
    if (client.socket.isPaused() && client.inFlight <= MAX_IN_FLIGHT / 2 && client.socket.writableLength <= MAX_UNREAD_ANSWER_BYTES / 2) {
      client.socket.resume();
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every
   * connection. The Unix socket file is removed.
   */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    const drained = [...this.clients].map((client) =>
      client.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { client.idle = resolve; }));
    await Promise.race([Promise.all(drained), deadline]);
    for (const client of this.clients) client.socket.destroy();
    await closed;
    if (process.platform !== 'win32') fs.rmSync(this.pipe, { force: true });
  }
}
