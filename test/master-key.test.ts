import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sodium from 'sodium-native';
import t, { type Test } from 'tap';
import { seal, SecretKey } from '../src/vault/crypto.js';
import { StoreIntegrityError } from '../src/vault/storage/integrity-error.js';
import { readMasterKeyFile, WeakPassphraseError } from '../src/vault/storage/master-key.js';
import { Vault } from '../src/vault/vault.js';
import { CLI, shortPipe } from './helpers/daemon.js';
import { rssOf } from './helpers/process-memory.js';
import { create, filesUnder, freshDataDir, madeDataDir, openTestVault } from './helpers/vault.js';

const run = promisify(execFile);
/** "GWKM" version kind vaultId(16): where a sealed master.key's opslimit(4) and memlimit(4) start. */
const PARAMS_AT = 22;
const LONG_ENOUGH = Buffer.from('correct horse battery staple');

/** A data dir whose master.key is sealed with LONG_ENOUGH, holding one key; its value. */
async function sealedVault(t: Test): Promise<{ dataDir: string; key: string }> {
  const { vault, dataDir } = await openTestVault(t, { passphrase: LONG_ENOUGH });
  const { key } = await create(vault, { name: 'sealed' });
  await vault.close();
  return { dataDir, key };
}

/** master.key with its Argon2id cost replaced (what a hostile or damaged file would say). */
function doctor(dataDir: string, opslimit: number, memlimit: number): void {
  const file = path.join(dataDir, 'master.key');
  const bytes = fs.readFileSync(file);
  bytes.writeUInt32BE(opslimit, PARAMS_AT);
  bytes.writeUInt32BE(memlimit, PARAMS_AT + 4);
  fs.writeFileSync(file, bytes);
}

t.test('Argon2id costs read from master.key are bounded before anything is spent', async (t) => {
  const { dataDir } = await sealedVault(t);
  const original = fs.readFileSync(path.join(dataDir, 'master.key'));
  const cases: [string, number, number][] = [
    ['4 GiB of memory', 3, 0xffffffff],
    ['1000 passes', 1000, 64 * 1024 * 1024],
    ['below the minimum memory', 3, 1024],
    ['no passes', 0, 64 * 1024 * 1024],
  ];
  for (const [what, opslimit, memlimit] of cases) {
    fs.writeFileSync(path.join(dataDir, 'master.key'), original);
    doctor(dataDir, opslimit, memlimit);
    const started = performance.now();
    const error = await Vault.open({ dataDir, passphrase: LONG_ENOUGH, timeZone: 'UTC' }).catch((e: unknown) => e);
    t.type(error, StoreIntegrityError, `${what}: refused`);
    t.equal((error as StoreIntegrityError).file, 'master.key', `${what}: names the file`);
    t.match((error as Error).message, /Argon2id cost out of bounds/, what);
    t.ok(performance.now() - started < 500, `${what}: refused at once, before any key derivation`);
  }
  const bytes = Buffer.concat([original, Buffer.alloc(1)]);
  t.throws(() => readMasterKeyFile(bytes, 'master.key', LONG_ENOUGH), { name: 'StoreIntegrityError', message: /wrong length/ }, 'a longer file is damage');
  t.throws(() => readMasterKeyFile(original.subarray(0, 40), 'master.key', LONG_ENOUGH), { name: 'StoreIntegrityError', message: /wrong length/ }, 'a shorter one too');
});

t.test('the daemon refuses a doctored master.key quickly, with little memory', async (t) => {
  const { dataDir } = await sealedVault(t);
  doctor(dataDir, 3, 0xffffffff);
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--pipe', shortPipe(), '--time-zone', 'UTC'], {
    env: { ...process.env, GATEWAY_APIKEYS_PASSPHRASE: LONG_ENOUGH.toString() }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid!) ?? 0);
    if (peak > 400 * 1024 * 1024) child.kill('SIGKILL'); // the bug: spare the shared machine the rest of 4 GiB
  }, 5);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  t.not(code, 0, 'exits non-zero');
  t.match(stderr, /master\.key: asks for an Argon2id cost out of bounds/, 'names the file');
  t.ok(peak < 200 * 1024 * 1024, `memory stayed small (peak RSS ${Math.round(peak / 1048576)} MiB)`);
  t.ok(performance.now() - started < 10_000, 'exits quickly');
});

t.test('new seals use libsodium\'s moderate cost; a file sealed at the old interactive cost still opens', async (t) => {
  const { dataDir, key } = await sealedVault(t);
  const sealed = fs.readFileSync(path.join(dataDir, 'master.key'));
  t.equal(sealed.readUInt32BE(PARAMS_AT), sodium.crypto_pwhash_OPSLIMIT_MODERATE, 'moderate passes');
  t.equal(sealed.readUInt32BE(PARAMS_AT + 4), sodium.crypto_pwhash_MEMLIMIT_MODERATE, 'moderate memory (256 MiB)');

  // The same vault's key, sealed as earlier versions did: interactive cost, and a passphrase shorter than now allowed.
  const keyFileVault = madeDataDir(t);
  const { vault } = await openTestVault(t, { dataDir: keyFileVault });
  const { key: oldKey } = await create(vault, { name: 'old seal' });
  await vault.close();
  const keyFile = fs.readFileSync(path.join(keyFileVault, 'master.key'));
  const head = Buffer.alloc(PARAMS_AT + 8 + sodium.crypto_pwhash_SALTBYTES);
  keyFile.copy(head, 0, 0, PARAMS_AT);
  head.writeUInt8(1, 5); // kind 1: sealed
  head.writeUInt32BE(sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, PARAMS_AT);
  head.writeUInt32BE(sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE, PARAMS_AT + 4);
  sodium.randombytes_buf(head.subarray(PARAMS_AT + 8));
  const derived = Buffer.alloc(32);
  const short = Buffer.from('hunter2');
  sodium.crypto_pwhash(derived, short, head.subarray(PARAMS_AT + 8), sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE,
    sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const wrapping = SecretKey.copyOf(derived);
  fs.writeFileSync(path.join(keyFileVault, 'master.key'), Buffer.concat([head, seal(wrapping, keyFile.subarray(PARAMS_AT, PARAMS_AT + 32), head)]));
  wrapping.dispose();
  const reopened = await Vault.open({ dataDir: keyFileVault, passphrase: short, timeZone: 'UTC' });
  t.equal((await reopened.reveal({ name: 'old seal' })).key, oldKey, 'an existing vault with a short passphrase at interactive cost opens');
  await reopened.close();
  const again = await Vault.open({ dataDir, passphrase: LONG_ENOUGH, timeZone: 'UTC' });
  t.equal((await again.reveal({ name: 'sealed' })).key, key);
  await again.close();
});

t.test('a new vault passphrase has at least 12 characters (code points); nothing is written otherwise', async (t) => {
  for (const [what, passphrase] of [['5 ASCII', 'short'], ['11 ASCII', 'elevenchars'], ['11 two-byte characters (22 bytes)', 'é'.repeat(11)],
    ['11 emoji (44 bytes)', '🔑'.repeat(11)]] as const) {
    const dataDir = madeDataDir(t);
    const error = await Vault.open({ dataDir, passphrase: Buffer.from(passphrase), timeZone: 'UTC' }).catch((e: unknown) => e);
    t.type(error, WeakPassphraseError, `${what}: refused`);
    t.match((error as Error).message, /at least 12\. Nothing was written/, what);
    t.notOk((error as Error).message.includes(passphrase), 'the message does not hold the passphrase');
    t.same([...filesUnder(dataDir).keys()], [], `${what}: nothing written`);
  }
  for (const passphrase of ['twelve chars', 'é'.repeat(12), '🔑'.repeat(12)]) {
    const { vault } = await openTestVault(t, { passphrase: Buffer.from(passphrase) });
    t.ok(vault, `${passphrase.length} UTF-16 units, 12 code points: accepted`);
  }
});

t.test('serve and rekey refuse a short new vault passphrase, writing nothing', async (t) => {
  const dataDir = freshDataDir(t);
  const serve = await run(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--pipe', shortPipe(), '--time-zone', 'UTC'], {
    env: { ...process.env, GATEWAY_APIKEYS_PASSPHRASE: 'elevenchars' }, timeout: 30_000, // a daemon that accepted it would serve on
  }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(serve.code, 1, 'serve exits 1');
  t.match(serve.stderr, /new vault passphrase has 11 characters; a vault passphrase needs at least 12/);
  t.notOk(serve.stderr.includes('elevenchars'));
  t.notOk(fs.existsSync(dataDir), 'the data dir was not even made');

  const { dataDir: vaultDir, key } = await sealedVault(t);
  const before = filesUnder(vaultDir);
  const rekey = await run(process.execPath, [CLI, 'rekey', '--data-dir', vaultDir], {
    env: { ...process.env, GATEWAY_APIKEYS_PASSPHRASE: LONG_ENOUGH.toString(), GATEWAY_APIKEYS_NEW_PASSPHRASE: 'tooshort' },
  }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(rekey.code, 1, 'rekey exits 1');
  t.match(rekey.stderr, /has 8 characters; a vault passphrase needs at least 12\. Nothing was written/);
  t.same(filesUnder(vaultDir), before, 'master.key, the store and the audit trail are untouched');
  const still = await Vault.open({ dataDir: vaultDir, passphrase: LONG_ENOUGH, timeZone: 'UTC' });
  t.equal((await still.reveal({ name: 'sealed' })).key, key);
  await still.close();
});

t.test('a key disposed twice, or used after it is disposed, is an error and not the end of the process', async (t) => {
  const key = SecretKey.generate();
  const sub = key.derive(1, 'testtest');
  key.dispose();
  t.doesNotThrow(() => key.dispose(), 'a second dispose does nothing (a second sodium_free would end the process)');
  t.throws(() => key.derive(2, 'testtest'), /used after it was disposed/);
  t.throws(() => key.use(() => undefined), /used after it was disposed/);
  t.equal(sub.use((bytes) => bytes.length), 32, 'what it derived lives on');
  sub.dispose();
});
