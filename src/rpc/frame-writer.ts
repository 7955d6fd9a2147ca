import type { Socket } from 'node:net';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { RawJson } from './raw-json.js';

const WRITTEN = Promise.resolve();
/** Bodies above this are encoded to bytes once, not carried as text and measured twice. */
const LARGE_BODY = 64 * 1024;

/**
 * vscode-jsonrpc's MessageWriter over a socket, built for many answers in flight: each message is
 * framed once, and the answers written while one read of the socket is handled leave together in
 * one socket write. The stock writer makes two writes per message and waits for each to drain
 * before the next.
 */
export class FrameMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private text = '';
  private queued: (string | Buffer)[] = [];
  private scheduled = false;

  constructor(private readonly socket: Socket) {
    super();
    socket.on('error', (error) => this.fireError(error));
    socket.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    const result = (message as { result?: unknown }).result;
    if (result instanceof RawJson) {
      const head = `{"jsonrpc":"2.0","id":${JSON.stringify((message as unknown as { id: unknown }).id)},"result":`;
      this.text += `Content-Length: ${Buffer.byteLength(head) + result.byteLength + 1}\r\n\r\n${head}`;
      this.queued.push(this.takeText());
      for (const piece of result.pieces) this.queued.push(piece); // a loop: a vault's worth of pieces is too many arguments for push(...)
      this.text += '}';
      this.schedule();
      return WRITTEN;
    }
    this.writeBody(JSON.stringify(message));
    return WRITTEN;
  }

  /** Frames and sends a message already written as JSON text (the server's fast answers, docs/architecture.md, "The authenticate fast path"). */
  writeBody(body: string): void {
    if (body.length > LARGE_BODY) {
      const bytes = Buffer.from(body, 'utf8');
      this.text += `Content-Length: ${bytes.length}\r\n\r\n`;
      this.queued.push(this.takeText(), bytes);
    } else {
      this.text += `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
    }
    this.schedule();
  }

  /** Sends after the current read's requests are answered: setImmediate runs once its promise jobs are done. */
  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Bytes written but not yet handed to the socket (they leave at the end of this turn). */
  get pendingBytes(): number {
    let bytes = this.text.length;
    for (const part of this.queued) bytes += part.length;
    return bytes;
  }

  private takeText(): string {
    const text = this.text;
    this.text = '';
    return text;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const parts = this.queued;
    this.queued = [];
    parts.push(this.takeText());
    if (!this.socket.writable) return;
    // A peer that leaves answers unread has them kept as bytes, the size they are counted at (docs/protocol.md,
    // "Limits"): kept as the text's pieces (one string per answer and per join), they took about three times that.
    const backedUp = this.socket.writableLength > 0;
    // Corked, the parts leave in one gathered write (writev), however many there are.
    this.socket.cork();
    for (const part of parts) if (part.length > 0) this.socket.write(backedUp && typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
    this.socket.uncork();
  };

  end(): void {
    this.flush();
    this.socket.end();
  }
}
