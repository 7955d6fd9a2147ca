import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveLocations } from '../locations.js';
import { startDaemon } from '../daemon/serve.js';
import { serverVersion } from '../generated/version.js';
import { UsageError } from './usage.js';

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

function readPassphrase(file: string | undefined): Buffer | undefined {
  if (file !== undefined) {
    try {
      return Buffer.from(fs.readFileSync(file, 'utf8').replace(/\r?\n$/, ''), 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read the passphrase file ${file} (${(error as NodeJS.ErrnoException).code}).`);
    }
  }
  const fromEnv = process.env.GATEWAY_APIKEYS_PASSPHRASE;
  return fromEnv ? Buffer.from(fromEnv, 'utf8') : undefined;
}

/** `gateway-apikeys serve`: runs until SIGINT or SIGTERM, then stops cleanly and exits 0. */
export async function serveCommand(args: string[], out: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' }, pipe: { type: 'string' }, 'time-zone': { type: 'string' },
        'log-level': { type: 'string' }, 'passphrase-file': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}.`);
  const { dataDir, pipe } = resolveLocations({ dataDir: values['data-dir'], pipe: values.pipe });
  const daemon = await startDaemon({
    dataDir, pipe, logLevel, timeZone: values['time-zone'], passphrase: readPassphrase(values['passphrase-file']),
    now: process.env.GATEWAY_APIKEYS_NOW,
  });
  out(
    `gateway-apikeys ${serverVersion} is serving.\n` +
      `  pipe:        ${daemon.pipe}\n` +
      `  admin token: ${daemon.adminTokenFile}  (clients read it, or take GATEWAY_APIKEYS_TOKEN)\n` +
      `  data dir:    ${dataDir}\n` +
      `  time zone:   ${daemon.vault.timeZone}, today ${daemon.vault.today().toString()}\n` +
      'Stop with Ctrl+C.',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await daemon.stop();
  return 0;
}
