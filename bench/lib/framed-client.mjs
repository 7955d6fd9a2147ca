// A lean hand-framed JSON-RPC client for measuring servers: it keeps `inFlight` requests
// outstanding on one connection, refilling the window with one write per batch of answers, and
// records each request's round trip. The same client measures the daemon and the bare server.
import net from 'node:net';
import { FrameDecoder } from '../../dist/rpc/framing.js';

export function connect(pipe) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(pipe, () => resolve(socket));
    socket.once('error', reject);
  });
}

const frame = (body) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Reads frames off a socket, calling onBody(body string) for each. */
function onFrames(socket, onBody) {
  const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  socket.on('data', (chunk) => {
    decoder.push(chunk);
    for (let body = decoder.next(); body; body = decoder.next()) onBody(body.toString('utf8'));
  });
}

/** One request, awaited: for session.hello and set-up. */
export function call(socket, method, params) {
  return new Promise((resolve, reject) => {
    const id = `setup-${Math.random()}`;
    const listener = (body) => {
      const message = JSON.parse(body);
      if (message.id !== id) return;
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result);
    };
    onFrames(socket, listener);
    socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id, method, params })));
  }).finally(() => socket.removeAllListeners('data'));
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
