import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Command } from './client-commands.js';
import { counted } from './output.js';
import { ProgressBar, rateText } from './progress.js';
import { readPassphrase } from './secret-input.js';
import { UsageError } from './usage.js';

/**
 * `gateway-apikeys backup --out FILE [--force]` (docs/storage.md, "Backups"): the running daemon
 * seals every key with a key derived from the passphrase (GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else
 * typed twice; never an argument) and hands the file over part by part. It is written to
 * FILE.partial and renamed into place once whole and on disk, so FILE is a whole backup or absent.
 */
export const backupCommand: Command = {
  options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, 'passphrase-file': { type: 'string' } },
  positional: 'none',
  check(flags) {
    if (flags.out === undefined) throw new UsageError("'backup' needs --out FILE: where to write the backup.");
  },
  async run(client, flags, _name, io) {
    const out = path.resolve(String(flags.out));
    if (!flags.force && await fsp.stat(out).then(() => true, () => false)) {
      throw new UsageError(`${out} exists: give another --out, or add --force to replace it.`);
    }
    const passphrase = await readPassphrase({
      file: flags['passphrase-file'] as string | undefined, variable: 'GATEWAY_APIKEYS_BACKUP_PASSPHRASE', prompt: 'Backup passphrase: ', confirm: true, required: true });
    const bar = new ProgressBar('Backing up');
    let started;
    try {
      started = await client.request('backup.create', { passphrase: passphrase!.toString('utf8') });
    } finally {
      passphrase!.fill(0);
    }
    const partial = `${out}.partial`;
    const file = await fsp.open(partial, 'w', 0o600);
    try {
      const parts = started.parts;
      for (let index = 0; index < parts; index++) {
        const { data } = await client.request('backup.read', { index });
        await file.write(Buffer.from(data, 'base64'));
        bar.update(Math.min(started.keyCount, Math.round((started.keyCount * index) / (parts - 1))), started.keyCount);
      }
      await file.sync();
      await file.close();
      await fsp.rename(partial, out);
    } catch (error) {
      await file.close().catch(() => undefined);
      await fsp.rm(partial, { force: true });
      throw error;
    }
    const rate = bar.finish(started.keyCount);
    const result = { file: out, vaultId: started.vaultId, keyCount: started.keyCount, createdAt: started.createdAt, seconds: rate.seconds, keysPerSecond: rate.keysPerSecond };
    io.out(flags.json ? JSON.stringify(result, null, 2)
      : `Backed up ${counted(started.keyCount, 'key')} of vault ${started.vaultId} to ${out} ${rateText(rate)}. ` +
        'Keep the passphrase apart from the file: without it the backup cannot be restored.');
    return 0;
  },
};
