import t from 'tap';
import { encodeKeyValue } from '../../src/shared/secret-format.js';
import { randomBytes } from '../../src/shared/random.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';

/**
 * Guarantee 6: a client guessing keys is slowed down, per connection (a burst of 20 failures, then
 * 5 per second), while valid traffic, on its own connection or another, is not held back.
 */
const BURST = 20;
const PER_SECOND = 5;

t.test('a guessing connection gets at most 5 answers a second after its burst; valid keys are not held', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'genuine' });
  const guesser = await daemon.client('gateway');
  const honest = await daemon.client('gateway');
  const seconds = scale(4, 20);
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let guesses = 0;
  const guessing = Array.from({ length: 16 }, async () => {
    while (Date.now() < deadline) {
      await guesser.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) });
      guesses++;
    }
  });
  let valid = 0;
  let validOnGuesser = 0;
  const honestTraffic = (async () => {
    while (Date.now() < deadline) {
      const result = await honest.request('connector.authenticate', { key });
      if (result.authenticated) valid++;
      if (valid % 50 === 0 && (await guesser.request('connector.authenticate', { key })).authenticated) validOnGuesser++;
    }
  })();
  await Promise.all([...guessing, honestTraffic]);
  const elapsed = (Date.now() - started) / 1000;
  const rate = (guesses - BURST) / elapsed;
  // Share of the 2^256 key space one such connection could try in a year.
  const share = (rate * 365 * 86_400) / 2 ** 256;
  t.comment(`one connection: ${guesses} guesses in ${elapsed.toFixed(1)} s (${rate.toFixed(1)}/s after the burst): ${share.toExponential(1)} of the key space a year`);
  t.comment(`meanwhile ${valid} valid authentications on another connection, ${validOnGuesser} valid ones answered on the guessing connection itself`);
  t.ok(guesses <= BURST + PER_SECOND * elapsed + 2, `guesses were held back (${guesses} in ${elapsed.toFixed(1)} s)`);
  t.ok(valid > 20 * seconds, 'valid traffic on another connection kept flowing');
  t.ok(validOnGuesser > 0, 'a valid key on the guessing connection itself is answered at once');
  await daemon.stop();
  t.match(daemon.stderr(), /"event":"auth.throttled"/, 'the slow-down is logged');
  t.notOk(/gwk_[0-9A-Za-z]{20}/.test(daemon.stderr().replace(key, '')), 'no guessed value is logged');
});

t.test('the valid answer is not delayed behind held-back failures', async (t) => {
  const daemon = await startDaemon(t);
  const { key } = await (await daemon.client('admin')).request('apiKey.create', { name: 'genuine' });
  const gateway = await daemon.client('gateway');
  const started = Date.now();
  const guesses = Array.from({ length: 30 }, (_, i) => gateway.request('connector.authenticate', { key: `gwk_guess${i}` }).then(() => Date.now()));
  const valid = gateway.request('connector.authenticate', { key }).then(() => Date.now());
  const last = Math.max(...(await Promise.all(guesses)));
  // 20 free, then 5 per second: the 30th failure cannot come back before (30 - 20) × 200 ms.
  t.ok(last - started >= 1900, `failures were held back (${last - started} ms)`);
  t.ok((await valid) < last, 'the valid key sent after them was answered first');
});
