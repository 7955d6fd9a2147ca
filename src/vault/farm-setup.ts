import { randomBytes } from '../shared/random.js';
import { ApiError } from '../shared/api-error.js';
import type { Log } from '../shared/log.js';
import { silentLog } from '../shared/log.js';
import { type ClusterKeys, deriveClusterKeys, newClusterKey, unwrapWithRecoveryPassphrase, wrapUnderRecoveryPassphrase } from './storage/cluster-key.js';
import { claimDataDir } from './storage/data-dir.js';
import { FarmDatabase } from './storage/farm-database.js';
import { type FarmMembership, readFarmMembership, writeFarmMembership } from './storage/farm-membership.js';
import { sealKeyRecord } from './storage/farm-records.js';
import { checkNewVaultPassphrase } from './storage/master-key.js';
import { nodeFileSystem } from './storage/node-file-system.js';
import type { SecretKey } from './crypto.js';
import { offline, Vault } from './vault.js';

/**
 * `farm init`, `farm join` and `farm status` (docs/farm.md, "Making a farm"): offline, on a data dir
 * no daemon runs on, like `restore` and `rekey`. Each checks everything it can before it writes:
 * a refused init or join leaves the database and the data dir as they were.
 */

export interface FarmSetupOptions {
  dataDir: string;
  /** The farm's database: postgres://USER@HOST/DB, its password from PGPASSWORD or a passfile. */
  url: string;
  /** The passphrase of this vault's sealed master.key, if it has one. */
  passphrase?: Uint8Array;
  recoveryPassphrase: Uint8Array;
  /** How `farm status` names this host. */
  hostName: string;
  log?: Log;
  timeoutMs?: number;
}

/**
 * Makes a farm in the database from this data dir's vault, its first host. A vault that holds keys
 * becomes a farm only when asked (`fromDataDir`, `farm init --from-data-dir`): every key goes up,
 * with its value, previous value, dates and history; this host keeps its uses and audit trail.
 */
export async function initFarm(options: FarmSetupOptions & { fromDataDir: boolean }): Promise<{ farmId: string; hostId: string; keys: number }> {
  // The recovery passphrase guards every key of the farm: as long as a vault's, checked before anything is touched.
  checkNewVaultPassphrase(options.recoveryPassphrase);
  return withVault(options, async (vault) => {
    if (vault.size > 0 && !options.fromDataDir) {
      throw new ApiError('InvalidParams', `${options.dataDir} holds ${vault.size} keys. Nothing was changed. ` +
        `To make a farm of them, keys and history included, run: gateway-apikeys farm init --from-data-dir ${options.dataDir}`);
    }
    const db = FarmDatabase.open({ url: options.url, timeoutMs: options.timeoutMs });
    const clusterKey = newClusterKey();
    let keys: ClusterKeys | undefined;
    try {
      await db.createSchema();
      keys = deriveClusterKeys(clusterKey);
      const farmId = randomBytes(16);
      const hostId = randomBytes(16);
      const recoveryWrap = await wrapUnderRecoveryPassphrase(clusterKey, options.recoveryPassphrase, farmId);
      const keyWrap = vault.wrapClusterKey(clusterKey, farmId, hostId);
      const rows = vault.records().map((record) => sealKeyRecord(keys!, record, 1));
      const now = Date.now();
      if (!await db.createFarm({ farmId, recoveryWrap, createdAt: now }, rows, { hostId, name: options.hostName, keyWrap, joinedAt: now })) {
        throw new ApiError('InvalidParams', 'The database already holds a farm. Nothing was changed. Add this host to it with: gateway-apikeys farm join');
      }
      const membership: FarmMembership = { farmId, hostId, hostName: options.hostName, store: options.url, keyWrap };
      await vault.record({ event: 'farm.created', detail: { farmId: farmId.toString('hex'), hostId: hostId.toString('hex'), host: options.hostName, keys: rows.length } },
        offline(), () => writeFarmMembership(nodeFileSystem, options.dataDir, membership));
      return { farmId: farmId.toString('hex'), hostId: hostId.toString('hex'), keys: rows.length };
    } finally {
      clusterKey.dispose();
      for (const key of Object.values(keys ?? {}) as SecretKey[]) key.dispose();
      await db.close();
    }
  });
}

/**
 * Adds this data dir's vault to the farm in the database, with the recovery passphrase. The host
 * joins empty: its keys come from the farm when it serves. A wrong passphrase is PassphraseWrong,
 * before anything is written.
 */
export async function joinFarm(options: FarmSetupOptions): Promise<{ farmId: string; hostId: string }> {
  return withVault(options, async (vault) => {
    if (vault.size > 0) {
      throw new ApiError('InvalidParams', `${options.dataDir} holds ${vault.size} keys of its own, which joining would replace with the farm's. Nothing was changed. ` +
        'Join with an empty data directory; to bring these keys along, back them up here and restore the backup on a farm host (gateway-apikeys backup, restore).');
    }
    const db = FarmDatabase.open({ url: options.url, timeoutMs: options.timeoutMs });
    try {
      const farm = await db.readFarm();
      if (!farm) throw new ApiError('InvalidParams', 'The database holds no farm. Nothing was changed. Make one on the first host with: gateway-apikeys farm init');
      const clusterKey = await unwrapWithRecoveryPassphrase(farm.recoveryWrap, options.recoveryPassphrase, farm.farmId);
      const hostId = randomBytes(16);
      let keyWrap: Buffer;
      try {
        keyWrap = vault.wrapClusterKey(clusterKey, farm.farmId, hostId);
      } finally {
        clusterKey.dispose();
      }
      const now = Date.now();
      await db.putHost({ hostId, name: options.hostName, keyWrap, joinedAt: now }, now);
      await vault.record({ event: 'farm.joined', detail: { farmId: farm.farmId.toString('hex'), hostId: hostId.toString('hex'), host: options.hostName } },
        offline(), () => writeFarmMembership(nodeFileSystem, options.dataDir, { farmId: farm.farmId, hostId, hostName: options.hostName, store: options.url, keyWrap }));
      return { farmId: farm.farmId.toString('hex'), hostId: hostId.toString('hex') };
    } finally {
      await db.close();
    }
  });
}

export interface FarmHostState {
  name: string;
  hostId: string;
  thisHost: boolean;
  appliedSeq: number;
  /** Changes committed that the host had not applied when it last said. */
  behind: number;
  /** When the host last reached the database, and how long ago. */
  seenAt: string;
  seenSecondsAgo: number;
}

/** The farm's hosts and how far each is behind, read from the database (a daemon may be running). */
export async function farmStatus(options: { dataDir: string; url?: string; timeoutMs?: number }): Promise<{ farmId: string; lastSeq: number; hosts: FarmHostState[] }> {
  const membership = await readFarmMembership(nodeFileSystem, options.dataDir);
  if (!membership) throw new ApiError('InvalidParams', `${options.dataDir} is not a farm host's data directory: gateway-apikeys farm init or farm join makes one.`);
  const db = FarmDatabase.open({ url: options.url ?? membership.store, timeoutMs: options.timeoutMs });
  try {
    const farm = await db.readFarm();
    if (!farm) throw new ApiError('InvalidParams', 'The database holds no farm.');
    const now = Date.now();
    const hosts = (await db.hosts()).map((host) => ({
      name: host.name, hostId: host.hostId.toString('hex'), thisHost: host.hostId.equals(membership.hostId), appliedSeq: host.appliedSeq,
      behind: Math.max(0, farm.lastSeq - host.appliedSeq), seenAt: new Date(host.seenAt).toISOString(), seenSecondsAgo: Math.max(0, Math.round((now - host.seenAt) / 1000)),
    }));
    return { farmId: farm.farmId.toString('hex'), lastSeq: farm.lastSeq, hosts };
  } finally {
    await db.close();
  }
}

/** Claims the data dir as a daemon would (a running one refuses it), opens its vault, and refuses a dir that is a farm host's already. */
async function withVault<T>(options: FarmSetupOptions, work: (vault: Vault) => Promise<T>): Promise<T> {
  const lock = await claimDataDir(options.dataDir);
  try {
    if (await readFarmMembership(nodeFileSystem, options.dataDir)) {
      throw new ApiError('InvalidParams', `${options.dataDir} is a farm host's already (farm.json). Nothing was changed.`);
    }
    const vault = await Vault.open({ dataDir: options.dataDir, passphrase: options.passphrase, log: options.log ?? silentLog });
    try {
      return await work(vault);
    } finally {
      await vault.close();
    }
  } finally {
    await lock.release();
  }
}
