import net from 'node:net';
import { Message, type RequestMessage, ResponseError, type ResponseMessage } from 'vscode-jsonrpc/node';
import { FrameMessageReader } from './frame-reader.js';
import { FrameMessageWriter } from './frame-writer.js';

/**
 * The JSON-RPC server of docs/architecture.md's transport layer: a named pipe (Windows) or Unix
 * domain socket, per client vscode-jsonrpc's reader and writer interfaces (implemented for this
 * socket by FrameMessageReader and FrameMessageWriter), and every request handed to a `dispatch`
 * function given from outside. It knows no method: what a method does, and who may call it, is
 * the caller's. What it does know is what a connection may cost (docs/protocol.md, "Limits"):
 * nothing a client sends can throw here, make the daemon hold unbounded memory, or keep other
 * connections from their turn.
 */

/**
 * Answers one request of one connection: the result, or a ResponseError to send as the error.
 * `session` is what `openSession` made for the connection.
 */
type Dispatch<S> = (session: S, method: string, params: unknown) => Promise<unknown>;

/**
 * Answers one whole frame at once, from its bytes, before any JSON parse: the whole answer's JSON
 * text, or undefined to leave the frame to the generic path (docs/architecture.md, "The authenticate
 * fast path"). It must answer exactly as `dispatch` would, byte for byte, or not at all, and only
 * requests that leave the session's role and standing as they are.
 */
type FastAnswer<S> = (session: S, body: Buffer) => string | undefined;

/** What the server asks of a connection's session: its limits, which change once it has proved who it is. */
export interface ConnectionState {
  /** Whether the peer has proved who it is. Until then the connection counts against the handshake limits and deadline. */
  readonly established: boolean;
  /** The largest request body accepted now. */
  readonly maxBodyBytes: number;
  /** Bytes of answers the peer may leave unread before its connection is no longer read. */
  readonly maxUnreadBytes: number;
  /** Whether its unread answers count against no one else's: not against its peer's, nor against the total. */
  readonly privileged: boolean;
  /** Whether the connection is to be closed now, its answers not yet written left unwritten. */
  readonly closing: boolean;
  /** Told once when the connection has closed, to let go of what it held. */
  closed?(): void;
}

/** The structured log the server reports connection events to (winston's Logger fits). */
interface ServerLog {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/**
 * What connections may cost (the daemon's numbers are in src/daemon/limits.ts). The caps per peer
 * apply where the system tells who the peer is (a Unix socket's uid): they keep room for the others,
 * so they would let any one of the peers it cannot tell apart take the room of all.
 */
export interface ServerLimits {
  /** Open connections at most; more are closed at once. */
  maxConnections: number;
  /** Connections that have not proved who they are, at most, all peers together. */
  maxPendingConnections: number;
  /** …and per peer. */
  maxPendingPerPeer: number;
  /** How long a connection may take to prove who it is, from its start or from when it drops back to not proved. */
  handshakeTimeoutMs: number;
  /** How long a frame may take to arrive whole once its first byte is in. */
  frameTimeoutMs: number;
  /** Requests being worked on for one connection at most; beyond, it is not read. */
  maxInFlight: number;
  /** Unread answers of all a peer's connections (privileged ones aside); beyond, none of them is read. */
  maxUnreadPerPeer: number;
  /** Unread answers of all connections (privileged ones aside); beyond, those that hold the most are closed. */
  maxUnreadTotal: number;
}

/**
 * A connection holding less unread than this costs no look at its peer's and the total: a client
 * that reads never gets near it, so the sums are made only for those that do not read.
 */
const UNREAD_WORTH_SUMMING = 64 * 1024;

/**
 * Where connections come from. By default a net.Server listening on the pipe; the daemon gives its
 * own on Windows, where it makes the pipe's instances itself (docs/architecture.md, "The Windows pipe server").
 */
export interface ConnectionSource {
  /** Starts handing over connected sockets; rejects with code EADDRINUSE when another process serves the pipe. */
  listen(accept: (socket: net.Socket) => void): Promise<void>;
  /** Stops accepting (connections already handed over are the server's to close). */
  close(): Promise<void>;
}

/** Node's listener: a Unix socket made 0660 (owner and group may connect, nobody else), or libuv's pipe instances. */
function netSource(pipe: string): ConnectionSource {
  const server = net.createServer();
  return {
    listen: (accept) => new Promise<void>((resolve, reject) => {
      server.on('connection', accept);
      server.once('error', reject);
      // listen() binds synchronously, so the process-wide umask is back before anything else runs.
      const umask = process.platform === 'win32' ? undefined : process.umask(0o117);
      try {
        server.listen(pipe, () => resolve());
      } finally {
        if (umask !== undefined) process.umask(umask);
      }
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ServerOptions<S extends ConnectionState> {
  dispatch: Dispatch<S>;
  /** Consulted for each whole frame first, when given. */
  fastAnswer?: FastAnswer<S>;
  /** Per-connection state, made when a client connects; `id` numbers connections from 1; `socket` is the connection. */
  openSession(id: number, peer: string | undefined, socket: net.Socket): S;
  log: ServerLog;
  /** Who the peer of a socket is, where the system can tell. */
  peerOf?: (socket: net.Socket) => string | undefined;
  /** Why a new connection of `peer` is refused now, beyond the limits here (the daemon's budgets); undefined: not refused. */
  refusal?: (peer: string | undefined) => string | undefined;
  limits: ServerLimits;
  /** Where connections come from (netSource of the pipe when not given). */
  source?: ConnectionSource;
}

interface Client<S> {
  id: number;
  peer: string | undefined;
  session: S;
  socket: net.Socket;
  reader: FrameMessageReader;
  writer: FrameMessageWriter;
  inFlight: number;
  idle: (() => void) | undefined;
  deadline: NodeJS.Timeout | undefined;
  /** Its peer holds more unread answers than maxUnreadPerPeer (set by sweepUnread). */
  peerOverUnread: boolean;
  /** Being closed: nothing more is read or answered. */
  ending: boolean;
}

/** The pipe is taken by another process answering on it. */
export class PipeInUseError extends Error {
  /** `holder`: who holds it, in words, where the caller can tell. */
  constructor(readonly pipe: string, holder?: string) {
    super(`Another process is already listening on ${pipe}${holder ? `: ${holder}` : ''}. Stop it, or give this daemon another --pipe.`);
    this.name = 'PipeInUseError';
  }
}

export class RpcServer<S extends ConnectionState> {
  private readonly clients = new Set<Client<S>>();
  private readonly limits: ServerLimits;
  private nextId = 1;
  private sweep: NodeJS.Immediate | undefined;

  private constructor(
    private readonly source: ConnectionSource,
    readonly pipe: string,
    private readonly options: ServerOptions<S>,
  ) {
    this.limits = options.limits;
  }

  /**
   * Listens on `pipe`, which must be free: checking and clearing the path is the caller's (the
   * daemon's) policy. A Unix socket is made 0660: owner and group may connect, nobody else.
   */
  static async listen<S extends ConnectionState>(pipe: string, options: ServerOptions<S>): Promise<RpcServer<S>> {
    const source = options.source ?? netSource(pipe);
    const rpc = new RpcServer(source, pipe, options);
    await source.listen((socket) => rpc.accept(socket)).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new PipeInUseError(pipe) : error;
    });
    return rpc;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Why a new connection from `peer` cannot be taken now, or undefined. */
  private refusal(peer: string | undefined): string | undefined {
    let pending = 0;
    let pendingOfPeer = 0;
    for (const client of this.clients) {
      if (client.session.established) continue;
      pending++;
      if (peer !== undefined && client.peer === peer) pendingOfPeer++;
    }
    if (pending >= this.limits.maxPendingConnections) return 'maxPendingConnections';
    if (pendingOfPeer >= this.limits.maxPendingPerPeer) return 'maxPendingPerPeer';
    return this.options.refusal?.(peer);
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => undefined); // a client that vanishes is its own business
    if (this.clients.size >= this.limits.maxConnections) {
      this.options.log.warn('Refused a connection: too many are open', { event: 'connection.refused', reason: 'maxConnections' });
      socket.destroy();
      return;
    }
    const peer = this.options.peerOf?.(socket);
    const refused = this.refusal(peer);
    if (refused) {
      this.options.log.warn('Refused a connection: too many have not authenticated, or its user failed too many', { event: 'connection.refused', reason: refused, peer });
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const session = this.options.openSession(id, peer, socket);
    const fastAnswer = this.options.fastAnswer;
    const reader = new FrameMessageReader(socket, {
      maxBodyBytes: () => session.maxBodyBytes,
      frameTimeoutMs: this.limits.frameTimeoutMs,
      takes: fastAnswer && ((body) => this.answerFast(client, fastAnswer, body)),
    });
    const writer = new FrameMessageWriter(socket);
    const client: Client<S> = { id, peer, session, socket, reader, writer, inFlight: 0, idle: undefined, deadline: undefined, peerOverUnread: false, ending: false };
    this.clients.add(client);
    this.watchHandshake(client);

    reader.onInvalid((invalid) => {
      void writer.write({ jsonrpc: '2.0', id: invalid.id, error: { code: invalid.code, message: invalid.message } } as ResponseMessage);
      this.holdIfOverLimits(client);
    });
    reader.onError((error) => {
      // The boundaries are lost, a frame stalled, or decoding failed: this connection ends, the rest go on.
      this.options.log.info('Closed a connection that sent a bad or stalled frame', { event: 'connection.badFrame', connection: id, peer, reason: error.message });
      void writer.write({ jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${error.message}` } } as ResponseMessage);
      this.end(client);
    });
    socket.on('drain', () => {
      if (client.peerOverUnread) this.sweepUnreadSoon();
      this.readIfFlowing(client);
    });
    socket.on('close', () => {
      this.clients.delete(client);
      clearTimeout(client.deadline);
      reader.dispose();
      writer.dispose();
      client.idle?.();
      client.session.closed?.();
      if (client.peerOverUnread) this.sweepUnreadSoon();
    });
    reader.listen((message) => {
      // Notifications need no answer, and no method of the contract is one.
      if (Message.isRequest(message)) void this.answer(client, message);
    });
  }

  /**
   * Dispatches a request the moment its frame is read and writes the answer; the writer sends the
   * answers of one read together. (vscode-jsonrpc's MessageConnection would queue each message for
   * a turn of the event loop of its own: measured at 64 requests in flight, that halved throughput.)
   */
  private async answer(client: Client<S>, request: RequestMessage): Promise<void> {
    client.inFlight++;
    this.holdIfOverLimits(client);
    try {
      const outcome = await this.options.dispatch(client.session, request.method, request.params);
      if (client.ending) return;
      if (client.session.closing) {
        // Unanswered, and so is what it pipelined: a guesser gets its budget's answers, not one more per connection.
        this.options.log.info('Closed a connection whose user failed too many handshakes', { event: 'connection.closed', reason: 'handshakeBudget', connection: client.id, peer: client.peer });
        this.end(client);
        return;
      }
      const response: ResponseMessage = outcome instanceof ResponseError
        ? { jsonrpc: '2.0', id: request.id, error: outcome.toJson() }
        : { jsonrpc: '2.0', id: request.id, result: outcome ?? null };
      await client.writer.write(response);
    } finally {
      client.inFlight--;
      this.watchHandshake(client);
      this.holdIfOverLimits(client);
      this.readIfFlowing(client);
      if (client.inFlight === 0) client.idle?.();
    }
  }

  /**
   * Offers a whole frame to the fast path (docs/architecture.md, "The authenticate fast path"):
   * whether it answered it. Only while nothing else of the connection is in flight, so that its
   * answer never overtakes one the generic path is still making; answered at once, it is in flight
   * for no turn, and its unread bytes count as any answer's. A fast answer changes no session's
   * role or standing (the hook answers what leaves both as they are), so the handshake deadline
   * and closing are the generic path's alone.
   */
  private answerFast(client: Client<S>, fastAnswer: FastAnswer<S>, body: Buffer): boolean {
    if (client.inFlight > 0 || client.ending) return false;
    const answer = fastAnswer(client.session, body);
    if (answer === undefined) return false;
    client.writer.writeBody(answer);
    this.holdIfOverLimits(client);
    return true;
  }

  /** Reads and answers nothing more on a connection, sends what was written to it, then closes it (a peer that does not read its last answers gets a second). */
  private end(client: Client<S>): void {
    client.ending = true;
    client.reader.hold();
    client.writer.end();
    setTimeout(() => client.socket.destroy(), 1000).unref();
  }

  /**
   * A connection without a role has `handshakeTimeoutMs` to prove one: counted from its start, and
   * again whenever it drops back to none (a new challenge, a failed hello), so that no connection
   * stays without a role for longer, whatever it proved before.
   */
  private watchHandshake(client: Client<S>): void {
    if (client.session.established) {
      clearTimeout(client.deadline);
      client.deadline = undefined;
    } else {
      client.deadline ??= setTimeout(() => {
        client.deadline = undefined;
        if (client.session.established) return;
        this.options.log.info('Closed a connection that did not authenticate in time', { event: 'connection.handshakeTimeout', connection: client.id, peer: client.peer });
        client.socket.destroy();
      }, this.limits.handshakeTimeoutMs).unref();
    }
  }

  /** Answers the client has not read yet, in the socket and about to be. */
  private unread(client: Client<S>): number {
    return client.socket.writableLength + client.writer.pendingBytes;
  }

  /**
   * Stops reading a connection that has too much in flight or too many answers unread, or whose peer
   * has: every answer counts, valid or not. One that holds much unread has its peer's and the total
   * summed (sweepUnread).
   */
  private holdIfOverLimits(client: Client<S>): void {
    const unread = this.unread(client);
    if (unread > UNREAD_WORTH_SUMMING && !client.session.privileged) this.sweepUnreadSoon();
    if (!client.reader.isHeld && (client.inFlight >= this.limits.maxInFlight || unread > client.session.maxUnreadBytes || client.peerOverUnread)) {
      client.reader.hold();
    }
  }

  /** Reads a held connection again once it is well below its limits, and its peer too. */
  private readIfFlowing(client: Client<S>): void {
    if (client.reader.isHeld && !client.session.closing && !client.peerOverUnread
      && client.inFlight <= this.limits.maxInFlight / 2 && this.unread(client) <= client.session.maxUnreadBytes / 2) {
      client.reader.release();
    }
  }

  /** Sums the unread answers once this turn, however many connections asked. */
  private sweepUnreadSoon(): void {
    this.sweep ??= setImmediate(() => {
      this.sweep = undefined;
      this.sweepUnread();
    });
  }

  /**
   * The unread answers of each peer and of all (privileged connections aside): past the total, the
   * connections that hold the most are closed until it is under it again; a peer past its own cap
   * has none of its connections read until it is at half of it. Connections whose peer is not told
   * count in the total only.
   */
  private sweepUnread(): void {
    const counted = [...this.clients].filter((client) => !client.session.privileged).map((client) => ({ client, unread: this.unread(client) }));
    let total = counted.reduce((sum, { unread }) => sum + unread, 0);
    if (total > this.limits.maxUnreadTotal) {
      counted.sort((a, b) => b.unread - a.unread);
      while (total > this.limits.maxUnreadTotal && counted.length > 0) {
        const { client, unread } = counted.shift()!;
        total -= unread;
        this.options.log.warn('Closed a connection that left the most answers unread: all connections together left too many', {
          event: 'connection.closed', reason: 'maxUnreadTotal', connection: client.id, peer: client.peer, unreadBytes: unread,
        });
        client.socket.destroy();
      }
    }
    const ofPeer = new Map<string, number>();
    for (const { client, unread } of counted) if (client.peer !== undefined) ofPeer.set(client.peer, (ofPeer.get(client.peer) ?? 0) + unread);
    for (const { client } of counted) {
      const unread = client.peer === undefined ? 0 : ofPeer.get(client.peer)!;
      const over = unread > this.limits.maxUnreadPerPeer || (client.peerOverUnread && unread > this.limits.maxUnreadPerPeer / 2);
      if (over === client.peerOverUnread) continue;
      client.peerOverUnread = over;
      if (over) this.holdIfOverLimits(client);
      else this.readIfFlowing(client);
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every
   * connection once the answers already written have left (a peer that does not read them gets
   * a second more). Node removes the Unix socket file.
   */
  async close(graceMs = 5000): Promise<void> {
    clearImmediate(this.sweep);
    const closed = this.source.close();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    const drained = [...this.clients].map((client) =>
      client.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { client.idle = resolve; }));
    await Promise.race([Promise.all(drained), deadline]);
    for (const { socket, writer } of this.clients) {
      const destroy = () => socket.destroy();
      const timer = setTimeout(destroy, Math.min(graceMs, 1000)).unref();
      socket.once('finish', () => {
        clearTimeout(timer);
        destroy();
      });
      writer.end();
    }
    await closed;
  }
}
