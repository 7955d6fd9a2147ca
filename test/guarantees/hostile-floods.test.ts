import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { encodeFrame } from '../../src/rpc/framing.js';
import { FAILURE_BUDGETS } from '../../src/daemon/limits.js';
import { daemonWithKey, sleep } from '../helpers/hostile.js';
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
  t.ok(sockets.every((raw) => raw.closed), 'every connection went past its user\'s handshake budget, and was closed');
  const answered = sockets.reduce((sum, raw) => sum + raw.answers.length, 0);
  t.ok(answered <= FAILURE_BUDGETS.handshake.burst + FAILURE_BUDGETS.handshake.perSecond * 4, `${answered} of the 10,000 were answered: the budget`);
  await daemon.stop();
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const added = lines.length - linesBefore;
  t.ok(added < 60, `10,000 failed handshakes added ${added} log lines`);
  t.ok(lines.some((l) => l.event === 'apiKey.revealed'), 'the reveal is still in the log');
  t.match(lines.find((l) => l.event === 'auth.overBudget'), { level: 'warn', reasons: { proof: Number } }, 'and a warning says failures went past their budget');
  t.match(lines.find((l) => l.event === 'log.summary'), { of: 'session.rejected', count: Number }, 'the rejections beyond the first few are counted');
  t.ok(lines.find((l) => l.event === 'auth.failures' && (l.overBudget as number) > 0), 'the minute\'s failures are counted at stop');
});
t.test('11: reconnecting buys a token guesser nothing past its budget, and the guessing is logged', async (t) => {
  const { daemon, key } = await daemonWithKey(t);
  // Open before the guessing: the guessers are this test's own user, whose new connections are refused once its budget is spent.
  const gateway = await daemon.client('gateway');
  const seconds = 4;
  const deadline = Date.now() + seconds * 1000;
  let answered = 0;
  const guesser = async () => {
    while (Date.now() < deadline) {
      const raw = await RawSocket.connect(daemon.pipe).catch(() => undefined);
      if (!raw) continue;
      raw.frame({ jsonrpc: '2.0', id: 1, method: 'session.hello', params: { role: 'gateway', clientProof: 'A'.repeat(43) } });
      await raw.waitFor(1, 1000);
      if (Date.now() <= deadline) answered += raw.answers.length;
      raw.close();
    }
  };
  let valid = 0;
  const honest = (async () => {
    while (Date.now() < deadline) if ((await gateway.request('connector.authenticate', { key })).authenticated) valid++;
  })();
  await Promise.all([...Array.from({ length: 20 }, guesser), honest]);
  const { burst, perSecond } = FAILURE_BUDGETS.handshake;
  const bound = burst + perSecond * (seconds + 1);
  t.ok(answered <= bound, `${answered} wrong proofs answered within ${seconds} s to 20 reconnecting guessers (at most ${bound})`);
  t.ok(valid > 20, `the open session's valid keys were answered meanwhile (${valid})`);
  await daemon.stop();
  const log = fs.readFileSync(path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log'), 'utf8');
  t.match(log, /"event":"auth\.overBudget"/, 'the guessing is logged');
  t.match(log, /"reason":"handshakeBudget"/, 'and the guesser\'s connections refused');
});
