import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { CLI, startDaemon } from '../helpers/daemon.js';
import { handshake } from '../helpers/handshake.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { filesUnder, holdsInClear } from '../helpers/vault.js';

const run = promisify(execFile);

/**
 * Guarantee 7: a session that uses every method, misuses them with secrets in the wrong places,
 * and runs the command line; then every log, store file, error message and CLI error output is
 * scanned for every key value, both tokens and the master key. Only the token files hold a token,
 * and only master.key the master key: that is what they are for.
 */
t.test('no secret in clear in any log, store file, error message or CLI error output', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-27T12:00:00Z' });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const tokens = [daemon.adminToken(), daemon.gatewayToken()];
  const keys: string[] = [];
  for (const name of ['first', 'second', 'third']) keys.push((await admin.request('apiKey.create', { name, description: `key ${name}` })).key);
  const [key] = keys as [string];

  const messages: string[] = [];
  const refused = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => { messages.push(e.message); });
  await admin.request('apiKey.update', { name: 'second', validFor: 'P30D' });
  await admin.request('apiKey.reveal', { name: 'first' });
  await gateway.request('connector.authenticate', { key, connectorId: 'c1' });
  await gateway.request('connector.authenticate', { key: key + 'x' });
  await admin.request('apiKey.verify', { key: keys[1]! });
  await admin.request('apiKey.delete', { name: 'third' });
  // The lifecycle: a rotation in its grace, whose old value is then used; one that ends at once; a disable.
  keys.push((await admin.request('apiKey.rotate', { name: 'first', graceHours: 2 })).key);
  await gateway.request('connector.authenticate', { key, connectorId: 'c-old-value' });
  keys.push((await admin.request('apiKey.rotate', { name: 'second', graceHours: 0 })).key);
  await admin.request('apiKey.disable', { name: 'second', reason: 'scanned for secrets' });
  await gateway.request('connector.authenticate', { key: keys.at(-1)!, connectorId: 'c-disabled' });
  await admin.request('apiKey.usage', { name: 'first' });
  await refused(admin.request('apiKey.rotate', { name: 'second' }));
  // A value pasted as the reason is taken (a reason is free text) and logged only as its hint.
  await admin.request('apiKey.disable', { name: 'first', reason: `leaked: ${key}` });
  // Secrets where they do not belong: none may be echoed back or logged.
  await refused(admin.request('apiKey.get', { name: key }));
  await refused(admin.request('apiKey.create', { name: `${key} ` }));
  await refused(admin.request('apiKey.create', { name: 'fourth', description: 'x', expiresOn: key }));
  await refused(admin.request('apiKey.update', { name: key, newName: tokens[0] }));
  await refused(admin.request(key, {}));
  await refused(admin.request('apiKey.list', { name: key, [key]: 1 }));
  await refused(handshake(gateway, 'admin', tokens[0] + 'x'));
  await refused(gateway.request('session.hello', { role: 'admin', clientProof: tokens[0] }));
  await refused(gateway.request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce: tokens[1] }));
  await refused(gateway.request('apiKey.reveal', { name: 'first' }));
  const raw = await RawSocket.connect(daemon.pipe);
  raw.send(`Content-Length: ${key}\r\n\r\n`);
  for (const answer of await raw.waitFor(1)) messages.push(JSON.stringify(answer));
  const cliOutput: string[] = [];
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  for (const args of [['get', key], ['verify', key, '--data-dir', '/nowhere'], ['new', 'x', `--${key}`], ['set', key, '--description', 'y'], ['remove', tokens[1]!]]) {
    await run(process.execPath, [CLI, ...args], { env }).catch((e: { stderr: string }) => cliOutput.push(e.stderr));
  }
  const wrongToken = await run(process.execPath, [CLI, 'list'], { env: { ...env, GATEWAY_APIKEYS_TOKEN: tokens[1] + 'z' } }).catch((e: { stderr: string }) => e.stderr);
  cliOutput.push(String(wrongToken));
  t.equal(cliOutput.length, 6, 'every misuse of the CLI failed');
  t.equal(messages.length, 12, 'every misuse of the RPC failed');
  t.equal(await daemon.stop(), 0);

  const masterKeyFile = fs.readFileSync(path.join(daemon.dataDir, 'master.key'));
  const masterKey = masterKeyFile.subarray(22, 54);
  t.equal(masterKeyFile.length, 70, 'a key-file master key: its 32 bytes are at 22..54');
  const secrets = [...keys, ...tokens];
  const holdsMasterKey = (bytes: Buffer) => bytes.includes(masterKey) || bytes.toString('latin1').includes(masterKey.toString('hex')) || bytes.toString('latin1').includes(masterKey.toString('base64'));

  const files = filesUnder(daemon.dataDir);
  t.ok([...files.keys()].some((f) => f.includes(`${path.sep}logs${path.sep}`)), 'the log file was scanned');
  for (const [file, bytes] of files) {
    const name = path.relative(daemon.dataDir, file);
    for (const secret of secrets) {
      if (name.endsWith('.token') && tokens.includes(secret)) continue;
      t.notOk(holdsInClear(bytes, secret), `${name} holds no ${secret.slice(0, 4)} secret`);
    }
    if (name !== 'master.key') t.notOk(holdsMasterKey(bytes), `${name} holds no master key`);
  }
  const console = daemon.stdout() + daemon.stderr();
  for (const secret of secrets) {
    t.notOk(holdsInClear(Buffer.from(console), secret), `the daemon's console holds no ${secret.slice(0, 4)} secret`);
    for (const message of messages) t.notOk(message.includes(secret), `error message holds no secret: ${message.slice(0, 80)}`);
    for (const output of cliOutput) t.notOk(output.includes(secret), `CLI error output holds no secret: ${output.slice(0, 80)}`);
  }
  t.notOk(holdsMasterKey(Buffer.from(console + messages.join() + cliOutput.join())), 'nor the master key');
});
