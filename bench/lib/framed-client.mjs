// A lean hand-framed JSON-RPC client for measuring servers: it keeps `inFlight` requests
// outstanding on one connection, refilling the window with one write per batch of answers, and
// records each request's round trip. The same client measures the daemon and the bare server.
import net from 'node:net';
import { encodeFrame as frame, FrameDecoder } from '../../dist/rpc/framing.js';
import { clientProof, newNonce, PROTOCOL_VERSION, proofKey, sameProof, serverProof } from '../../dist/session-proof.js';

export function connect(pipe) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(pipe, () => resolve(socket));
    socket.once('error', reject);
  });
}


/** Reads frames off a socket, calling onBody(body) for each: a string, or the bytes with `raw`. */
function onFrames(socket, onBody, raw = false) {
  const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  socket.on('data', (chunk) => {
    decoder.push(chunk);
    for (let body = decoder.next(); body; body = decoder.next()) onBody(raw ? body : body.toString('utf8'));
  });
}

/** One request, awaited, resolving with the answer's body as received: bytes, not yet decoded or parsed. */
export function callRaw(socket, method, params) {
  return new Promise((resolve, reject) => {
    onFrames(socket, resolve, true);
    socket.once('close', () => reject(new Error(`the connection closed before ${method} was answered`)));
    socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
  }).finally(() => socket.removeAllListeners('data').removeAllListeners('close'));
}

/**
 * One request, timed to the last byte of its answer: the server's work and the transport, not the
 * client's joining and parsing of a large body, which the caller times apart. Resolves with
 * {ms, body: Buffer}.
 */
export function timeToLastByte(socket, method, params) {
  return new Promise((resolve) => {
    const chunks = [];
    let received = 0;
    let bodyStart = -1;
    let end = Infinity;
    const started = performance.now();
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (bodyStart < 0) {
        const match = /Content-Length: (\d+)\r\n\r\n/.exec(Buffer.concat(chunks).toString('latin1', 0, 64));
        if (match) {
          bodyStart = match.index + match[0].length;
          end = bodyStart + Number(match[1]);
        }
      }
      if (received >= end) {
        const ms = performance.now() - started;
        socket.removeAllListeners('data');
        resolve({ ms, body: Buffer.concat(chunks).subarray(bodyStart, end) });
      }
    });
    socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
  });
}

/** One request, awaited: its result, or a rejection with the daemon's message. */
export async function call(socket, method, params) {
  const message = JSON.parse((await callRaw(socket, method, params)).toString());
  if (message.error) throw new Error(message.error.message);
  return message.result;
}

/**
 * Opens a session in `role` (protocol 3, docs/protocol.md): the daemon must prove itself before the
 * client proves its role. A Unix socket's endpoint binding is empty.
 */
export async function openSession(socket, role, token) {
  const key = proofKey(Buffer.from(token));
  const clientNonce = newNonce();
  const { serverNonce, serverProof: proved } = await call(socket, 'session.challenge', { protocolVersion: PROTOCOL_VERSION, role, clientNonce });
  if (!sameProof(serverProof(key, clientNonce, serverNonce, ''), proved)) throw new Error('the daemon did not prove it knows the token');
  return call(socket, 'session.hello', { role, clientProof: clientProof(key, serverNonce, clientNonce, '') });
}

/**
 * Sends `count` requests with `inFlight` outstanding at a time; resolves with
 * {count, seconds, latenciesMs (sorted)}.
 */
export function drive(socket, { count, inFlight, method, params }) {
  return new Promise((resolve, reject) => {
    const sentAt = new Float64Array(count);
    const latencies = new Float64Array(count);
    let sent = 0;
    let done = 0;
    const started = performance.now();
    const sendUpTo = (limit) => {
      let batch = '';
      while (sent < count && sent - done < limit) {
        sentAt[sent] = performance.now();
        batch += frame(`{"jsonrpc":"2.0","id":${sent},"method":"${method}","params":${JSON.stringify(params)}}`);
        sent++;
      }
      if (batch) socket.write(batch);
    };
    onFrames(socket, (body) => {
      const id = Number(/"id":(\d+)/.exec(body)[1]);
      latencies[id] = performance.now() - sentAt[id];
      if (!body.includes('"result"')) reject(new Error(`an error answer: ${body.slice(0, 200)}`));
      if (++done === count) {
        socket.removeAllListeners('data');
        resolve({ count, seconds: (performance.now() - started) / 1000, latenciesMs: Array.from(latencies).sort((a, b) => a - b) });
      }
    });
    socket.on('data', () => sendUpTo(inFlight));
    sendUpTo(inFlight);
  });
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
