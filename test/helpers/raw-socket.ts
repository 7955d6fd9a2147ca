import net from 'node:net';
import type { Role } from '../../src/generated/schemas.js';
import { encodeFrame, FrameDecoder } from '../../src/rpc/framing.js';
import { clientProof, newNonce, PROTOCOL_VERSION, proofKey } from '../../src/session-proof.js';

/** A socket that sends whatever bytes a test wants, and collects the framed answers. */
export class RawSocket {
  private readonly decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  readonly answers: Record<string, unknown>[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.decoder.push(chunk);
      for (let body = this.decoder.next(); body; body = this.decoder.next()) this.answers.push(JSON.parse(body.toString('utf8')));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(pipe: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(pipe, () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  frame(body: string | object): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.send(encodeFrame(text));
  }

  /** Waits until `count` answers arrived or the socket closed (or 5 s passed). */
  async waitFor(count: number, timeoutMs = 5000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.answers;
  }

  /** Opens a session on this socket (protocol 3, a Unix socket: empty binding), as a client would; answers with ids 'challenge' and 'hello' are left in `answers`. */
  async handshake(role: Role, token: string): Promise<void> {
    const clientNonce = newNonce();
    this.frame({ jsonrpc: '2.0', id: 'challenge', method: 'session.challenge', params: { protocolVersion: PROTOCOL_VERSION, role, clientNonce } });
    const answer = await this.waitForId('challenge');
    const { serverNonce } = answer.result as { serverNonce: string };
    this.frame({ jsonrpc: '2.0', id: 'hello', method: 'session.hello', params: { role, clientProof: clientProof(proofKey(Buffer.from(token)), serverNonce, clientNonce, '') } });
    const hello = await this.waitForId('hello');
    if (!hello.result) throw new Error(`the handshake failed: ${JSON.stringify(hello)}`);
  }

  /** Waits for the answer with this id (or 5 s). */
  async waitForId(id: string | number, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.answers.find((a) => a.id === id);
      if (found) return found;
      if (this.closed || Date.now() > deadline) throw new Error(`no answer ${id}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
