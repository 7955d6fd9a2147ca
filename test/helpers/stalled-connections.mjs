// A hostile local user, for test/guarantees/hostile-users.test.ts: opens `count` connections to a
// pipe, starts a frame on each and sends nothing more. Run as another user, so the daemon sees
// another peer. Prints `open N` (connections the daemon has not closed) every 200 ms; stops on SIGTERM.
import net from 'node:net';

const [pipe, count] = [process.argv[2], Number(process.argv[3])];
const sockets = [];
for (let i = 0; i < count; i++) {
  const socket = net.connect(pipe);
  socket.on('error', () => undefined);
  // Most of a 1 MiB frame; every fifth a little under the daemon's limit before the handshake.
  socket.write(i % 5 ? `Content-Length: 1000000\r\n\r\n${'s'.repeat(900_000)}` : `Content-Length: 4000\r\n\r\n${'s'.repeat(3000)}`);
  sockets.push(socket);
}
const report = () => process.stdout.write(`open ${sockets.filter((s) => !s.destroyed && s.readyState === 'open').length}\n`);
setInterval(report, 200);
process.on('SIGTERM', () => process.exit(0));
