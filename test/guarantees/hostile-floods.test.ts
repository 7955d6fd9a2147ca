import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { encodeFrame } from '../../src/rpc/framing.js';
import { randomBytes } from '../../src/shared/random.js';
import { encodeKeyValue } from '../../src/shared/secret-format.js';
import { daemonWithKey, gatewayLatency, sleep } from '../helpers/hostile.js';
import { RawSocket } from '../helpers/raw-socket.js';

/**
 * Guarantee: nothing that can reach the pipe can crash, bloat, stall, squat or fool the daemon
 * (docs/security.md, docs/protocol.md "Limits"). One test per attack, numbered as the rows of
 * issue 11, each against the real daemon.
 * This file: floods of failures.
 */

t.test('10: a flood of wrong handshakes is summarized: it cannot rotate the audit lines out of the log', async (t) => {
  const { daemon } = await daemonWithKey(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.reveal', { name: 'the gateway key' });
  const logFile = path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log');
  const linesBefore = fs.readFileSync(logFile, 'utf8').trim().split('\n').length;
  const sockets = await Promise.all(Array.from({ length: 40 }, () => RawSocket.connect(daemon.pipe)));
  const wrong = encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'admin', clientProof: 'A'.repeat(43) } }));
  for (const raw of sockets) raw.socket.write(Buffer.concat(Array.from({ length: 250 }, () => wrong))); // 10,000 wrong hellos
  await sleep(3000);
  for (const raw of sockets) raw.close();
  await daemon.stop();
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const added = lines.length - linesBefore;
  t.ok(added < 60, `10,000 failed handshakes added ${added} log lines`);
  t.ok(lines.some((l) => l.event === 'apiKey.revealed'), 'the reveal is still in the log');
  t.match(lines.find((l) => l.event === 'auth.throttled'), { level: 'warn', reasons: { proof: Number } }, 'and a warning says failures are being slowed');
  t.match(lines.find((l) => l.event === 'log.summary'), { of: 'session.rejected', count: Number }, 'the rejections beyond the first few are counted');
  t.ok(lines.find((l) => l.event === 'auth.failures' && (l.failures as number) >= 5000), 'the minute\'s failures are counted at stop');
});
t.test('11: many connections, or reconnecting, buys a guesser no speed, and the guessing is logged', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  const seconds = 4;
  const deadline = Date.now() + seconds * 1000;
  let answered = 0;
  const guesser = async () => {
    while (Date.now() < deadline) {
      const gateway = await daemon.client('gateway');
      // 19 guesses, one under the per-connection burst, then a new connection: only the throttle across all
      // connections (docs/protocol.md, "Throttling") slows this down.
      await Promise.all(Array.from({ length: 19 }, () => gateway.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) })
        .then(() => { if (Date.now() <= deadline) answered++; }, () => undefined)));
      gateway.close();
    }
  };
  const honest = (async () => {
    const during = await gatewayLatency(daemon, key, 50);
    t.equal(during.answered, 50, `a valid key is answered at once meanwhile (p99 ${during.p99.toFixed(2)} ms)`);
  })();
  await Promise.all([...Array.from({ length: 20 }, guesser), honest]);
  const bound = 100 + 20 * (seconds + 1);
  t.ok(answered <= bound, `${answered} wrong keys answered within ${seconds} s to 20 reconnecting guessers (at most a burst of 100, then 20/s: ${bound})`);
  await daemon.stop();
  const log = fs.readFileSync(path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log'), 'utf8');
  t.match(log, /"event":"auth\.throttled"/, 'the guessing is logged');
  t.notMatch(log, /gwk_[0-9A-Za-z]{10}/, 'without any presented value');
});
