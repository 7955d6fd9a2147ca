import { parseArgs } from 'node:util';
import { resolveLocations } from '../locations.js';
import { startDaemon, type StopReason } from '../daemon/serve.js';
import { serverVersion } from '../generated/version.js';
import { vaultPassphrase } from './secret-input.js';
import { UsageError } from './usage.js';

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** The signals that stop the daemon cleanly: Ctrl+C everywhere, SIGTERM on Unix, Ctrl+Break on Windows. */
const STOP_SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];

/**
 * `gateway-apikeys serve`: runs until SIGINT, SIGTERM (Ctrl+Break on Windows) or `daemon.shutdown`
 * (`gateway-apikeys stop`, the clean stop Windows has no signal for), then stops cleanly and exits 0.
 */
export async function serveCommand(args: string[], out: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' }, pipe: { type: 'string' }, 'time-zone': { type: 'string' },
        'log-level': { type: 'string' }, 'passphrase-file': { type: 'string' },
        'pipe-allow': { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}.`);
  const pipeAllow = values['pipe-allow'] ?? [];
  if (pipeAllow.length > 0 && process.platform !== 'win32') {
    throw new UsageError('--pipe-allow names the Windows accounts that may open the named pipe. On Unix the socket admits its group: ' +
      'give --pipe in a directory the gateway\'s group can traverse (such as /run/gateway-apikeys, mode 0750).');
  }
  const { dataDir, pipe } = resolveLocations({ dataDir: values['data-dir'], pipe: values.pipe });
  const daemon = await startDaemon({
    dataDir, pipe, logLevel, timeZone: values['time-zone'], passphrase: vaultPassphrase(values['passphrase-file']),
    now: process.env.GATEWAY_APIKEYS_NOW, pipeAllow,
  });
  out(
    `gateway-apikeys ${serverVersion} is serving.\n` +
      `  pipe:        ${daemon.pipe}\n` +
      `  admin token: ${daemon.adminTokenFile}  (clients read it, or take GATEWAY_APIKEYS_TOKEN)\n` +
      `  data dir:    ${dataDir}\n` +
      `  time zone:   ${daemon.vault.timeZone}, today ${daemon.vault.today().toString()}\n` +
      "Stop with Ctrl+C, or 'gateway-apikeys stop'.",
  );
  const handlers: [NodeJS.Signals, () => void][] = [];
  const reason = await Promise.race([
    daemon.stopRequested,
    new Promise<StopReason>((resolve) => {
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
}
