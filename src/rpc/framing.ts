/**
 * The LSP base protocol's framing, as JSON-RPC over a pipe uses it:
 *
 *   Content-Length: <bytes>\r\n
 *   \r\n
 *   <UTF-8 JSON body>
 *
 * One decoder serves the daemon (behind vscode-jsonrpc's MessageReader interface) and every
 * client. It refuses what would let a peer make the daemon hold unbounded memory: a header section
 * over 4 KiB, a body over `maxBodyBytes`.
 */

/** The largest body a decoder accepts unless told otherwise. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 4096;
const EMPTY = Buffer.alloc(0);
const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
/** The header section every client of the project sends, read in place by FrameDecoder.readUsualHeader. */
const CONTENT_LENGTH = Buffer.from('Content-Length: ', 'ascii');
const MAX_LENGTH_DIGITS = 10;
const CR = 0x0d;
const LF = 0x0a;

/** The stream cannot be read further: the frame boundaries are lost. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

export function encodeFrame(body: string): Buffer {
  const length = Buffer.byteLength(body, 'utf8');
  const frame = Buffer.allocUnsafe(length + 40);
  const headerLength = frame.write(`Content-Length: ${length}\r\n\r\n`, 0, 'ascii');
  frame.write(body, headerLength, 'utf8');
  return frame.subarray(0, headerLength + length);
}

export class FrameDecoder {
  /** Received bytes not yet returned, as they came: joined only when a whole frame is there, so a large frame costs one copy. */
  private chunks: Buffer[] = [];
  private received = 0;
  private bodyLength = -1;

  /** The largest body accepted from now on: a server lowers it for a connection that has not authenticated. */
  maxBodyBytes: number;

  constructor(maxBodyBytes = MAX_BODY_BYTES) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Bytes received but not yet part of a returned frame. */
  get pendingBytes(): number {
    return this.received;
  }

  /** Drops whatever was received and not returned. */
  clear(): void {
    this.chunks = [];
    this.received = 0;
    this.bodyLength = -1;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
  }

  /** The next complete body, or undefined until more bytes arrive. Throws FramingError when the stream is unusable. */
  next(): Buffer | undefined {
    if (this.bodyLength < 0 && !this.readUsualHeader()) {
      const head = this.peek(MAX_HEADER_BYTES + HEADER_END.length);
      const end = head.indexOf(HEADER_END);
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES) throw new FramingError('The header section is too long.');
        return undefined;
      }
      this.bodyLength = this.parseHeaders(head.toString('latin1', 0, end));
      this.take(end + HEADER_END.length);
    }
    if (this.received < this.bodyLength) return undefined;
    const body = this.take(this.bodyLength);
    this.bodyLength = -1;
    return body;
  }

  /**
   * Reads the header section every client of the project sends, `Content-Length: <digits>\r\n\r\n`
   * whole in the first chunk, in place: no text made, no split, no pattern (docs/architecture.md,
   * "The authenticate fast path"). False for any other, left to parseHeaders, which reads the same
   * section the same way.
   */
  private readUsualHeader(): boolean {
    const first = this.chunks[0];
    if (!first || first.length < CONTENT_LENGTH.length + 5) return false;
    for (let i = 0; i < CONTENT_LENGTH.length; i++) if (first[i] !== CONTENT_LENGTH[i]) return false;
    let at = CONTENT_LENGTH.length;
    let length = 0;
    for (let byte = first[at]!; byte >= 0x30 && byte <= 0x39 && at < CONTENT_LENGTH.length + MAX_LENGTH_DIGITS; byte = first[++at]!) length = length * 10 + byte - 0x30;
    if (at === CONTENT_LENGTH.length || first[at] !== CR || first[at + 1] !== LF || first[at + 2] !== CR || first[at + 3] !== LF) return false;
    this.bodyLength = this.allowed(length);
    this.take(at + HEADER_END.length);
    return true;
  }

  /** Up to `length` bytes from the front, without consuming them. */
  private peek(length: number): Buffer {
    const first = this.chunks[0];
    if (!first) return Buffer.alloc(0);
    if (first.length >= length || this.chunks.length === 1) return first.subarray(0, length);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, length);
  }

  /** Removes and returns `length` bytes from the front (the caller knows they are there). */
  private take(length: number): Buffer {
    if (length === 0) return EMPTY; // a frame of zero bytes: there may be no chunk left to take from
    const first = this.chunks[0]!;
    let taken: Buffer;
    if (first.length >= length) {
      taken = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.chunks);
      taken = all.subarray(0, length);
      this.chunks = all.length > length ? [all.subarray(length)] : [];
    }
    this.received -= length;
    return taken;
  }

  private parseHeaders(section: string): number {
    let length: number | undefined;
    for (const line of section.split('\r\n')) {
      const colon = line.indexOf(':');
      // Messages never quote what the peer sent: a header could carry a secret pasted in the wrong place.
      if (colon <= 0) throw new FramingError('A header line has no name.');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,10}$/.test(value)) throw new FramingError('Content-Length must be a byte count.');
        length = Number(value);
      } else if (name === 'content-type' && /charset=/i.test(value) && !/charset=utf-?8\b/i.test(value)) {
        throw new FramingError('Only UTF-8 bodies are understood.');
      }
    }
    if (length === undefined) throw new FramingError('A frame must start with a Content-Length header.');
    return this.allowed(length);
  }

  /** A body length, when within maxBodyBytes. */
  private allowed(length: number): number {
    if (length > this.maxBodyBytes) throw new FramingError(`A frame of ${length} bytes is over the limit of ${this.maxBodyBytes}.`);
    return length;
  }
}
