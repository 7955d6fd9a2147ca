// One admin request to the daemon, made by whichever user runs this script, for test/audit.test.ts:
// the daemon must record that user as the account that acted. It stands alone (Node only), because
// the other user it runs as may not read this checkout. It speaks protocol 2 (docs/protocol.md,
// "Sessions"): it checks the daemon's proof before it sends its own.
// Usage: GATEWAY_APIKEYS_TOKEN=<admin token> node admin-request.mjs <pipe> <method> <params as JSON>
// Prints the result as JSON; exits 1 with the error on standard error.
import crypto from 'node:crypto';
import net from 'node:net';

const [pipe, method, params] = process.argv.slice(2);
const token = process.env.GATEWAY_APIKEYS_TOKEN;
const hmac = (text) => crypto.createHmac('sha256', Buffer.from(token, 'utf8')).update(text, 'utf8').digest('base64url');

const socket = net.connect(pipe);
let buffered = Buffer.alloc(0);
const waiting = [];
socket.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  for (;;) {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: *(\d+)/i.exec(buffered.subarray(0, end).toString('latin1'))[1]);
    if (buffered.length < end + 4 + length) return;
    waiting.shift()(JSON.parse(buffered.subarray(end + 4, end + 4 + length).toString('utf8')));
    buffered = buffered.subarray(end + 4 + length);
  }
});

let id = 0;
function request(name, body) {
  const json = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: ++id, method: name, params: body }), 'utf8');
  socket.write(`Content-Length: ${json.length}\r\n\r\n`);
  socket.write(json);
  return new Promise((resolve, reject) => waiting.push((answer) => (answer.error ? reject(new Error(JSON.stringify(answer.error))) : resolve(answer.result))));
}

try {
  const clientNonce = crypto.randomBytes(32).toString('base64url');
  // Protocol 3 over a Unix socket: the endpoint binding is empty (docs/protocol.md, "Sessions").
  const { serverNonce, serverProof } = await request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce });
  if (serverProof !== hmac(`gateway-apikeys server v3\n${clientNonce}\n${serverNonce}\n`)) throw new Error('the daemon did not prove it knows the token');
  await request('session.hello', { role: 'admin', clientProof: hmac(`gateway-apikeys client v3\n${serverNonce}\n${clientNonce}\n`) });
  process.stdout.write(`${JSON.stringify(await request(method, JSON.parse(params)))}\n`);
  socket.end();
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
