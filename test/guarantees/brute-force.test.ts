import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { FAILURE_BUDGETS } from '../../src/daemon/limits.js';
import { encodeKeyValue } from '../../src/shared/secret-format.js';
import { randomBytes } from '../../src/shared/random.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';
import { RawSocket } from '../helpers/raw-socket.js';

/**
 * Guarantee 6: guessing is seen, and costs no one else anything (docs/security.md, "Failed
 * authentications"). A token guesser gets its user's handshake budget (a burst of 20, then 5 a
 * second) and then its connection is closed; a key guesser, who must hold a token, is answered at
 * once (holding answers made valid keys queue behind them) and reported: 256-bit keys make guessing
 * hopeless, as the first test computes.
 */

const wrongHello = (id: number) => ({ jsonrpc: '2.0', id, method: 'session.hello', params: { role: 'gateway', clientProof: 'A'.repeat(43) } });

t.test('a token guesser gets its budget of answers, then its connection is closed; pipelining gets it none', async (t) => {
  const daemon = await startDaemon(t);
  const { key } = await (await daemon.client('admin')).request('apiKey.create', { name: 'genuine' });
  const gateway = await daemon.client('gateway');
  const guesser = await RawSocket.connect(daemon.pipe);
  const started = performance.now();
  for (let i = 0; i < 200 && !guesser.closed; i++) {
    guesser.frame(wrongHello(i));
    await guesser.waitForId(i).catch(() => undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  const { burst, perSecond } = FAILURE_BUDGETS.handshake;
  t.ok(guesser.closed, 'the guessing connection was closed');
  const answered = guesser.answers.length;
  t.ok(answered >= burst && answered <= burst + perSecond * seconds, `${answered} wrong proofs, one at a time, were answered in ${seconds.toFixed(1)} s (a burst of ${burst}, then ${perSecond} a second)`);
  t.ok(guesser.answers.every((a) => (a.error as { data?: { code?: string } }).data?.code === 'Unauthenticated'), 'each as Unauthenticated');
  const pipelining = await RawSocket.connect(daemon.pipe);
  for (let i = 0; i < 200; i++) pipelining.frame(wrongHello(i));
  await pipelining.waitFor(200, 3000);
  t.ok(pipelining.closed && pipelining.answers.length <= perSecond * (performance.now() - started) / 1000, `200 pipelined past the budget: closed, ${pipelining.answers.length} answered`);
  t.match(await gateway.request('connector.authenticate', { key }), { authenticated: true }, 'an open session of the same user is not touched');
  await daemon.stop();
  t.match(daemon.stderr(), /"event":"auth\.overBudget"/, 'going past the budget is logged');
});

t.test('a key guesser is answered at once and reported, never holds a valid key, and cannot hope to find one', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'genuine' });
  const guesser = await daemon.client('gateway');
  const seconds = scale(3, 20);
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let guesses = 0;
  let valid = 0;
  const guessing = Array.from({ length: 16 }, async () => {
    while (Date.now() < deadline) {
      const result = await guesser.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) });
      if (result.authenticated === false && result.reason === 'Unknown') guesses++;
      // On the guessing connection itself, among its failures.
      if (guesses % 100 === 0 && (await guesser.request('connector.authenticate', { key })).authenticated) valid++;
    }
  });
  await Promise.all(guessing);
  const elapsed = (Date.now() - started) / 1000;
  const rate = guesses / elapsed;
  // Share of the 2^256 key space this rate could try in a year, were every key of a large vault a target.
  const share = (rate * 365 * 86_400 * 1_000_000) / 2 ** 256;
  t.comment(`one connection: ${guesses} guesses in ${elapsed.toFixed(1)} s (${rate.toFixed(0)}/s): ${share.toExponential(1)} of the key space a year against a vault of a million keys`);
  t.ok(share < 2 ** -150, 'hopeless');
  const { burst, perSecond } = FAILURE_BUDGETS.key;
  t.ok(guesses > burst + perSecond * elapsed, `the guesses were answered at once, past the key budget (${guesses})`);
  t.ok(valid > 0, `a valid key on the guessing connection itself is answered (${valid} times)`);
  await daemon.stop();
  t.match(daemon.stderr(), /"event":"auth\.overBudget"[^\n]*"reasons":\{"Unknown"/, 'the guessing is logged');
  t.notOk(/gwk_[0-9A-Za-z]{20}/.test(daemon.stderr().replace(key, '')), 'no guessed value is logged');
});
