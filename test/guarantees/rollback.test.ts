import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { JOURNAL_HEADER_BYTES } from '../../src/vault/storage/file-format.js';
import { startDaemon } from '../helpers/daemon.js';
import { filesUnder, freshDataDir, scratchPath } from '../helpers/vault.js';

/**
 * Issue 21 items 5 and 6, against the real daemon: the audit trail's tail and the key store cannot
 * be cut or rolled back without the daemon seeing it (docs/storage.md, "Anchors"; docs/security.md,
 * "Cuts and rollbacks"). Each attack is made on the files of a stopped (or killed) daemon, and the
 * next start must refuse, naming the file, and change nothing; a key deleted before the attack never
 * authenticates again.
 */

/** A daemon with keys made, disabled, rotated and deleted: the names of what changed, and the values. */
async function busyDaemon(t: Test, dataDir = freshDataDir(t)) {
  const daemon = await startDaemon(t, { dataDir });
  const admin = await daemon.client('admin');
  const created = async (name: string) => (await admin.request('apiKey.create', { name })).key;
  return { daemon, admin, created };
}

/** Starts the daemon on `dataDir` expecting a refusal: its message, with the data dir left as it was. */
async function refusedStart(t: Test, dataDir: string, file: string, message: RegExp): Promise<void> {
  const isLog = (name: string) => name.includes(`${path.sep}logs${path.sep}`) || name.endsWith('daemon.lock');
  const before = [...filesUnder(dataDir)].filter(([name]) => !isLog(name));
  const error = await startDaemon(t, { dataDir }).then(
    async (daemon) => { await daemon.stop(); return undefined; },
    (e: Error) => e,
  );
  t.ok(error, 'the daemon refused to start');
  t.match(error?.message, new RegExp(`exited \\(1\\) before serving:[\\s\\S]*${file.replace('.', '\\.')}: `), `it names ${file}`);
  t.match(error?.message, message, 'and says what was found against what is anchored');
  t.same([...filesUnder(dataDir)].filter(([name]) => !isLog(name)), before, 'nothing was overwritten or repaired');
}

/** Byte offsets where each journal record starts, and the end (docs/storage.md, "Formats"). */
function recordOffsets(journal: Buffer): number[] {
  const offsets = [];
  for (let at = JOURNAL_HEADER_BYTES; at < journal.length; at += 8 + journal.readUInt32BE(at)) offsets.push(at);
  offsets.push(journal.length);
  return offsets;
}

function copyFiles(from: string, to: string, names: string[]): void {
  fs.mkdirSync(to, { recursive: true });
  for (const name of names) fs.cpSync(path.join(from, name), path.join(to, name), { recursive: true });
}

const auditFile = (dataDir: string) => path.join(dataDir, 'audit', 'audit-000001.jsonl');

t.test('audit/head deleted: the start is refused, and audit.verify reports it while the daemon runs', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Orders');
  fs.rmSync(path.join(daemon.dataDir, 'audit', 'head'));
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 2, reason: /audit\/head is missing/ });
  await daemon.stop(); // the close writes it again
  fs.rmSync(path.join(daemon.dataDir, 'audit', 'head'));
  await refusedStart(t, daemon.dataDir, 'audit/head', /is missing/);
});

t.test('the newest audit file cut at a line boundary, with its head deleted: the start is refused', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Orders');
  await admin.request('apiKey.reveal', { name: 'Orders' });
  await admin.request('apiKey.delete', { name: 'Orders' });
  await daemon.stop();
  const lines = fs.readFileSync(auditFile(daemon.dataDir), 'utf8').split('\n').filter(Boolean);
  t.equal(lines.length, 3);
  fs.writeFileSync(auditFile(daemon.dataDir), `${lines.slice(0, 1).join('\n')}\n`); // the reveal and the delete cut off
  fs.rmSync(path.join(daemon.dataDir, 'audit', 'head'));
  await refusedStart(t, daemon.dataDir, 'audit/audit-000001.jsonl', /ends at entry 1, but the key store names entry 3/);
});

t.test('the audit trail cut after a crash, before its head was written: the start is refused', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Orders');
  await admin.request('apiKey.delete', { name: 'Orders' });
  await daemon.stop('SIGKILL'); // within the head's few seconds: it still names no entry
  const lines = fs.readFileSync(auditFile(daemon.dataDir), 'utf8').split('\n').filter(Boolean);
  fs.writeFileSync(auditFile(daemon.dataDir), `${lines.slice(0, 1).join('\n')}\n`);
  await refusedStart(t, daemon.dataDir, 'audit/audit-000001.jsonl', /ends at entry 1, but the key store names entry 2/);
});

t.test('audit/ deleted: the start is refused instead of a new trail beginning', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Orders');
  fs.rmSync(path.join(daemon.dataDir, 'audit'), { recursive: true });
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 1, reason: /cut off the end/ }, 'while it runs');
  await daemon.stop('SIGKILL');
  fs.rmSync(path.join(daemon.dataDir, 'audit'), { recursive: true, force: true });
  await refusedStart(t, daemon.dataDir, 'audit', /holds no entry, but the key store names entry 1/);
  t.notOk(fs.existsSync(path.join(daemon.dataDir, 'audit')), 'no new trail was begun');
});

t.test('an older snapshot and journal put back after a delete, a disable and a rotation: the start is refused', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  const deleted = await created('Deleted');
  const disabled = await created('Disabled');
  const rotated = await created('Rotated');
  const old = scratchPath(t, 'old-store');
  copyFiles(daemon.dataDir, old, ['keys.snapshot', 'keys.journal']);
  await admin.request('apiKey.delete', { name: 'Deleted' });
  await admin.request('apiKey.disable', { name: 'Disabled' });
  await admin.request('apiKey.rotate', { name: 'Rotated', graceHours: 0 });
  const gateway = await daemon.client('gateway');
  for (const key of [deleted, disabled, rotated]) t.match(await gateway.request('connector.authenticate', { key }), { authenticated: false });
  await daemon.stop();
  copyFiles(old, daemon.dataDir, ['keys.snapshot', 'keys.journal']);
  await refusedStart(t, daemon.dataDir, 'keys.snapshot', /holds generation 0 with 3 journal records, but audit\/head anchors generation 1 with 0 journal records: an older key store was put back/);
});

t.test('the journal cut at a record boundary after a crash: the start is refused, and the deleted key stays deleted', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Deleted');
  await created('Kept');
  await admin.request('apiKey.delete', { name: 'Deleted' });
  await created('Later');
  await daemon.stop('SIGKILL'); // the journal holds the four changes
  const journalFile = path.join(daemon.dataDir, 'keys.journal');
  const offsets = recordOffsets(fs.readFileSync(journalFile));
  t.equal(offsets.length, 5, 'four records');
  fs.truncateSync(journalFile, offsets[2]!); // the delete and what came after it cut off
  await refusedStart(t, daemon.dataDir, 'keys.journal', /holds generation 0 with 2 journal records, but audit\/audit-000001\.jsonl entry 4 anchors generation 0 with 3/);
});

t.test('the audit trail alone rolled back to an older copy: the start is refused', async (t) => {
  const { daemon, created } = await busyDaemon(t);
  await created('Orders');
  await daemon.stop();
  const old = scratchPath(t, 'old-audit');
  copyFiles(daemon.dataDir, old, ['audit']);
  const again = await busyDaemon(t, daemon.dataDir);
  await again.admin.request('apiKey.delete', { name: 'Orders' });
  await again.daemon.stop();
  fs.rmSync(path.join(daemon.dataDir, 'audit'), { recursive: true });
  copyFiles(old, daemon.dataDir, ['audit']);
  await refusedStart(t, daemon.dataDir, 'audit/audit-000001.jsonl', /ends at entry 1, but the key store names entry 2/);
});

t.test('the key store alone rolled back with its head deleted: the last audit entry still anchors it', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Deleted');
  const old = scratchPath(t, 'old-store');
  copyFiles(daemon.dataDir, old, ['keys.snapshot', 'keys.journal']);
  await admin.request('apiKey.delete', { name: 'Deleted' });
  await created('Later');
  await daemon.stop();
  copyFiles(old, daemon.dataDir, ['keys.snapshot', 'keys.journal']);
  fs.rmSync(path.join(daemon.dataDir, 'audit', 'head'));
  await refusedStart(t, daemon.dataDir, 'keys.journal', /holds generation 0 with 1 journal record, but audit\/audit-000001\.jsonl entry 3 anchors generation 0 with 2/);
});

t.test('a clean stop and a crash both leave a data dir that starts: the anchors never refuse what the daemon wrote', async (t) => {
  const { daemon, admin, created } = await busyDaemon(t);
  await created('Orders');
  await admin.request('apiKey.rotate', { name: 'Orders', graceHours: 1 });
  await daemon.stop('SIGKILL');
  const again = await busyDaemon(t, daemon.dataDir);
  t.match(await again.admin.request('audit.verify', {}), { intact: true, entries: 2 });
  await again.admin.request('apiKey.delete', { name: 'Orders' });
  await again.daemon.stop();
  const third = await busyDaemon(t, daemon.dataDir);
  t.match(await third.admin.request('audit.verify', {}), { intact: true, entries: 3 });
});
