import { resolveDataDir } from '../../locations.js';
import { type OfflineCommand, text } from '../command.js';
import { readPassphrase } from '../secret-input.js';
import { UsageError } from '../usage-error.js';

const SEALS = { passphrase: 'a passphrase', keyFile: 'a key file' } as const;

/**
 * Offline (docs/storage.md, "Passphrase"): seals master.key with a new passphrase
 * (GATEWAY_APIKEYS_NEW_PASSPHRASE, else typed twice), or back to a key file. The current
 * passphrase of a sealed vault comes from GATEWAY_APIKEYS_PASSPHRASE, else a prompt. With
 * --new-master-key the master key itself is replaced and the store rewritten under it
 * (docs/storage.md, "Rotating the master key"); without, only the seal changes, as before.
 */
export const rekeyCommand: OfflineCommand = {
  name: 'rekey',
  group: 'Backups and passphrases',
  summary: 'offline: seals master.key with a new passphrase (GATEWAY_APIKEYS_NEW_PASSPHRASE, else typed twice), or back to a key file',
  session: false,
  passphraseVariable: 'GATEWAY_APIKEYS_NEW_PASSPHRASE',
  options: {
    'data-dir': { type: 'string', value: 'DIR', help: 'the vault (no daemon may run on it)' },
    'to-key-file': { type: 'boolean', help: 'back to a key file instead of a passphrase' },
    'new-master-key': { type: 'boolean', help: 'also replace the master key itself and rewrite the store under it, so a copy of the old master.key opens nothing written since' },
  },
  async run({ flags, io }) {
    const { rekeyVault } = await import('../../vault/rekey.js');
    const dataDir = resolveDataDir(text(flags, 'data-dir'));
    const current = await readPassphrase({ variable: 'GATEWAY_APIKEYS_PASSPHRASE', prompt: 'Current passphrase (none for a key file: press Enter): ', required: false })
      .then((passphrase) => (passphrase?.length ? passphrase : undefined))
      .catch((error: unknown) => {
        if (error instanceof UsageError && /empty passphrase/.test(error.message)) return undefined; // Enter: the vault has a key file
        throw error;
      });
    const next = flags['to-key-file'] === true
      ? undefined
      : await readPassphrase({ variable: 'GATEWAY_APIKEYS_NEW_PASSPHRASE', prompt: 'New passphrase: ', confirm: true, required: true });
    const { from, to, newMasterKey } = await rekeyVault({ dataDir, current, next, newMasterKey: flags['new-master-key'] === true });
    current?.fill(0);
    next?.fill(0);
    io.out((newMasterKey ? `The master key of ${dataDir} was replaced and every key rewritten under it; an old copy of master.key opens nothing written now. ` : '') +
      `master.key in ${dataDir} was sealed with ${SEALS[from]}; it is now sealed with ${SEALS[to]}.` +
      (to === 'passphrase' ? ' The daemon needs that passphrase at every start (GATEWAY_APIKEYS_PASSPHRASE or --passphrase-file).' : ''));
    return 0;
  },
};
