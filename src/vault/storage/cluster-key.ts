import sodium from 'sodium-native';
import { ApiError } from '../../shared/api-error.js';
import { kdfLimitsInBounds, open, seal, SecretKey } from '../crypto.js';
import { type BackupKdf, backupKey, newBackupKdf } from './backup-file.js';

/**
 * A farm's cluster data key (docs/farm.md, "The cluster key"): one random key that every host of the
 * farm holds, under which the key records in the database are sealed. The database keeps it only
 * wrapped: once per host, under a key of that host's own vault (so a host restarts without asking
 * anyone), and once under the recovery passphrase (Argon2id, at a backup's cost), with which a new
 * host joins and an admin recovers the farm when every host is lost. Each wrap is bound to the
 * farm's id, and a host's to the host's id, so a wrap copied to another row opens nowhere.
 */

const HOST_WRAP = Buffer.from('gwk-farm-host-wrap', 'ascii');
const RECOVERY_WRAP = Buffer.from('gwk-farm-recovery', 'ascii');
const RECOVERY_FORMAT = 1;
/** Far above any real header: a longer one is damage, refused before anything is allocated for it. */
const MAX_RECOVERY_HEADER_BYTES = 1024;

/** The subkeys of a cluster key, each for one use (the cluster key itself seals nothing). */
export interface ClusterKeys {
  /** Seals each key record in the database, bound to its id and version. */
  recordKey: SecretKey;
  /** Keyed hash of a folded name: the database keeps names unique without knowing them. */
  nameKey: SecretKey;
  /** Seals the farm's audit entries and keys their hash chain. */
  auditKey: SecretKey;
}

export function newClusterKey(): SecretKey {
  return SecretKey.generate();
}

export function deriveClusterKeys(clusterKey: SecretKey): ClusterKeys {
  return {
    recordKey: clusterKey.derive(1, 'gwfarmrc'),
    nameKey: clusterKey.derive(2, 'gwfarmnm'),
    // Subkey 3 is not used: lookup tags stay each host's own, under its master key (docs/farm.md, "The cluster key").
    auditKey: clusterKey.derive(4, 'gwfarmau'),
  };
}

const hostData = (farmId: Buffer, hostId: Buffer) => Buffer.concat([HOST_WRAP, farmId, hostId]);

/** The cluster key sealed for one host, under `hostKey`, a key of that host's vault. */
export function wrapForHost(clusterKey: SecretKey, hostKey: SecretKey, farmId: Buffer, hostId: Buffer): Buffer {
  return clusterKey.use((raw) => seal(hostKey, raw, hostData(farmId, hostId)));
}

/** The cluster key from this host's wrap; undefined when it does not open (another host's wrap, another farm's, or altered). */
export function unwrapForHost(wrap: Buffer, hostKey: SecretKey, farmId: Buffer, hostId: Buffer): SecretKey | undefined {
  const raw = open(hostKey, wrap, hostData(farmId, hostId));
  return raw ? SecretKey.takeFrom(raw) : undefined;
}

/**
 * The cluster key sealed under the recovery passphrase:
 *   headerLength(2) header(JSON: format, kdf) sealed(cluster key)
 * The header is bound to the sealed part, so its KDF parameters cannot be changed either.
 */
export async function wrapUnderRecoveryPassphrase(clusterKey: SecretKey, passphrase: Uint8Array, farmId: Buffer): Promise<Buffer> {
  const kdf = newBackupKdf();
  const header = Buffer.from(JSON.stringify({ format: RECOVERY_FORMAT, kdf }), 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(header.length);
  const key = await backupKey(passphrase, kdf);
  try {
    return Buffer.concat([length, header, clusterKey.use((raw) => seal(key, raw, recoveryData(farmId, header)))]);
  } finally {
    key.dispose();
  }
}

/**
 * The cluster key from its recovery wrap: PassphraseWrong for another passphrase, and a clear error
 * for a wrap that is damaged or asks more of this host than a real one would (a doctored row).
 */
export async function unwrapWithRecoveryPassphrase(wrap: Buffer, passphrase: Uint8Array, farmId: Buffer): Promise<SecretKey> {
  const header = readRecoveryHeader(wrap);
  const key = await backupKey(passphrase, header.kdf);
  try {
    const raw = open(key, wrap.subarray(2 + header.bytes.length), recoveryData(farmId, header.bytes));
    if (!raw) throw new ApiError('PassphraseWrong', 'The recovery passphrase is not the one this farm was made with. Nothing was changed.');
    return SecretKey.takeFrom(raw);
  } finally {
    key.dispose();
  }
}

const recoveryData = (farmId: Buffer, header: Buffer) => Buffer.concat([RECOVERY_WRAP, farmId, header]);

function readRecoveryHeader(wrap: Buffer): { bytes: Buffer; kdf: BackupKdf } {
  const damaged = (problem: string) => new Error(`The farm's recovery wrap in the database is damaged: ${problem}. Nothing was changed.`);
  if (wrap.length < 2) throw damaged('it is cut short');
  const length = wrap.readUInt16BE(0);
  if (length > MAX_RECOVERY_HEADER_BYTES || wrap.length < 2 + length) throw damaged('its header length is wrong');
  const bytes = wrap.subarray(2, 2 + length);
  let header: { format?: unknown; kdf?: Partial<BackupKdf> };
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw damaged('its header is not JSON');
  }
  const kdf = header.kdf;
  if (header.format !== RECOVERY_FORMAT || kdf?.alg !== 'argon2id13' || typeof kdf.salt !== 'string' || Buffer.from(kdf.salt, 'base64url').length !== sodium.crypto_pwhash_SALTBYTES ||
    !kdfLimitsInBounds(kdf.opslimit as number, kdf.memlimit as number)) {
    throw damaged('its header is not one this version reads, or asks for a key derivation beyond the bounds');
  }
  return { bytes, kdf: kdf as BackupKdf };
}
