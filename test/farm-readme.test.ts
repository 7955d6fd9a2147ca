import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CLI, ROOT, startDaemon } from './helpers/daemon.js';
import { skipWithoutPostgres, startPostgres } from './helpers/postgres.js';
import { freshDataDir, scratchPath } from './helpers/vault.js';
import { shellBlocks } from './helpers/readme.js';

/**
 * The README's farm block (README, "Gateway farms"), run as shown against a PostgreSQL of the test's
 * own: its URL for the README's, each host a data dir of its own (GATEWAY_APIKEYS_DATA_DIR, as on a
 * real host), the recovery passphrase from GATEWAY_APIKEYS_RECOVERY_PASSPHRASE, which the README
 * names. Then the two hosts serve, and a key made on A authenticates on B.
 */

const skip = skipWithoutPostgres(t);
const README_URL = 'postgres://gateway@db.example.com:5432/gateway_apikeys';

t.test('the README\'s three farm commands make a two-host farm', { skip }, async (t) => {
  const block = shellBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).find((b) => b.text.includes('farm init'));
  t.ok(block?.skip, 'readme.test.ts leaves it to this test, and says why');
  t.match(block!.text, README_URL);
  const [hostA, hostB, either] = block!.text.split(/^(?=# (?:host A|host B|either host))/m).filter(Boolean);
  t.ok(hostA && hostB && either, 'the block says which host runs each command');

  const server = await startPostgres(t);
  const bin = scratchPath(t, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'gateway-apikeys'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  const dirs = { a: freshDataDir(t), b: freshDataDir(t) };
  const env = (dataDir: string) => ({
    ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PGPASSWORD: server.password,
    GATEWAY_APIKEYS_RECOVERY_PASSPHRASE: 'the README farm passphrase', GATEWAY_APIKEYS_DATA_DIR: dataDir,
  });
  const run = (text: string, dataDir: string) => {
    const result = spawnSync('bash', ['-e', '-c', text.replaceAll(README_URL, server.url)], { env: env(dataDir), encoding: 'utf8' });
    t.equal(result.status, 0, `${text.split('\n')[0]}: ${result.stderr}`);
    return result.stdout;
  };
  t.match(run(hostA!, dirs.a), /Made farm [0-9a-f]{32} with 0 keys/);
  t.match(run(hostB!, dirs.b), /This host joined farm/);
  t.match(run(either!, dirs.a), /2 hosts/);

  const a = await startDaemon(t, { dataDir: dirs.a, env: { PGPASSWORD: server.password } });
  const b = await startDaemon(t, { dataDir: dirs.b, env: { PGPASSWORD: server.password } });
  const made = await (await a.client('admin')).request('apiKey.create', { name: 'from the README' });
  const gateway = await b.client('gateway');
  for (let tries = 0; !(await gateway.request('connector.authenticate', { key: made.key })).authenticated; tries++) {
    if (tries > 500) throw new Error('the key never reached host B');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.pass('a key made on A authenticates on B');
});
