import type { Socket } from 'node:net';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import { FrameDecoder, FramingError } from './framing.js';

/** A body that is not a JSON-RPC request or notification: answered with this error, the stream goes on. */
export interface InvalidMessage {
  id: string | number | null;
  code: -32700 | -32600;
  message: string;
}

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * vscode-jsonrpc's MessageReader over a socket, using the project's FrameDecoder: frames are
 * size-capped, and bodies that are not JSON, or not a request or notification, are reported
 * through `onInvalid` so the server can answer them (-32700 / -32600) instead of dropping them.
 * A FramingError (the boundaries are lost) is fired as an error; the server then closes the socket.
 */
export class FrameMessageReader extends AbstractMessageReader {
  private readonly decoder: FrameDecoder;
  private invalidHandler: ((invalid: InvalidMessage) => void) | undefined;

  constructor(private readonly socket: Socket, maxBodyBytes?: number) {
    super();
    this.decoder = new FrameDecoder(maxBodyBytes);
  }

  onInvalid(handler: (invalid: InvalidMessage) => void): void {
    this.invalidHandler = handler;
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer) => {
      this.decoder.push(chunk);
      try {
        for (let body = this.decoder.next(); body; body = this.decoder.next()) this.deliver(body, callback);
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        this.socket.removeListener('data', onData);
        this.fireError(error);
      }
    };
    const onClose = () => this.fireClose();
    const onError = (error: Error) => this.fireError(error);
    this.socket.on('data', onData).on('close', onClose).on('error', onError);
    return {
      dispose: () => {
        this.socket.removeListener('data', onData).removeListener('close', onClose).removeListener('error', onError);
      },
    };
  }

  private deliver(body: Buffer, callback: DataCallback): void {
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
    callback(message as Message);
  }
}
