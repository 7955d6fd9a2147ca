import sodium from 'sodium-native';
import { kdfLimitsInBounds, NONCE_BYTES, open, seal, SecretKey, TAG_BYTES, wipeableBytes } from '../crypto.js';
import { ApiError } from '../../shared/api-error.js';

/**
 * The backup file (docs/storage.md, "Backups"): every key of a vault, sealed with a key derived from
 * a passphrase, readable on any host.
 *
 *   prelude : head = "GWKB" version(1) headerLength(4) header(JSON), then check(sealed empty), then preludeHash(32)
 *   chunk*  : flags(1) length(4) sealed(JSON array of rows)
 *
 * `preludeHash` is BLAKE2b-256 of every byte before it: a changed byte of the header or the check
 * is damage (BackupInvalid) before any passphrase is tried. `check` opens only with the right key,
 * so its failure on an intact prelude is PassphraseWrong. Every sealed part is bound to the hash of
 * `head`, and a chunk also to its index and its flags, so chunks cannot be dropped, reordered or
 * moved to another backup; the last chunk has flag FINAL and nothing may follow it, so a file cut
 * short is refused.
 */
export const BACKUP_FORMAT = 1;
const MAGIC = 'GWKB';
const PRELUDE_FIXED_BYTES = 4 + 1 + 4;
const HASH_BYTES = 32;
const CHUNK_PREFIX_BYTES = 1 + 4;
const CHECK_BYTES = NONCE_BYTES + TAG_BYTES;
const FINAL = 1;
/** Far above any real header; a larger length is damage. */
const MAX_HEADER_BYTES = 16 * 1024;
/** A chunk of a thousand keys at every limit is about 5 MB. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/** Argon2id at libsodium's "moderate" cost (3 passes, 256 MiB): a backup file can be carried anywhere, so guessing must be dear. */
const BACKUP_KDF = { alg: 'argon2id13', opslimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE } as const;

export interface BackupKdf {
  alg: 'argon2id13';
  opslimit: number;
  memlimit: number;
  /** base64url */
  salt: string;
}

/** What a backup says of itself, in clear but authenticated. */
export interface BackupHeader {
  format: number;
  /** The store format (docs/storage.md, "Formats") of the rows in its chunks. */
  rowFormat: number;
  /** The id of the vault it was taken from (hex). */
  vaultId: string;
  keyCount: number;
  /** RFC 3339 UTC. */
  createdAt: string;
  /** Keys per chunk, the last chunk holding the rest. */
  chunkRows: number;
  kdf: BackupKdf;
}

export function backupInvalid(problem: string): ApiError {
  return new ApiError('BackupInvalid', `This is not an intact gateway-apikeys backup: ${problem}. Nothing was written.`);
}

/** The key a passphrase and a header's KDF parameters give, computed off the event loop (Argon2id takes a second and 256 MiB). */
export async function backupKey(passphrase: Uint8Array, kdf: BackupKdf): Promise<SecretKey> {
  const derived = wipeableBytes(32);
  await sodium.crypto_pwhash_async(derived, passphrase, Buffer.from(kdf.salt, 'base64url'), kdf.opslimit, kdf.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  return SecretKey.takeFrom(derived);
}

/** New KDF parameters: BACKUP_KDF with a fresh salt. */
export function newBackupKdf(): BackupKdf {
  const salt = Buffer.alloc(sodium.crypto_pwhash_SALTBYTES);
  sodium.randombytes_buf(salt);
  return { ...BACKUP_KDF, salt: salt.toString('base64url') };
}

function hashOf(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(HASH_BYTES);
  sodium.crypto_generichash(out, bytes);
  return out;
}

const checkData = (headerHash: Buffer) => Buffer.concat([headerHash, Buffer.from('check', 'ascii')]);

function chunkData(headerHash: Buffer, index: number, flags: number): Buffer {
  const ad = Buffer.alloc(HASH_BYTES + 5);
  headerHash.copy(ad);
  ad.writeUInt32BE(index, HASH_BYTES);
  ad.writeUInt8(flags, HASH_BYTES + 4);
  return ad;
}

/** Writes a backup: the prelude once, then its chunks in order. */
export class BackupWriter {
  private readonly headerHash: Buffer;
  readonly prelude: Buffer;

  constructor(private readonly key: SecretKey, header: BackupHeader) {
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const fixed = Buffer.alloc(PRELUDE_FIXED_BYTES);
    fixed.write(MAGIC, 0, 'ascii');
    fixed.writeUInt8(BACKUP_FORMAT, 4);
    fixed.writeUInt32BE(json.length, 5);
    const head = Buffer.concat([fixed, json]);
    this.headerHash = hashOf(head);
    const headAndCheck = Buffer.concat([head, seal(key, Buffer.alloc(0), checkData(this.headerHash))]);
    this.prelude = Buffer.concat([headAndCheck, hashOf(headAndCheck)]);
  }

  /** The `index`-th chunk (from 0) holding `rows` (JSON text), `final` for the last. */
  chunk(index: number, rows: Buffer, final: boolean): Buffer {
    const flags = final ? FINAL : 0;
    const sealed = seal(this.key, rows, chunkData(this.headerHash, index, flags));
    const prefix = Buffer.alloc(CHUNK_PREFIX_BYTES);
    prefix.writeUInt8(flags, 0);
    prefix.writeUInt32BE(sealed.length, 1);
    return Buffer.concat([prefix, sealed]);
  }
}

function isKdf(value: unknown): value is BackupKdf {
  const kdf = value as BackupKdf;
  return typeof kdf === 'object' && kdf !== null && kdf.alg === 'argon2id13' && typeof kdf.salt === 'string' &&
    Buffer.from(kdf.salt, 'base64url').length === sodium.crypto_pwhash_SALTBYTES &&
    kdfLimitsInBounds(kdf.opslimit, kdf.memlimit); // what a file may ask of the reader's machine (crypto.ts)
}

function isHeader(value: unknown): value is BackupHeader {
  const h = value as BackupHeader;
  return typeof h === 'object' && h !== null && h.format === BACKUP_FORMAT && Number.isInteger(h.rowFormat) &&
    typeof h.vaultId === 'string' && Number.isInteger(h.keyCount) && h.keyCount >= 0 && typeof h.createdAt === 'string' &&
    Number.isInteger(h.chunkRows) && h.chunkRows > 0 && isKdf(h.kdf);
}

/**
 * The header of a backup, checked whole (magic, version, hash) but not yet its passphrase: what a
 * file says it is. Throws BackupInvalid.
 */
export function readBackupHeader(bytes: Buffer): { header: BackupHeader; headerHash: Buffer; check: Buffer; preludeEnd: number } {
  if (bytes.length < PRELUDE_FIXED_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) throw backupInvalid('it does not start as one (damaged, or another kind of file)');
  const version = bytes.readUInt8(4);
  if (version !== BACKUP_FORMAT) throw backupInvalid(`its format version is ${version}; this gateway-apikeys reads version ${BACKUP_FORMAT}`);
  const length = bytes.readUInt32BE(5);
  const headEnd = PRELUDE_FIXED_BYTES + length;
  const checkEnd = headEnd + CHECK_BYTES;
  const preludeEnd = checkEnd + HASH_BYTES;
  if (length > MAX_HEADER_BYTES || preludeEnd > bytes.length) throw backupInvalid('its header is damaged or cut short');
  if (!hashOf(bytes.subarray(0, checkEnd)).equals(bytes.subarray(checkEnd, preludeEnd))) throw backupInvalid('its header was altered or damaged');
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', PRELUDE_FIXED_BYTES, headEnd));
  } catch {
    header = undefined;
  }
  if (!isHeader(header)) throw backupInvalid('its header does not describe a backup this version can read');
  return { header, headerHash: hashOf(bytes.subarray(0, headEnd)), check: bytes.subarray(headEnd, checkEnd), preludeEnd };
}

/**
 * Every chunk's rows (JSON text) of a whole backup file, in order, once its passphrase is proved:
 * PassphraseWrong when `check` does not open on an intact header, BackupInvalid for any damage,
 * truncation or trailing bytes. `onChunk` is told of each chunk read (progress).
 */
export function readBackupChunks(bytes: Buffer, key: SecretKey, onChunk?: (index: number) => void): Buffer[] {
  const { headerHash, check, preludeEnd } = readBackupHeader(bytes);
  if (!open(key, check, checkData(headerHash))) {
    throw new ApiError('PassphraseWrong', 'The passphrase is not the one this backup was made with. Nothing was written.');
  }
  const chunks: Buffer[] = [];
  let offset = preludeEnd;
  for (let index = 0; ; index++) {
    if (offset + CHUNK_PREFIX_BYTES > bytes.length) throw backupInvalid(`it ends before its last chunk (after ${index} chunks): it was cut short`);
    const flags = bytes.readUInt8(offset);
    const length = bytes.readUInt32BE(offset + 1);
    const end = offset + CHUNK_PREFIX_BYTES + length;
    if (length > MAX_CHUNK_BYTES || end > bytes.length) throw backupInvalid(`chunk ${index} is damaged or cut short`);
    const rows = open(key, bytes.subarray(offset + CHUNK_PREFIX_BYTES, end), chunkData(headerHash, index, flags));
    if (!rows) throw backupInvalid(`chunk ${index} was altered or damaged`);
    chunks.push(rows);
    onChunk?.(index);
    offset = end;
    if (flags === FINAL) break;
  }
  if (offset !== bytes.length) throw backupInvalid('bytes follow its last chunk');
  return chunks;
}
