import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ClientErrorCode } from '../../generated/error-codes.js';
import { type SessionCommand, text } from '../command.js';
import { counted } from '../output.js';
import { ProgressBar, rateText } from '../progress.js';
import { readPassphrase } from '../secret-input.js';
import { UsageError } from '../usage-error.js';

/**
 * `backup --out FILE [--force]` (docs/storage.md, "Backups"): the running daemon seals every key
 * with a key derived from the passphrase (the file, else GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else
 * typed twice; never an argument) and hands the file over part by part. It is written to
 * FILE.partial and renamed into place once whole and on disk, so FILE is a whole backup or absent.
 */

/**
 * FILE.partial is already there. It is never opened: a symbolic link planted there would have the
 * backup written wherever it points, a file another user made would stay theirs, and one another
 * backup is writing would be cut short (docs/security.md, "Backups and passphrases").
 */
class PartialExistsError extends Error {
  readonly code = 'BackupExists' satisfies ClientErrorCode;

  constructor(partial: string) {
    super(`${partial} exists: an interrupted backup left it, or another backup is being written there. ` +
      'If no other backup is running, remove it and back up again. Nothing was written.');
    this.name = 'PartialExistsError';
  }
}

/** Creates FILE.partial, 0600, only if nothing is there (O_EXCL: not through a symbolic link either). */
async function createPartial(partial: string) {
  try {
    return await fsp.open(partial, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new PartialExistsError(partial);
    throw error;
  }
}

export const backupCommand: SessionCommand = {
  name: 'backup',
  group: 'Backups and passphrases',
  summary: 'every key, values and history included, to one file sealed with a passphrase (the file, else GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else typed twice)',
  session: true,
  passphraseVariable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'where to write it (vault.gwkbak)' },
    force: { type: 'boolean', help: 'replace FILE when it exists' },
    'passphrase-file': { type: 'string', value: 'FILE', help: 'a file holding the passphrase (its one line)' },
  },
  check({ flags, io }) {
    if (flags.out === undefined) throw new UsageError(`'backup' needs --out FILE, where to write the backup: ${io.invokedAs} backup --out vault.gwkbak`);
  },
  async run(client, invocation) {
    const { flags, io } = invocation;
    const out = path.resolve(text(flags, 'out')!);
    if (flags.force !== true && await fsp.stat(out).then(() => true, () => false)) {
      throw new UsageError(`${out} exists: give another --out, or add --force to replace it.`);
    }
    const partial = `${out}.partial`;
    // Said before the passphrase is asked; the exclusive create below is what decides.
    if (await fsp.lstat(partial).then(() => true, () => false)) throw new PartialExistsError(partial);
    const passphrase = (await readPassphrase({
      file: text(flags, 'passphrase-file'), variable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE', prompt: 'Backup passphrase: ', confirm: true, required: true }))!;
    const bar = new ProgressBar('Backing up');
    // A backup belongs to the connection that created it (docs/protocol.md): every part is read on it.
    const started = await client.withConnection(async (connection) => {
      let created;
      try {
        created = await connection.request('backup.create', { passphrase: passphrase.toString('utf8') });
      } finally {
        passphrase.fill(0);
      }
      const file = await createPartial(partial);
      try {
        const parts = created.parts;
        for (let index = 0; index < parts; index++) {
          const { data } = await connection.request('backup.read', { index });
          await file.write(Buffer.from(data, 'base64'));
          bar.update(Math.min(created.keyCount, Math.round((created.keyCount * index) / (parts - 1))), created.keyCount);
        }
        await file.sync();
        await file.close();
        await fsp.rename(partial, out);
      } catch (error) {
        await file.close().catch(() => undefined);
        await fsp.rm(partial, { force: true });
        throw error;
      }
      return created;
    });
    const rate = bar.finish(started.keyCount);
    const result = { file: out, vaultId: started.vaultId, keyCount: started.keyCount, createdAt: started.createdAt, seconds: rate.seconds, keysPerSecond: rate.keysPerSecond };
    io.out(flags.json ? JSON.stringify(result, null, 2)
      : `Backed up ${counted(started.keyCount, 'key')} of vault ${started.vaultId} to ${out} ${rateText(rate)}. ` +
        'Keep the passphrase apart from the file: without it the backup cannot be restored.');
    return 0;
  },
};
