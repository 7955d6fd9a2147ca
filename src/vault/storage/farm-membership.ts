import path from 'node:path';
import { replaceFileAtomically, type StoreFileSystem } from '../../shared/file-system.js';
import { StoreIntegrityError } from './integrity-error.js';
import { checkStoreUrl } from '../../shared/store-url.js';

/**
 * farm.json, in a farm host's data dir (docs/farm.md, "A host's files"): which farm the host belongs
 * to, its id there, the store's URL (never with a password), and the cluster key wrapped under a key
 * of this host's vault, so that the host starts, and serves its replica, while the database is down.
 * Nothing in it is secret: the wrap opens only with this vault's master key.
 */

export const FARM_FILE = 'farm.json';
const FORMAT = 1;

export interface FarmMembership {
  farmId: Buffer;
  hostId: Buffer;
  /** How `farm status` names this host (its computer name unless told). */
  hostName: string;
  /** The farm's database: a postgres:// URL without a password. */
  store: string;
  /** The cluster key, sealed under this host's farm key (cluster-key.ts, wrapForHost). */
  keyWrap: Buffer;
}

export async function readFarmMembership(fs: StoreFileSystem, dataDir: string): Promise<FarmMembership | undefined> {
  const bytes = await fs.readFile(path.join(dataDir, FARM_FILE));
  if (!bytes) return undefined;
  const damaged = (problem: string) => new StoreIntegrityError(FARM_FILE, problem,
    'Nothing was changed. Restore farm.json from a backup of this data directory, or join the farm again: gateway-apikeys farm join.');
  let file: Record<string, unknown>;
  try {
    file = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw damaged('is not JSON');
  }
  const hex = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
  if (file.format !== FORMAT || !hex(file.farmId) || !hex(file.hostId) || typeof file.hostName !== 'string' || typeof file.store !== 'string' ||
    typeof file.keyWrap !== 'string' || !/^[A-Za-z0-9_-]+$/.test(file.keyWrap)) {
    throw damaged('is not a farm file this version reads');
  }
  try {
    checkStoreUrl(file.store);
  } catch (error) {
    throw damaged(`names a store it may not: ${(error as Error).message}`);
  }
  return {
    farmId: Buffer.from(file.farmId as string, 'hex'), hostId: Buffer.from(file.hostId as string, 'hex'), hostName: file.hostName,
    store: file.store, keyWrap: Buffer.from(file.keyWrap, 'base64url'),
  };
}

export async function writeFarmMembership(fs: StoreFileSystem, dataDir: string, membership: FarmMembership): Promise<void> {
  const file = {
    format: FORMAT, farmId: membership.farmId.toString('hex'), hostId: membership.hostId.toString('hex'), hostName: membership.hostName,
    store: checkStoreUrl(membership.store), keyWrap: membership.keyWrap.toString('base64url'),
  };
  await replaceFileAtomically(fs, path.join(dataDir, FARM_FILE), Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8'));
}
