import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ROOT, shortPipe, startDaemon } from './helpers/daemon.js';
import { parsePe } from './helpers/pe.js';

// The single executables, made for real by `build/package.mjs` once for this file: the Linux one
// runs a whole session with no Node on PATH; the Windows one is checked as a file.
const run = promisify(execFile);
const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SEA_BLOB_MAGIC = 0x0143da20;
const prebuild = (platformArch: string) => fs.readFileSync(path.join(ROOT, 'node_modules', 'sodium-native', 'prebuilds', platformArch, 'sodium-native.node'));
const koffiPrebuild = (triplet: string) => fs.readFileSync(path.join(ROOT, 'node_modules', 'koffi', 'build', 'koffi', triplet, 'koffi.node'));
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

// Packaging needs the linux-x64 Node 24 binary to make the blobs. Anywhere else it cannot run, and
// each test says so; on linux-x64 a packaging failure fails this file.
const skip = process.platform !== 'linux' || process.arch !== 'x64'
  ? `packaging runs on linux-x64 only (this is ${process.platform}-${process.arch})`
  : false;
if (skip) t.comment(`SKIP the single executables: ${skip}`);

// Outside the repository, so nothing beside the executable (no node_modules up the tree) can help it.
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-package-'));
t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));
const linuxExe = path.join(outDir, 'gateway-apikeys-linux-x64');
const windowsExe = path.join(outDir, 'gateway-apikeys-win-x64.exe');

t.before(async () => {
  if (skip) return;
  const started = Date.now();
  await run(process.execPath, [path.join(ROOT, 'build', 'package.mjs'), '--out-dir', outDir], { maxBuffer: 16 << 20 });
  t.comment(`packaged both executables in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

/** A PATH with no `node` on it, and a temp dir of its own for the addon: what an admin's machine has. */
function noNodeEnv(tmpDir: string): Record<string, string> {
  const withoutNode = (process.env.PATH ?? '').split(path.delimiter)
    .filter((dir) => dir && !['node', 'nodejs'].some((name) => fs.existsSync(path.join(dir, name))));
  return { PATH: withoutNode.join(path.delimiter), TMPDIR: tmpDir, LANG: 'C.UTF-8' };
}

t.test('--version prints the package version and nothing else, with no Node on PATH', { skip }, async (t) => {
  const env = noNodeEnv(t.testdir());
  await t.rejects(run('node', ['--version'], { env }), 'no node on this PATH');
  const { stdout, stderr } = await run(linuxExe, ['--version'], { env });
  t.equal(stdout, `${version}\n`);
  t.equal(stderr, '', 'no experimental SEA warning, no other output');
  const preloaded = await run(linuxExe, ['--version'], { env: { ...env, NODE_OPTIONS: '--require /nonexistent/preload.js' } });
  t.equal(preloaded.stdout, `${version}\n`, 'NODE_OPTIONS is ignored');
});

t.test('a real session through the executable: hello, create, authenticate, list, stop, restart, the key still there', { skip }, async (t) => {
  const tmpDir = t.testdir();
  const env = noNodeEnv(tmpDir);
  const dataDir = path.join(tmpDir, 'data');
  const pipe = shortPipe();
  t.ok(Buffer.byteLength(pipe) <= 107, 'the socket path fits');

  let daemon = await startDaemon(t, { executable: linuxExe, baseEnv: env, dataDir, pipe });
  t.match(daemon.stdout(), `gateway-apikeys ${version} is serving.`);
  let admin = await daemon.client('admin');
  const created = await admin.request('apiKey.create', { name: 'Packaged connector', description: 'made through the single executable' });
  t.match(created.key, /^gwk_[0-9A-Za-z]{49}$/);
  const gateway = await daemon.client('gateway');
  t.match(await gateway.request('connector.authenticate', { key: created.key }), { authenticated: true, name: 'Packaged connector' });
  t.match(await admin.request('apiKey.list', {}), { total: 1, items: [{ name: 'Packaged connector' }] });
  t.equal(await daemon.stop('SIGTERM'), 0, 'SIGTERM: exit code 0');
  t.notOk(fs.existsSync(pipe), 'the socket file is removed');

  daemon = await startDaemon(t, { executable: linuxExe, baseEnv: env, dataDir, pipe });
  admin = await daemon.client('admin');
  t.match(await admin.request('apiKey.list', {}), { total: 1, items: [{ name: 'Packaged connector', lastUsedAt: String }] }, 'the key survived the restart');
  t.match(await (await daemon.client('gateway')).request('connector.authenticate', { key: created.key }), { authenticated: true }, 'and still authenticates');
  t.equal(await daemon.stop(), 0);
  t.notMatch(daemon.stderr(), /ExperimentalWarning|single executable/i, 'no SEA warning on stderr');

  const addonDir = path.join(tmpDir, `gateway-apikeys-addons-${process.getuid!()}`);
  t.equal(fs.statSync(addonDir).mode & 0o777, 0o700, 'the addon directory is private');
  const addons = fs.readdirSync(addonDir).sort();
  t.same(addons, [`koffi-${sha256(koffiPrebuild('linux_x64')).slice(0, 16)}.node`, `sodium-native-${sha256(prebuild('linux-x64')).slice(0, 16)}.node`],
    'one file per addon, named by its hash');
  t.same(fs.readFileSync(path.join(addonDir, addons[0]!)), koffiPrebuild('linux_x64'), "koffi's linux_x64 prebuild");
  t.same(fs.readFileSync(path.join(addonDir, addons[1]!)), prebuild('linux-x64'), "sodium-native's linux-x64 prebuild");
});

t.test('an addon directory another user could have prepared is not used, and nothing is left behind', { skip }, async (t) => {
  const tmpDir = t.testdir();
  const planted = path.join(tmpDir, `gateway-apikeys-addons-${process.getuid!()}`);
  fs.mkdirSync(planted, { mode: 0o777 });
  fs.chmodSync(planted, 0o777);
  const { stdout } = await run(linuxExe, ['--version'], { env: noNodeEnv(tmpDir) });
  t.equal(stdout, `${version}\n`, 'sodium-native loaded from a fresh private directory');
  t.same(fs.readdirSync(planted), [], 'nothing written into the planted directory');
  t.same(fs.readdirSync(tmpDir), [path.basename(planted)], 'the fresh directory is gone once the addon is loaded');
});

t.test('the Windows executable is PE32+ with the SEA blob injected and its fuse flipped', { skip }, async (t) => {
  const exe = fs.readFileSync(windowsExe);
  const pe = parsePe(exe);
  t.equal(pe.optionalHeaderMagic, 0x20b, 'PE32+');
  t.equal(pe.machine, 0x8664, 'x64');
  const blob = pe.rcdata.get('NODE_SEA_BLOB');
  t.ok(blob, 'an RCDATA resource NODE_SEA_BLOB');
  t.equal(blob?.readUInt32LE(0), SEA_BLOB_MAGIC, 'it starts with the SEA blob magic');
  t.ok(blob?.includes(prebuild('win32-x64')), "it carries sodium-native's win32-x64 prebuild");
  t.ok(blob?.includes(koffiPrebuild('win32_x64')), "and koffi's");
  t.notOk(blob?.includes(prebuild('linux-x64').subarray(0, 64 * 1024)), 'not the Linux one');
  t.ok(exe.includes(`${SEA_FUSE}:1`), 'the sentinel fuse is flipped');
  t.notOk(exe.includes(`${SEA_FUSE}:0`), 'and not left unflipped anywhere');
  t.same(pe.certificateTable, { offset: 0, size: 0 }, "node.exe's signature, invalid once injected, is removed");
});
