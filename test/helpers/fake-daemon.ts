import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { encodeFrame, FrameDecoder } from '../../src/rpc/framing.js';
import { newNonce, PROTOCOL_VERSION, proofKey, serverProof } from '../../src/session-proof.js';

/**
 * A stand-in for the daemon in one test process, for what the real one cannot be made to do on
 * cue: close a connection at a given request, never answer one, prove a token it does not know.
 * It speaks the handshake with src/session-proof.ts, so it follows the protocol the clients speak
 * (docs/protocol.md, "Sessions"), and records every request it receives, whole.
 */

/** A Unix socket's endpoint binding: empty (docs/protocol.md, "Sessions"). */
const UNIX_BINDING = '';

/** What to do with a request after the handshake: answer `result`, close the connection, never answer, or answer with a frame that is not JSON. */
export type Reaction = { result: unknown } | 'close' | 'silent' | 'garbage';

export interface FakeDaemon {
  pipe: string;
  /** Every request received, in order: its method and its body as sent. */
  received: { method: string; body: string; connection: number }[];
  /** Connections accepted so far. */
  connections: () => number;
  /** Closes every open connection, as a daemon that dies. */
  dropAll: () => void;
  /** Closes connection `n` (counted from 1, in the order accepted), when it is open. */
  drop: (n: number) => void;
  /** Stops listening and closes every connection: nothing answers at the pipe any more. */
  stop: () => void;
}

interface FakeOptions {
  /** The token it proves; without one, it answers challenges with proofs made of nothing (an impostor). */
  token?: string;
  /** What to do with a request of the session; `n` counts the requests of that method so far, from 1; `connection` is the connection's number. */
  react?: (method: string, params: Record<string, unknown>, n: number, connection: number) => Reaction;
  /** Where to listen (a stale socket file there is removed first); a private temporary directory's when not given. */
  pipe?: string;
}

export async function fakeDaemon(t: Test, options: FakeOptions): Promise<FakeDaemon> {
  const dir = options.pipe === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-fake-')) : undefined;
  const pipe = options.pipe ?? path.join(dir!, 'f.sock');
  fs.rmSync(pipe, { force: true });
  const key = options.token === undefined ? undefined : proofKey(Buffer.from(options.token));
  const received: FakeDaemon['received'] = [];
  const counts = new Map<string, number>();
  const sockets = new Map<net.Socket, number>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    sockets.set(socket, connection);
    socket.on('close', () => sockets.delete(socket)).on('error', () => undefined);
    const decoder = new FrameDecoder();
    const answer = (id: unknown, result: unknown) => socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id, result })));
    socket.on('data', (chunk) => {
      decoder.push(chunk);
      for (let body = decoder.next(); body; body = decoder.next()) {
        const text = body.toString('utf8');
        const request = JSON.parse(text) as { id: number; method: string; params: Record<string, unknown> };
        received.push({ method: request.method, body: text, connection });
        if (request.method === 'session.challenge') {
          const serverNonce = newNonce();
          answer(request.id, { serverNonce, serverProof: key ? serverProof(key, request.params.clientNonce as string, serverNonce, UNIX_BINDING) : newNonce() });
          continue;
        }
        if (request.method === 'session.hello') {
          answer(request.id, { role: request.params.role, serverVersion: '0.0.0-fake', protocolVersion: PROTOCOL_VERSION, today: '2026-12-07', timeZone: 'UTC' });
          continue;
        }
        const n = (counts.get(request.method) ?? 0) + 1;
        counts.set(request.method, n);
        const reaction = options.react?.(request.method, request.params, n, connection) ?? 'silent';
        if (reaction === 'close') socket.destroy();
        else if (reaction === 'garbage') socket.write(encodeFrame('{"jsonrpc":'));
        else if (reaction !== 'silent') answer(request.id, reaction.result);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  const dropAll = () => {
    for (const socket of sockets.keys()) socket.destroy();
  };
  const drop = (n: number) => {
    for (const [socket, connection] of sockets) if (connection === n) socket.destroy();
  };
  const stop = () => {
    server.close();
    dropAll();
  };
  t.teardown(() => {
    stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return { pipe, received, connections: () => accepted, dropAll, drop, stop };
}
