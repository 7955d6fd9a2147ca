import { defaultPipe, resolveLocations } from '../../locations.js';
import { serverVersion } from '../../generated/version.js';
import { type OfflineCommand, text } from '../command.js';
import { vaultPassphrase } from '../secret-input.js';
import { exportLine } from '../shell-text.js';
import { UsageError } from '../usage-error.js';
import { storeUrl } from '../option-values.js';

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** The signals that stop the daemon cleanly: Ctrl+C everywhere, SIGTERM on Unix, Ctrl+Break on Windows. */
const STOP_SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];

/**
 * Runs until SIGINT, SIGTERM (Ctrl+Break on Windows) or `daemon.shutdown` (`stop`, the clean stop
 * Windows has no signal for), then stops cleanly and exits 0.
 */
export const serveCommand: OfflineCommand = {
  name: 'serve',
  group: 'Daemon',
  summary: 'runs the daemon: the vault on its data dir, answering on its pipe',
  session: false,
  passphraseVariable: 'GATEWAY_APIKEYS_PASSPHRASE',
  options: {
    'data-dir': { type: 'string', value: 'DIR', help: 'where the vault is (GATEWAY_APIKEYS_DATA_DIR; made on first start, mode 0700)' },
    pipe: { type: 'string', value: 'PATH', help: 'where to answer (GATEWAY_APIKEYS_PIPE); off Windows, in a directory only the daemon\'s user can write' },
    'time-zone': { type: 'string', value: 'ZONE', help: "the vault's time zone for expiry dates (the host's by default)" },
    'log-level': { type: 'string', value: 'LEVEL', help: LOG_LEVELS.join(', ') },
    'passphrase-file': { type: 'string', value: 'FILE', help: "the passphrase of a sealed vault's master.key (or GATEWAY_APIKEYS_PASSPHRASE)" },
    'pipe-allow': { type: 'string', multiple: true, value: 'ACCOUNT', help: 'Windows: only these accounts (names or SIDs) may open the pipe; may be repeated' },
    'gateway-account': { type: 'string', value: 'ACCOUNT', help: "Windows: the gateway's account (name or SID) may read gateway.token where it is, and open the pipe" },
    'gateway-group': { type: 'string', value: 'GROUP', help: "Unix: the gateway's group may read gateway.token where it is (0640; the data dir 0710) and connect to the socket" },
    store: { type: 'string', value: 'URL', help: "a farm host: the farm's database, postgres://USER@HOST/DB (GATEWAY_APIKEYS_STORE; farm.json's by default; the password from PGPASSWORD or a passfile)" },
  },
  check({ flags }) {
    const logLevel = text(flags, 'log-level');
    if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level takes ${LOG_LEVELS.join(', ')}, not '${logLevel}'.`);
    if ((flags['pipe-allow'] as string[] | undefined)?.length && process.platform !== 'win32') {
      throw new UsageError('--pipe-allow names the Windows accounts that may open the named pipe. On Unix the socket admits its group: ' +
        'give --pipe in a directory the gateway\'s group can traverse (such as /run/gateway-apikeys, mode 0750).');
    }
    if (text(flags, 'gateway-account') !== undefined && process.platform !== 'win32') {
      throw new UsageError('--gateway-account names a Windows account. On Unix give the gateway\'s group: --gateway-group GROUP.');
    }
    const store = text(flags, 'store');
    if (store !== undefined) storeUrl(store);
    if (text(flags, 'gateway-group') !== undefined && process.platform === 'win32') {
      throw new UsageError('--gateway-group names a Unix group. On Windows give the gateway\'s account: --gateway-account ACCOUNT.');
    }
  },
  async run({ flags, io }) {
    const { startDaemon } = await import('../../daemon/serve.js');
    const given = { dataDir: text(flags, 'data-dir'), pipe: text(flags, 'pipe') };
    const { dataDir, pipe } = resolveLocations(given);
    const daemon = await startDaemon({
      dataDir, pipe, logLevel: text(flags, 'log-level') ?? 'info', timeZone: text(flags, 'time-zone'),
      passphrase: vaultPassphrase(text(flags, 'passphrase-file')), now: process.env.GATEWAY_APIKEYS_NOW,
      pipeAllow: (flags['pipe-allow'] as string[] | undefined) ?? [],
      gatewayAccount: text(flags, 'gateway-account'), gatewayGroup: text(flags, 'gateway-group'),
      store: storeUrl(text(flags, 'store') ?? process.env.GATEWAY_APIKEYS_STORE),
      farmPollMs: process.env.GATEWAY_APIKEYS_FARM_POLL_MS ? Number(process.env.GATEWAY_APIKEYS_FARM_POLL_MS) : undefined,
    });
    // The next command, in another terminal, needs to find this data dir, and the pipe when it is not where that data dir says.
    const pipeIsDefault = defaultPipe(dataDir, {}) === daemon.pipe;
    io.out(
      `gateway-apikeys ${serverVersion} is serving.\n` +
        `  pipe:        ${daemon.pipe}\n` +
        `  admin token: ${daemon.adminTokenFile}  (clients read it, or take GATEWAY_APIKEYS_TOKEN)\n` +
        `  data dir:    ${dataDir}\n` +
        `  time zone:   ${daemon.vault.timeZone}, today ${daemon.vault.today().toString()}\n` +
        (daemon.vault.inFarm ? `  store:       a farm's database, ${daemon.vault.storeStatus().reachable ? 'reachable' : 'NOT reachable: serving this host\'s replica'}\n` : '') +
        'For the command line and PowerShell in another terminal:\n' +
        `  ${exportLine('GATEWAY_APIKEYS_DATA_DIR', dataDir)}\n` +
        (pipeIsDefault ? '' : `  ${exportLine('GATEWAY_APIKEYS_PIPE', daemon.pipe)}\n`) +
        `  ${io.invokedAs} list\n` +
        `Stop with Ctrl+C, or '${io.invokedAs} stop'.`,
    );
    const handlers: [NodeJS.Signals, () => void][] = [];
    const reason = await Promise.race([
      daemon.stopRequested,
      new Promise<{ by: 'signal'; signal: NodeJS.Signals }>((resolve) => {
        for (const signal of STOP_SIGNALS) {
          const handler = () => resolve({ by: 'signal', signal });
          handlers.push([signal, handler]);
          process.once(signal, handler);
        }
      }),
    ]);
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await daemon.stop(reason);
    return 0;
  },
};
