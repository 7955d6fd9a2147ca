import { promises as fsp } from 'node:fs';
import { resolveDataDir } from '../../locations.js';
import { type OfflineCommand, text } from '../command.js';
import { counted } from '../output.js';
import { ProgressBar, rateText } from '../progress.js';
import { readPassphrase, vaultPassphrase } from '../secret-input.js';
import { UsageError } from '../usage-error.js';

/**
 * `restore FILE --data-dir DIR` and `restore --verify FILE`, offline (docs/storage.md, "Restore").
 * The backup's passphrase comes from the file, else GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else a
 * prompt; GATEWAY_APIKEYS_PASSPHRASE, when set, seals the new vault's master key. A wrong
 * passphrase is PassphraseWrong, damage BackupInvalid, and either way nothing is written.
 */
export const restoreCommand: OfflineCommand = {
  name: 'restore',
  group: 'Backups and passphrases',
  summary: 'offline: a backup into a new or empty data dir, under a new master key; --verify only checks the file and its passphrase',
  operand: { name: 'FILE', required: true },
  session: false,
  passphraseVariable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE',
  options: {
    'data-dir': { type: 'string', value: 'DIR', help: 'the new vault (sealed when GATEWAY_APIKEYS_PASSPHRASE is set)' },
    verify: { type: 'boolean', help: 'check the file and its passphrase, say what it holds, write nothing' },
    json: { type: 'boolean', help: 'machine-readable output' },
    'passphrase-file': { type: 'string', value: 'FILE', help: "a file holding the backup's passphrase" },
  },
  async run({ flags, operand, io }) {
    const { readBackup, restoreVault } = await import('../../vault/backup.js');
    const file = operand!;
    const backup = await fsp.readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`Cannot read ${file}: ${error.code ?? error.message}.`);
    });
    const passphrase = (await readPassphrase({
      file: text(flags, 'passphrase-file'), variable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE', prompt: 'Backup passphrase: ', required: true,
    }))!;
    const sealWith = flags.verify === true ? undefined : vaultPassphrase();
    const bar = new ProgressBar(flags.verify === true ? 'Checking' : 'Restoring');
    const onProgress = (done: number, total: number) => bar.update(done, total);
    try {
      if (flags.verify === true) {
        const { summary } = await readBackup(backup, passphrase, onProgress);
        bar.finish(summary.keyCount);
        io.out(flags.json ? JSON.stringify({ file, intact: true, ...summary }, null, 2)
          : `${file} is an intact backup and the passphrase is right: ${counted(summary.keyCount, 'key')} of vault ${summary.vaultId}, taken ${summary.createdAt}.`);
        return 0;
      }
      const dataDir = resolveDataDir(text(flags, 'data-dir'));
      const summary = await restoreVault({ backup, passphrase, dataDir, vaultPassphrase: sealWith, onProgress });
      const rate = bar.finish(summary.keyCount);
      io.out(flags.json ? JSON.stringify({ file, dataDir, ...summary, seconds: rate.seconds, keysPerSecond: rate.keysPerSecond }, null, 2)
        : `Restored ${counted(summary.keyCount, 'key')} of vault ${summary.vaultId} (taken ${summary.createdAt}) into ${dataDir} ${rateText(rate)}, ` +
          `under a new master key${sealWith ? ' sealed with GATEWAY_APIKEYS_PASSPHRASE' : ''}. ` +
          `Start the daemon on it (${io.invokedAs} serve --data-dir ${dataDir}); it makes new tokens, so give the gateway the new gateway.token.`);
      return 0;
    } finally {
      passphrase.fill(0);
      sealWith?.fill(0);
    }
  },
};
