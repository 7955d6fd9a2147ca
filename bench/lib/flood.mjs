// A hostile local process for the benchmarks (npm run bench, "Hostile clients"): floods the daemon's
// pipe in one of the ways docs/protocol.md's limits answer, until it is killed.
//   node bench/lib/flood.mjs KIND PIPE [ADMIN_TOKEN]
// KIND: unread (tiny invalid bodies, answers never read), hellos (megabyte hellos on 8 connections),
// stalled (500 connections that start a 1 MiB frame and stop), nested (an admin sending 60 KB nested frames).
// Run as another user than the gateway's measuring client when it can be (root): the daemon keeps
// each peer's connections apart, as it would a gateway service's from an attacker's.
import net from 'node:net';
import { encodeFrame } from '../../dist/rpc/framing.js';
import { connect, openSession } from './framed-client.mjs';

const [kind, pipe, token] = process.argv.slice(2);
const sockets = [];
const open = () => {
  const socket = net.connect(pipe);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
};
/** Writes `frame` forever, as fast as the socket takes it (or, not reading, as the daemon lets it). */
function pour(socket, frame) {
  const more = () => { while (socket.write(frame)); };
  socket.on('drain', more);
  more();
}

switch (kind) {
  case 'unread': {
    const socket = open();
    socket.pause();
    pour(socket, Buffer.concat(Array.from({ length: 2000 }, () => encodeFrame('[]'))));
    break;
  }
  case 'hellos': {
    const hello = encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'admin', clientProof: 'x', junk: 'j'.repeat(900 * 1024) } }));
    const again = () => { const s = open(); s.on('close', () => setTimeout(again, 50)); pour(s, hello); };
    for (let i = 0; i < 8; i++) again();
    break;
  }
  case 'stalled': {
    for (let i = 0; i < 500; i++) open().write(`Content-Length: 1000000\r\n\r\n${'s'.repeat(900_000)}`);
    break;
  }
  case 'nested': {
    const socket = await connect(pipe);
    await openSession(socket, 'admin', token);
    socket.removeAllListeners('data');
    socket.on('data', () => undefined); // reads its answers: only the work is the point here
    pour(socket, encodeFrame('['.repeat(30_000) + ']'.repeat(30_000)));
    break;
  }
  default:
    throw new Error(`unknown flood ${kind}`);
}
process.stdout.write('flooding\n');
process.on('SIGTERM', () => process.exit(0));
