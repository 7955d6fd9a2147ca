import { promises as fsp } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveDataDir } from '../locations.js';
import { readBackup, restoreVault } from '../vault/backup.js';
import { counted } from './output.js';
import { ProgressBar, rateText } from './progress.js';
import { readPassphrase, vaultPassphrase } from './secret-input.js';
import { UsageError } from './usage.js';

/**
 * `gateway-apikeys restore FILE --data-dir DIR` and `restore --verify FILE`, offline (docs/storage.md,
 * "Restore"). The backup's passphrase comes from GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else a prompt;
 * GATEWAY_APIKEYS_PASSPHRASE, when set, seals the new vault's master key. A wrong passphrase is
 * PassphraseWrong, damage BackupInvalid, and either way nothing is written.
 */
export async function restoreCommand(args: string[], out: (text: string) => void): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args, allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' }, verify: { type: 'boolean' }, json: { type: 'boolean' }, 'passphrase-file': { type: 'string' } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (positionals.length !== 1) throw new UsageError("'restore' takes one FILE: the backup.");
  const file = positionals[0]!;
  const backup = await fsp.readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read ${file}: ${error.code ?? error.message}.`);
  });
  const passphrase = (await readPassphrase({
    file: values['passphrase-file'], variable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE', prompt: 'Backup passphrase: ', required: true,
  }))!;
  const sealWith = values.verify ? undefined : vaultPassphrase();
  const bar = new ProgressBar(values.verify ? 'Checking' : 'Restoring');
  const onProgress = (done: number, total: number) => bar.update(done, total);
  try {
    if (values.verify) {
      const { summary } = await readBackup(backup, passphrase, onProgress);
      bar.finish(summary.keyCount);
      out(values.json ? JSON.stringify({ file, intact: true, ...summary }, null, 2)
        : `${file} is an intact backup and the passphrase is right: ${counted(summary.keyCount, 'key')} of vault ${summary.vaultId}, taken ${summary.createdAt}.`);
      return 0;
    }
    const dataDir = resolveDataDir(values['data-dir']);
    const summary = await restoreVault({ backup, passphrase, dataDir, vaultPassphrase: sealWith, onProgress });
    const rate = bar.finish(summary.keyCount);
    out(values.json ? JSON.stringify({ file, dataDir, ...summary, seconds: rate.seconds, keysPerSecond: rate.keysPerSecond }, null, 2)
      : `Restored ${counted(summary.keyCount, 'key')} of vault ${summary.vaultId} (taken ${summary.createdAt}) into ${dataDir} ${rateText(rate)}, ` +
        `under a new master key${sealWith ? ' sealed with GATEWAY_APIKEYS_PASSPHRASE' : ''}. ` +
        'Start the daemon on it; it makes new tokens, so give the gateway the new gateway.token.');
    return 0;
  } finally {
    passphrase.fill(0);
    sealWith?.fill(0);
  }
}
