import crypto from 'node:crypto';
import t from 'tap';
import { keyedHash, SecretKey } from '../src/vault/crypto.js';
import {
  deriveClusterKeys, newClusterKey, unwrapForHost, unwrapWithRecoveryPassphrase, wrapForHost, wrapUnderRecoveryPassphrase,
} from '../src/vault/storage/cluster-key.js';

/** A farm's cluster data key and its wraps (src/vault/storage/cluster-key.ts, docs/farm.md "The cluster key"). */

/** What a key does, so two keys can be compared without reading them. */
const fingerprint = (key: SecretKey) => keyedHash(key, Buffer.from('fingerprint')).toString('hex');
const farmId = crypto.randomBytes(16);
const passphrase = Buffer.from('correct horse battery staple');

t.test('a host\'s wrap opens for that host of that farm only, and not once altered', async (t) => {
  const cluster = newClusterKey();
  const hostKey = SecretKey.generate();
  const hostId = crypto.randomBytes(16);
  const wrap = wrapForHost(cluster, hostKey, farmId, hostId);
  t.notOk(wrap.includes(cluster.use((raw) => Buffer.from(raw))), 'the wrap does not hold the key in clear');
  t.equal(fingerprint(unwrapForHost(wrap, hostKey, farmId, hostId)!), fingerprint(cluster), 'the host gets the cluster key back');
  t.equal(unwrapForHost(wrap, SecretKey.generate(), farmId, hostId), undefined, 'another host\'s key');
  t.equal(unwrapForHost(wrap, hostKey, farmId, crypto.randomBytes(16)), undefined, 'the wrap moved to another host\'s row');
  t.equal(unwrapForHost(wrap, hostKey, crypto.randomBytes(16), hostId), undefined, 'the wrap moved to another farm');
  for (const at of [0, 30, wrap.length - 1]) {
    const altered = Buffer.from(wrap);
    altered[at]! ^= 1;
    t.equal(unwrapForHost(altered, hostKey, farmId, hostId), undefined, `a bit flipped at byte ${at}`);
  }
});

t.test('the recovery wrap opens with the passphrase only; a wrong one is PassphraseWrong and says nothing of either', async (t) => {
  const cluster = newClusterKey();
  const wrap = await wrapUnderRecoveryPassphrase(cluster, passphrase, farmId);
  t.notOk(wrap.includes(passphrase), 'the wrap does not hold the passphrase');
  t.equal(fingerprint(await unwrapWithRecoveryPassphrase(wrap, passphrase, farmId)), fingerprint(cluster));
  const wrong = await unwrapWithRecoveryPassphrase(wrap, Buffer.from('incorrect horse battery staple'), farmId).catch((e: unknown) => e);
  t.match(wrong, { code: 'PassphraseWrong' });
  t.notMatch((wrong as Error).message, /horse/);
  t.match(await unwrapWithRecoveryPassphrase(wrap, passphrase, crypto.randomBytes(16)).catch((e: unknown) => e), { code: 'PassphraseWrong' },
    'a wrap copied from another farm does not open');
  const twice = await wrapUnderRecoveryPassphrase(cluster, passphrase, farmId);
  t.not(twice.toString('hex'), wrap.toString('hex'), 'each wrap has its own salt and nonce');
});

t.test('a doctored recovery wrap is refused before any key derivation', async (t) => {
  const wrap = await wrapUnderRecoveryPassphrase(newClusterKey(), passphrase, farmId);
  const headerLength = wrap.readUInt16BE(0);
  const header = JSON.parse(wrap.subarray(2, 2 + headerLength).toString('utf8'));
  const withHeader = (changed: object) => {
    const bytes = Buffer.from(JSON.stringify(changed), 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return Buffer.concat([length, bytes, wrap.subarray(2 + headerLength)]);
  };
  const cases: [string, Buffer][] = [
    ['4 GiB of memory asked for', withHeader({ ...header, kdf: { ...header.kdf, memlimit: 4 * 2 ** 30 } })],
    ['a thousand passes', withHeader({ ...header, kdf: { ...header.kdf, opslimit: 1000 } })],
    ['another format', withHeader({ ...header, format: 2 })],
    ['a short salt', withHeader({ ...header, kdf: { ...header.kdf, salt: 'AAAA' } })],
    ['a header length past the end', Buffer.concat([Buffer.from([0xff, 0xff]), wrap.subarray(2)])],
    ['a header that is not JSON', Buffer.concat([wrap.subarray(0, 2), Buffer.alloc(headerLength, 0x7b), wrap.subarray(2 + headerLength)])],
    ['one byte', Buffer.from([1])],
  ];
  // The module with its key derivation counted: a doctored header must be refused before Argon2id runs.
  let derivations = 0;
  const backupFile = await import('../src/vault/storage/backup-file.js');
  const counted = await t.mockImport<typeof import('../src/vault/storage/cluster-key.js')>('../src/vault/storage/cluster-key.js', {
    '../src/vault/storage/backup-file.js': { ...backupFile, backupKey: (...args: Parameters<typeof backupFile.backupKey>) => (derivations++, backupFile.backupKey(...args)) },
  });
  for (const [what, doctored] of cases) {
    const error = await counted.unwrapWithRecoveryPassphrase(doctored, passphrase, farmId).catch((e: unknown) => e);
    t.match(error, { message: /recovery wrap in the database is damaged/ }, what);
    t.equal(derivations, 0, `${what}: refused without a key derivation`);
  }
  await counted.unwrapWithRecoveryPassphrase(wrap, passphrase, farmId);
  t.equal(derivations, 1, 'the intact wrap is derived once (the count works)');
  const cutShort = wrap.subarray(0, wrap.length - 1);
  t.match(await unwrapWithRecoveryPassphrase(cutShort, passphrase, farmId).catch((e: unknown) => e), { code: 'PassphraseWrong' },
    'a sealed part cut short does not open');
});

t.test('the subkeys: one per use, the same on every host that holds the cluster key', async (t) => {
  const cluster = newClusterKey();
  const hostKey = SecretKey.generate();
  const elsewhere = unwrapForHost(wrapForHost(cluster, hostKey, farmId, farmId), hostKey, farmId, farmId)!;
  const here = deriveClusterKeys(cluster);
  const there = deriveClusterKeys(elsewhere);
  const prints = [here.recordKey, here.nameKey, here.auditKey].map(fingerprint);
  t.equal(new Set(prints).size, 3, 'three different keys');
  t.same([there.recordKey, there.nameKey, there.auditKey].map(fingerprint), prints, 'and the same ones from the same cluster key');
  t.not(fingerprint(cluster), prints[0]);
});
