import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { populate } from '../bench/lib/populate.mjs';
import type { DaemonClient } from '../src/client/connect.js';
import type { ApiKeyInfo } from '../src/generated/schemas.js';
import { BackupStream, readBackup } from '../src/vault/backup.js';
import { ApiError } from '../src/shared/api-error.js';
import { backupKey, readBackupChunks, readBackupHeader } from '../src/vault/storage/backup-file.js';
import { backupFile, cli, everyKey, PASSPHRASE } from './helpers/backup.js';
import { CLI, callError, checkResult, ownAccount, startDaemon } from './helpers/daemon.js';
import { filesUnder, freshDataDir, holdsInClear, openTestVault, scratchPath, create, rotate } from './helpers/vault.js';

/** Backups and restores (docs/storage.md, "Backups" and "Restore"), through the daemon, the CLI and the file format; a kill -9 in the midst of them is test/backup-crash.test.ts. */

/** Authenticates every value in `keys`, 500 in flight; returns the answers in order. */
async function authenticateAll(client: DaemonClient, keys: string[]) {
  const answers = [];
  for (let i = 0; i < keys.length; i += 500) {
    answers.push(...await Promise.all(keys.slice(i, i + 500).map((key) => client.request('apiKey.verify', { key }))));
  }
  return answers;
}

t.test('10,000 keys backed up from a running daemon restore under another master key: every value, usage and rotation kept', async (t) => {
  const source = freshDataDir(t);
  await populate(source, 10_000);
  const daemon = await startDaemon(t, { dataDir: source });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const names = (await everyKey(admin)).map((k) => k.name);
  // Some history to keep: uses per connector, two rotations in their grace, a disabled key.
  const values = await Promise.all(names.map((name) => admin.request('apiKey.reveal', { name }).then((r) => r.key)));
  for (let i = 0; i < 40; i++) await gateway.request('connector.authenticate', { key: values[i % 8]!, connectorId: `connector-${i % 5}` });
  const rotated = await admin.request('apiKey.rotate', { name: names[100]!, graceHours: 48 });
  const previousValue = values[100]!;
  values[100] = rotated.key;
  await admin.request('apiKey.rotate', { name: names[101]!, graceHours: 0 });
  values[101] = (await admin.request('apiKey.reveal', { name: names[101]! })).key;
  await admin.request('apiKey.disable', { name: names[102]!, reason: 'testing backups' });
  const before = await everyKey(admin);
  const usageBefore = await Promise.all(names.slice(0, 8).map((name) => admin.request('apiKey.usage', { name })));

  const file = backupFile(t, 'vault.gwkb');
  const backedUp = await cli(['backup', '--out', file, '--data-dir', source, '--pipe', daemon.pipe]);
  t.equal(backedUp.code, 0, backedUp.stderr);
  t.match(backedUp.stdout, /Backed up 10000 keys of vault [0-9a-f]{32} to .* in [\d.]+ s \(\d+ keys\/s\)/);
  t.equal(backedUp.stderr, '', 'no progress bar when standard error is not a terminal');
  t.notOk(fs.existsSync(`${file}.partial`), 'the partial file was renamed into place');
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'the backup is private to its owner');
  const bytes = fs.readFileSync(file);
  for (const secret of [values[0]!, values[9999]!, previousValue, PASSPHRASE, daemon.adminToken()]) {
    t.notOk(holdsInClear(bytes, secret), 'no key value, token or passphrase in clear in the backup');
  }
  t.match((await admin.request('audit.list', { event: 'vault.backedUp' })).items, [{ role: 'admin', account: ownAccount, detail: { keyCount: 10_000 } }]);
  await daemon.stop();

  const target = path.join(scratchPath(t, 'restored'), 'data');
  const verified = await cli(['restore', '--verify', file, '--json']);
  t.equal(verified.code, 0, verified.stderr);
  t.match(JSON.parse(verified.stdout), { intact: true, keyCount: 10_000, vaultId: /^[0-9a-f]{32}$/ });
  t.notOk(fs.existsSync(target), '--verify writes nothing');
  const restored = await cli(['restore', file, '--data-dir', target]);
  t.equal(restored.code, 0, restored.stderr);
  t.match(restored.stdout, /Restored 10000 keys of vault .* in [\d.]+ s \(\d+ keys\/s\), under a new master key/);
  t.notSame(fs.readFileSync(path.join(target, 'master.key')), fs.readFileSync(path.join(source, 'master.key')), 'another master key');
  t.notOk(fs.existsSync(path.join(target, 'restore.unfinished')));

  const again = await startDaemon(t, { dataDir: target });
  const admin2 = await again.client('admin');
  const after = await everyKey(admin2);
  t.same(after, before, 'every key as it was: names, expiries, status, last use, rotation, enabled');
  t.same(await Promise.all(names.slice(0, 8).map((name) => admin2.request('apiKey.usage', { name }))), usageBefore, 'uses per connector kept');
  const answers = await authenticateAll(admin2, values);
  const failing = answers.map((a, i) => [i, a] as const).filter(([i, a]) => a.authenticated !== (i !== 102));
  t.same(failing, [], 'every value authenticates on the restored vault, the disabled one does not');
  t.match(answers[102], { authenticated: false, reason: 'Disabled' });
  t.match(await admin2.request('apiKey.verify', { key: previousValue }), { authenticated: true, previousValue: true }, 'a rotated key\'s previous value, in its grace');
  t.match((await admin2.request('audit.list', {})).items, [{ seq: 1, event: 'vault.restored', role: null, account: ownAccount, detail: { keyCount: 10_000 } }],
    'recorded with the account that ran the restore');
  t.same(await admin2.request('audit.verify', {}), { intact: true, entries: 1 });
});

t.test('a damaged, cut or foreign backup is BackupInvalid, a wrong passphrase PassphraseWrong: nothing is written', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  for (let i = 0; i < 2500; i++) await admin.request('apiKey.create', { name: `key-${i}` }); // three chunks
  const file = backupFile(t);
  t.equal((await cli(['backup', '--out', file, '--data-dir', daemon.dataDir, '--pipe', daemon.pipe])).code, 0);
  const bytes = fs.readFileSync(file);
  const { header, preludeEnd } = readBackupHeader(bytes);
  t.match(header, { format: 1, keyCount: 2500, chunkRows: 1000, kdf: { alg: 'argon2id13', opslimit: 3, memlimit: 268435456 } });

  // The format, byte by byte: every byte of the prelude fails before any passphrase is tried; a
  // byte of a chunk fails its authentication with the right key. One key derivation serves all.
  const key = await backupKey(Buffer.from(PASSPHRASE), header.kdf);
  t.teardown(() => key.dispose());
  const codeOf = (changed: Buffer) => {
    try {
      readBackupChunks(changed, key);
      return 'read';
    } catch (error) {
      return error instanceof ApiError ? error.code : String(error);
    }
  };
  const wrongAt: number[] = [];
  const step = Math.max(1, Math.floor((bytes.length - preludeEnd) / 3000));
  for (let at = 0; at < bytes.length; at += at < preludeEnd + 64 ? 1 : step) {
    const changed = Buffer.from(bytes);
    changed[at] = changed[at]! ^ (1 << (at % 8));
    if (codeOf(changed) !== 'BackupInvalid') wrongAt.push(at);
  }
  t.same(wrongAt, [], 'a one-bit change of any byte tried is BackupInvalid');
  const cuts = [0, 3, 9, preludeEnd - 1, preludeEnd, preludeEnd + 5, Math.floor(bytes.length / 2), bytes.length - 1];
  t.same(cuts.map((length) => codeOf(bytes.subarray(0, length))), cuts.map(() => 'BackupInvalid'), 'every cut is BackupInvalid');
  t.equal(codeOf(Buffer.concat([bytes, Buffer.from([0])])), 'BackupInvalid', 'a byte after the last chunk');
  t.equal(codeOf(bytes), 'read');

  // Through the command line: a changed byte, a foreign file, a wrong passphrase; nothing written.
  const target = path.join(scratchPath(t, 'target'), 'data');
  const changed = Buffer.from(bytes);
  changed[bytes.length - 100] = changed[bytes.length - 100]! ^ 0x20;
  fs.writeFileSync(`${file}.changed`, changed);
  fs.writeFileSync(`${file}.foreign`, 'not a backup at all\n');
  for (const [args, env, code] of [
    [['restore', `${file}.changed`, '--data-dir', target], {}, 'BackupInvalid'],
    [['restore', '--verify', `${file}.changed`], {}, 'BackupInvalid'],
    [['restore', `${file}.foreign`, '--data-dir', target], {}, 'BackupInvalid'],
    [['restore', file, '--data-dir', target], { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'not the passphrase' }, 'PassphraseWrong'],
    [['restore', '--verify', file], { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'not the passphrase' }, 'PassphraseWrong'],
  ] as const) {
    const result = await cli([...args], env);
    const what = args.map((arg) => path.basename(arg)).join(' ');
    t.equal(result.code, 1, `${what}: exits 1`);
    t.match(result.stderr, new RegExp(`\\(${code}\\)`), `${what}: ${code}`);
    t.notOk(fs.existsSync(target), 'nothing was written');
    t.notMatch(result.stderr, /a backup passphrase|not the passphrase/, 'no passphrase in the error');
  }
});

t.test('backup refuses: no passphrase, a passphrase too short, an existing file, the gateway role; reads go in order', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'one key' });
  const file = backupFile(t);
  const passphraseFile = path.join(path.dirname(file), 'pass.txt');
  const common = ['--data-dir', daemon.dataDir, '--pipe', daemon.pipe];
  const none = await cli(['backup', '--out', file, ...common], { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: '' });
  t.equal(none.code, 2);
  t.match(none.stderr, /No passphrase: set GATEWAY_APIKEYS_BACKUP_PASSPHRASE/);
  t.notOk(fs.existsSync(file));
  t.notOk(fs.existsSync(`${file}.partial`));
  const short = await cli(['backup', '--out', file, ...common], { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'Zq9!x' });
  t.equal(short.code, 1);
  t.match(short.stderr, /InvalidParams, passphrase/);
  t.notMatch(short.stderr, /Zq9!x/, 'the passphrase is not repeated');
  t.notOk(fs.existsSync(file));
  fs.writeFileSync(passphraseFile, `${PASSPHRASE}\n`);
  t.equal((await cli(['backup', '--out', file, '--passphrase-file', passphraseFile, ...common], { GATEWAY_APIKEYS_BACKUP_PASSPHRASE: '' })).code, 0, 'from a file');
  const exists = await cli(['backup', '--out', file, ...common]);
  t.equal(exists.code, 2);
  t.match(exists.stderr, /exists: give another --out, or add --force/);
  t.equal((await cli(['backup', '--out', file, '--force', ...common])).code, 0);

  const gateway = await daemon.client('gateway');
  t.match(await callError(gateway.request('backup.create', { passphrase: PASSPHRASE })), { code: 'Forbidden' });
  t.match(await callError(admin.request('backup.read', { index: 0 })), { code: 'InvalidParams', message: /call backup.create first/ });
  const started = await admin.request('backup.create', { passphrase: PASSPHRASE });
  checkResult(t, 'backup.create', started);
  t.match(started, { keyCount: 1, parts: 2 });
  t.match(await callError(admin.request('backup.read', { index: 1 })), { code: 'InvalidParams', field: 'index', message: /part 0 is next/ });
  const parts = [await admin.request('backup.read', { index: 0 }), await admin.request('backup.read', { index: 1 })];
  checkResult(t, 'backup.read', parts[1]);
  t.same(parts.map((p) => p.last), [false, true]);
  t.match(await callError(admin.request('backup.read', { index: 2 })), { code: 'InvalidParams', message: /call backup.create first/ }, 'ended after its last part');
  const { summary, records } = await readBackup(Buffer.concat(parts.map((p) => Buffer.from(p.data, 'base64'))), Buffer.from(PASSPHRASE));
  t.equal(summary.keyCount, 1);
  t.equal(records[0]!.name, 'one key');
  t.equal((await admin.request('audit.list', { event: 'vault.backedUp' })).total, 3, 'one audit entry per backup started');
  const log = fs.readFileSync(path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log'), 'utf8');
  t.match(log, /"event":"vault.backedUp"/);
  t.notMatch(log, new RegExp(PASSPHRASE), 'no passphrase in the log');
  t.notMatch(log + daemon.stdout() + daemon.stderr(), /Zq9!x/, 'not even a refused one');
});

t.test('at most 4 backups are read at once, daemon-wide; a closed connection ends its backup, even one still starting', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'one key' });
  const admins = await Promise.all(Array.from({ length: 5 }, () => daemon.client('admin')));
  const started = await Promise.allSettled(admins.map((client) => client.request('backup.create', { passphrase: PASSPHRASE })));
  t.same(started.map((s) => s.status).sort(), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected'], 'five started together: four run');
  const refused = admins[started.findIndex((s) => s.status === 'rejected')]!;
  t.match(await callError(refused.request('backup.create', { passphrase: PASSPHRASE })), { code: 'Internal', message: /4 backups are being read already/ });
  admins[started.findIndex((s) => s.status === 'fulfilled')]!.close();
  // One closing while its backup is still deriving its key frees its place too, once derived.
  const quitter = await daemon.client('admin');
  void quitter.request('backup.create', { passphrase: PASSPHRASE }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 50));
  quitter.close();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.match(await refused.request('backup.create', { passphrase: PASSPHRASE }), { keyCount: 1 }, 'a closed connection gave its place back');
});

t.test('a backup is the keys of one instant: changes made while it is read are not in it', async (t) => {
  const { vault } = await openTestVault(t);
  for (let i = 0; i < 1500; i++) await create(vault, { name: `key-${i}` });
  const backup = await BackupStream.start(vault, Buffer.from(PASSPHRASE), { role: 'admin', connection: 1 }, () => undefined);
  const parts = [backup.read(0).data];
  await create(vault, { name: 'made during the backup' });
  await rotate(vault, { name: 'key-1400', graceHours: 0 });
  for (let i = 1; i < backup.parts; i++) parts.push(backup.read(i).data);
  const { records } = await readBackup(Buffer.concat(parts), Buffer.from(PASSPHRASE));
  t.equal(records.length, 1500);
  t.notOk(records.some((r) => r.name === 'made during the backup'));
  t.equal(records.find((r) => r.name === 'key-1400')!.rotatedAt, null, 'the rotation came after the instant');
});

t.test('restore goes into a new or empty data dir only, never one a daemon holds; its tokens are new', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'moved' });
  const file = backupFile(t);
  t.equal((await cli(['backup', '--out', file, '--data-dir', daemon.dataDir, '--pipe', daemon.pipe])).code, 0);
  const held = await cli(['restore', file, '--data-dir', daemon.dataDir]);
  t.equal(held.code, 1);
  t.match(held.stderr, /is not empty: a restore goes into a new or empty data directory only/);
  t.match(await admin.request('apiKey.get', { name: 'moved' }), { name: 'moved' }, 'the live vault serves on');
  await daemon.stop();
  const before = filesUnder(daemon.dataDir);
  t.equal((await cli(['restore', file, '--data-dir', daemon.dataDir])).code, 1, 'nor over a stopped vault');
  t.same(filesUnder(daemon.dataDir), before, 'which is untouched');
  const empty = path.join(scratchPath(t, 'empty'), 'data');
  fs.mkdirSync(empty, { recursive: true, mode: 0o700 });
  const sealed = await cli(['restore', file, '--data-dir', empty], { GATEWAY_APIKEYS_PASSPHRASE: 'the new vault passphrase' });
  t.equal(sealed.code, 0, sealed.stderr);
  t.match(sealed.stdout, /sealed with GATEWAY_APIKEYS_PASSPHRASE/);
  const noPassphrase = await startDaemon(t, { dataDir: empty }).then(() => 'started', (error: Error) => error.message);
  t.match(noPassphrase, /passphrase/i, 'the restored vault is sealed');
  const restored = await startDaemon(t, { dataDir: empty, env: { GATEWAY_APIKEYS_PASSPHRASE: 'the new vault passphrase' } });
  t.not(restored.adminToken(), daemon.adminToken(), 'new tokens');
  t.match(await (await restored.client('admin')).request('apiKey.get', { name: 'moved' }), { name: 'moved' });
});

t.test('a vault holding a planted restore.unfinished survives a restore byte for byte: only an unfinished restore is started over', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  for (const name of ['first key', 'second key']) await admin.request('apiKey.create', { name });
  await admin.request('apiKey.disable', { name: 'first key' });
  const file = backupFile(t);
  t.equal((await cli(['backup', '--out', file, '--data-dir', daemon.dataDir, '--pipe', daemon.pipe])).code, 0);
  await daemon.stop();
  const vaultId = fs.readFileSync(path.join(daemon.dataDir, 'master.key')).subarray(6, 22).toString('hex');
  /** A restore into `dir` is refused for `why`, and every byte under `dir` is as it was. */
  const survives = async (dir: string, why: RegExp, what: string) => {
    const before = filesUnder(dir);
    const names = fs.readdirSync(dir, { recursive: true }).sort();
    const result = await cli(['restore', file, '--data-dir', dir]);
    t.equal(result.code, 1, `${what}: refused`);
    t.match(result.stderr, /holds restore\.unfinished, but is not what an unfinished restore leaves: /, what);
    t.match(result.stderr, why, `${what}: naming the file`);
    t.match(result.stderr, /nothing was touched\. If this data directory is not needed, empty it, or restore into a new one\. \(InvalidParams\)$/m);
    t.same(fs.readdirSync(dir, { recursive: true }).sort(), names, `${what}: no file made or removed (not even a lock)`);
    t.same(filesUnder(dir), before, `${what}: byte for byte`);
  };

  // The live vault as it is, with a marker as a restore of this version writes it, or as one before wrote it.
  const marker = path.join(daemon.dataDir, 'restore.unfinished');
  const markerText = `${JSON.stringify({ restoring: 'gateway-apikeys', fromVault: vaultId, vaultId })}\n`;
  fs.writeFileSync(marker, 'anything at all', { mode: 0o600 });
  await survives(daemon.dataDir, /restore\.unfinished is not what a restore writes/, 'a marker no restore wrote');
  fs.writeFileSync(marker, markerText, { mode: 0o600 });
  await survives(daemon.dataDir, /(admin|gateway)\.token is there, and a restore never writes it/, 'a live vault');

  // Only the files a restore writes, of a vault that served: what it did is in its journal or its audit trail.
  const copy = (name: string, keep: (file: string) => boolean) => {
    const dir = path.join(scratchPath(t, name), 'data');
    fs.cpSync(daemon.dataDir, dir, { recursive: true, filter: (from) => from === daemon.dataDir || keep(path.relative(daemon.dataDir, from)) });
    return dir;
  };
  const storeAndTrail = (relative: string) => /^(master\.key|keys\.(snapshot|journal)|audit|audit\/audit-000001\.jsonl|restore\.unfinished)$/.test(relative);
  await survives(copy('changes', storeAndTrail), /(keys\.journal records changes, and a restore writes none|audit\/audit-000001\.jsonl holds \d+ entries, and a restore writes one)/,
    'a vault without its tokens and logs');
  const compacted = copy('compacted', (relative) => storeAndTrail(relative) && relative !== 'keys.journal');
  await survives(compacted, /audit\/audit-000001\.jsonl holds 4 entries, and a restore writes one/, 'its journal gone too');
  const foreign = copy('foreign', (relative) => relative === 'keys.snapshot' || relative === 'restore.unfinished');
  fs.writeFileSync(path.join(foreign, 'restore.unfinished'), `${JSON.stringify({ restoring: 'gateway-apikeys', fromVault: vaultId, vaultId: 'ab'.repeat(16) })}\n`);
  await survives(foreign, new RegExp(`keys\\.snapshot is of vault ${vaultId}, and restore\\.unfinished of vault abab`), 'another vault\'s store');

  // A restore that finished, its marker planted again as the versions before wrote it: its one entry was written after the marker named the vault.
  const restored = path.join(scratchPath(t, 'restored'), 'data');
  t.equal((await cli(['restore', file, '--data-dir', restored])).code, 0);
  fs.writeFileSync(path.join(restored, 'restore.unfinished'), `restoring a backup of vault ${vaultId}\n`, { mode: 0o600 });
  await survives(restored, /audit\/audit-000001\.jsonl holds an entry, and restore\.unfinished names no vault a restore made/, 'a finished restore');

  // What an unfinished restore does leave is started over (the kill -9 test below has every step).
  fs.writeFileSync(path.join(restored, 'restore.unfinished'), `${JSON.stringify({ restoring: 'gateway-apikeys', fromVault: vaultId, vaultId: fs.readFileSync(path.join(restored, 'master.key')).subarray(6, 22).toString('hex') })}\n`);
  const redone = await cli(['restore', file, '--data-dir', restored]);
  t.equal(redone.code, 0, `the restore's own leftovers are started over: ${redone.stderr}`);
  t.notOk(fs.existsSync(path.join(restored, 'restore.unfinished')));
});
t.test('backup writes nothing through a FILE.partial it did not make: a planted symbolic link, a file of another user', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'one key' });
  const common = ['--data-dir', daemon.dataDir, '--pipe', daemon.pipe];
  const file = backupFile(t);
  const partial = `${file}.partial`;
  const refused = async (args: string[], what: string) => {
    const result = await cli(['backup', '--out', file, ...args, ...common]);
    t.equal(result.code, 1, `${what}: refused`);
    t.match(result.stderr, /b\.gwkb\.partial exists: an interrupted backup left it, or another backup is being written there\. If no other backup is running, remove it and back up again\. Nothing was written\. \(BackupExists\)/);
    t.notOk(fs.existsSync(file), `${what}: no backup file`);
  };

  // Where the link points: a file the link's maker wants overwritten, or a path it wants created.
  const target = path.join(path.dirname(file), 'target');
  fs.symlinkSync(target, partial);
  await refused([], 'a link to nothing');
  await refused(['--force'], 'even with --force, which replaces FILE only');
  t.notOk(fs.existsSync(target), 'nothing was created where it points');
  fs.writeFileSync(target, 'what the link points to', { mode: 0o644 });
  await refused([], 'a link to a file');
  t.equal(fs.readFileSync(target, 'utf8'), 'what the link points to', 'which is unchanged');
  t.equal(fs.statSync(target).mode & 0o777, 0o644);
  t.equal(fs.readlinkSync(partial), target, 'and the link is left as it was');
  fs.unlinkSync(partial);

  if (process.getuid?.() === 0) {
    fs.writeFileSync(partial, 'theirs', { mode: 0o644 });
    fs.chownSync(partial, 65534, 65534);
    await refused([], 'a file another user made, which would stay theirs and readable');
    t.equal(fs.readFileSync(partial, 'utf8'), 'theirs', 'nothing was written to it');
    t.equal(fs.statSync(partial).uid, 65534);
    fs.rmSync(partial);
  } else {
    t.comment('a .partial of another user: not tried, it needs root to make one');
  }

  t.equal((await cli(['backup', '--out', file, ...common])).code, 0, 'once it is removed, the backup is written');
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'owner-only');
  t.equal(fs.statSync(file).uid, process.getuid?.(), 'and ours');
});
