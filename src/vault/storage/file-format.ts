import { crc32 } from 'node:zlib';
import { NONCE_BYTES, open, seal, type SecretKey, TAG_BYTES } from '../crypto.js';
import { StoreIntegrityError } from './integrity-error.js';

/**
 * Layout of the snapshot and journal files. Both start with the same header, which binds them to
 * one vault and one generation; it is the associated data of everything sealed in the file, so a
 * file from another vault or another generation fails authentication.
 *
 *   header   : magic(4) version(1) vaultId(16) generation(8, big-endian)
 *   snapshot : header ‖ sealed(auditRef ‖ keys): binary keys from format 5 (key-snapshot.ts), a JSON array of rows before
 *   journal  : header ‖ sealed(empty) ‖ record*
 *   record   : length(4) ‖ lengthCheck(4) ‖ sealed(auditRef ‖ JSON mutation), associated data header ‖ seq(8)
 *   auditRef : seq(8, big-endian) ‖ hash(32): the audit trail's last entry when the file or record was written (format 4)
 *
 * `lengthCheck` (CRC32 of the length) lets a reader tell a torn or zeroed tail from a length that
 * was altered in the middle of the file. The auditRef anchors the audit trail in the store
 * (docs/storage.md, "Anchors").
 */
// 2: snapshot records as rows (see mutations.ts). 3: rows and puts carry enabled, the rotation and
// the previous value, snapshot rows the uses per connector, `used` records those that changed.
// 4: the snapshot and each record carry an auditRef; a store of format 4 is anchored (anchor.ts).
// 5: the snapshot's keys in binary (key-snapshot.ts), read straight into the key table; the journal
// is as in format 4. Files of formats 2 to 4 are still read; the compaction at start rewrites them as format 5.
/** The store's two files in the data dir (docs/storage.md): the compacted snapshot and the journal of changes since. */
export const SNAPSHOT_FILE = 'keys.snapshot';
export const JOURNAL_FILE = 'keys.journal';

export const FORMAT_VERSION = 5;
/** The first format whose snapshot and records carry an auditRef: a store of this format is anchored. */
export const ANCHORED_FORMAT = 4;
/**
 * The format of the rows and mutations themselves: format 4 changed only what frames them, and
 * format 5 only the snapshot, so backups (JSON rows) still name 3, and a daemon of format 3 reads them.
 */
export const ROW_FORMAT = 3;
const READABLE_VERSIONS: readonly number[] = [2, 3, 4, 5];
export const VAULT_ID_BYTES = 16;
const HEADER_BYTES = 4 + 1 + VAULT_ID_BYTES + 8;
const SEALED_EMPTY_BYTES = NONCE_BYTES + TAG_BYTES;
export const JOURNAL_HEADER_BYTES = HEADER_BYTES + SEALED_EMPTY_BYTES;
const RECORD_PREFIX_BYTES = 8;
/** No mutation the vault writes comes near this; a larger length is damage. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const LENGTH_CHECK_SALT = 0x4a524e4c;

/** The audit trail's last entry as the store knows it (docs/storage.md, "Anchors"): seq 0 is none, with a zero hash. */
export interface AuditRef {
  seq: number;
  /** The entry's hash, its 32 bytes (the trail writes them in base64url). */
  hash: Buffer;
}
export const AUDIT_HASH_BYTES = 32;
const AUDIT_REF_BYTES = 8 + AUDIT_HASH_BYTES;
/** Before the first entry. */
export const NO_AUDIT_ENTRY: AuditRef = { seq: 0, hash: Buffer.alloc(AUDIT_HASH_BYTES) };

function encodeAuditRef(ref: AuditRef): Buffer {
  const bytes = Buffer.alloc(AUDIT_REF_BYTES);
  bytes.writeBigUInt64BE(BigInt(ref.seq), 0);
  ref.hash.copy(bytes, 8);
  return bytes;
}

function decodeAuditRef(bytes: Buffer): AuditRef {
  return { seq: Number(bytes.readBigUInt64BE(0)), hash: Buffer.from(bytes.subarray(8, AUDIT_REF_BYTES)) };
}

type StoreFileKind = 'snapshot' | 'journal';
const MAGIC: Record<StoreFileKind, string> = { snapshot: 'GWKS', journal: 'GWKJ' };

export interface FileHeader {
  vaultId: Buffer;
  generation: number;
}

/** A header as read: with the format version its file was written in (written headers are always FORMAT_VERSION). */
interface ReadHeader extends FileHeader {
  version: number;
}

function encodeHeader(kind: StoreFileKind, header: FileHeader): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write(MAGIC[kind], 0, 'ascii');
  bytes.writeUInt8(FORMAT_VERSION, 4);
  header.vaultId.copy(bytes, 5);
  bytes.writeBigUInt64BE(BigInt(header.generation), 21);
  return bytes;
}

/** The vault id in the header of a snapshot or journal, read without a key; undefined when `bytes` do not start as one. */
export function storeFileVaultId(bytes: Buffer): Buffer | undefined {
  const magic = bytes.toString('ascii', 0, 4);
  if (bytes.length < HEADER_BYTES || (magic !== MAGIC.snapshot && magic !== MAGIC.journal)) return undefined;
  return bytes.subarray(5, 5 + VAULT_ID_BYTES);
}

/** The header of a store file, checked to belong to this vault (not yet authenticated). */
function decodeHeader(kind: StoreFileKind, bytes: Buffer, file: string, vaultId: Buffer): ReadHeader {
  if (bytes.length < HEADER_BYTES || bytes.toString('ascii', 0, 4) !== MAGIC[kind]) {
    throw new StoreIntegrityError(file, `is not a gateway-apikeys ${kind} file (damaged or truncated)`);
  }
  const version = bytes.readUInt8(4);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new StoreIntegrityError(file, `has format version ${version}; this daemon reads versions ${READABLE_VERSIONS.join(' and ')}`,
      'Nothing was changed. Run the gateway-apikeys version that wrote it.');
  }
  const header = { vaultId: Buffer.from(bytes.subarray(5, 21)), generation: Number(bytes.readBigUInt64BE(21)), version };
  if (!header.vaultId.equals(vaultId)) {
    throw new StoreIntegrityError(file, 'belongs to another vault than master.key');
  }
  return header;
}

const notAuthentic = 'fails authentication: it was altered or damaged, or master.key is not the key it was written with';

/** What a sealed snapshot or record ends with: its tag, which identifies it (anchor.ts, StoreState.tag). */
export const tagOf = (sealed: Buffer): Buffer => Buffer.from(sealed.subarray(sealed.length - TAG_BYTES));

/** A snapshot or record's plaintext as read: the auditRef of format 4 split off. */
interface Opened {
  payload: Buffer;
  /** Undefined before format 4. */
  auditRef?: AuditRef;
}

function split(plaintext: Buffer, version: number, file: string): Opened {
  if (version < ANCHORED_FORMAT) return { payload: plaintext };
  if (plaintext.length < AUDIT_REF_BYTES) throw new StoreIntegrityError(file, 'holds a record too short for its format');
  return { auditRef: decodeAuditRef(plaintext.subarray(0, AUDIT_REF_BYTES)), payload: plaintext.subarray(AUDIT_REF_BYTES) };
}

export function encodeSnapshot(key: SecretKey, header: FileHeader, auditRef: AuditRef, payload: Buffer): Buffer {
  const head = encodeHeader('snapshot', header);
  return Buffer.concat([head, seal(key, Buffer.concat([encodeAuditRef(auditRef), payload]), head)]);
}

export function decodeSnapshot(key: SecretKey, bytes: Buffer, file: string, vaultId: Buffer): { header: ReadHeader; tag: Buffer } & Opened {
  const header = decodeHeader('snapshot', bytes, file, vaultId);
  const tag = tagOf(bytes);
  // In place: a snapshot of many keys is megabytes, and its ciphertext is not needed again.
  const plaintext = open(key, bytes.subarray(HEADER_BYTES), bytes.subarray(0, HEADER_BYTES), true);
  if (!plaintext) throw new StoreIntegrityError(file, notAuthentic);
  return { header, tag, ...split(plaintext, header.version, file) };
}

export function encodeJournalHeader(key: SecretKey, header: FileHeader): Buffer {
  const head = encodeHeader('journal', header);
  return Buffer.concat([head, seal(key, Buffer.alloc(0), head)]);
}

function recordAssociatedData(journalHeader: Buffer, seq: number): Buffer {
  const ad = Buffer.alloc(HEADER_BYTES + 8);
  journalHeader.copy(ad, 0, 0, HEADER_BYTES);
  ad.writeBigUInt64BE(BigInt(seq), HEADER_BYTES);
  return ad;
}

function lengthCheck(length: number): number {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length);
  return (crc32(bytes) ^ LENGTH_CHECK_SALT) >>> 0;
}

/** One journal record: the `seq`-th of the journal whose header is `journalHeader`. */
export function encodeJournalRecord(key: SecretKey, journalHeader: Buffer, seq: number, auditRef: AuditRef, payload: Buffer): Buffer {
  const sealed = seal(key, Buffer.concat([encodeAuditRef(auditRef), payload]), recordAssociatedData(journalHeader, seq));
  const prefix = Buffer.alloc(RECORD_PREFIX_BYTES);
  prefix.writeUInt32BE(sealed.length, 0);
  prefix.writeUInt32BE(lengthCheck(sealed.length), 4);
  return Buffer.concat([prefix, sealed]);
}

interface DecodedJournal {
  header: ReadHeader;
  payloads: Buffer[];
  /** Per record: its auditRef (format 4) and its tag. */
  auditRefs: (AuditRef | undefined)[];
  tags: Buffer[];
  /** Where the authentic records end: a torn tail starts here. */
  validLength: number;
  /** Why the bytes after validLength were dropped, if any were. */
  tornTail?: string;
}

/** A record prefix that looks intact at `offset`: a checked length that fits the file. */
function plausibleRecordAt(bytes: Buffer, offset: number): boolean {
  if (offset + RECORD_PREFIX_BYTES > bytes.length) return false;
  const length = bytes.readUInt32BE(offset);
  return length >= SEALED_EMPTY_BYTES && length <= MAX_RECORD_BYTES &&
    bytes.readUInt32BE(offset + 4) === lengthCheck(length) && offset + RECORD_PREFIX_BYTES + length <= bytes.length;
}

/**
 * The journal's records. A final record that is incomplete or fails authentication is a torn
 * tail from a crash: reported, not an error. Anything else that fails is damage or tampering.
 */
export function decodeJournal(key: SecretKey, bytes: Buffer, file: string, vaultId: Buffer): DecodedJournal {
  const header = decodeHeader('journal', bytes, file, vaultId);
  const head = bytes.subarray(0, HEADER_BYTES);
  if (bytes.length < JOURNAL_HEADER_BYTES || !open(key, bytes.subarray(HEADER_BYTES, JOURNAL_HEADER_BYTES), head)) {
    throw new StoreIntegrityError(file, notAuthentic);
  }
  const payloads: Buffer[] = [];
  const auditRefs: (AuditRef | undefined)[] = [];
  const tags: Buffer[] = [];
  let offset = JOURNAL_HEADER_BYTES;
  const torn = (reason: string): DecodedJournal => ({ header, payloads, auditRefs, tags, validLength: offset, tornTail: reason });
  while (offset < bytes.length) {
    const seq = payloads.length;
    if (offset + RECORD_PREFIX_BYTES > bytes.length) return torn('an incomplete record header');
    const length = bytes.readUInt32BE(offset);
    if (bytes.readUInt32BE(offset + 4) !== lengthCheck(length) || length < SEALED_EMPTY_BYTES || length > MAX_RECORD_BYTES) {
      // A crash leaves nothing intact after the torn record; an intact record further on means damage here.
      for (let later = offset + 1; later < bytes.length; later++) {
        if (plausibleRecordAt(bytes, later)) throw new StoreIntegrityError(file, `has a damaged record ${seq} at byte ${offset}`);
      }
      return torn('a damaged final record header');
    }
    const end = offset + RECORD_PREFIX_BYTES + length;
    if (end > bytes.length) return torn('an incomplete final record');
    const sealed = bytes.subarray(offset + RECORD_PREFIX_BYTES, end);
    const plaintext = open(key, sealed, recordAssociatedData(head, seq));
    if (!plaintext) {
      if (end === bytes.length) return torn('a final record that fails authentication');
      throw new StoreIntegrityError(file, `record ${seq} at byte ${offset} ${notAuthentic}`);
    }
    const { payload, auditRef } = split(plaintext, header.version, file);
    payloads.push(payload);
    auditRefs.push(auditRef);
    tags.push(tagOf(sealed));
    offset = end;
  }
  return { header, payloads, auditRefs, tags, validLength: offset };
}
