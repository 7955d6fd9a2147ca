import t from 'tap';
import { type FarmHost, startFarm, within } from './helpers/farm.js';
import { skipWithoutPostgres } from './helpers/postgres.js';

/**
 * The database restarted, then killed with -9, while all three hosts write (docs/farm.md,
 * "Failures"): no acknowledged change is lost, a refused one is refused whole, and every host
 * converges to the same keys, checked key by key.
 */

const skip = skipWithoutPostgres(t);

/** What a farm shares of a key: all but the uses, which each host counts apart. */
async function shared(host: FarmHost) {
  return (await host.admin.request('apiKey.list', { sortBy: 'name' })).items.map(({ lastUsedAt: _used, daysLeft: _days, ...key }) => key);
}

t.test('PostgreSQL restarted, then killed -9, while three hosts write: nothing acknowledged is lost, and every host converges', { skip }, async (t) => {
  const farm = await startFarm(t);
  const hosts = farm.hosts;
  const acknowledged = new Map<string, { host: string; description: string }>();
  const refusals = new Map<string, number>();
  let writing = true;
  const writer = async (host: FarmHost) => {
    for (let i = 0; writing; i++) {
      const name = `${host.name}-${i}`;
      try {
        await host.admin.request('apiKey.create', { name, description: `made on ${host.name}` });
        acknowledged.set(name, { host: host.name, description: `made on ${host.name}` });
        if (i % 3 === 2) {
          // Edits too: an acknowledged edit is as durable as a create.
          const edited = await host.admin.request('apiKey.update', { name, description: `edited on ${host.name}` });
          acknowledged.set(name, { host: host.name, description: edited.description });
        }
      } catch (error) {
        const code = (error as { code: string }).code;
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const writers = hosts.map(writer);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await pause(1000);
  await farm.server.restart('SIGINT', 500);
  t.pass('restarted by a fast shutdown');
  await pause(1500);
  await farm.server.restart('SIGKILL', 500);
  t.pass('killed with -9 and started again');
  await pause(1500);
  writing = false;
  await Promise.all(writers);
  t.comment(`${acknowledged.size} creates acknowledged; refused meanwhile: ${JSON.stringify(Object.fromEntries(refusals))}`);
  t.ok(acknowledged.size > 30, 'the hosts wrote before, between and after');
  t.same([...refusals.keys()].filter((code) => code !== 'StoreUnavailable'), [], 'every refusal was StoreUnavailable');

  // Converged: every host holds the same keys, field by field, within a few seconds of the database's return.
  await within(15_000, async () => {
    const [first, ...rest] = await Promise.all(hosts.map(shared));
    return rest.every((other) => JSON.stringify(other) === JSON.stringify(first));
  });
  const keys = await shared(hosts[0]!);
  const byName = new Map(keys.map((key) => [key.name, key]));
  for (const [name, { description }] of acknowledged) {
    const key = byName.get(name);
    if (!key) {
      t.fail(`${name}, acknowledged, is missing`);
      continue;
    }
    if (key.description !== description) t.equal(key.description, description, `${name} holds its acknowledged edit`);
  }
  t.pass(`every acknowledged change, ${acknowledged.size} keys, is on all three hosts`);
  // A write whose commit's answer was lost may have committed: then it is on every host, never on one alone.
  t.ok(keys.length >= acknowledged.size);
  for (const host of hosts) t.match(await host.admin.request('daemon.status', {}), { store: { reachable: true } }, `${host.name} is in step`);
});
