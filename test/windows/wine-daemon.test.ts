import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { pipeSddl, privacyOf, samePipeDacl, SID } from '../../src/platform/windows-security.js';
import { filesUnder } from '../helpers/vault.js';
import { drivePath, skipWithoutWine, type WineHarness, type WineProcess, winPath, type WineSuite, wineSuite } from '../helpers/wine.js';

// The Windows suite (docs/architecture.md, "The Windows suite"): the bundle that goes into the .exe,
// on node.exe 22 under Wine, over real named pipes, with the CLI and the framed test client
// (test/helpers/wine-driver.ts) inside Wine too. What Wine cannot show (access lists it does not keep,
// the Identification level it ignores) is unit-tested in test/windows-security.test.ts and
// test/windows-units.test.ts; this file says so where it meets them.
const skip = skipWithoutWine(t);
const NOW = '2026-11-27T12:00:00Z';
const run = `gwk-${process.pid}`;
let wine: WineHarness;
let cli: string;
let driverFile: string;
let driver: WineSuite['driver'];

t.before(async () => {
  if (skip) return;
  ({ wine, cli, driverFile, driver } = await wineSuite(t));
});
t.teardown(() => fs.rmSync(drivePath(`C:\\${run}`), { recursive: true, force: true }));

const node = (args: string[], env?: Record<string, string | undefined>) => wine.run(wine.nodeExe, [cli, ...args], { env });

/** `serve` under Wine, ready once it says so; WINEDEBUG shows what reaches ReportEventW (Wine's event log is a stub that prints). */
async function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<WineProcess & { ms: number }> {
  const started = performance.now();
  const daemon = wine.start(wine.nodeExe, [cli, 'serve', '--time-zone', 'UTC', ...args], {
    env: { WINEDEBUG: '-all,warn+eventlog,err+eventlog', GATEWAY_APIKEYS_NOW: NOW, ...env }, timeoutMs: 120_000,
  });
  await wine.waitFor(daemon, (out) => out.includes('is serving'));
  return Object.assign(daemon, { ms: Math.round(performance.now() - started) });
}

/** The JSON log lines of a daemon's standard error with this event. */
const logged = (daemon: WineProcess, event: string) =>
  daemon.stderr().split('\n').filter((line) => line.startsWith('{') && line.includes(`"event":"${event}"`)).map((line) => JSON.parse(line) as Record<string, unknown>);
/** What Wine printed for ReportEventW: the event log entries. */
const eventLog = (daemon: WineProcess) => daemon.stderr().split('\n').filter((line) => line.includes(':eventlog:ReportEventW'));

const dataDirIn = (name: string) => `C:\\${run}\\${name}`;
/** What Wine reports for paths by their Unix mode (docs/security.md, "Windows: the data dir"). */
const recordedWine = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/wine-sddl.json'), 'utf8')) as {
  ownSid: string;
  paths: Record<string, { sddl: string }>;
};
const tokens = (dir: string) => [`${dir}\\admin.token`, `${dir}\\gateway.token`] as const;

t.test('first start under Wine: the default data dir in %ProgramData%, every RPC method, protocol 3, the CLI, one daemon, a clean stop', { skip }, async (t) => {
  const dataDir = 'C:\\ProgramData\\Nintex\\Gateway';
  const unixDir = drivePath(dataDir);
  fs.rmSync(unixDir, { recursive: true, force: true });
  const daemon = await serve([]);
  t.comment(`first start: serving after ${daemon.ms} ms`);
  t.match(daemon.stdout(), `pipe:        \\\\.\\pipe\\gateway-apikeys`, 'the default pipe');
  t.match(daemon.stdout(), `data dir:    ${dataDir}`, '%ProgramData%\\Nintex\\Gateway, as Wine maps %ProgramData%');
  t.same(fs.readdirSync(unixDir).sort(), ['admin.token', 'audit', 'daemon.lock', 'gateway.token', 'keys.journal', 'keys.snapshot', 'logs', 'master.key']);
  t.match(fs.readFileSync(path.join(unixDir, 'daemon.lock'), 'utf8'), /^\d+\n$/, 'the lock file holds the Windows pid of its holder');

  const [protectedNote] = logged(daemon, 'dataDir.protected');
  t.ok(protectedNote, 'the daemon made the data dir with its protected DACL (CreateDirectoryW ran)');
  const ownSid = String(protectedNote?.ownSid);
  t.match(ownSid, /^S-1-5-21-/, "the daemon's own SID, from its process token");
  const wineDir = await driver('path-sddl', dataDir);
  t.equal(wineDir.sddl, recordedWine.paths.directory0700!.sddl.replaceAll(recordedWine.ownSid, ownSid),
    'what Wine reports for the data dir (from its Unix mode: 0700 under the suite\'s umask), as test/fixtures/wine-sddl.json recorded it');
  t.same(privacyOf(wineDir.sddl, ownSid).findings, [], 'which the daemon judged private, or it would not serve');

  const dacl = await driver('pipe-dacl', '\\\\.\\pipe\\gateway-apikeys');
  t.ok(samePipeDacl(dacl.sddl, pipeSddl(ownSid)), `the pipe's DACL, read by another process: ${dacl.sddl}`);
  t.notMatch(dacl.sddl, /;WD\)|;AN\)|S-1-1-0/, 'never Everyone or anonymous logons');
  t.match(dacl.sddl, /^D:P?\(D;;FA;;;NU\)/, 'the network denied first');
  t.match(logged(daemon, 'pipe.secured')[0], { mayConnect: ['NT AUTHORITY\\Authenticated Users (local logons)'] });

  const tour = await driver('tour', '\\\\.\\pipe\\gateway-apikeys', ...tokens(dataDir));
  t.comment(`every method from a Windows client: ${tour.ms} ms`);
  const calls = tour.calls;
  t.match(calls['session.hello'], { role: 'admin', protocolVersion: 3, today: '2026-11-27', timeZone: 'UTC' }, 'protocol 3: the daemon proved itself, then the client');
  t.match(calls['apiKey.create'], { name: 'Wine connector', expiresOn: '2027-02-25', keyFormat: true });
  t.equal(calls['apiKey.get'], 'Wine connector', 'names are found whatever their case');
  t.equal(calls['apiKey.update'], 'edited under Wine');
  t.equal(calls['apiKey.reveal'], true);
  t.match(calls['apiKey.verify'], { authenticated: true, status: 'Active' });
  t.match(calls['connector.authenticate'], { authenticated: true, name: 'Wine connector' });
  t.equal(calls['gateway may not list'], 'Forbidden');
  t.equal(calls['gateway may not stop the daemon'], 'Forbidden');
  t.match(calls['daemon.status'], { total: 1, Active: 1 });
  t.same(calls['apiKey.list'], { total: 1, lastUsed: true });
  t.equal(calls.NameTaken, 'NameTaken');
  t.same(calls['apiKey.delete'], { deleted: true });
  t.same(calls['deleted key'], { authenticated: false, reason: 'Unknown' });
  t.equal(calls['wrong proof'], 'Unauthenticated', 'a proof made with another token is refused');
  t.equal(calls['after a wrong proof'], 'Unauthenticated', 'and leaves the connection without a role');
  t.equal(tour.wine, '8.0', 'the driver ran under Wine');

  const impostor = await driver('impostor', `\\\\.\\pipe\\${run}-impostor`, tokens(dataDir)[0]);
  t.equal(impostor.refused, 'DaemonImpostor', 'a squatter that does not know the token is refused');
  t.same(impostor.methodsTheImpostorSaw, ['session.challenge', 'session.challenge'], 'it saw the challenges, never a proof');

  const env = { GATEWAY_APIKEYS_NOW: undefined, NO_COLOR: '1' };
  const created = await node(['new', 'CLI key', '--description', 'made by the CLI under Wine', '--expires-on', '2026-11-29', '--json'], env);
  t.equal(created.code, 0, created.stderr);
  t.match(JSON.parse(created.stdout), { name: 'CLI key', status: 'ExpiresSoon', color: 'Red', daysLeft: 2 }, `the CLI under Wine (${created.ms} ms)`);
  const listed = await node(['list'], env);
  t.match(listed.stdout, /CLI key\s+ExpiresSoon\s+2026-11-29\s+2\s+never\s+gwk_/);
  t.match((await node(['status', '--json'], env)).stdout, /"ExpiresSoon": 1/);
  t.match((await node(['get', 'missing'], env)), { code: 1, stderr: /KeyNotFound/ });

  // What the running daemon itself may write meanwhile is left out: its logs, and the audit trail's
  // head, which it writes a moment after an entry (docs/storage.md, "The audit trail").
  const ownWrites = (file: string) => file.includes(`${path.sep}logs${path.sep}`) || file.endsWith(`${path.sep}audit${path.sep}head`);
  const before = [...filesUnder(unixDir)].filter(([file]) => !ownWrites(file));
  const second = await node(['serve', '--time-zone', 'UTC'], { WINEDEBUG: '-all,warn+eventlog,err+eventlog' });
  t.equal(second.code, 1, 'a second daemon on the same data dir exits non-zero');
  t.match(second.stderr, /:eventlog:ReportEventW L"The daemon could not start\\r\\nevent: daemon\.startFailed/,
    'its failed start reaches the event log, though it never opened a log of its own');
  t.match(second.stderr, `Another gateway-apikeys daemon is already running on the data directory ${dataDir}`);
  t.same([...filesUnder(unixDir)].filter(([file]) => !ownWrites(file)), before, 'and touches nothing');

  const otherDir = dataDirIn('other');
  const samePipe = await node(['serve', '--data-dir', otherDir]);
  t.equal(samePipe.code, 1, 'a daemon on another data dir but the same pipe name exits non-zero (Wine would let both serve)');
  t.match(samePipe.stderr, /Another process is already listening on \\\\\.\\pipe\\gateway-apikeys: it is held by process \d+ \(Z:\\.*node\.exe\)/,
    'naming the process that holds it');
  t.notOk(fs.existsSync(drivePath(otherDir)), 'before its data dir was made');

  const stopped = await node(['stop'], env);
  t.equal(stopped.code, 0, stopped.stderr);
  t.match(stopped.stdout, /stopped taking requests/);
  t.equal(await daemon.exited, 0, "'gateway-apikeys stop' (daemon.shutdown): the daemon exits 0");
  t.match(logged(daemon, 'daemon.stopping')[0], { by: 'request', role: 'admin' });
  t.ok(logged(daemon, 'daemon.stopped').length === 1);
  t.notOk(logged(daemon, 'store.compactFailed').length, 'the store compacted at the stop (Windows cannot rename over an open file)');
  t.ok(eventLog(daemon).some((line) => line.includes('L"The clock was moved by GATEWAY_APIKEYS_NOW')),
    'warnings reach ReportEventW (the event log transport is active on win32; Wine only prints what it is given)');
});

t.test('a data dir others may read is refused under Wine too, naming Everyone, and nothing in it is read or written', { skip }, async (t) => {
  const dataDir = dataDirIn('readable');
  const unixDir = drivePath(dataDir);
  // Made outside Wine with mode 0755, and not empty, so the daemon does not give it its DACL: Wine shows Everyone read.
  // Its parent stays private: Wine would pass a parent's Everyone on to the directories the other tests make in it.
  fs.mkdirSync(path.dirname(unixDir), { recursive: true, mode: 0o700 });
  fs.mkdirSync(unixDir);
  fs.chmodSync(unixDir, 0o755);
  fs.writeFileSync(path.join(unixDir, 'notes.txt'), 'left here by an admin\n');
  const refused = await node(['serve', '--data-dir', dataDir, '--pipe', `\\\\.\\pipe\\${run}-readable`]);
  t.equal(refused.code, 1, 'the daemon does not start');
  t.match(refused.stderr, `${dataDir} is not private to the daemon: `);
  t.match(refused.stderr, /\(S-1-1-0\) may read it\. Nothing was read or written\. Make it private \(in an elevated prompt\): icacls /);
  t.same(fs.readdirSync(unixDir), ['notes.txt'], 'no lock, no key, no token, no log');
});

t.test('a process that holds the pipe name first is named, and the daemon does not start beside it', { skip }, async (t) => {
  const pipe = `\\\\.\\pipe\\${run}-squatted`;
  const ready = path.join(wine.runDir, 'squatter.ready');
  const squatter = wine.start(wine.nodeExe, [driverFile, 'squat', pipe, winPath(ready)]);
  for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const squatterPid = fs.readFileSync(ready, 'utf8').trim();
  const refused = await node(['serve', '--data-dir', dataDirIn('squatted'), '--pipe', pipe]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, `it is held by process ${squatterPid} (`, "the squatter's Windows pid and executable");
  squatter.child.kill('SIGKILL');
  await squatter.exited;
});

t.test('expiry warnings and an expired key presented reach the log and the event log; Ctrl+C stops cleanly, last-used kept', { skip }, async (t) => {
  const dataDir = dataDirIn('expiry');
  const pipe = `\\\\.\\pipe\\${run}-expiry`;
  const env = { GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: pipe };
  let daemon = await serve([], env);
  const key = async (name: string, expiresOn: string) => {
    const made = await node(['new', name, '--expires-on', expiresOn, '--json'], env);
    t.equal(made.code, 0, made.stderr);
    return (JSON.parse(made.stdout) as { key: string }).key;
  };
  const soon = await key('Soon', '2026-12-03');
  const lapsing = await key('Lapsing', '2026-11-28');
  await driver('authenticate', pipe, tokens(dataDir)[1], soon);
  process.kill(daemon.pid, 'SIGINT');
  t.equal(await daemon.exited, 0, 'SIGINT to node.exe under Wine is Ctrl+C: a clean stop, exit 0');
  t.match(logged(daemon, 'daemon.stopping')[0], { by: 'signal', signal: 'SIGINT' });

  // Four days later: Soon enters ExpiresSoon (2 days left), Lapsing has expired.
  daemon = await serve([], { ...env, GATEWAY_APIKEYS_NOW: '2026-12-01T12:00:00Z' });
  await new Promise((resolve) => setTimeout(resolve, 300)); // the expiry watch looks once the daemon serves
  t.match(logged(daemon, 'apiKey.expiresSoon')[0], { level: 'warn', keyName: 'Soon', daysLeft: 2 });
  t.match(logged(daemon, 'apiKey.expired')[0], { level: 'warn', keyName: 'Lapsing' });
  const expired = await driver('authenticate', pipe, tokens(dataDir)[1], lapsing);
  t.same(expired.result, { authenticated: false, reason: 'Expired' });
  await wine.waitFor(daemon, () => logged(daemon, 'auth.expiredKey').length > 0, 5000).catch(() => undefined);
  t.match(logged(daemon, 'auth.expiredKey')[0], { level: 'warn', keyName: 'Lapsing', connectorId: 'wine-expired' });
  const events = eventLog(daemon);
  t.ok(events.some((line) => line.includes('L"API key expires within 3 days\\r\\nevent: apiKey.expiresSoon\\r\\nkeyName: Soon')), 'ExpiresSoon in the event log');
  t.ok(events.some((line) => line.includes('L"API key has expired')), 'Expired in the event log');
  t.ok(events.some((line) => line.includes('L"A connector presented an expired API key')), 'the expired key presented, in the event log');
  t.notOk(events.some((line) => line.includes('Daemon ready')), 'information stays out of the event log');
  const got = await node(['get', 'Soon', '--json'], env);
  t.not((JSON.parse(got.stdout) as { lastUsedAt: string | null }).lastUsedAt, null, 'the last use before Ctrl+C was flushed');
  process.kill(daemon.pid, 'SIGINT');
  t.equal(await daemon.exited, 0);
});

t.test('taskkill /F in the middle of writes, then a restart: every acknowledged change is there, no acknowledged delete came back', { skip }, async (t) => {
  const dataDir = dataDirIn('crash');
  const pipe = `\\\\.\\pipe\\${run}-crash`;
  const acks = path.join(wine.runDir, 'acks.jsonl');
  fs.writeFileSync(acks, '');
  const countAcks = () => fs.readFileSync(acks, 'utf8').split('\n').filter((line) => line.startsWith('{"ack"')).length;
  for (const round of [1, 2]) {
    const daemon = await serve(['--data-dir', dataDir, '--pipe', pipe]);
    const writer = wine.start(wine.nodeExe, [driverFile, 'writer', pipe, tokens(dataDir)[0], winPath(acks), String(round)]);
    const target = countAcks() + 30 + Math.floor(Math.random() * 30);
    for (let i = 0; i < 400 && countAcks() < target; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const winPid = fs.readFileSync(drivePath(`${dataDir}\\daemon.lock`), 'utf8').trim();
    // Wine's taskkill now and then fails at once with nothing said on a busy machine; a second try
    // a moment later kills. A kill that never happens still fails the test, without waiting for the timeout.
    let killed = await wine.run('taskkill', ['/F', '/PID', winPid]);
    for (let retry = 0; killed.code !== 0 && retry < 4; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      killed = await wine.run('taskkill', ['/F', '/PID', winPid]);
    }
    t.equal(killed.code, 0, `round ${round}: taskkill /F /PID ${winPid} after ${countAcks()} acknowledged changes: ${killed.stdout.trim()}${killed.stderr.trim()}`);
    if (killed.code !== 0) daemon.child.kill('SIGKILL');
    await daemon.exited;
    t.match(await writer.exited, 0, 'the writer saw the daemon go');
    const restarted = await serve(['--data-dir', dataDir, '--pipe', pipe]);
    t.comment(`round ${round}: restarted in ${restarted.ms} ms`);
    const check = await driver('verify', pipe, tokens(dataDir)[0], winPath(acks));
    t.same(check.missing, [], `round ${round}: every acknowledged create and update is there (${check.acknowledged} acknowledged, ${check.unacknowledged} sent but not acknowledged, ${check.keys} keys)`);
    t.same(check.resurrected, [], 'no acknowledged delete came back');
    process.kill(restarted.pid, 'SIGINT');
    t.equal(await restarted.exited, 0);
  }
});

t.test('backup from the running daemon, restore --verify and restore into another data dir, all under Wine', { skip }, async (t) => {
  const dataDir = dataDirIn('backup');
  const pipe = `\\\\.\\pipe\\${run}-backup`;
  const env = { GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: pipe, GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'a passphrase for Windows' };
  const daemon = await serve([], env);
  const made = await node(['new', 'Moved to Windows', '--json'], env);
  t.equal(made.code, 0, made.stderr);
  const { key } = JSON.parse(made.stdout) as { key: string };
  const file = `C:\\${run}\\vault.gwkb`;
  const backedUp = await node(['backup', '--out', file], env);
  t.equal(backedUp.code, 0, backedUp.stderr);
  t.match(backedUp.stdout, new RegExp(`Backed up 1 key of vault [0-9a-f]{32} to ${file.replace(/\\/g, '\\\\')}`), `backup under Wine (${backedUp.ms} ms)`);
  t.notOk(fs.existsSync(drivePath(`${file}.partial`)), 'the partial file was renamed into place (Windows renames too)');
  t.equal((await node(['stop'], env)).code, 0);
  t.equal(await daemon.exited, 0);

  const verified = await node(['restore', '--verify', file, '--json'], env);
  t.match(JSON.parse(verified.stdout), { intact: true, keyCount: 1 });
  const wrong = await node(['restore', '--verify', file], { ...env, GATEWAY_APIKEYS_BACKUP_PASSPHRASE: 'not it at all' });
  t.match(wrong, { code: 1, stderr: /\(PassphraseWrong\)/ });
  const target = dataDirIn('restored');
  const restored = await node(['restore', file, '--data-dir', target], env);
  t.equal(restored.code, 0, restored.stderr);
  t.notOk(fs.existsSync(drivePath(`${target}\\restore.unfinished`)));
  const again = await serve([], { ...env, GATEWAY_APIKEYS_DATA_DIR: target });
  const answer = await driver('authenticate', pipe, tokens(target)[1], key);
  t.match(answer, { result: { authenticated: true, name: 'Moved to Windows' } }, 'the key authenticates on the restored vault');
  t.equal((await node(['stop'], { ...env, GATEWAY_APIKEYS_DATA_DIR: target })).code, 0);
  t.equal(await again.exited, 0);
});
