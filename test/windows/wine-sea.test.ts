import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ensureBaseBinary, WINE_NODE_VERSION } from '../../build/base-node.mjs';
import { packageTarget, TARGETS } from '../../build/package.mjs';
import { buildWindowsBundle, drivePath, skipWithoutWine, WINE_DIR, type WineHarness, wineHarness, winPath } from '../helpers/wine.js';

// The single executable for Windows, made by build/package.mjs's own code on the Node that starts
// under Wine (22; the shipped .exe is the same bundle on Node 24, which does not start there), run
// under Wine with the harness of wine-daemon.test.ts (docs/architecture.md, "The Windows suite").
// Injecting the blob into a PE takes postject about 25 s here, so the executable is kept in
// .tools/wine/sea/, named by the hash of what went into it, and made again only when that changes.
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
    'session.hello': { role: 'admin', protocolVersion: 2 }, 'apiKey.create': { keyFormat: true }, 'apiKey.reveal': true,
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
