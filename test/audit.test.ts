import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { randomBytes } from '../src/shared/random.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { CLI, callError, checkResult, type DaemonProcess, ownAccount, startDaemon } from './helpers/daemon.js';
import { copyOfFixture } from './helpers/vault.js';

/** The audit trail through the daemon, the CLI and rekey (docs/storage.md, "The audit trail"). */
const run = promisify(execFile);

const isRoot = process.getuid!() === 0;

/**
 * Runs one admin request as another local user (nobody, in the daemon's group, so it may open the
 * socket), through a script that user can read wherever this checkout lives.
 */
async function requestAsNobody(t: Test, daemon: DaemonProcess, method: string, params: object): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-nobody-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, 'admin-request.mjs');
  fs.copyFileSync(path.join(import.meta.dirname, 'helpers/admin-request.mjs'), script);
  fs.chmodSync(script, 0o644);
  // An environment of its own: tap's NODE_OPTIONS preloads files of this checkout, which nobody may not read.
  const { stdout } = await run(process.execPath, [script, daemon.pipe, method, JSON.stringify(params)],
    { cwd: dir, uid: 65534, gid: 0, env: { GATEWAY_APIKEYS_TOKEN: daemon.adminToken() } });
  return JSON.parse(stdout);
}

/** The daemon's log, a JSON object per line. */
function logLines(dataDir: string): Record<string, unknown>[] {
  return fs.readFileSync(path.join(dataDir, 'logs', 'gateway-apikeys.log'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

t.test('every change and reveal is an entry, by role and connection; a burst of failures is one', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-30T12:00:00Z' });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  await admin.request('apiKey.create', { name: 'Audited', validFor: 'P30D' });
  await admin.request('apiKey.update', { name: 'audited', description: 'now described' });
  await admin.request('apiKey.update', { name: 'Audited', description: 'now described' }); // no change: no entry
  await admin.request('apiKey.reveal', { name: 'Audited' });
  await admin.request('apiKey.create', { name: 'Audited' }).catch(() => undefined); // refused: no entry
  await admin.request('apiKey.delete', { name: 'Audited' });
  // Past the gateway user's key budget (a burst of 100): a minute to record.
  await Promise.all(Array.from({ length: 150 }, () => gateway.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) })));
  const listed = await admin.request('audit.list', {});
  checkResult(t, 'audit.list', listed);
  t.same(listed.items.map((e) => [e.seq, e.event, e.keyName, e.role]), [
    [1, 'apiKey.created', 'Audited', 'admin'],
    [2, 'apiKey.updated', 'Audited', 'admin'],
    [3, 'apiKey.revealed', 'Audited', 'admin'],
    [4, 'apiKey.deleted', 'Audited', 'admin'],
  ]);
  t.match(listed.items[1], { detail: { changed: ['description'], expiresOn: '2026-12-30' }, connection: Number });
  t.notMatch(JSON.stringify(listed), /gwk_[0-9A-Za-z]{10}/, 'no key value in any entry');
  await daemon.stop(); // a stop ends the minute of failures: the burst is recorded
  const again = await startDaemon(t, { dataDir: daemon.dataDir });
  const admin2 = await again.client('admin');
  const bursts = await admin2.request('audit.list', { event: 'auth.failures' });
  t.match(bursts.items, [{ seq: 5, role: null, connection: null, detail: { failures: 150, overBudget: Number, reasons: { Unknown: 150 } } }]);
  const verified = await admin2.request('audit.verify', {});
  checkResult(t, 'audit.verify', verified);
  t.same(verified, { intact: true, entries: 5 });
});

t.test('rotations, disables and enables are entries with their details; one that changes nothing is none', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-30T12:00:00Z' });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'Lifecycle' });
  await admin.request('apiKey.rotate', { name: 'Lifecycle', graceHours: 12 });
  await admin.request('apiKey.rotate', { name: 'Lifecycle', graceHours: 0 }); // ends the first grace
  await admin.request('apiKey.disable', { name: 'Lifecycle', reason: 'suspected misuse' });
  await admin.request('apiKey.disable', { name: 'Lifecycle' }); // already disabled: no entry
  await callError(admin.request('apiKey.rotate', { name: 'Lifecycle' })); // KeyDisabled: no entry
  await admin.request('apiKey.enable', { name: 'Lifecycle' });
  const { items } = await admin.request('audit.list', { keyName: 'lifecycle' });
  t.match(items.map((e) => [e.event, e.detail]), [
    ['apiKey.created', {}],
    ['apiKey.rotated', { graceHours: 12, previousValidUntil: /^2026-12-01T00:00:00\./ }],
    ['apiKey.rotated', { graceHours: 0, endedEarlierGrace: true }],
    ['apiKey.disabled', { reason: 'suspected misuse' }],
    ['apiKey.enabled', {}],
  ]);
  t.equal(items.length, 5);
  t.ok(items.every((e) => e.role === 'admin' && typeof e.connection === 'number'));
  t.notMatch(JSON.stringify(items), /gwk_[0-9A-Za-z]{10}/, 'no key value, not even the replaced one');
});

t.test('the log says each audited event once, with the facts of its entry', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-30T12:00:00Z' });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'Told once' });
  await admin.request('apiKey.update', { name: 'told ONCE', newName: 'Told twice?', description: 'renamed' });
  await admin.request('apiKey.update', { name: 'Told twice?', newName: 'told twice?' });
  await admin.request('apiKey.reveal', { name: 'Told twice?' });
  await admin.request('apiKey.rotate', { name: 'told twice?', graceHours: 2 });
  await admin.request('apiKey.disable', { name: 'told twice?', reason: 'suspected misuse' });
  await admin.request('apiKey.delete', { name: 'told twice?' });
  const { items } = await admin.request('audit.list', {});
  await daemon.stop();
  const audited = new Set<unknown>(items.map((entry) => entry.event));
  const lines = logLines(daemon.dataDir).filter((line) => audited.has(line.event));
  t.equal(lines.length, items.length, `${items.length} entries, as many lines of their events`);
  for (const entry of items) {
    const { seq, event, keyName, role, account, connection, detail } = entry;
    t.match(lines.filter((line) => line.seq === seq), [{ ...detail, event, keyName, role, account, connection }], `entry ${seq} (${event}) and its line agree`);
  }
  t.ok(items.every((entry) => entry.account === ownAccount), 'each names the account that connected');
  t.match(items[1], { keyName: 'Told twice?', detail: { previousName: 'Told once', changed: ['newName', 'description'] } });
  t.match(items[2], { keyName: 'told twice?', detail: { previousName: 'Told twice?', changed: ['newName'] } });
});

t.test('an entry names the account at the other end of the connection, not the daemon\'s', async (t) => {
  // The socket in a directory of the daemon's group, which nobody joins for the test.
  const pipeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-'));
  fs.chmodSync(pipeDir, 0o750);
  t.teardown(() => fs.rmSync(pipeDir, { recursive: true, force: true }));
  const daemon = await startDaemon(t, { pipe: path.join(pipeDir, 'd.sock') });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'Ours' });
  await admin.request('apiKey.reveal', { name: 'Ours' });
  const expected = [['apiKey.created', 'Ours', ownAccount], ['apiKey.revealed', 'Ours', ownAccount]];
  if (isRoot) {
    t.match(await requestAsNobody(t, daemon, 'apiKey.create', { name: 'Theirs' }), { name: 'Theirs' });
    t.match(await requestAsNobody(t, daemon, 'apiKey.reveal', { name: 'Ours' }), { name: 'Ours' });
    const nobody = `${fs.readFileSync('/etc/passwd', 'utf8').match(/^([^:\n]+):[^:\n]*:65534:/m)?.[1] ?? ''} (uid 65534)`.trim();
    expected.push(['apiKey.created', 'Theirs', nobody], ['apiKey.revealed', 'Ours', nobody]);
  } else {
    t.comment('another user\'s connection is not tried: running as another user needs root');
  }
  const { items } = await admin.request('audit.list', {});
  t.same(items.map((entry) => [entry.event, entry.keyName, entry.account]), expected);
  await daemon.stop();
  const created = logLines(daemon.dataDir).filter((line) => line.event === 'apiKey.created');
  t.same(created.map((line) => [line.keyName, line.account]), expected.filter(([event]) => event === 'apiKey.created').map(([, name, account]) => [name, account]),
    'the log names them too');
});

t.test('a trail written before entries named an account still verifies, and goes on with them; an altered account breaks it', async (t) => {
  const daemon = await startDaemon(t, { dataDir: copyOfFixture(t, 'vault-v3-early') });
  const admin = await daemon.client('admin');
  t.same(await admin.request('audit.verify', {}), { intact: true, entries: 4 });
  await admin.request('apiKey.enable', { name: 'Billing' });
  const { items } = await admin.request('audit.list', {});
  t.same(items.map((entry) => [entry.seq, entry.event, entry.account]), [
    [1, 'apiKey.created', undefined], [2, 'apiKey.created', undefined], [3, 'apiKey.revealed', undefined], [4, 'apiKey.disabled', undefined],
    [5, 'apiKey.enabled', ownAccount],
  ]);
  t.same(await admin.request('audit.verify', {}), { intact: true, entries: 5 });
  const file = path.join(daemon.dataDir, 'audit', 'audit-000001.jsonl');
  const text = fs.readFileSync(file, 'utf8');
  t.ok(text.includes(`"account":"${ownAccount}"`));
  fs.writeFileSync(file, text.replace(`"account":"${ownAccount}"`, '"account":"someone else (uid 4242)"'));
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 5, reason: /line 5 fails its check/ }, 'another account put in');
  fs.writeFileSync(file, text.replace(`"account":"${ownAccount}",`, ''));
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 5, reason: /line 5 fails its check/ }, 'the account taken out');
  fs.writeFileSync(file, text);
  t.same(await admin.request('audit.verify', {}), { intact: true, entries: 5 });
});

t.test('audit.verify names the first broken link of a trail changed under the daemon; the gateway may not read the trail', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  for (let i = 0; i < 4; i++) await admin.request('apiKey.create', { name: `key-${i}` });
  const file = path.join(daemon.dataDir, 'audit', 'audit-000001.jsonl');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace('"key-2"', '"key-9"'));
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 3, reason: /line 3 fails its check/ });
  fs.writeFileSync(file, text.split('\n').filter((l) => !l.includes('"key-1"')).join('\n'));
  t.match(await admin.request('audit.verify', {}), { intact: false, brokenAt: 2 });
  fs.writeFileSync(file, text);
  t.same(await admin.request('audit.verify', {}), { intact: true, entries: 4 });
  const gateway = await daemon.client('gateway');
  t.match(await callError(gateway.request('audit.list', {})), { code: 'Forbidden' });
  t.match(await callError(admin.request('audit.list', { since: 'yesterday' })), { code: 'InvalidParams', field: 'since' });
});

t.test('an acknowledged change keeps its entry through kill -9', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'acknowledged' });
  await daemon.stop('SIGKILL');
  const again = await startDaemon(t, { dataDir: daemon.dataDir });
  t.match((await (await again.client('admin')).request('audit.list', {})).items, [{ event: 'apiKey.created', keyName: 'acknowledged' }]);
});

t.test('the CLI lists and verifies the trail', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'Orders' });
  await admin.request('apiKey.create', { name: 'Billing' });
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  const listed = await run(process.execPath, [CLI, 'audit', '--key-name', 'orders'], { env });
  t.match(listed.stdout, /SEQ\s+AT\s+EVENT\s+ROLE\s+ACCOUNT\s+KEY\s+DETAIL/);
  // ACCOUNT is the OS account that ran the request: this test's.
  t.match(listed.stdout, new RegExp(`1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+apiKey\\.created\\s+admin\\s+${ownAccount.replace(/[()]/g, '\\$&')}\\s+Orders`));
  t.notMatch(listed.stdout, /Billing/);
  t.match(listed.stdout, /1 of 1 entry\n/);
  t.match((await run(process.execPath, [CLI, 'audit', '--verify'], { env })).stdout, /intact: 2 entries/);
  const file = path.join(daemon.dataDir, 'audit', 'audit-000001.jsonl');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"Orders"', '"Orderz"'));
  const broken = await run(process.execPath, [CLI, 'audit', '--verify'], { env }).catch((e: { code: number; stdout: string }) => e);
  t.equal((broken as { code: number }).code, 3, 'a broken trail exits 3');
  t.match((broken as { stdout: string }).stdout, /broken at entry 1/);
  const bad = await run(process.execPath, [CLI, 'audit', '--since', 'last week'], { env }).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 2);
});

t.test('rekey: a key file sealed with a passphrase, the passphrase changed, back to a key file; refused while a daemon runs', async (t) => {
  const daemon = await startDaemon(t);
  const { key } = await (await daemon.client('admin')).request('apiKey.create', { name: 'survives rekeys' });
  const rekey = (env: Record<string, string>, ...args: string[]) =>
    run(process.execPath, [CLI, 'rekey', '--data-dir', daemon.dataDir, ...args], { env: { ...process.env, ...env } })
      .then(({ stdout }) => ({ code: 0, stdout, stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
  const busy = await rekey({ GATEWAY_APIKEYS_NEW_PASSPHRASE: 'first passphrase' });
  t.equal(busy.code, 1);
  t.match(busy.stderr, /already running/);
  await daemon.stop();
  const masterKey = path.join(daemon.dataDir, 'master.key');
  const keyFile = fs.readFileSync(masterKey);
  t.match((await rekey({ GATEWAY_APIKEYS_NEW_PASSPHRASE: 'first passphrase' })).stdout, /was sealed with a key file; it is now sealed with a passphrase/);
  t.notSame(fs.readFileSync(masterKey), keyFile);
  t.notOk(fs.readFileSync(masterKey).includes(keyFile.subarray(22, 54)), 'the raw key is no longer in the file');
  const wrong = await rekey({ GATEWAY_APIKEYS_PASSPHRASE: 'not it', GATEWAY_APIKEYS_NEW_PASSPHRASE: 'second passphrase' });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /cannot be opened with this passphrase.*\(PassphraseWrong\)/);
  const sealed = fs.readFileSync(masterKey);
  t.match((await rekey({ GATEWAY_APIKEYS_PASSPHRASE: 'first passphrase', GATEWAY_APIKEYS_NEW_PASSPHRASE: 'second passphrase' })).stdout, /now sealed with a passphrase/);
  t.notSame(fs.readFileSync(masterKey), sealed);
  const noPassphrase = await startDaemon(t, { dataDir: daemon.dataDir }).then(() => undefined, (e: Error) => e);
  t.match(noPassphrase?.message, /sealed with a passphrase and none was given/);
  const withIt = await startDaemon(t, { dataDir: daemon.dataDir, env: { GATEWAY_APIKEYS_PASSPHRASE: 'second passphrase' } });
  t.match(await (await withIt.client('gateway')).request('connector.authenticate', { key }), { authenticated: true }, 'the keys are all there');
  await withIt.stop();
  const noNew = await rekey({ GATEWAY_APIKEYS_PASSPHRASE: 'second passphrase' });
  t.equal(noNew.code, 2, 'no new passphrase and no terminal: refused');
  t.match(noNew.stderr, /set GATEWAY_APIKEYS_NEW_PASSPHRASE/);
  t.match((await rekey({ GATEWAY_APIKEYS_PASSPHRASE: 'second passphrase' }, '--to-key-file')).stdout, /now sealed with a key file/);
  const back = await startDaemon(t, { dataDir: daemon.dataDir });
  const admin = await back.client('admin');
  const rekeyed = (await admin.request('audit.list', { event: 'vault.rekeyed' })).items;
  t.same(rekeyed.map((e) => e.detail), [
    { from: 'keyFile', to: 'passphrase' }, { from: 'passphrase', to: 'passphrase' }, { from: 'passphrase', to: 'keyFile' },
  ]);
  t.same(rekeyed.map((e) => [e.role, e.connection, e.account]), Array(3).fill([null, null, ownAccount]), 'each by the account that ran it, offline');
  t.same(await admin.request('audit.verify', {}), { intact: true, entries: 4 });
});
