// A hostile server for the client guarantee tests (test/guarantees/hostile-clients.test.ts and
// powershell/tests/GatewayApiKeys.Hostile.Tests.ps1): it takes a socket path first and answers
// what a client sends with a frame no daemon would send (docs/security.md, "What answers the pipe").
// Prints `listening` once it accepts, `received N` whenever it has read N bytes more, `closed`
// when a client's connection ends; stops on SIGTERM.
//
//   node impostor-server.mjs SOCKET MODE [LENGTH]
//
// LENGTH is the Content-Length the huge modes announce: 2147483648 (2 GiB) unless given.
//
// MODE:
//   huge     answers the first request with `Content-Length: LENGTH`, then trickles a byte a
//            second of a body that never ends
//   flood    the same header, then as much of the body as the client will read, as fast as it reads
//            (up to 2 GiB)
//   silent   reads everything and never answers
//   garbage  answers with header lines that are no Content-Length
//   badjson  answers with a well-framed body that is not JSON
//   trickle  answers with a small valid-looking Content-Length, then a byte a second
//   notanswer answers with a JSON value that is not an answer to the request (a number)
//   unproved answers the challenge as the daemon would, with a proof made without the token
//   prove-then-huge (needs GATEWAY_APIKEYS_TOKEN) proves the token and answers hello, then answers the
//            next request with `Content-Length: LENGTH` and trickles
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

const [socketPath, mode, announced = '2147483648'] = process.argv.slice(2);
if (!socketPath || !mode) {
  process.stderr.write('usage: node impostor-server.mjs SOCKET MODE\n');
  process.exit(2);
}
const frame = (body) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const hmac = (token, text) => b64(createHmac('sha256', Buffer.from(token, 'utf8')).update(text).digest());

/** The requests of one connection, parsed just enough to know their ids and params. */
function requests(socket, onRequest) {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    process.stdout.write(`received ${chunk.length}\n`);
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffered.subarray(0, end).toString('latin1'))?.[1]);
      if (buffered.length < end + 4 + length) return;
      const body = JSON.parse(buffered.subarray(end + 4, end + 4 + length).toString('utf8'));
      buffered = buffered.subarray(end + 4 + length);
      onRequest(body);
    }
  });
}

function trickle(socket) {
  const timer = setInterval(() => socket.write('{'), 1000);
  socket.on('close', () => clearInterval(timer));
}

/** Writes 1 MiB at a time for as long as the client reads, up to 2 GiB. */
function flood(socket) {
  const block = Buffer.alloc(1024 * 1024, 'A');
  let left = 2048;
  const more = () => {
    while (left > 0 && !socket.destroyed) {
      left--;
      if (!socket.write(block)) return socket.once('drain', more);
    }
  };
  more();
}

const server = net.createServer((socket) => {
  socket.on('error', () => undefined);
  socket.on('close', () => process.stdout.write('closed\n'));
  let answered = 0;
  let nonces;
  requests(socket, (request) => {
    answered++;
    switch (mode) {
      case 'huge':
        if (answered === 1) {
          socket.write(`Content-Length: ${announced}\r\n\r\n{"jsonrpc":"2.0","id":1,"result":{"serverNonce":"`);
          trickle(socket);
        }
        break;
      case 'flood':
        if (answered === 1) {
          socket.write(`Content-Length: ${announced}\r\n\r\n{"jsonrpc":"2.0","id":1,"result":{"serverNonce":"`);
          flood(socket);
        }
        break;
      case 'silent':
        break;
      case 'garbage':
        socket.write('HTTP/1.1 200 OK\r\nServer: not-a-daemon\r\n\r\n<html></html>');
        break;
      case 'badjson':
        socket.write(frame('{"jsonrpc":"2.0","id":1,"result":{"serverNonce":'));
        break;
      case 'trickle':
        if (answered === 1) {
          socket.write('Content-Length: 3000\r\n\r\n{');
          trickle(socket);
        }
        break;
      case 'notanswer':
        socket.write(frame('42'));
        break;
      case 'unproved':
        socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { serverNonce: b64(randomBytes(32)), serverProof: b64(randomBytes(32)) } })));
        break;
      case 'prove-then-huge': {
        const token = process.env.GATEWAY_APIKEYS_TOKEN ?? '';
        if (request.method === 'session.challenge') {
          const serverNonce = b64(randomBytes(32));
          nonces = { client: request.params.clientNonce, server: serverNonce };
          const serverProof = hmac(token, `gateway-apikeys server v3\n${request.params.clientNonce}\n${serverNonce}\n`);
          socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { serverNonce, serverProof } })));
        } else if (request.method === 'session.hello' && nonces) {
          const result = { role: request.params.role, serverVersion: '0.0.0-impostor', protocolVersion: 3, today: '2026-01-01', timeZone: 'UTC' };
          socket.write(frame(JSON.stringify({ jsonrpc: '2.0', id: request.id, result })));
        } else {
          socket.write(`Content-Length: ${announced}\r\n\r\n{"jsonrpc":"2.0","id":${request.id},"result":{"serverVersion":"`);
          trickle(socket);
        }
        break;
      }
      default:
        process.stderr.write(`unknown mode ${mode}\n`);
        process.exit(2);
    }
  });
});
fs.rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.stdout.write('listening\n'));
const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
