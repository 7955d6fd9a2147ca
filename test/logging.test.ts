import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createLogger, LOG_FILE, REDACTED, redactSecrets } from '../src/daemon/logging.js';
import { randomBytes } from '../src/shared/random.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { holdsInClear } from './helpers/vault.js';

const key = encodeKeyValue(randomBytes(32));
const token = 'gwt_' + encodeKeyValue(randomBytes(32)).slice(4);

t.test('the guard cuts key values and tokens to their hint, wherever they are', async (t) => {
  const entry = redactSecrets({
    level: 'info',
    message: `presented ${key} and ${token}`,
    nested: { list: [`x${key}.`, { deeper: key }] },
    key,
    token,
    passphrase: 'hunter2',
    hint: key.slice(0, 8),
    keyName: 'orders',
  });
  t.equal(entry.message, `presented ${key.slice(0, 8)}… and ${token.slice(0, 8)}…`);
  t.same(entry.nested, { list: [`x${key.slice(0, 8)}….`, { deeper: `${key.slice(0, 8)}…` }] });
  t.equal(entry.key, REDACTED);
  t.equal(entry.token, REDACTED);
  t.equal(entry.passphrase, REDACTED);
  t.equal(entry.hint, key.slice(0, 8), 'the 8-character hint may be logged');
  t.equal(entry.keyName, 'orders');
  t.notMatch(JSON.stringify(entry), key.slice(8, 20));
});

t.test('a real log file holds JSON lines, mode 0600, and no secret', async (t) => {
  const dir = path.join(t.testdir(), 'logs');
  const logger = createLogger({ directory: dir, console: false, level: 'debug' });
  logger.info(`authenticated ${key}`, { event: 'test', keyName: 'orders', role: 'gateway', key });
  logger.warn('token check failed', { token });
  logger.error(new Error(`boom with ${key}`).message);
  await new Promise<void>((resolve) => {
    logger.on('finish', resolve);
    logger.end();
  });
  const file = path.join(dir, LOG_FILE);
  const text = fs.readFileSync(file);
  const lines = text.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  t.equal(lines.length, 3);
  t.match(lines[0], { level: 'info', event: 'test', keyName: 'orders', role: 'gateway', key: REDACTED, timestamp: String });
  t.notOk(holdsInClear(text, key), 'no key value');
  t.notOk(holdsInClear(text, token), 'no token');
  if (process.platform !== 'win32') {
    t.equal(fs.statSync(file).mode & 0o777, 0o600);
    t.equal(fs.statSync(dir).mode & 0o777, 0o700);
  }
});
