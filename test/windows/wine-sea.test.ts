import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ensureBaseBinary, WINE_NODE_VERSION } from '../../build/base-node.mjs';
import { packageTarget, TARGETS } from '../../build/package.mjs';
import { pipeSddl, samePipeDacl } from '../../src/platform/windows-security.js';
import { buildWindowsBundle, drivePath, skipWithoutWine, WINE_DIR, type WineHarness, wineHarness, winPath } from '../helpers/wine.js';

// The single executable for Windows, made by build/package.mjs's own code on the Node that starts
// under Wine (22; the shipped .exe is the same bundle on Node 24, which does not start there), run
// under Wine with the harness of wine-daemon.test.ts (docs/architecture.md, "The Windows suite").
// Injecting the blob into a PE takes postject about 25 s here, so the executable is kept in
// .tools/wine/sea/, named by the hash of what went into it, and made again only when that changes.
// Its programs each start under Wine: on a loaded machine the file outlasts tap's default 300 s.
t.setTimeout(900_000);
const skip = skipWithoutWine(t);
const run = `gwk-sea-${process.pid}`;
const version = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
let wine: WineHarness;
let exe: string;
let driverFile: string;

/** The executable for this bundle: from the cache, or made now. */
async function executable(bundleFile: string): Promise<{ file: string; made: boolean }> {
  const target = TARGETS.find((candidate) => candidate.target === 'win-x64')!;
  const hash = crypto.createHash('sha256').update(WINE_NODE_VERSION).update(fs.readFileSync(bundleFile));
  for (const addon of ['sodium-native.node', 'koffi.node']) hash.update(fs.readFileSync(path.join(path.dirname(bundleFile), addon)));
  hash.update(fs.readFileSync(path.join(import.meta.dirname, '../../build/package.mjs')));
  const cacheDir = path.join(WINE_DIR, 'sea');
  const file = path.join(cacheDir, `gateway-apikeys-node${WINE_NODE_VERSION}-${hash.digest('hex').slice(0, 16)}.exe`);
  if (fs.existsSync(file)) return { file, made: false };
  fs.rmSync(cacheDir, { recursive: true, force: true }); // one executable kept: older ones are of older sources
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-sea-work-'));
  try {
    fs.copyFileSync(bundleFile, path.join(work, 'gateway-apikeys.cjs'));
    const made = await packageTarget(target, {
      bundleFile: path.join(work, 'gateway-apikeys.cjs'), work, outDir: work,
      linuxNode: ensureBaseBinary('linux-x64', WINE_NODE_VERSION), baseBinary: ensureBaseBinary('win-x64', WINE_NODE_VERSION),
    });
    fs.renameSync(made, file);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { file, made: true };
}

t.before(async () => {
  if (skip) return;
  wine = await wineHarness(t);
  const built = await buildWindowsBundle(path.join(wine.runDir, 'bundle'));
  driverFile = winPath(built.driver);
  const started = performance.now();
  const { file, made } = await executable(built.cli);
  exe = file;
  t.comment(`${made ? 'made' : 'reused'} the Node ${WINE_NODE_VERSION} single executable ${path.basename(file)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
t.teardown(() => fs.rmSync(drivePath(`C:\\${run}`), { recursive: true, force: true }));

t.test('the single executable under Wine: --version, serve, every method from a Windows client, its own CLI, stop, restart', { skip }, async (t) => {
  const versionRun = await wine.run(exe, ['--version']);
  t.equal(versionRun.stdout, `${version}\n`, `--version (${versionRun.ms} ms)`);
  t.notMatch(versionRun.stderr, /ExperimentalWarning|single executable/i, 'no SEA warning');

  const dataDir = `C:\\${run}\\data`;
  const pipe = `\\\\.\\pipe\\${run}`;
  const env = { GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: pipe };
  const serve = async () => {
    const started = performance.now();
    const daemon = wine.start(exe, ['serve', '--time-zone', 'UTC'], { env, timeoutMs: 120_000 });
    await wine.waitFor(daemon, (out) => out.includes('is serving'));
    t.comment(`the executable serves after ${Math.round(performance.now() - started)} ms`);
    return daemon;
  };
  let daemon = await serve();
  t.match(daemon.stdout(), `gateway-apikeys ${version} is serving.`);

  const tour = await wine.run(wine.nodeExe, [driverFile, 'tour', pipe, `${dataDir}\\admin.token`, `${dataDir}\\gateway.token`]);
  const calls = (JSON.parse(tour.stdout.trim()) as { calls: Record<string, unknown> }).calls;
  t.match(calls, {
    'session.hello': { role: 'admin', protocolVersion: 3 }, 'apiKey.create': { keyFormat: true }, 'apiKey.reveal': true,
    'connector.authenticate': { authenticated: true }, 'apiKey.delete': { deleted: true }, 'wrong proof': 'Unauthenticated',
  }, 'every method from the driver on node.exe');

  const made = await wine.run(exe, ['new', 'Executable key', '--valid-for', '30d', '--json'], { env });
  t.equal(made.code, 0, made.stderr);
  t.match(JSON.parse(made.stdout), { name: 'Executable key', status: 'Active' }, 'the executable is its own CLI');
  const addons = drivePath(`C:\\users\\${os.userInfo().username}\\AppData\\Local\\gateway-apikeys\\addons`);
  t.match(fs.readdirSync(addons).sort(), [/^koffi-[0-9a-f]{16}\.node$/, /^sodium-native-[0-9a-f]{16}\.node$/],
    "its addons were placed in %LOCALAPPDATA%\\gateway-apikeys\\addons, named by their hash");

  const stopped = await wine.run(exe, ['stop'], { env });
  t.equal(stopped.code, 0, stopped.stderr);
  t.equal(await daemon.exited, 0, "'stop' through the executable: exit 0");

  daemon = await serve();
  const listed = await wine.run(exe, ['list', '--json'], { env });
  t.match(JSON.parse(listed.stdout), { total: 1, items: [{ name: 'Executable key' }] }, 'the key survived the restart');
  process.kill(daemon.pid, 'SIGINT');
  t.equal(await daemon.exited, 0, 'Ctrl+C: exit 0');
});

t.test("'install' in one command under Wine: the executable in %ProgramFiles%, the event source, the task; the task's own command serves; 'uninstall'", { skip }, async (t) => {
  const dataDir = `C:\\${run}\\installed`;
  const pipe = `\\\\.\\pipe\\${run}-installed`;
  const account = os.userInfo().username; // Wine's one account, looked up by name as an admin would name the gateway's
  // install and uninstall run Wine's reg.exe and schtasks.exe, whose first calls start Wine's services: on a
  // loaded machine a CI run saw install still running after 120 s, its task already registered.
  const SYSTEM_TOOLS_MS = 400_000;
  await wine.run(exe, ['uninstall'], { timeoutMs: SYSTEM_TOOLS_MS }); // what a run that died half-way may have left in the prefix
  fs.rmSync(drivePath('C:\\Program Files\\gateway-apikeys'), { recursive: true, force: true });
  const typo = await wine.run(exe, ['install', '--pipe-allow', 'NT SERVICE\\NoSuchGateway', '--no-start']);
  t.equal(typo.code, 1, 'an account Windows does not know fails the install, before anything is changed');
  t.match(typo.stderr, /Windows knows no account named 'NT SERVICE\\NoSuchGateway'/);
  t.notOk(fs.existsSync(drivePath('C:\\windows\\system32\\tasks\\gateway-apikeys')));

  // --no-start: Wine registers tasks but its Task Scheduler does not run them; the test runs the task's command line itself.
  const installed = await wine.run(exe, ['install', '--pipe-allow', account, '--data-dir', dataDir, '--pipe', pipe, '--no-start'], { timeoutMs: SYSTEM_TOOLS_MS });
  t.equal(installed.code, 0, installed.stdout + installed.stderr);
  t.comment(installed.stdout.trim());
  const target = drivePath('C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe');
  t.equal(fs.statSync(target).size, fs.statSync(exe).size, 'the executable is in %ProgramFiles%\\gateway-apikeys');
  const registry = await wine.run('reg', ['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\gateway-apikeys']);
  t.match(registry.stdout, /EventMessageFile\s+REG_EXPAND_SZ\s+%SystemRoot%\\Microsoft\.NET\\Framework64\\v4\.0\.30319\\EventLogMessages\.dll/, 'the event source');
  t.match(registry.stdout, /TypesSupported\s+REG_DWORD\s+0x7/);
  // Wine's Task Scheduler keeps a lossy copy (no boot trigger, principal or action); the definition install registered stays beside the executable.
  t.match(fs.readFileSync(drivePath('C:\\windows\\system32\\tasks\\gateway-apikeys'), 'utf8'), 'gateway-apikeys: the API key vault', 'schtasks /Create /XML took the definition');
  const task = fs.readFileSync(drivePath('C:\\Program Files\\gateway-apikeys\\gateway-apikeys.task.xml')).subarray(2).toString('utf16le');
  t.match(task, '<UserId>S-1-5-18</UserId>', 'to run as SYSTEM');
  const command = /<Command>([^<]+)<\/Command>/.exec(task)![1]!;
  const args = /<Arguments>([^<]+)<\/Arguments>/.exec(task)![1]!.split(' ');
  t.equal(command, 'C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe');
  t.match(args, ['serve', '--pipe-allow', /^S-1-5-21-/, '--data-dir', dataDir, '--pipe', pipe], 'the account kept as its SID');

  const daemon = wine.start(command, args, { timeoutMs: 120_000 });
  await wine.waitFor(daemon, (out) => out.includes('is serving'));
  const secured = daemon.stderr().split('\n').find((line) => line.includes('"event":"pipe.secured"'));
  t.match(secured, new RegExp(`"mayConnect":\\["[^"]*${account} \\(S-1-5-21-[-0-9]+\\)"\\]`), 'only the account named may connect, besides SYSTEM, Administrators and the daemon');
  t.match(daemon.stderr(), /"event":"dataDir.protected"/, 'the data dir made private by the daemon itself, not by the installer');
  const sid = args[args.indexOf('--pipe-allow') + 1]!;
  const ownSid = /"ownSid":"(S-1-5-21-[-0-9]+)"/.exec(daemon.stderr())![1]!;
  const dacl = JSON.parse((await wine.run(wine.nodeExe, [driverFile, 'pipe-dacl', pipe])).stdout.trim()) as { sddl: string };
  t.ok(samePipeDacl(dacl.sddl, pipeSddl(ownSid, [sid])), `the pipe's DACL read back by another process: ${dacl.sddl}`);
  t.notMatch(dacl.sddl, /;AU\)|;WD\)/, 'neither Authenticated Users nor Everyone');
  const stopped = await wine.run(exe, ['stop', '--data-dir', dataDir, '--pipe', pipe]);
  t.equal(stopped.code, 0, stopped.stderr);
  t.equal(await daemon.exited, 0);

  const removed = await wine.run(exe, ['uninstall'], { timeoutMs: SYSTEM_TOOLS_MS });
  t.equal(removed.code, 0, removed.stdout + removed.stderr);
  t.notOk(fs.existsSync(drivePath('C:\\windows\\system32\\tasks\\gateway-apikeys')), 'the task is gone');
  t.not((await wine.run('reg', ['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\gateway-apikeys'])).code, 0, 'and the event source');
  t.ok(fs.existsSync(drivePath(`${dataDir}\\master.key`)), 'the keys stay');
  fs.rmSync(path.dirname(target), { recursive: true, force: true });
});
