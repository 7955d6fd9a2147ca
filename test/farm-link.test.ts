import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { initFarm } from '../src/vault/farm-setup.js';
import { FARM_FILE, readFarmMembership } from '../src/vault/storage/farm-membership.js';
import { nodeFileSystem } from '../src/vault/storage/node-file-system.js';
import { Vault } from '../src/vault/vault.js';
import { FaultyFileSystem } from './helpers/faulty-fs.js';
import { skipWithoutPostgres, startPostgres } from './helpers/postgres.js';
import { madeDataDir } from './helpers/vault.js';

/**
 * The vault and its farm in one process (src/vault/farm-link.ts): a change the database took but this
 * host's disk then refused is not lost, nor held as if applied; the sync brings it from the database
 * once the disk writes again.
 */

const skip = skipWithoutPostgres(t);

t.test('a change committed in the farm whose local write failed arrives through the sync once the disk is back', { skip }, async (t) => {
  const server = await startPostgres(t);
  process.env.PGPASSWORD = server.password;
  const dataDir = madeDataDir(t);
  await initFarm({ dataDir, url: server.url, recoveryPassphrase: Buffer.from('a farm recovery passphrase'), hostName: 'in-process', fromDataDir: false });
  const membership = (await readFarmMembership(nodeFileSystem, dataDir))!;
  const fileSystem = new FaultyFileSystem();
  const vault = await Vault.open({ dataDir, fileSystem, farm: { membership, url: server.url, pollMs: 200 } });
  t.teardown(() => vault.close());
  t.equal(vault.storeStatus().reachable, true);

  fileSystem.fail('write', 'EIO', 1, /journal|audit/);
  const refused = await vault.create({ name: 'took by the farm' }).catch((error: { code: string }) => error);
  t.match(refused, { code: 'Internal' }, 'the local write failed, and the caller is told');
  t.throws(() => vault.get({ name: 'took by the farm' }), { code: 'KeyNotFound' }, 'not held yet');
  // The farm has it; the sync brings it, as it would another host's change.
  for (let waited = 0; ; waited += 50) {
    try {
      vault.get({ name: 'took by the farm' });
      break;
    } catch {
      if (waited > 10_000) throw new Error('the change never arrived');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  t.pass('it arrived from the database');
  const edited = await vault.update({ name: 'took by the farm', description: 'edited after' });
  t.equal(edited.description, 'edited after', 'and this host edits it at the version the farm has: no Conflict');
});

t.test('a doctored farm.json stops the start with its name, and changes nothing', { skip }, async (t) => {
  const server = await startPostgres(t);
  process.env.PGPASSWORD = server.password;
  const dataDir = madeDataDir(t);
  await initFarm({ dataDir, url: server.url, recoveryPassphrase: Buffer.from('a farm recovery passphrase'), hostName: 'in-process', fromDataDir: false });
  const file = path.join(dataDir, FARM_FILE);
  const original = fs.readFileSync(file, 'utf8');
  const doctor = async (text: string) => {
    fs.writeFileSync(file, text);
    const membership = await readFarmMembership(nodeFileSystem, dataDir);
    return Vault.open({ dataDir, farm: { membership: membership!, url: server.url } });
  };
  const json = JSON.parse(original) as Record<string, string>;
  const wrap = Buffer.from(json.keyWrap!, 'base64url');
  wrap[wrap.length - 1]! ^= 1;
  await t.rejects(doctor(JSON.stringify({ ...json, keyWrap: wrap.toString('base64url') })), { name: 'StoreIntegrityError', message: /farm\.json: holds a cluster key that does not open/ },
    'a wrap altered by one bit');
  await t.rejects(doctor(JSON.stringify({ ...json, hostId: 'ab'.repeat(16) })), { message: /farm\.json: holds a cluster key that does not open/ }, 'another host\'s id: the wrap is bound to it');
  await t.rejects(doctor('{"format":1'), { message: /farm\.json: is not JSON/ });
  await t.rejects(doctor(JSON.stringify({ ...json, format: 2 })), { message: /farm\.json: is not a farm file this version reads/ });
  await t.rejects(doctor(JSON.stringify({ ...json, store: server.url.replace('gwk@', `gwk:${server.password}@`) })), { message: /names a store it may not: A password is never part/ },
    'a password put into the store URL');
  fs.writeFileSync(file, original);
  const vault = await doctor(original);
  t.equal(vault.storeStatus().kind, 'postgres', 'put back, it opens');
  await vault.close();
});
