import type { Socket } from 'node:net';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import { FrameDecoder } from './framing.js';

/** A body that is not a JSON-RPC request or notification: answered with this error, the stream goes on. */
interface InvalidMessage {
  id: string | number | null;
  code: -32700 | -32600;
  message: string;
}

interface ReaderOptions {
  /** The largest body accepted for the next frame; asked before each, since it can change (docs/protocol.md, "Limits"). */
  maxBodyBytes: () => number;
  /** How long a frame may take to arrive whole once its first byte is in. */
  frameTimeoutMs: number;
  /**
   * Offered each whole body before anything else is done with it: true when it took the frame
   * (answered it), false to let the reader check, parse and deliver it as usual (the server's fast
   * path, docs/architecture.md, "The authenticate fast path"). A frame taken counts in its turn's share.
   */
  takes?: (body: Buffer) => boolean;
}

/** Nesting deeper than any request of the contract (three levels) needs; checked before parsing. */
const MAX_NESTING = 16;
/** What one connection may have handled per turn of the event loop before other connections get theirs. */
const FRAMES_PER_TURN = 64;
const BYTES_PER_TURN = 64 * 1024;

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether JSON text nests objects and arrays deeper than `limit`: one pass over the bytes, strings skipped, no parse. */
function nestsDeeperThan(body: Buffer, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      for (i++; i < body.length && body[i] !== QUOTE; i++) if (body[i] === BACKSLASH) i++;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The frame the peer started did not arrive whole in time: a slow or stalled sender. */
class FrameTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`A frame did not arrive whole within ${timeoutMs / 1000} s.`);
    this.name = 'FrameTimeoutError';
  }
}

/**
 * vscode-jsonrpc's MessageReader over a socket, using the project's FrameDecoder. Beyond framing,
 * it keeps one connection from costing the daemon more than its share (docs/protocol.md, "Limits"):
 * - frames are size-capped before they are buffered, with a cap that can change per frame;
 * - bodies nested deeper than MAX_NESTING are refused before JSON.parse sees them;
 * - at most FRAMES_PER_TURN frames (or BYTES_PER_TURN) are handled per turn of the event loop, the
 *   rest after other connections had theirs;
 * - `hold()` stops delivering, buffered frames included, until `release()` (the server holds a
 *   connection that has too much in flight or too many unread answers);
 * - a frame must arrive whole within `frameTimeoutMs` of its first byte.
 * Bodies that are not JSON, or not a request or notification, are reported through `onInvalid` so
 * the server can answer them (-32700 / -32600). Any other failure (lost boundaries, a timeout, an
 * exception while decoding) is fired as an error and the reader stops; the server then closes the
 * socket.
 */
export class FrameMessageReader extends AbstractMessageReader {
  private readonly decoder = new FrameDecoder();
  private invalidHandler: ((invalid: InvalidMessage) => void) | undefined;
  private callback: DataCallback | undefined;
  private held = false;
  private stopped = false;
  private continuation: NodeJS.Immediate | undefined;
  private frameTimer: NodeJS.Timeout | undefined;

  constructor(private readonly socket: Socket, private readonly options: ReaderOptions) {
    super();
  }

  onInvalid(handler: (invalid: InvalidMessage) => void): void {
    this.invalidHandler = handler;
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => {
      if (this.stopped) return; // a connection being closed: what it still sends is dropped, not kept
      this.decoder.push(chunk);
      this.drain();
    };
    const onClose = () => {
      this.stop();
      this.fireClose();
    };
    const onError = (error: Error) => this.fireError(error);
    this.socket.on('data', onData).on('close', onClose).on('error', onError);
    return {
      dispose: () => {
        this.stop();
        this.socket.removeListener('data', onData).removeListener('close', onClose).removeListener('error', onError);
      },
    };
  }

  /** Delivers nothing more, and reads nothing more from the socket, until release(). */
  hold(): void {
    this.held = true;
    this.socket.pause();
  }

  release(): void {
    if (!this.held || this.stopped) return;
    this.held = false;
    this.socket.resume();
    this.drain();
  }

  get isHeld(): boolean {
    return this.held;
  }

  private drain(): void {
    if (this.held || this.stopped || this.continuation) return;
    let frames = 0;
    let bytes = 0;
    try {
      for (;;) {
        this.decoder.maxBodyBytes = this.options.maxBodyBytes();
        const body = this.decoder.next();
        if (!body) break;
        this.deliver(body);
        if (this.held || this.stopped) return;
        bytes += body.length;
        if (++frames >= FRAMES_PER_TURN || bytes >= BYTES_PER_TURN) {
          // Its share of this turn is used: the rest waits until other connections had theirs.
          this.socket.pause();
          this.continuation = setImmediate(() => {
            this.continuation = undefined;
            if (!this.held && !this.stopped) this.socket.resume();
            this.drain();
          });
          return;
        }
      }
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.watchPartialFrame();
  }

  /** Times a frame that has started but not finished arriving. */
  private watchPartialFrame(): void {
    if (this.decoder.pendingBytes === 0) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else {
      this.frameTimer ??= setTimeout(() => this.fail(new FrameTimeoutError(this.options.frameTimeoutMs)), this.options.frameTimeoutMs).unref();
    }
  }

  private fail(error: Error): void {
    if (this.stopped) return;
    this.stop();
    this.socket.pause();
    this.fireError(error);
  }

  private stop(): void {
    this.stopped = true;
    clearImmediate(this.continuation);
    clearTimeout(this.frameTimer);
    this.decoder.clear();
  }

  private deliver(body: Buffer): void {
    if (this.options.takes?.(body)) return;
    if (nestsDeeperThan(body, MAX_NESTING)) {
      this.invalidHandler?.({ id: null, code: -32600, message: `Invalid request: nested deeper than ${MAX_NESTING} levels.` });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch {
      this.invalidHandler?.({ id: null, code: -32700, message: 'Parse error: the body is not valid JSON.' });
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.invalidHandler?.({ id: null, code: -32600, message: Array.isArray(message) ? 'Batch requests are not supported.' : 'A request must be a JSON object.' });
      return;
    }
    const candidate = message as Record<string, unknown>;
    const id = 'id' in candidate ? candidate.id : undefined;
    if (candidate.jsonrpc !== '2.0' || typeof candidate.method !== 'string' || (id !== undefined && !isId(id))) {
      // Responses are not expected either: the daemon sends no requests.
      this.invalidHandler?.({ id: isId(id) ? id : null, code: -32600, message: 'Invalid request: expected {"jsonrpc": "2.0", "method": …, "id": number or string}.' });
      return;
    }
    this.callback!(message as Message);
  }
}

