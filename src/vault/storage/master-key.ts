import path from 'node:path';
import sodium from 'sodium-native';
import { keyedHash, open, randomBytes, seal, SecretKey, wipeableBytes } from '../crypto.js';
import type { Log } from '../log.js';
import { VAULT_ID_BYTES } from './file-format.js';
import { replaceFileAtomically, type StoreFileSystem } from './file-system.js';
import { StoreIntegrityError } from './integrity-error.js';
import { JOURNAL_FILE, SNAPSHOT_FILE } from './store.js';

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

/** Argon2id at libsodium's "interactive" cost: about 64 MiB and a fraction of a second, paid once per start. */
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
    const params = Buffer.alloc(8 + sodium.crypto_pwhash_SALTBYTES);
    const opslimit = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
    const memlimit = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
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
    const head = bytes.subarray(0, PREFIX_BYTES + 8 + 16);
    const wrapping = passphraseKey(passphrase, bytes.subarray(PREFIX_BYTES + 8, PREFIX_BYTES + 24),
      bytes.readUInt32BE(PREFIX_BYTES), bytes.readUInt32BE(PREFIX_BYTES + 4));
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
 * The subkeys of a vault: one for the lookup index of key values, one for the store files, one for
 * the audit trail's chain. The master key only derives them, then leaves memory.
 */
export function deriveVaultKeys(master: MasterKey): { lookupKey: SecretKey; storeKey: SecretKey; auditKey: SecretKey } {
  const lookupKey = master.key.derive(1, 'gwlookup');
  const storeKey = master.key.derive(2, 'gwstore_');
  const auditKey = master.key.derive(3, 'gwaudit_');
  master.key.dispose();
  return { lookupKey, storeKey, auditKey };
}
