// The floor any JSON-RPC server pays on this socket: parse each Content-Length frame and its JSON,
// answer a fixed result with the request's id. No framework, no work. Run as its own process:
//   node bench/lib/bare-server.mjs <pipe>
import fs from 'node:fs';
import net from 'node:net';

const pipe = process.argv[2];
fs.rmSync(pipe, { force: true });
const result = { authenticated: true, name: 'bench-key', expiresOn: '2027-11-27', status: 'Active' };
net.createServer((socket) => {
  let buffer = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.toString('latin1', 0, end))[1]);
      if (buffer.length < end + 4 + length) return;
      const request = JSON.parse(buffer.toString('utf8', end + 4, end + 4 + length));
      buffer = buffer.subarray(end + 4 + length);
      const body = JSON.stringify({ jsonrpc: '2.0', id: request.id, result });
      socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  });
}).listen(pipe, () => console.log('listening'));
process.on('SIGTERM', () => {
  fs.rmSync(pipe, { force: true });
  process.exit(0);
});
