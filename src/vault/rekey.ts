import path from 'node:path';
import sodium from 'sodium-native';
import type { Log } from '../shared/log.js';
import { silentLog } from '../shared/log.js';
import { claimDataDir } from './storage/data-dir.js';
import { replaceFileAtomically } from '../shared/file-system.js';
import { nodeFileSystem } from './storage/node-file-system.js';
import { StoreIntegrityError } from './storage/integrity-error.js';
import { checkNewVaultPassphrase, isSealedMasterKeyFile, MASTER_KEY_FILE, rewrapMasterKeyFile } from './storage/master-key.js';
import { offline, Vault } from './vault.js';
import { ApiError } from '../shared/api-error.js';
import { readFarmMembership } from './storage/farm-membership.js';

type Seal = 'passphrase' | 'keyFile';

interface RekeyOptions {
  dataDir: string;
  /** The passphrase master.key is sealed with now; none for a key file. */
  current?: Uint8Array;
  /** The passphrase to seal it with; none to go (back) to a key file. */
  next?: Uint8Array;
  /**
   * Rotate: a new master key, the store rewritten under it (docs/storage.md, "Rotating the master
   * key"), instead of the same key in a new seal.
   */
  newMasterKey?: boolean;
  log?: Log;
}

/**
 * Seals a vault's master key anew (docs/storage.md, "Passphrase"): a key file with a passphrase, a
 * sealed one with another passphrase, or back to a key file. Offline: the data dir is claimed like a
 * daemon would (a running daemon refuses it), and the whole vault is opened first, so a damaged store
 * or a wrong passphrase changes nothing. The master key itself stays, so every store file stays
 * readable; master.key is replaced atomically, so a crash leaves the old seal or the new one, each
 * opened with what the admin knew before or after. The audit trail records it.
 *
 * With `newMasterKey` the key itself is replaced (Vault.rotateMasterKey), so a copy of the old
 * master.key, or of the old sealed file and its passphrase, opens none of the files written since.
 */
export async function rekeyVault(options: RekeyOptions): Promise<{ from: Seal; to: Seal; newMasterKey: boolean }> {
  const { dataDir, current, next } = options;
  const log = options.log ?? silentLog;
  if (next) checkNewVaultPassphrase(next); // before the data dir is touched: a refused passphrase writes nothing
  const lock = await claimDataDir(dataDir);
  try {
    const file = path.join(dataDir, MASTER_KEY_FILE);
    const bytes = await nodeFileSystem.readFile(file);
    if (!bytes) throw new StoreIntegrityError(MASTER_KEY_FILE, `is not in ${dataDir}`, 'Nothing was changed. Point --data-dir at the data directory of a vault.');
    if (options.newMasterKey && await readFarmMembership(nodeFileSystem, dataDir)) {
      // farm.json holds the cluster key wrapped under a key derived from this master key: a new one would open it no more.
      throw new ApiError('InvalidParams', `${dataDir} is a farm host's: its master key wraps the farm's cluster key, so it is not replaced here. Nothing was changed. ` +
        'Seal it with a new passphrase instead (rekey without --new-master-key), or join the farm again from a new data directory.');
    }
    const from: Seal = isSealedMasterKeyFile(bytes) ? 'passphrase' : 'keyFile';
    const to: Seal = next ? 'passphrase' : 'keyFile';
    const vault = await Vault.open({ dataDir, passphrase: current, log });
    if (options.newMasterKey) {
      // Closes the vault, whatever happens: after a failure its store may be superseded.
      try {
        await vault.rotateMasterKey(next, { event: 'vault.rekeyed', detail: { from, to, masterKey: 'new' } });
      } finally {
        await vault.close();
      }
      return { from, to, newMasterKey: true };
    }
    try {
      const sealed = rewrapMasterKeyFile(bytes, MASTER_KEY_FILE, current, next);
      try {
        await vault.record({ event: 'vault.rekeyed', detail: { from, to } }, offline(), () => replaceFileAtomically(nodeFileSystem, file, sealed));
      } finally {
        sodium.sodium_memzero(sealed);
      }
    } finally {
      await vault.close();
    }
    return { from, to, newMasterKey: false };
  } finally {
    await lock.release();
  }
}
