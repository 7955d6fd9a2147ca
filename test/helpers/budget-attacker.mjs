// A local user spending the daemon's budgets, for test/guarantees/hostile-budgets.test.ts. Run as
// another user (so the daemon sees another peer), it imports nothing from this checkout, which that
// user may not be able to read: the handshake of docs/protocol.md ("Sessions"; protocol 3, on a Unix
// socket, whose binding is empty) is done here by hand.
//   node budget-attacker.mjs PIPE sessions N   opens up to N gateway sessions (token in GATEWAY_APIKEYS_TOKEN),
//                                              prints `sessions A refused R`, keeps them until SIGTERM
//   node budget-attacker.mjs PIPE hellos S     for S seconds, connects and sends 20 wrong hellos at a time,
//                                              over and over; prints `answered N connections C`
//   node budget-attacker.mjs PIPE unread N     opens N gateway sessions that never read their answers and
//                                              keep asking; prints `open N` every 200 ms until SIGTERM
import crypto from 'node:crypto';
import net from 'node:net';

const [pipe, mode, arg] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const token = process.env.GATEWAY_APIKEYS_TOKEN ?? '';
const frame = (body) => {
  const text = JSON.stringify(body);
  return `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
};

/** A connection and the answers it read. */
function connect() {
  return new Promise((resolve) => {
    const socket = net.connect(pipe);
    const answers = [];
    let waiting = [];
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
        if (buffer.length < end + 4 + length) break;
        answers.push(JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString()));
        buffer = buffer.subarray(end + 4 + length);
      }
      for (const wake of waiting.splice(0)) wake();
    });
    const closed = () => { for (const wake of waiting.splice(0)) wake(); };
    socket.on('close', closed);
    socket.on('error', () => undefined);
    const conn = {
      socket, answers,
      get closed() { return socket.destroyed || socket.readyState === 'closed'; },
      async answer(id, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = answers.find((a) => a.id === id);
          if (found) return found;
          if (conn.closed || Date.now() > deadline) return undefined;
          await new Promise((r) => { waiting.push(r); setTimeout(r, 50); });
        }
      },
    };
    socket.once('connect', () => resolve(conn));
    socket.once('close', () => resolve(conn));
  });
}

async function session() {
  const conn = await connect();
  const clientNonce = crypto.randomBytes(32).toString('base64url');
  conn.socket.write(frame({ jsonrpc: '2.0', id: 'c', method: 'session.challenge', params: { protocolVersion: 3, role: 'gateway', clientNonce } }));
  const challenge = await conn.answer('c');
  if (!challenge?.result) { conn.socket.destroy(); return undefined; }
  const clientProof = crypto.createHmac('sha256', token).update(`gateway-apikeys client v3\n${challenge.result.serverNonce}\n${clientNonce}\n`).digest('base64url');
  conn.socket.write(frame({ jsonrpc: '2.0', id: 'h', method: 'session.hello', params: { role: 'gateway', clientProof } }));
  const hello = await conn.answer('h');
  if (!hello?.result) { conn.socket.destroy(); return undefined; }
  return conn;
}

process.on('SIGTERM', () => process.exit(0));
if (mode === 'sessions') {
  const open = [];
  let refused = 0;
  for (let i = 0; i < arg; i++) {
    const conn = await session();
    if (conn) open.push(conn); else refused++;
  }
  process.stdout.write(`sessions ${open.length} refused ${refused}\n`);
  setInterval(() => undefined, 1000);
} else if (mode === 'hellos') {
  const deadline = Date.now() + arg * 1000;
  let answered = 0;
  let connections = 0;
  const wrong = frame({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'gateway', clientProof: 'A'.repeat(43) } }).repeat(20);
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < deadline) {
      const conn = await connect();
      connections++;
      conn.socket.write(wrong);
      while (!conn.closed && conn.answers.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      answered += conn.answers.filter((a) => a.error).length;
      conn.socket.destroy();
    }
  }));
  process.stdout.write(`answered ${answered} connections ${connections}\n`);
  process.exit(0);
} else if (mode === 'unread') {
  const sessions = (await Promise.all(Array.from({ length: arg }, session))).filter(Boolean);
  // The cheapest requests to answer: `{}` is no request, and its answer is some 150 bytes. Sent as fast as the socket takes them.
  const ask = Buffer.from('Content-Length: 2\r\n\r\n{}'.repeat(5000));
  for (const conn of sessions) {
    conn.socket.pause(); // never reads again
    const send = () => { while (!conn.closed && conn.socket.write(ask)); };
    conn.socket.on('drain', send);
    send();
  }
  setInterval(() => process.stdout.write(`open ${sessions.filter((c) => !c.closed).length}\n`), 200);
}
