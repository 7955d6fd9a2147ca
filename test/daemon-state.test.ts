import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openSession } from '../src/client/connect.js';
import type { Role } from '../src/generated/schemas.js';
import { LOG_FILE } from '../src/daemon/logging.js';
import { startDaemon } from '../src/daemon/serve.js';
import { callError, shortPipe } from './helpers/daemon.js';
import { freshDataDir } from './helpers/vault.js';

/**
 * What a daemon remembers besides its vault (the warnings it said recently, the backups it is
 * reading) is its own (src/daemon/methods.ts, daemonState): two daemons in one process share none of it.
 */

const PASSPHRASE = 'correct horse battery staple';

async function daemonIn(t: Test) {
  const dataDir = freshDataDir(t);
  const pipe = shortPipe();
  const daemon = await startDaemon({ dataDir, pipe, timeZone: 'UTC', consoleLog: false });
  t.teardown(async () => {
    await daemon.stop();
    fs.rmSync(path.dirname(pipe), { recursive: true, force: true });
  });
  const client = async (role: Role) => {
    const { client } = await openSession({ pipe, role, token: fs.readFileSync(path.join(dataDir, `${role}.token`), 'utf8').trim() });
    t.teardown(() => client.close());
    return client;
  };
  /** The log's lines of `event`, once the daemon has stopped and its log is whole. */
  const logged = async (event: string) => {
    await daemon.stop();
    const lines = fs.readFileSync(path.join(dataDir, 'logs', LOG_FILE), 'utf8').split('\n').filter(Boolean);
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === event);
  };
  return { client, logged };
}

t.test('a warning one daemon said does not keep another from saying its own', async (t) => {
  const daemons = [await daemonIn(t), await daemonIn(t)];
  for (const daemon of daemons) {
    const admin = await daemon.client('admin');
    const gateway = await daemon.client('gateway');
    const { key: disabled } = await admin.request('apiKey.create', { name: 'same name' });
    await admin.request('apiKey.disable', { name: 'same name' });
    await gateway.request('connector.authenticate', { key: disabled, connectorId: 'nac-eu' });
    const { key: previous } = await admin.request('apiKey.create', { name: 'rotated' });
    await admin.request('apiKey.rotate', { name: 'rotated' });
    await gateway.request('connector.authenticate', { key: previous, connectorId: 'nac-eu' });
  }
  for (const [i, daemon] of daemons.entries()) {
    t.match(await daemon.logged('auth.disabledKey'), [{ keyName: 'same name', connectorId: 'nac-eu' }], `daemon ${i + 1} warns of its disabled key`);
    t.match(await daemon.logged('auth.previousValue'), [{ keyName: 'rotated', connectorId: 'nac-eu' }], `daemon ${i + 1} warns of its previous value`);
  }
});

t.test('the backups one daemon reads take no place of another\'s', async (t) => {
  const [first, second] = [await daemonIn(t), await daemonIn(t)];
  const readers = await Promise.all(Array.from({ length: 4 }, () => first.client('admin')));
  await Promise.all(readers.map((admin) => admin.request('backup.create', { passphrase: PASSPHRASE })));
  t.match(await callError((await first.client('admin')).request('backup.create', { passphrase: PASSPHRASE })),
    { code: 'Internal', message: /4 backups are being read already/ }, 'the first daemon reads four at most');
  t.match(await (await second.client('admin')).request('backup.create', { passphrase: PASSPHRASE }), { keyCount: 0 },
    'the second daemon reads its own meanwhile');
});
