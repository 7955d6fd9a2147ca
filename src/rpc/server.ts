import fs from 'node:fs';
import net from 'node:net';
import { createMessageConnection, type Logger, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Log } from '../vault/log.js';
import { FrameMessageReader } from './frame-reader.js';
import { FrameMessageWriter } from './frame-writer.js';
import { FramingError } from './framing.js';
import { type DaemonContext, dispatch } from './methods.js';
import { Session } from './session.js';

/** Requests one connection may have in flight before the daemon stops reading from it. */
const MAX_IN_FLIGHT = 256;

interface Client {
  session: Session;
  socket: net.Socket;
  connection: MessageConnection;
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

/**
 * The JSON-RPC server: a named pipe (Windows) or Unix domain socket, one vscode-jsonrpc message
 * connection per client, every request through `dispatch`. Nothing a client sends can throw here:
 * bad frames close that client's socket, bad messages are answered, and other clients go on.
 */
export class RpcServer {
  private readonly clients = new Set<Client>();
  private nextId = 1;

  private constructor(
    private readonly server: net.Server,
    readonly pipe: string,
    private readonly context: DaemonContext,
    private readonly log: Log,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async listen(pipe: string, context: DaemonContext, log: Log): Promise<RpcServer> {
    const server = net.createServer();
    const rpc = new RpcServer(server, pipe, context, log);
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
    const session = new Session(this.nextId++);
    const reader = new FrameMessageReader(socket);
    // vscode-jsonrpc dispatches one queued message per turn of the event loop: answers wait until
    // the requests that arrived with them have all begun, then leave in one write.
    let started = 0;
    const writer = new FrameMessageWriter(socket, () => started < reader.delivered);
    const connection = createMessageConnection(reader, writer, this.rpcLogger(session));
    const client: Client = { session, socket, connection, inFlight: 0, idle: undefined };
    this.clients.add(client);

    reader.onInvalid((invalid) => {
      void writer.write({ jsonrpc: '2.0', id: invalid.id, error: { code: invalid.code, message: invalid.message } } as never).catch(() => undefined);
    });
    reader.onError((error) => {
      if (error instanceof FramingError) {
        this.log.info('Closed a connection that sent a malformed frame', { event: 'connection.badFrame', connection: session.id, reason: error.message });
        void writer.write({ jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${error.message}` } } as never);
        writer.end();
      }
    });
    // A client that vanishes mid-request is its own business: the daemon just forgets it.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.clients.delete(client);
      connection.dispose();
      client.idle?.();
    });

    connection.onRequest(async (method, params) => {
      started++;
      writer.release();
      if (++client.inFlight === MAX_IN_FLIGHT) socket.pause();
      try {
        return await dispatch(this.context, session, method, params);
      } finally {
        if (--client.inFlight === MAX_IN_FLIGHT / 2) socket.resume();
        if (client.inFlight === 0) client.idle?.();
      }
    });
    connection.onNotification(() => undefined);
    connection.listen();
  }

  /** vscode-jsonrpc's own complaints, at debug level: the server answers bad input itself. */
  private rpcLogger(session: Session): Logger {
    const debug = (message: string) => this.log.debug(message, { event: 'rpc.library', connection: session.id });
    return { error: debug, warn: debug, info: debug, log: debug };
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
