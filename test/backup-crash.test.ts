import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { populate } from '../bench/lib/populate.mjs';
import { backupFile, cli, everyKey, PASSPHRASE } from './helpers/backup.js';
import { CLI, startDaemon } from './helpers/daemon.js';
import { create, freshDataDir } from './helpers/vault.js';

/**
 * A kill -9 in the midst of a backup, a restore or a rekey (docs/storage.md, "Backups" and "Restore"):
 * a file of its own, with a longer time limit than the usual 300 s: it runs 30-odd CLI processes over
 * a vault of 3000 keys, and on this shared 2-core machine under load that alone once took 293 s.
 */
t.setTimeout(900_000);
t.test('kill -9 during a backup, a restore or a rekey leaves nothing the next command or start cannot read', async (t) => {
  const source = freshDataDir(t);
  await populate(source, 3000);
  const daemon = await startDaemon(t, { dataDir: source });
  const admin = await daemon.client('admin');
  const expected = (await everyKey(admin)).length;
  const file = backupFile(t);
  const dir = path.dirname(file);
  /** Runs the CLI and kills it with SIGKILL after `when` ms, or the moment the file `when` names holds a byte (polled each millisecond). */
  const killedAfter = (args: string[], when: number | string, env: Record<string, string> = {}) => new Promise<number | null>((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, GATEWAY_APIKEYS_BACKUP_PASSPHRASE: PASSPHRASE, ...env } });
    const holdsAByte = (file: string) => (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) > 0;
    const timer = typeof when === 'number'
      ? setTimeout(() => child.kill('SIGKILL'), when)
      : setInterval(() => holdsAByte(when) && child.kill('SIGKILL'), 1);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const delays = [0, 50, 150, 300, 500, 700, 900, 1200, 1600, 2200];

  const partial = `${file}.partial`;
  for (const ms of [...delays, partial]) {
    await killedAfter(['backup', '--out', file, '--force', '--data-dir', source, '--pipe', daemon.pipe], ms);
    if (fs.existsSync(file)) t.equal((await cli(['restore', '--verify', file])).code, 0, `killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}: a backup file that is there is whole`);
    fs.rmSync(file, { force: true });
    // A leftover .partial is refused (below): each kill starts afresh, but for the last.
    if (ms !== partial) fs.rmSync(partial, { force: true });
  }
  t.equal((await everyKey(admin)).length, expected, 'the daemon serves on after the killed backups');
  const again = ['backup', '--out', file, '--data-dir', source, '--pipe', daemon.pipe];
  if (fs.existsSync(partial)) {
    const leftover = await cli(again);
    t.equal(leftover.code, 1, 'a .partial left by the killed backup is refused');
    t.match(leftover.stderr, /b\.gwkb\.partial exists: an interrupted backup left it.*remove it and back up again\. Nothing was written\. \(BackupExists\)/);
    fs.rmSync(partial);
  }
  t.equal((await cli(again)).code, 0, 'and it backs up again once the .partial is removed');
  // The daemon itself killed while a backup is being read: its store and trail open as before.
  const reading = await admin.request('backup.create', { passphrase: PASSPHRASE });
  await admin.request('backup.read', { index: 0 });
  t.ok(reading.parts > 2);
  await daemon.stop('SIGKILL');
  const restarted = await startDaemon(t, { dataDir: source });
  const admin2 = await restarted.client('admin');
  t.equal((await everyKey(admin2)).length, expected);
  t.match(await admin2.request('audit.verify', {}), { intact: true });
  await restarted.stop();

  let finished = 0;
  // By time, and at each step of the writing, which takes milliseconds after a second of checking:
  // the marker, the new master key, the empty store, the audit entry (just before the compaction).
  const steps = ['restore.unfinished', 'master.key', 'keys.journal', 'keys.snapshot', path.join('audit', 'audit-000001.jsonl')];
  for (const [i, ms] of [...delays, ...steps].entries()) {
    const target = path.join(dir, `restore-${i}`);
    const code = await killedAfter(['restore', file, '--data-dir', target], typeof ms === 'number' ? ms : path.join(target, ms));
    if (code === 0) finished++;
    const left = fs.existsSync(target) ? fs.readdirSync(target).filter((name) => name !== 'daemon.lock') : [];
    if (code !== 0 && left.length === 0) {
      t.equal((await cli(['restore', file, '--data-dir', target])).code, 0, `killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}, before it wrote: restore again succeeds`);
    }
    const started = await startDaemon(t, { dataDir: target }).then(async (d) => {
      const count = (await everyKey(await d.client('admin'))).length;
      await d.stop();
      return count;
    }, (error: Error) => error.message);
    if (typeof started === 'number') {
      t.equal(started, expected, `killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}: a vault that starts holds every key`);
    } else {
      t.match(started, /restore\.unfinished: is in .*: a restore into this data directory did not finish/, `killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}: a half-restored vault is refused by name`);
      const redo = await cli(['restore', file, '--data-dir', target]);
      t.equal(redo.code, 0, `killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}: restore again starts over and succeeds (${redo.stderr})`);
      const d = await startDaemon(t, { dataDir: target });
      t.equal((await everyKey(await d.client('admin'))).length, expected);
      await d.stop();
    }
  }
  t.ok(finished < delays.length, 'some restores were killed before they finished');

  const rekeyed = path.join(dir, 'restore-0');
  for (const ms of [0, 100, 300, 500, 800, 1200, path.join(rekeyed, 'master.key.tmp')]) {
    await killedAfter(['rekey', '--data-dir', rekeyed], ms, { GATEWAY_APIKEYS_NEW_PASSPHRASE: 'the sealing passphrase' });
    const opened = await startDaemon(t, { dataDir: rekeyed }).catch(() => startDaemon(t, { dataDir: rekeyed, env: { GATEWAY_APIKEYS_PASSPHRASE: 'the sealing passphrase' } }));
    t.equal((await everyKey(await opened.client('admin'))).length, expected, `rekey killed at ${typeof ms === 'number' ? `${ms} ms` : path.basename(ms)}: the vault opens with the old seal or the new`);
    await opened.stop();
    // Back to a key file for the next round, when it was sealed.
    await cli(['rekey', '--data-dir', rekeyed, '--to-key-file'], { GATEWAY_APIKEYS_PASSPHRASE: 'the sealing passphrase' });
  }
});
