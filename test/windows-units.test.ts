import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { EVENT_IDS, eventFor, type EventLogWriter } from '../src/daemon/event-log.js';
import { createLogger } from '../src/daemon/logging.js';
import { describeHolder, type PipeSystem, resolvePipeAllow, PipeSecurityError, pipeAccess, checkPipeAccess, takenPipe } from '../src/daemon/pipe-access.js';
import { preparePipePath } from '../src/daemon/pipe-path.js';
import * as system from '../src/platform/system.js';
import { PipeAllowError, pipeSddl, SID } from '../src/platform/windows-security.js';
import { RpcClient } from '../src/rpc/client.js';
import { encodeFrame, FrameDecoder } from '../src/rpc/framing.js';
import { PipeInUseError } from '../src/rpc/server.js';
import { wineMissing } from './helpers/wine.js';
import { claimDataDir, DataDirLockedError, DataDirUnsafeError, refuseIfHeld, type WindowsSecurity } from '../src/vault/storage/data-dir.js';

// The daemon's Windows paths, run on Linux with recorded answers in place of the Win32 calls
// (src/platform/windows.ts, which only the Wine suite runs): what the daemon does with each answer.
const recorded = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/windows-sddl.json'), 'utf8')) as {
  ownSid: string;
  folders: Record<string, { sddl: string }>;
};
const own = recorded.ownSid;
/** What Wine reports for paths by their Unix mode (recorded: test/fixtures/wine-sddl.json). */
const wine = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/wine-sddl.json'), 'utf8')) as {
  ownSid: string;
  paths: Record<string, { sddl: string }>;
};

/**
 * Windows' side of the data dir, as recorded: a new folder under %ProgramData% inherits
 * `inherited`; setting a DACL makes it what Windows reads back (owner Administrators, P and AI),
 * unless `ignoresSet` (an access list that did not take).
 */
function fakeWindows(options: { inherited?: string; ignoresSet?: boolean; files?: string; ownSid?: string; only?: string } = {}): WindowsSecurity & { sets: [string, string][]; creates: [string, string][] } {
  const set = new Map<string, string>();
  const sets: [string, string][] = [];
  const creates: [string, string][] = [];
  const ownSid = options.ownSid ?? own;
  return {
    sets,
    creates,
    ownSid: () => ownSid,
    pathSecurity: (target) => set.get(target) ?? (fs.statSync(target).isDirectory()
      ? options.inherited ?? recorded.folders.freshProgramDataSubfolder!.sddl
      : (options.only === undefined || path.basename(target) === options.only ? options.files : undefined) ??
        `O:${ownSid}G:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;${ownSid})`),
    setPathSecurity: (target, sddl) => {
      sets.push([target, sddl]);
      if (!options.ignoresSet) set.set(target, `O:BAG:SY${sddl.replace('D:P', 'D:PAI')}`);
    },
    createDirectory: (dir, sddl) => {
      fs.mkdirSync(dir);
      creates.push([dir, sddl]);
      if (!options.ignoresSet) set.set(dir, `O:BAG:SY${sddl.replace('D:P', 'D:PAI')}`);
      return true;
    },
    accountNameOf: (sid) => (sid === SID.users ? 'BUILTIN\\Users' : undefined),
  };
}

t.test('Windows, first start: the daemon makes the data dir with the protected DACL in one step, before anything can be in it', async (t) => {
  const dataDir = path.join(t.testdir(), 'ProgramData', 'Nintex', 'Gateway');
  const windows = fakeWindows();
  const lock = await claimDataDir(dataDir, { platform: 'win32', windows });
  t.same(windows.creates, [[dataDir, `D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${own})`]], 'made with its descriptor (CreateDirectoryW)');
  t.same(windows.sets, [], 'never made first and protected after');
  t.same(lock.notes.map((note) => note.meta.event), ['dataDir.protected']);
  t.same(fs.readdirSync(dataDir), ['daemon.lock'], 'then locked');
  await lock.release();
  const again = await claimDataDir(dataDir, { platform: 'win32', windows });
  t.same([windows.creates.length, windows.sets.length], [1, 0], 'a data dir with something in it is not changed again, only checked');
  t.same(again.notes, []);
  await again.release();
});

t.test('Windows: a data dir left readable by Users fails the start, naming the account and the fix', async (t) => {
  const dataDir = path.join(t.testdir(), 'Gateway');
  // The DACL the daemon made it with did not take, as if something reset it: the folder keeps %ProgramData%'s.
  const error = await claimDataDir(dataDir, { platform: 'win32', windows: fakeWindows({ ignoresSet: true }) }).then(() => undefined, (e: Error) => e);
  t.type(error, DataDirUnsafeError);
  t.match(error?.message, `${dataDir} is not private to the daemon: BUILTIN\\Users (S-1-5-32-545) may read it and may change it. Nothing was read or written.`);
  t.match(error?.message, `Make it private (in an elevated prompt): icacls "${dataDir}" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F"`);
  t.notMatch(error?.message, /consider the stored keys exposed/, 'nothing secret was there yet');
  t.same(fs.readdirSync(dataDir), [], 'not locked, nothing written');
});

t.test('Windows: an existing vault in a folder Users may read is refused, and the message says the tokens and keys may be exposed', async (t) => {
  const dataDir = t.testdir({ 'master.key': 'x', 'admin.token': 'y' });
  const windows = fakeWindows({ inherited: recorded.folders.usersReadProtected!.sddl });
  const error = await claimDataDir(dataDir, { platform: 'win32', windows }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /BUILTIN\\Users \(S-1-5-32-545\) may read it\. Nothing was read or written/);
  t.match(error?.message, `/inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" "*${own}:(OI)(CI)F" ; then icacls "${dataDir}" /remove:g "*S-1-5-32-545"`);
  t.match(error?.message, /delete admin\.token and gateway\.token and restart[\s\S]*consider the stored keys exposed/);
  t.same(windows.sets, [], 'a folder with a vault in it is never changed by the daemon');
});

t.test('Windows: a secret file whose own DACL lets others read it is refused, with icacls /reset', async (t) => {
  const dataDir = t.testdir({ 'gateway.token': 'x' });
  const windows = fakeWindows({ inherited: recorded.folders.protectedPrivate!.sddl, files: `O:BAD:AI(A;;FR;;;BU)(A;ID;FA;;;SY)` });
  const error = await claimDataDir(dataDir, { platform: 'win32', windows }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, `${path.join(dataDir, 'gateway.token')} is not private to the daemon: BUILTIN\\Users (S-1-5-32-545) may read it`);
  t.match(error?.message, /icacls ".*gateway\.token" \/reset, and since others may have read it, delete it and restart/);
  t.ok(await claimDataDir(dataDir, { platform: 'win32', windows }).then(() => false, () => true), 'the lock was released: the same refusal again, not "already running"');
});

t.test('Windows: a symbolic link or junction, or a file, is refused as the data dir', async (t) => {
  const root = t.testdir({ real: {}, file: 'x' });
  fs.symlinkSync(path.join(root, 'real'), path.join(root, 'link'));
  await t.rejects(claimDataDir(path.join(root, 'link'), { platform: 'win32', windows: fakeWindows() }), /is a symbolic link or junction/);
  await t.rejects(claimDataDir(path.join(root, 'file'), { platform: 'win32', windows: fakeWindows() }), /is not a directory/);
});

t.test('under Wine the same refusal, on what Wine derives from Unix modes (recorded): Everyone may read a 0755 data dir or a 0644 token', async (t) => {
  // Wine keeps no DACL it is given: what it reads back is the mode's, as for a set that did not take.
  const asWine = (directory: string, files: string) =>
    fakeWindows({ ownSid: wine.ownSid, ignoresSet: true, inherited: wine.paths[directory]!.sddl, files: wine.paths[files]!.sddl });
  const open = path.join(t.testdir(), 'Gateway');
  const windows = asWine('directory0755', 'file0644');
  const error = await claimDataDir(open, { platform: 'win32', windows }).then(() => undefined, (e: Error) => e);
  t.equal(windows.creates.length, 1, 'made with the protected DACL, as on Windows');
  t.match(error?.message, `${open} is not private to the daemon: Everyone (S-1-1-0) may read it. Nothing was read or written.`);
  t.same(fs.readdirSync(open), [], 'not locked, nothing written');

  const lock = await claimDataDir(path.join(t.testdir(), 'Private'), { platform: 'win32', windows: asWine('directory0700', 'file0600') });
  t.same(lock.notes.map((note) => note.meta.event), ['dataDir.protected'], 'a 0700 data dir with 0600 files is private: nothing to refuse, nothing skipped');
  await lock.release();

  const vault = t.testdir({ 'admin.token': 'y' });
  const token = await claimDataDir(vault, { platform: 'win32', windows: asWine('directory0700', 'file0644') }).then(() => undefined, (e: Error) => e);
  t.match(token?.message, `${path.join(vault, 'admin.token')} is not private to the daemon: Everyone (S-1-1-0) may read it`);
});

/** Windows' side of the pipe, recorded: the accounts it knows, the DACL it keeps, who holds which name. */
function fakePipe(options: { holders?: Record<string, { pid?: number; image?: string }> } = {}): PipeSystem {
  const accounts: Record<string, string> = { 'NT SERVICE\\NintexGateway': 'S-1-5-80-1-2-3-4-5', 'CONTOSO\\svc-gateway': 'S-1-5-21-9-9-9-1105' };
  return {
    ownSid: () => SID.system,
    lookupAccount: (name) => (accounts[name] ? { sid: accounts[name], name } : undefined),
    accountNameOf: (sid) => Object.entries(accounts).find(([, known]) => known === sid)?.[0],
    pipeHolder: (pipe) => options.holders?.[pipe],
  };
}

t.test('--pipe-allow: names are looked up, SIDs taken as given; a name Windows does not know fails the start', async (t) => {
  const windows = fakePipe();
  t.same(resolvePipeAllow(['NT SERVICE\\NintexGateway', '*S-1-5-21-9-9-9-1105', 'S-1-5-20', 'S-1-5-21-7-7-7-1000'], windows), [
    { sid: 'S-1-5-80-1-2-3-4-5', name: 'NT SERVICE\\NintexGateway' },
    { sid: 'S-1-5-21-9-9-9-1105', name: 'CONTOSO\\svc-gateway' },
    { sid: 'S-1-5-20', name: 'NT AUTHORITY\\NETWORK SERVICE' },
    { sid: 'S-1-5-21-7-7-7-1000', name: 'S-1-5-21-7-7-7-1000' },
  ]);
  t.throws(() => resolvePipeAllow(['NT SERVICE\\NintexGatewy'], windows), { message: /Windows knows no account named 'NT SERVICE\\NintexGatewy'/ });
  t.throws(() => resolvePipeAllow(['Everyone'], { ...windows, lookupAccount: () => ({ sid: SID.everyone, name: 'Everyone' }) }).map((a) => pipeSddl(SID.system, [a.sid])),
    PipeAllowError, 'Everyone by name is refused when the DACL is made');
});

t.test('the pipe is made with its DACL and the start checks it took: by default Authenticated Users, with --pipe-allow only those', async (t) => {
  const windows = fakePipe();
  const byDefault = pipeAccess([], windows);
  t.equal(byDefault.sddl, 'D:P(D;;FA;;;NU)(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019b;;;AU)');
  t.same(byDefault.connectors, ['NT AUTHORITY\\Authenticated Users (local logons)']);
  const restricted = pipeAccess(resolvePipeAllow(['NT SERVICE\\NintexGateway'], windows), windows);
  t.equal(restricted.sddl, 'D:P(D;;FA;;;NU)(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019b;;;S-1-5-80-1-2-3-4-5)');
  t.same(restricted.connectors, ['NT SERVICE\\NintexGateway (S-1-5-80-1-2-3-4-5)']);
  // A pipe whose DACL did not take (or that someone widened to Everyone) fails the start.
  checkPipeAccess('\\\\.\\pipe\\x', byDefault, byDefault.sddl.replace('D:P', 'D:')); // Windows may drop the P when it reads a DACL back
  t.throws(() => checkPipeAccess('\\\\.\\pipe\\x', byDefault, ''), PipeSecurityError);
  t.throws(() => checkPipeAccess('\\\\.\\pipe\\x', byDefault, `${byDefault.sddl}(A;;GRGW;;;WD)`), { message: /did not take: Windows reads back .*WD/ });
});

t.test('a Windows pipe name some process serves is refused naming it; a free one is not', async (t) => {
  const pipe = '\\\\.\\pipe\\gateway-apikeys';
  const windows = fakePipe({ holders: { [pipe]: { pid: 4242, image: 'C:\\Users\\mallory\\squat.exe' } } });
  await t.rejects(preparePipePath(pipe, 'win32', windows), PipeInUseError);
  await t.rejects(preparePipePath(pipe, 'win32', windows), { message: `Another process is already listening on ${pipe}: it is held by process 4242 (C:\\Users\\mallory\\squat.exe). Stop it, or give this daemon another --pipe.` });
  await t.resolves(preparePipePath('\\\\.\\pipe\\free', 'win32', windows));
  t.equal(takenPipe(pipe, fakePipe({ holders: { [pipe]: {} } })), 'Windows does not say which process holds it');
  t.equal(describeHolder({ pid: 7 }), 'it is held by process 7');
});

t.test('the event log gets warnings and errors, one id per kind of event, the fields one per line', async (t) => {
  t.equal(eventFor({ level: 'info', message: 'x' }), undefined);
  t.same(eventFor({ level: 'warn', message: 'API key expires within 3 days', event: 'apiKey.expiresSoon', keyName: 'Orders', daysLeft: 2, timestamp: 'T' }), {
    type: 'warning', eventId: EVENT_IDS['apiKey.expiresSoon'],
    message: 'API key expires within 3 days\r\nevent: apiKey.expiresSoon\r\nkeyName: Orders\r\ndaysLeft: 2\r\ntimestamp: T',
  });
  t.match(eventFor({ level: 'error', message: 'boom', detail: { a: 1 } }), { type: 'error', eventId: 1001, message: 'boom\r\ndetail: {"a":1}' });
  t.match(eventFor({ level: 'warn', message: 'm', event: 'not.listed' }), { eventId: 1000 });
  t.equal(eventFor({ level: 'warn', message: 'x'.repeat(40_000) })!.message.length, 30_001);
  t.equal(new Set(Object.values(EVENT_IDS)).size, Object.keys(EVENT_IDS).length, 'no id used twice');
  t.ok(Object.values(EVENT_IDS).every((id) => id > 1001 && id <= 65535), 'ids fit a WORD and do not clash with the generic ones');
});

t.test('the logger sends warn and error, after the secret guard, to the event log writer; info and debug stay out', async (t) => {
  const got: [string, number, string][] = [];
  const writer: EventLogWriter = { report: (type, id, message) => (got.push([type, id, message]), true) };
  const logger = createLogger({ console: false, eventLog: writer, level: 'debug' });
  const key = `gwk_${'A'.repeat(49)}`;
  logger.debug('d');
  logger.info('i', { event: 'x' });
  logger.warn('A connector presented an expired API key', { event: 'auth.expiredKey', keyName: 'k', key });
  logger.error('The daemon could not start', { event: 'daemon.startFailed', error: `bad ${key}` });
  await new Promise<void>((resolve) => {
    logger.on('finish', resolve);
    logger.end();
  });
  t.same(got.map(([type, id]) => [type, id]), [['warning', 1204], ['error', 1100]]);
  t.notMatch(got.map(([, , m]) => m).join('\n'), key.slice(8), 'no secret reaches the event log');
  t.match(got[0]![2], 'key: [redacted]');
});

t.test('off Windows there is no event log, no identification-level connector, and the Windows calls say so', async (t) => {
  t.equal(system.eventLogWriter(), undefined, 'the transport is only ever made on win32');
  t.equal(system.localPipeConnector(), undefined);
  t.equal(system.wineVersion(), undefined);
  for (const call of [() => system.ownSid(), () => system.pathSecurity('x'), () => system.setPathSecurity('x', 'D:'), () => system.createDirectoryWithSecurity('x', 'D:'), () => system.accountNameOf('S-1-5-18'),
    () => system.lookupAccount('x'), () => system.pipeHolder('x'), () => system.listenPipe('x', 'D:', () => undefined, () => undefined), () => system.pipeSecurity('x')]) {
    t.throws(call, system.UnsupportedPlatformError);
  }
});

t.test('a data dir another daemon holds is refused before anything else is checked; a free or new one is not', async (t) => {
  const dataDir = t.testdir();
  t.doesNotThrow(() => refuseIfHeld(dataDir), 'no lock file yet');
  const lock = await claimDataDir(dataDir);
  t.throws(() => refuseIfHeld(dataDir), DataDirLockedError);
  await lock.release();
  t.doesNotThrow(() => refuseIfHeld(dataDir), 'released');
  t.doesNotThrow(() => refuseIfHeld(dataDir), 'and the check itself leaves it free');
});

t.test('a client connects through the opener it is given (on Windows: the Identification level), and its failures keep their reason', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-open-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pipe = path.join(dir, 's.sock');
  const server = net.createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      decoder.push(chunk);
      for (let body = decoder.next(); body; body = decoder.next()) {
        const { id } = JSON.parse(body.toString('utf8')) as { id: number };
        socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id, result: { opened: 'by the opener' } })));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  t.teardown(() => server.close());
  const opened: string[] = [];
  const opener = (at: string) => new Promise<net.Socket>((resolve, reject) => {
    opened.push(at);
    const socket = net.connect(at);
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
  const client = await RpcClient.connect(pipe, 1000, opener);
  t.same(await client.request('any', {}), { opened: 'by the opener' });
  t.same(opened, [pipe]);
  client.close();
  await client.closed;
  const refused = await RpcClient.connect('\\\\.\\pipe\\x', 1000, () => Promise.reject(Object.assign(new Error('denied'), { reason: 'EACCES' }))).catch((e: unknown) => e);
  t.match(refused, { name: 'PipeUnreachableError', reason: 'EACCES', message: 'Cannot connect to \\\\.\\pipe\\x (EACCES).' });
  const missing = await RpcClient.connect('\\\\.\\pipe\\y', 1000, () => Promise.reject(Object.assign(new Error('gone'), { code: 'ENOENT' }))).catch((e: unknown) => e);
  t.match(missing, { reason: 'ENOENT' }, 'a code serves as the reason too');
});

t.test('without Wine the Windows suite says why it cannot run, and how to get it', async (t) => {
  t.match(wineMissing({ PATH: '/nonexistent' }), /^Wine is not installed \(ENOENT\): apt-get install wine64, or run \.ci\/run, which installs it$/);
});

t.test('Windows, --gateway-account: the claim accepts gateway.token with exactly the gateway\'s read entry, and nothing broader, nor on another file', async (t) => {
  const gateway = 'S-1-5-20';
  const granted = `O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})(A;;FR;;;NS)`;
  const claim = (files: string, reader?: string, name = 'gateway.token') =>
    claimDataDir(t.testdir({ [name]: 'x' }), { platform: 'win32', windows: fakeWindows({ inherited: recorded.folders.protectedPrivate!.sddl, files, only: name }), gatewayReader: reader ? { sid: reader } : undefined });
  const lock = await claim(granted, gateway);
  await lock.release();
  t.pass('accepted with the flag');
  await t.rejects(claim(granted), /gateway\.token is not private to the daemon: NT AUTHORITY\\NETWORK SERVICE \(S-1-5-20\) may read it/, 'refused without it');
  await t.rejects(claim(granted.replace('(A;;FR;;;NS)', '(A;;FA;;;NS)'), gateway), /NETWORK SERVICE \(S-1-5-20\) may read it and may change it/, 'more than reading is refused');
  await t.rejects(claim(granted, gateway, 'admin.token'), /admin\.token is not private/, 'the grant is for gateway.token alone');
});
