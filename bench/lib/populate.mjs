// Makes a data dir holding `count` keys without `count` fsyncs: a vault is created the normal way,
// then one compaction writes a snapshot of generated records through the store itself.
import fs from 'node:fs';
import path from 'node:path';
import { Temporal } from 'temporal-polyfill';
import { randomBytes } from '../../dist/shared/random.js';
import { encodeKeyValue } from '../../dist/shared/secret-format.js';
import { silentLog } from '../../dist/shared/log.js';
import { nodeFileSystem } from '../../dist/vault/storage/node-file-system.js';
import { deriveVaultKeys, readMasterKeyFile } from '../../dist/vault/storage/master-key.js';
import { NO_AUDIT_ENTRY } from '../../dist/vault/storage/file-format.js';
import { KeyStore } from '../../dist/vault/storage/store.js';
import { Vault } from '../../dist/vault/vault.js';

/** Returns the key values of the first few keys, for authenticate benchmarks. */
export async function populate(dataDir, count) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const vault = await Vault.open({ dataDir, timeZone: 'UTC' });
  await vault.close();
  const master = readMasterKeyFile(fs.readFileSync(path.join(dataDir, 'master.key')), 'master.key');
  const { lookupKey, storeKey } = deriveVaultKeys(master);
  const { store } = await KeyStore.open(nodeFileSystem, dataDir, { vaultId: master.vaultId, key: storeKey }, silentLog);
  // Expiries count from the real today, as the daemon the benchmark starts sees it: a fixed date made
  // the first keys expire a few days on, and the benchmark then measured the Expired answer.
  const today = Temporal.Now.plainDateISO('UTC');
  const now = Date.now();
  const records = [];
  for (let i = 0; i < count; i++) {
    records.push({
      id: randomBytes(16).toString('hex'),
      name: `key-${String(i).padStart(6, '0')}-${(i * 7919) % 1000}`,
      description: `Connector ${i} of the benchmark vault`,
      key: encodeKeyValue(randomBytes(32)),
      createdAt: now - i * 1000,
      updatedAt: now - i * 1000,
      expiresOn: today.add({ days: 1 + (i % 1800) }),
      enabled: true,
      rotatedAt: null,
      previous: null,
      lastUsedAt: i % 3 ? now - i * 500 : null,
      usage: null,
      disabledAt: null,
      disabledReason: null,
    });
  }
  // The trail holds no entry yet; the store is ahead of what audit/head anchors, as after any compaction (docs/storage.md, "Anchors").
  await store.compact(records, NO_AUDIT_ENTRY);
  await store.close();
  lookupKey.dispose();
  storeKey.dispose();
  return records.slice(0, 16).map((r) => r.key);
}
