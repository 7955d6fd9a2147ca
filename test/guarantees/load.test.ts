import t from 'tap';
import type { DaemonClient as RpcClient } from '../../src/client/connect.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';
import { rssOf } from '../helpers/process-memory.js';

/**
 * Guarantee 8: 100 connections doing mixed operations at once (10 s here, 60 s in long mode).
 * No error but the expected ones, nothing lost, and the daemon's memory at the end no more than
 * 1.3 × what it was after a warm-up.
 */
const CONNECTIONS = 100;
const SECONDS = scale(10, 60);
const WARM_UP_SECONDS = scale(3, 10);

interface Tally {
  ops: number;
  unexpected: string[];
  keys: Map<string, { key: string; description: string }>;
}

async function mixedLoad(admin: RpcClient, gateway: RpcClient, id: number, until: () => boolean): Promise<Tally> {
  const tally: Tally = { ops: 0, unexpected: [], keys: new Map() };
  let serial = 0;
  const expectCode = async (promise: Promise<unknown>, code: string) => {
    await promise.then(() => tally.unexpected.push(`expected ${code}`), (e: { code: string }) => { if (e.code !== code) tally.unexpected.push(e.code); });
  };
  while (!until()) {
    const names = [...tally.keys.keys()];
    const name = names[serial % Math.max(1, names.length)];
    try {
      switch (serial++ % 10) {
        case 0: case 5: {
          const created = await admin.request('apiKey.create', { name: `load-${id}-${serial}`, description: 'new' });
          tally.keys.set(created.name, { key: created.key, description: 'new' });
          break;
        }
        case 1: case 2: case 6: case 7:
          if (name) {
            const result = await gateway.request('connector.authenticate', { key: tally.keys.get(name)!.key, connectorId: `c${id}` });
            if (!result.authenticated) tally.unexpected.push(`authenticate ${name}: ${result.reason}`);
          }
          break;
        case 3:
          if (name) {
            const description = `edit ${serial}`;
            await admin.request('apiKey.update', { name, description });
            tally.keys.get(name)!.description = description;
          }
          break;
        case 4:
          await admin.request('apiKey.list', { name: `load-${id}-*`, sortBy: 'lastUsedAt', descending: true, limit: 20 });
          break;
        case 8:
          if (names.length > 5) {
            await admin.request('apiKey.delete', { name: name! });
            tally.keys.delete(name!);
          }
          break;
        case 9:
          await expectCode(admin.request('apiKey.create', { name: 'x' }), 'NameTooShort');
          await expectCode(admin.request('apiKey.get', { name: `missing-${id}` }), 'KeyNotFound');
          break;
      }
      tally.ops++;
    } catch (error) {
      tally.unexpected.push(String((error as Error).message));
    }
  }
  return tally;
}

t.test(`${CONNECTIONS} connections of mixed operations for ${SECONDS} s: nothing lost, memory flat`, async (t) => {
  const daemon = await startDaemon(t);
  const pairs = await Promise.all(Array.from({ length: CONNECTIONS / 2 }, async () => [await daemon.client('admin'), await daemon.client('gateway')] as const));
  const started = Date.now();
  let warmRss: number | undefined;
  const warmUp = setTimeout(() => (warmRss = rssOf(daemon.child.pid!)), WARM_UP_SECONDS * 1000);
  const end = started + SECONDS * 1000;
  const tallies = await Promise.all(pairs.map(([admin, gateway], id) => mixedLoad(admin, gateway, id, () => Date.now() > end)));
  clearTimeout(warmUp);
  const endRss = rssOf(daemon.child.pid!);
  const ops = tallies.reduce((sum, x) => sum + x.ops, 0);
  const unexpected = tallies.flatMap((x) => x.unexpected);
  t.same(unexpected.slice(0, 5), [], `no unexpected error in ${ops} operations (${Math.round(ops / SECONDS)}/s)`);

  const admin = await daemon.client('admin');
  const { items } = await admin.request('apiKey.list', { name: 'load-*' });
  const expected = new Map(tallies.flatMap((x) => [...x.keys]));
  t.equal(items.length, expected.size, 'every key created and not deleted is there');
  t.ok(items.every((item) => expected.get(item.name)?.description === item.description), 'with its last description');
  if (warmRss && endRss) {
    t.comment(`daemon RSS after ${WARM_UP_SECONDS} s warm-up ${Math.round(warmRss / 2 ** 20)} MiB, at the end ${Math.round(endRss / 2 ** 20)} MiB (×${(endRss / warmRss).toFixed(2)})`);
    t.ok(endRss <= 1.3 * warmRss, 'memory at the end ≤ 1.3 × after warm-up');
  }
  await daemon.stop();
  const restarted = await startDaemon(t, { dataDir: daemon.dataDir });
  t.equal((await (await restarted.client('admin')).request('apiKey.list', { name: 'load-*' })).total, expected.size, 'and all of it survives a restart');
});
