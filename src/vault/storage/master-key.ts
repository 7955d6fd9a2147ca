import path from 'node:path';
import sodium from 'sodium-native';
import { randomBytes } from '../../shared/random.js';
import { kdfLimitsInBounds, keyedHash, NONCE_BYTES, open, seal, SecretKey, TAG_BYTES, wipeableBytes } from '../crypto.js';
import type { Log } from '../../shared/log.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, VAULT_ID_BYTES } from './file-format.js';
import { replaceFileAtomically, type StoreFileSystem } from '../../shared/file-system.js';
import { StoreIntegrityError } from './integrity-error.js';

/**
 * master.key: the vault's id and its 32-byte master key, either as a key file (protected by the
 * data dir's permissions) or sealed with a passphrase through Argon2id.
 *
 *   GWKM version(1) kind(1) vaultId(16) then
 *     kind 0 (key file):   key(32) check(16)            check = BLAKE2b-128 keyed by the key over the bytes before
 *     kind 1 (passphrase): opslimit(4) memlimit(4) salt(16) sealed(key)   associated data = the bytes before
 */
const MAGIC = 'GWKM';
const VERSION = 1;
const PREFIX_BYTES = 4 + 1 + 1 + VAULT_ID_BYTES;
const CHECK_BYTES = 16;
/** kind 1 after the prefix: opslimit(4) memlimit(4) salt(16) */
const KDF_BYTES = 8 + sodium.crypto_pwhash_SALTBYTES;
const SEALED_KEY_BYTES = NONCE_BYTES + 32 + TAG_BYTES;

/**
 * Argon2id at libsodium's "moderate" cost (3 passes, 256 MiB, about a second), as backups: master.key
 * is copied with every backup of the data dir, so each guess at its passphrase must be dear. Paid
 * once per start. Files sealed at the older "interactive" cost (2 passes, 64 MiB) open at the cost
 * they name (docs/storage.md, "Passphrase").
 */
const MASTER_KDF = { opslimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE } as const;

/** A new vault passphrase has at least this many characters (docs/security.md, "The master key"). */
export const MIN_VAULT_PASSPHRASE_CHARACTERS = 12;

/**
 * Refuses a passphrase too short to seal a vault with, before anything is written. Characters are
 * Unicode code points, counted on the UTF-8 bytes (every byte that does not continue a sequence
 * starts one), so the secret is never copied into a JavaScript string. Only new seals are checked:
 * a vault sealed with a shorter passphrase before this rule still opens.
 */
export function checkNewVaultPassphrase(passphrase: Uint8Array): void {
  let characters = 0;
  for (const byte of passphrase) if ((byte & 0xc0) !== 0x80) characters++;
  if (characters < MIN_VAULT_PASSPHRASE_CHARACTERS) {
    throw new WeakPassphraseError(characters);
  }
}

/** A new vault passphrase under MIN_VAULT_PASSPHRASE_CHARACTERS: nothing was written. */
export class WeakPassphraseError extends Error {
  constructor(characters: number) {
    super(`The new vault passphrase has ${characters} characters; a vault passphrase needs at least ${MIN_VAULT_PASSPHRASE_CHARACTERS}. ` +
      'Nothing was written. Choose a longer one (a few unrelated words make a good one).');
    this.name = 'WeakPassphraseError';
  }
}

export interface MasterKey {
  vaultId: Buffer;
  key: SecretKey;
}

function prefix(kind: number, vaultId: Buffer): Buffer {
  const bytes = Buffer.alloc(PREFIX_BYTES);
  bytes.write(MAGIC, 0, 'ascii');
  bytes.writeUInt8(VERSION, 4);
  bytes.writeUInt8(kind, 5);
  vaultId.copy(bytes, 6);
  return bytes;
}

/** Argon2id at the cost given: the caller has checked it against the bounds (kdfLimitsInBounds). */
function passphraseKey(passphrase: Uint8Array, salt: Buffer, opslimit: number, memlimit: number): SecretKey {
  const derived = wipeableBytes(32);
  sodium.crypto_pwhash(derived, passphrase, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  return SecretKey.takeFrom(derived);
}

/**
 * The bytes of a master key file for `raw`, sealed with `passphrase` when one is given. A key file's
 * bytes hold the key in clear: the caller wipes them once they are written. `raw` is left as it is.
 */
function encodeMasterKeyFile(vaultId: Buffer, raw: Buffer, passphrase?: Uint8Array): Buffer {
  if (passphrase) {
    checkNewVaultPassphrase(passphrase);
    const params = Buffer.alloc(KDF_BYTES);
    const { opslimit, memlimit } = MASTER_KDF;
    params.writeUInt32BE(opslimit, 0);
    params.writeUInt32BE(memlimit, 4);
    sodium.randombytes_buf(params.subarray(8));
    const head = Buffer.concat([prefix(1, vaultId), params]);
    const wrapping = passphraseKey(passphrase, params.subarray(8), opslimit, memlimit);
    const file = Buffer.concat([head, seal(wrapping, raw, head)]);
    wrapping.dispose();
    return file;
  }
  const head = Buffer.concat([prefix(0, vaultId), raw]);
  const check = SecretKey.copyOf(raw);
  const file = Buffer.concat([head, keyedHash(check, head, CHECK_BYTES)]);
  check.dispose();
  sodium.sodium_memzero(head); // the key in clear: only `file` may hold it now, until it is written
  return file;
}

/**
 * A new vault's master key file, sealed with `passphrase` when one is given. A key file's bytes hold
 * the key in clear: the caller wipes `file` once it is written.
 */
function createMasterKeyFile(passphrase?: Uint8Array): { file: Buffer; master: MasterKey } {
  const vaultId = randomBytes(VAULT_ID_BYTES);
  const raw = wipeableBytes(32);
  sodium.randombytes_buf(raw);
  const file = encodeMasterKeyFile(vaultId, raw, passphrase);
  return { file, master: { vaultId, key: SecretKey.takeFrom(raw) } };
}

/**
 * A new master key for the vault `vaultId` (a rotation: docs/storage.md, "Rotating the master
 * key"), sealed with `passphrase` when one is given. The caller wipes `file` once it is written.
 */
export function newMasterKeyFile(vaultId: Buffer, passphrase?: Uint8Array): { file: Buffer; master: MasterKey } {
  const raw = wipeableBytes(32);
  sodium.randombytes_buf(raw);
  const file = encodeMasterKeyFile(vaultId, raw, passphrase);
  return { file, master: { vaultId: Buffer.from(vaultId), key: SecretKey.takeFrom(raw) } };
}

/**
 * The vault id and the raw master key in `bytes` (the content of `fileName`), or a clear refusal; a
 * wrong passphrase is code PassphraseWrong. The caller wipes `raw`; a key file's `bytes` are wiped here.
 */
function decodeMasterKeyFile(bytes: Buffer, fileName: string, passphrase?: Uint8Array): { vaultId: Buffer; raw: Buffer } {
  if (bytes.length < PREFIX_BYTES || bytes.toString('ascii', 0, 4) !== MAGIC || bytes.readUInt8(4) !== VERSION) {
    throw new StoreIntegrityError(fileName, 'is not a gateway-apikeys master key file');
  }
  const kind = bytes.readUInt8(5);
  const vaultId = Buffer.from(bytes.subarray(6, PREFIX_BYTES));
  if (kind === 0) {
    if (bytes.length !== PREFIX_BYTES + 32 + CHECK_BYTES) throw new StoreIntegrityError(fileName, 'has the wrong length (damaged)');
    const head = bytes.subarray(0, PREFIX_BYTES + 32);
    const raw = wipeableBytes(32);
    bytes.copy(raw, 0, PREFIX_BYTES, PREFIX_BYTES + 32);
    const check = SecretKey.copyOf(raw);
    const intact = keyedHash(check, head, CHECK_BYTES).equals(bytes.subarray(PREFIX_BYTES + 32));
    check.dispose();
    sodium.sodium_memzero(bytes);
    if (!intact) {
      sodium.sodium_memzero(raw);
      throw new StoreIntegrityError(fileName, 'fails its check: it was altered or damaged');
    }
    return { vaultId, raw };
  }
  if (kind === 1) {
    if (!passphrase) {
      throw new StoreIntegrityError(fileName, 'is sealed with a passphrase and none was given',
        'Give it with GATEWAY_APIKEYS_PASSPHRASE or --passphrase-file.');
    }
    // The file names its own Argon2id cost: checked before any of it is spent, so a doctored file
    // cannot make the daemon allocate gigabytes (docs/storage.md, "Passphrase").
    if (bytes.length !== PREFIX_BYTES + KDF_BYTES + SEALED_KEY_BYTES) throw new StoreIntegrityError(fileName, 'has the wrong length (damaged)');
    const opslimit = bytes.readUInt32BE(PREFIX_BYTES);
    const memlimit = bytes.readUInt32BE(PREFIX_BYTES + 4);
    if (!kdfLimitsInBounds(opslimit, memlimit)) {
      throw new StoreIntegrityError(fileName, `asks for an Argon2id cost out of bounds (${opslimit} passes, ${memlimit} bytes of memory; at most 10 passes and 1 GiB): it was altered or damaged`);
    }
    const head = bytes.subarray(0, PREFIX_BYTES + KDF_BYTES);
    const wrapping = passphraseKey(passphrase, bytes.subarray(PREFIX_BYTES + 8, PREFIX_BYTES + KDF_BYTES), opslimit, memlimit);
    const raw = open(wrapping, bytes.subarray(head.length), head);
    wrapping.dispose();
    if (!raw || raw.length !== 32) {
      throw new StoreIntegrityError(fileName, 'cannot be opened with this passphrase (wrong passphrase, or the file was altered)',
        'Nothing was changed. Give the passphrase the vault was created with.', 'PassphraseWrong');
    }
    return { vaultId, raw };
  }
  throw new StoreIntegrityError(fileName, `has an unknown kind ${kind}`);
}

/** The master key in `bytes` (the content of `fileName`), or a clear refusal. */
export function readMasterKeyFile(bytes: Buffer, fileName: string, passphrase?: Uint8Array): MasterKey {
  const { vaultId, raw } = decodeMasterKeyFile(bytes, fileName, passphrase);
  return { vaultId, key: SecretKey.takeFrom(raw) };
}

/** Whether `bytes` are a master key file sealed with a passphrase (as opposed to a key file). */
export function isSealedMasterKeyFile(bytes: Buffer): boolean {
  return bytes.length > PREFIX_BYTES && bytes.readUInt8(5) === 1;
}

/**
 * The same master key in a new wrapping: sealed with `next` (a passphrase), or a key file when
 * `next` is undefined. The vault id and the key stay, so every store file stays readable.
 */
export function rewrapMasterKeyFile(bytes: Buffer, fileName: string, current: Uint8Array | undefined, next: Uint8Array | undefined): Buffer {
  const { vaultId, raw } = decodeMasterKeyFile(bytes, fileName, current);
  try {
    return encodeMasterKeyFile(vaultId, raw, next);
  } finally {
    sodium.sodium_memzero(raw);
  }
}

export const MASTER_KEY_FILE = 'master.key';

/** The vault id a master key file names, read without its key (a restore checks what it left, src/vault/backup.ts); undefined when it is no such file. */
export function masterKeyFileVaultId(bytes: Buffer): Buffer | undefined {
  if (bytes.length <= PREFIX_BYTES || bytes.toString('ascii', 0, 4) !== MAGIC) return undefined;
  return bytes.subarray(6, PREFIX_BYTES);
}

/**
 * The master key of the vault in `dataDir`: read from master.key, or made (and written) for a new
 * vault. A missing master.key beside store files is refused: those files cannot be read without it.
 */
export async function loadOrCreateMasterKey(fs: StoreFileSystem, dataDir: string, passphrase: Uint8Array | undefined, log: Log): Promise<MasterKey> {
  const file = path.join(dataDir, MASTER_KEY_FILE);
  const bytes = await fs.readFile(file);
  if (bytes) return readMasterKeyFile(bytes, MASTER_KEY_FILE, passphrase);
  for (const storeFile of [SNAPSHOT_FILE, JOURNAL_FILE]) {
    if (await fs.readFile(path.join(dataDir, storeFile))) {
      throw new StoreIntegrityError(MASTER_KEY_FILE, `is missing, and ${storeFile} cannot be decrypted without it`,
        'Nothing was changed. Put back master.key from the backup of this data directory.');
    }
  }
  const created = createMasterKeyFile(passphrase);
  try {
    await replaceFileAtomically(fs, file, created.file);
  } finally {
    sodium.sodium_memzero(created.file); // no copy of the raw key stays in ordinary memory
  }
  log.info('Created the master key of a new vault', { event: 'vault.created', sealedWithPassphrase: passphrase !== undefined });
  return created.master;
}

/**
 * audit.key: the audit key of a vault whose master key was rotated, sealed with a subkey of the
 * current master key (docs/storage.md, "Rotating the master key"). A vault never rotated has none:
 * its audit key is derived from its master key.
 *
 *   "GWKA" version(1) sealed(auditKey), associated data = "GWKA" version vaultId
 */
export const AUDIT_KEY_FILE = 'audit.key';
const AUDIT_KEY_MAGIC = 'GWKA';

function auditKeyData(vaultId: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(AUDIT_KEY_MAGIC, 0, 'ascii');
  head.writeUInt8(VERSION, 4);
  return Buffer.concat([head, vaultId]);
}

/** The content of audit.key: `auditKey` sealed with `wrapKey` (a vault's auditWrapKey) for the vault `vaultId`. */
export function encodeAuditKeyFile(wrapKey: SecretKey, vaultId: Buffer, auditKey: SecretKey): Buffer {
  const ad = auditKeyData(vaultId);
  return Buffer.concat([ad.subarray(0, 5), auditKey.use((raw) => seal(wrapKey, raw, ad))]);
}

/** The audit key in audit.key's `bytes`, or a refusal naming the file: it was altered, or belongs to another master key. */
export function decodeAuditKeyFile(wrapKey: SecretKey, vaultId: Buffer, bytes: Buffer): SecretKey {
  const ad = auditKeyData(vaultId);
  const raw = bytes.length === 5 + SEALED_KEY_BYTES && bytes.subarray(0, 5).equals(ad.subarray(0, 5)) ? open(wrapKey, bytes.subarray(5), ad) : null;
  if (!raw || raw.length !== 32) throw new StoreIntegrityError(AUDIT_KEY_FILE, 'fails its check: it was altered, or it belongs to another master.key');
  const key = SecretKey.copyOf(raw);
  sodium.sodium_memzero(raw);
  return key;
}

/**
 * The subkeys of a vault: one for the lookup index of key values, one for the store files, one for
 * the audit trail's chain, and one that seals audit.key. The master key only derives them, then
 * leaves memory. `auditKey` is the one a vault never rotated uses; a rotated vault's is in
 * audit.key (decodeAuditKeyFile with `auditWrapKey`), so that its trail keeps verifying.
 */
export function deriveVaultKeys(master: MasterKey): { lookupKey: SecretKey; storeKey: SecretKey; auditKey: SecretKey; auditWrapKey: SecretKey; farmHostKey: SecretKey } {
  const lookupKey = master.key.derive(1, 'gwlookup');
  const storeKey = master.key.derive(2, 'gwstore_');
  const auditKey = master.key.derive(3, 'gwaudit_');
  const auditWrapKey = master.key.derive(4, 'gwauditw');
  // Wraps a farm's cluster key for this host (docs/farm.md, "The cluster key"): farm.json holds that wrap.
  const farmHostKey = master.key.derive(5, 'gwfarmhk');
  master.key.dispose();
  return { lookupKey, storeKey, auditKey, auditWrapKey, farmHostKey };
}
