import os from 'node:os';
import { resolveDataDir } from '../../locations.js';
import { type OfflineCommand, type Flags, print, text } from '../command.js';
import { counted } from '../output.js';
import { storeUrl } from '../option-values.js';
import { readPassphrase, vaultPassphrase } from '../secret-input.js';
import { UsageError } from '../usage-error.js';

/**
 * `farm init`, `farm join` and `farm status` (docs/farm.md, "Making a farm"): several gateway hosts
 * sharing one vault through the customer's PostgreSQL. init and join work offline, on a data dir no
 * daemon runs on; status reads the database, beside a running daemon. The store's password is never
 * an argument: PGPASSWORD, PGPASSFILE or ~/.pgpass give it, as libpq takes them.
 */

const STORE_OPTION = {
  type: 'string', value: 'URL', help: "the farm's database, postgres://USER@HOST:PORT/DATABASE (or GATEWAY_APIKEYS_STORE); its password from PGPASSWORD or a passfile",
} as const;
const HOST_NAME_OPTION = { type: 'string', value: 'NAME', help: "how farm status names this host (its computer name by default)" } as const;
const RECOVERY_VARIABLE = 'GATEWAY_APIKEYS_RECOVERY_PASSPHRASE';

function requiredStore(flags: Flags): string {
  const url = storeUrl(text(flags, 'store') ?? process.env.GATEWAY_APIKEYS_STORE);
  if (!url) throw new UsageError("Which database? Give --store postgres://USER@HOST:PORT/DATABASE, or set GATEWAY_APIKEYS_STORE.");
  return url;
}

export const farmInitCommand: OfflineCommand = {
  name: 'farm init',
  group: 'Farm',
  summary: `offline: makes a farm in the database, with this host as its first; the recovery passphrase (${RECOVERY_VARIABLE}, else typed twice) lets other hosts join`,
  session: false,
  passphraseVariable: RECOVERY_VARIABLE,
  options: {
    store: STORE_OPTION,
    'data-dir': { type: 'string', value: 'DIR', help: 'this host\'s vault (no daemon may run on it); it must hold no keys, unless --from-data-dir' },
    'from-data-dir': { type: 'string', value: 'DIR', help: 'make the farm from the vault in DIR, keys, values and history included; DIR becomes this host\'s data dir' },
    'host-name': HOST_NAME_OPTION,
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  check({ flags }) {
    if (text(flags, 'data-dir') !== undefined && text(flags, 'from-data-dir') !== undefined && text(flags, 'data-dir') !== text(flags, 'from-data-dir')) {
      throw new UsageError('--from-data-dir names the vault that becomes this host\'s: give it alone, without a different --data-dir.');
    }
    requiredStore(flags);
  },
  async run(invocation) {
    const { flags } = invocation;
    const { initFarm } = await import('../../vault/farm-setup.js');
    const url = requiredStore(flags);
    const from = text(flags, 'from-data-dir');
    const dataDir = resolveDataDir(from ?? text(flags, 'data-dir'));
    const recoveryPassphrase = (await readPassphrase({ variable: RECOVERY_VARIABLE, prompt: 'New recovery passphrase for the farm: ', confirm: true, required: true }))!;
    const passphrase = vaultPassphrase();
    try {
      const made = await initFarm({ dataDir, url, passphrase, recoveryPassphrase, hostName: text(flags, 'host-name') ?? os.hostname(), fromDataDir: from !== undefined });
      print(invocation, { dataDir, ...made }, () =>
        `Made farm ${made.farmId} with ${counted(made.keys, 'key')}; ${dataDir} is its first host. Start it with: ${invocation.io.invokedAs} serve --data-dir ${dataDir}\n` +
        `Add another host with: ${invocation.io.invokedAs} farm join --store ${url}  (it asks for the recovery passphrase: keep it as you keep a backup's)`);
      return 0;
    } finally {
      recoveryPassphrase.fill(0);
      passphrase?.fill(0);
    }
  },
};

export const farmJoinCommand: OfflineCommand = {
  name: 'farm join',
  group: 'Farm',
  summary: `offline: adds this host, with an empty data dir, to the farm in the database, with its recovery passphrase (${RECOVERY_VARIABLE}, else typed)`,
  session: false,
  passphraseVariable: RECOVERY_VARIABLE,
  options: {
    store: STORE_OPTION,
    'data-dir': { type: 'string', value: 'DIR', help: 'this host\'s vault: made when missing; no daemon may run on it, and it must hold no keys' },
    'host-name': HOST_NAME_OPTION,
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  check({ flags }) {
    requiredStore(flags);
  },
  async run(invocation) {
    const { flags } = invocation;
    const { joinFarm } = await import('../../vault/farm-setup.js');
    const url = requiredStore(flags);
    const dataDir = resolveDataDir(text(flags, 'data-dir'));
    const recoveryPassphrase = (await readPassphrase({ variable: RECOVERY_VARIABLE, prompt: "The farm's recovery passphrase: ", required: true }))!;
    const passphrase = vaultPassphrase();
    try {
      const joined = await joinFarm({ dataDir, url, passphrase, recoveryPassphrase, hostName: text(flags, 'host-name') ?? os.hostname() });
      print(invocation, { dataDir, ...joined }, () =>
        `This host joined farm ${joined.farmId}. Start it with: ${invocation.io.invokedAs} serve --data-dir ${dataDir}  (it takes every key from the farm as it starts)`);
      return 0;
    } finally {
      recoveryPassphrase.fill(0);
      passphrase?.fill(0);
    }
  },
};

export const farmStatusCommand: OfflineCommand = {
  name: 'farm status',
  group: 'Farm',
  summary: "the farm's hosts, from its database: how many changes each is behind, and when it last reached the database",
  session: false,
  options: {
    store: STORE_OPTION,
    'data-dir': { type: 'string', value: 'DIR', help: 'a host\'s data dir (its farm.json names the farm and the database)' },
    json: { type: 'boolean', help: 'machine-readable output' },
  },
  async run(invocation) {
    const { flags } = invocation;
    const { farmStatus } = await import('../../vault/farm-setup.js');
    const status = await farmStatus({ dataDir: resolveDataDir(text(flags, 'data-dir')), url: storeUrl(text(flags, 'store') ?? process.env.GATEWAY_APIKEYS_STORE) });
    print(invocation, status, () => [
      `farm ${status.farmId}: ${counted(status.lastSeq, 'change')}, ${counted(status.hosts.length, 'host')}`,
      ...status.hosts.map((host) => `  ${host.name}${host.thisHost ? ' (this host)' : ''}: ${host.behind === 0 ? 'in step' : `${counted(host.behind, 'change')} behind`}, ` +
        `last reached the database ${host.seenSecondsAgo} s ago`),
    ].join('\n'));
    return 0;
  },
};
