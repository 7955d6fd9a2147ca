import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { populate } from '../bench/lib/populate.mjs';
import { backupFile, cli } from './helpers/backup.js';
import { startDaemon } from './helpers/daemon.js';
import { type FarmHost, startFarm, within } from './helpers/farm.js';
import { skipWithoutPostgres } from './helpers/postgres.js';
import { freshDataDir } from './helpers/vault.js';

/**
 * A single-host vault becomes a farm (`farm init --from-data-dir`, docs/farm.md "Making a farm"):
 * every key, value, previous value, date and disable reason reaches every host, and the first host
 * keeps its uses and its audit trail. A backup taken on a farm host restores as a single-host vault,
 * and that vault can start a new farm.
 */

const skip = skipWithoutPostgres(t);
const KEYS = 10_000;

/** What a farm shares of a key: all but the uses, which each host counts apart. */
async function shared(host: { admin: FarmHost['admin'] }) {
  return (await host.admin.request('apiKey.list', { sortBy: 'name' })).items.map(({ lastUsedAt: _used, daysLeft: _days, ...key }) => key);
}

async function values(host: { admin: FarmHost['admin'] }, names: readonly string[]): Promise<string[]> {
  return Promise.all(names.map(async (name) => (await host.admin.request('apiKey.reveal', { name })).key));
}

t.test(`farm init --from-data-dir of a ${KEYS.toLocaleString('en')}-key vault keeps every key, value and history`, { skip }, async (t) => {
  const dataDir = freshDataDir(t);
  await populate(dataDir, KEYS);
  // History the farm must carry: rotations in their grace, disabled keys with a reason, uses by connector.
  const single = await startDaemon(t, { dataDir });
  const admin = await single.client('admin');
  const gateway = await single.client('gateway');
  const all = (await admin.request('apiKey.list', { sortBy: 'name' })).items.map((k) => k.name);
  const rotatedNames = all.slice(0, 20);
  const previousValues = await values({ admin }, rotatedNames);
  for (const name of rotatedNames) await admin.request('apiKey.rotate', { name, graceHours: 24 });
  for (const name of all.slice(20, 40)) await admin.request('apiKey.disable', { name, reason: 'migrated disabled' });
  const used = all[50]!;
  const [usedValue] = await values({ admin }, [used]);
  for (const connectorId of ['nac-orders', 'nac-orders', 'nac-billing']) await gateway.request('connector.authenticate', { key: usedValue!, connectorId });
  const before = await shared({ admin });
  const valuesBefore = await values({ admin }, all);
  const usageBefore = await admin.request('apiKey.usage', { name: used });
  await single.stop();

  const farm = await startFarm(t, { hosts: 2, fromDataDir: dataDir });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  t.equal(a.dataDir, dataDir, 'the vault became the first host');
  for (const host of [a, b]) {
    t.same(await shared(host), before, `${host.name} holds every key, field by field`);
    t.same(await values(host, all), valuesBefore, `${host.name} holds every value`);
    let previousOk = 0;
    for (const value of previousValues) {
      const answer = await host.gateway.request('connector.authenticate', { key: value });
      if (answer.authenticated && answer.previousValue) previousOk++;
    }
    t.equal(previousOk, previousValues.length, `${host.name}: previous values still in their grace authenticate`);
  }
  t.same(await a.admin.request('apiKey.usage', { name: used }), usageBefore, 'the first host kept its uses by connector');
  t.match((await a.admin.request('audit.list', { event: 'apiKey.rotated' })).items.length, rotatedNames.length, 'and its audit trail');
  t.match((await a.admin.request('audit.list', { event: 'farm.created' })).items, [{ event: 'farm.created', detail: { keys: KEYS, host: 'host-a' } }], 'which says when it became a farm');
  t.match(await a.admin.request('audit.verify', {}), { intact: true });
});

t.test('a backup taken on a farm host restores as a single-host vault, and that vault starts a new farm', { skip }, async (t) => {
  const farm = await startFarm(t, { hosts: 2 });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  for (const name of ['orders', 'billing', 'shipping']) await a.admin.request('apiKey.create', { name, description: `${name} connector` });
  await b.admin.request('apiKey.rotate', { name: 'orders', graceHours: 12 });
  const keys = await shared(b);
  await within(5000, async () => JSON.stringify(await shared(a)) === JSON.stringify(keys));

  const file = backupFile(t);
  const backup = await cli(['backup', '--out', file, '--data-dir', b.dataDir, '--pipe', b.daemon.pipe], farm.env);
  t.equal(backup.code, 0, backup.stderr);
  const restoredDir = freshDataDir(t);
  const restored = await cli(['restore', file, '--data-dir', restoredDir], farm.env);
  t.equal(restored.code, 0, restored.stderr);
  t.notOk(fs.existsSync(path.join(restoredDir, 'farm.json')), 'the restored vault is a single host\'s');
  const single = await startDaemon(t, { dataDir: restoredDir });
  const singleAdmin = await single.client('admin');
  t.same(await shared({ admin: singleAdmin }), keys, 'with every key of the farm');
  t.match(await singleAdmin.request('daemon.status', {}), { store: { kind: 'files' } });
  await single.stop();

  // A new farm, in a database of its own on the same server.
  process.env.PGPASSWORD = farm.server.password;
  const setup = new pg.Client({ connectionString: farm.server.url });
  await setup.connect();
  await setup.query('CREATE DATABASE second_farm');
  await setup.end();
  const url = `postgres://${farm.server.user}@127.0.0.1:${farm.server.port}/second_farm`;
  const made = await cli(['farm', 'init', '--store', url, '--from-data-dir', restoredDir, '--host-name', 'new-a'], farm.env);
  t.equal(made.code, 0, made.stderr);
  const host = await farm.serve('new-a', restoredDir, a.proxy);
  t.same(await shared(host), keys, 'the new farm serves the backup\'s keys');
  t.match(await host.admin.request('daemon.status', {}), { store: { kind: 'postgres', hosts: 1 } });
});
