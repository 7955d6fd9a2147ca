import { parseArgs } from 'node:util';
import { resolveDataDir } from '../locations.js';
import { rekeyVault } from '../vault/rekey.js';
import { readPassphrase } from './secret-input.js';
import { UsageError } from './usage.js';

const SEALS = { passphrase: 'a passphrase', keyFile: 'a key file' } as const;

/**
 * `gateway-apikeys rekey --data-dir DIR [--to-key-file]`, offline (docs/storage.md, "Passphrase"):
 * seals master.key with a new passphrase (GATEWAY_APIKEYS_NEW_PASSPHRASE, else typed twice), or
 * back to a key file. The current passphrase of a sealed vault comes from GATEWAY_APIKEYS_PASSPHRASE,
 * else a prompt.
 */
export async function rekeyCommand(args: string[], out: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, 'to-key-file': { type: 'boolean' } }, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const dataDir = resolveDataDir(values['data-dir']);
  const current = await readPassphrase({ variable: 'GATEWAY_APIKEYS_PASSPHRASE', prompt: 'Current passphrase (none for a key file: press Enter): ', required: false })
    .then((passphrase) => (passphrase?.length ? passphrase : undefined))
    .catch((error: unknown) => {
      if (error instanceof UsageError && /empty passphrase/.test(error.message)) return undefined; // Enter: the vault has a key file
      throw error;
    });
  const next = values['to-key-file']
    ? undefined
    : await readPassphrase({ variable: 'GATEWAY_APIKEYS_NEW_PASSPHRASE', prompt: 'New passphrase: ', confirm: true, required: true });
  const { from, to } = await rekeyVault({ dataDir, current, next });
  current?.fill(0);
  next?.fill(0);
  out(`master.key in ${dataDir} was sealed with ${SEALS[from]}; it is now sealed with ${SEALS[to]}.` +
    (to === 'passphrase' ? ' The daemon needs that passphrase at every start (GATEWAY_APIKEYS_PASSPHRASE or --passphrase-file).' : ''));
  return 0;
}
