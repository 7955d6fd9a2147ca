// npm run package [-- --out-dir DIR]
//
// Makes the single executables dist/gateway-apikeys-linux-x64 and dist/gateway-apikeys-win-x64.exe
// with Node's own Single Executable Applications:
//   1. esbuild bundles src/cli.ts into one CommonJS file; the addons of sodium-native and koffi are
//      redirected to SEA assets (build/native-addons-plugin.mjs);
//   2. the pinned Linux Node 24 (build/base-node.mjs) makes each target's preparation blob; a blob
//      must come from the very Node version it is injected into;
//   3. postject injects the blob into a copy of the target's base binary.
// Runs on linux-x64 only, since that Node makes the blobs; elsewhere it exits 1 and says so.
// It also makes the .NET client's packages, dist/GatewayApiKeys.Client.<version>.nupkg and
// dist/GatewayApiKeys.AspNetCore.<version>.nupkg (build/pack-dotnet.mjs).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import esbuild from 'esbuild';
import { ensureBaseBinary, NODE_VERSION, ROOT } from './base-node.mjs';
import { addonFiles, nativeAddonsPlugin } from './native-addons-plugin.mjs';
import { packDotnet } from './pack-dotnet.mjs';

const run = promisify(execFile);
/** package.json's daemonNodeFlags: the V8 settings the daemon runs with, built into the executable. */
const DAEMON_NODE_FLAGS = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).daemonNodeFlags;
const require = createRequire(import.meta.url);

/** The fuse Node's SEA support looks for; postject flips its last character to 1. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Why this machine cannot package, or undefined when it can. */
function cannotPackageHere() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `packaging runs on linux-x64 (its Node makes the SEA blobs); this is ${process.platform}-${process.arch}`;
  }
  return undefined;
}

/**
 * The one CommonJS bundle of the executable (src/cli.ts and everything it loads). The Windows suite
 * (test/windows/) runs this same output on node.exe under Wine, with the addons beside it.
 */
export async function bundle(outfile, entry = path.join(ROOT, 'src', 'cli.ts'), addons = undefined) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: `node${NODE_VERSION}`,
    format: 'cjs',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [nativeAddonsPlugin(addons)],
  });
}

/** Strips symbols and debug info when binutils' strip is there (17 MB less); the executable works either way. */
async function stripIfPossible(file) {
  try {
    await run('strip', ['--strip-all', file]);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    console.warn('strip not found: the Linux executable keeps its symbols.');
  }
}

/**
 * node.exe is signed by the Node.js project. Injecting the blob invalidates that signature, and postject
 * leaves its Certificate Table entry pointing at bytes that are no longer the certificate; so remove it
 * first (what `signtool remove /s` does): the executable is then plainly unsigned, ready to be signed
 * with the organization's own certificate.
 */
function removeAuthenticodeSignature(file) {
  const exe = fs.readFileSync(file);
  const optionalHeader = exe.readUInt32LE(0x3c) + 24;
  if (exe.readUInt16LE(optionalHeader) !== 0x20b) throw new Error(`${file} is not a PE32+ executable.`);
  const certificateTable = optionalHeader + 112 + 4 * 8; // data directory 4 (PE32+ layout)
  const offset = exe.readUInt32LE(certificateTable);
  const size = exe.readUInt32LE(certificateTable + 4);
  if (size === 0) return;
  if (offset + size !== exe.length) throw new Error(`${file}: the signature is not at the end of the file.`);
  exe.fill(0, certificateTable, certificateTable + 8);
  fs.writeFileSync(file, exe.subarray(0, offset));
}

export const TARGETS = [
  // The V8 code cache is only valid on the platform that made it, and the blobs are made on Linux.
  { target: 'linux-x64', file: 'gateway-apikeys-linux-x64', useCodeCache: true, prepare: stripIfPossible },
  { target: 'win-x64', file: 'gateway-apikeys-win-x64.exe', useCodeCache: false, prepare: removeAuthenticodeSignature },
];

/**
 * One target's executable: a SEA blob made by `linuxNode` (which must be the very Node version of the
 * target's base binary) injected into a copy of `baseBinary`. The Windows suite calls this with
 * Node 22, the newest that starts under Wine.
 */
export async function packageTarget({ target, file, useCodeCache, prepare }, { bundleFile, work, outDir, linuxNode, baseBinary = ensureBaseBinary(target) }) {
  const blob = path.join(work, `${target}.blob`);
  const config = path.join(work, `${target}.sea-config.json`);
  fs.writeFileSync(config, JSON.stringify({
    main: path.basename(bundleFile), // relative: the blob keeps this name (stack traces show it), not the temp dir
    output: path.basename(blob),
    disableExperimentalSEAWarning: true,
    // NODE_OPTIONS is ignored: a developer's preloads are not for the product, nor is injected code for the vault.
    execArgvExtension: 'none',
    execArgv: DAEMON_NODE_FLAGS,
    useCodeCache,
    assets: addonFiles(ROOT, target),
  }, null, 2));
  // Without NODE_OPTIONS: preloads meant for the Node running this script (a test runner's) are not for Node 24.
  await run(linuxNode, ['--experimental-sea-config', config], { cwd: work, env: { ...process.env, NODE_OPTIONS: '' } });

  const executable = path.join(work, file);
  fs.copyFileSync(baseBinary, executable);
  fs.chmodSync(executable, 0o755);
  await prepare(executable);
  const postject = require.resolve('postject/dist/cli.js');
  await run(process.execPath, [postject, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { maxBuffer: 16 << 20 });
  const destination = path.join(outDir, file);
  fs.copyFileSync(executable, `${destination}.tmp`);
  fs.renameSync(`${destination}.tmp`, destination);
  return destination;
}

/** Builds both executables into outDir; resolves with their paths. */
export async function packageAll(outDir = path.join(ROOT, 'dist')) {
  const reason = cannotPackageHere();
  if (reason) throw new Error(`Cannot package: ${reason}.`);
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-apikeys-package-'));
  try {
    const linuxNode = ensureBaseBinary('linux-x64');
    for (const { target } of TARGETS) ensureBaseBinary(target);
    const bundleFile = path.join(work, 'gateway-apikeys.cjs');
    await bundle(bundleFile);
    return await Promise.all(TARGETS.map((target) => packageTarget(target, { bundleFile, work, outDir, linuxNode })));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
  const started = Date.now();
  try {
    const outDir = values['out-dir'] && path.resolve(values['out-dir']);
    const files = [...await packageAll(outDir), ...await packDotnet(outDir)];
    for (const file of files) console.log(`${file}  ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
    console.log(`packaged with Node ${NODE_VERSION} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    console.error(error.message);
    process.exitCode = 1;
  }
}
