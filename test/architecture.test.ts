import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { rpcMethods } from '../src/generated/schemas.js';
import { ROOT } from './helpers/daemon.js';

/**
 * The layers of docs/architecture.md and what each may import, checked on the sources: the
 * transport knows no method and no domain, the domain no wire, and comments cite the repository's
 * own documents.
 */

/** Folders (or files) of src/ a layer must not import from. Only the daemon and the offline commands use the vault. */
const FORBIDDEN: Record<string, readonly string[]> = {
  rpc: ['daemon', 'vault', 'cli', 'cli.ts', 'client', 'generated', 'locations.ts', 'shared'],
  vault: ['daemon', 'rpc', 'cli', 'cli.ts', 'client', 'locations.ts'],
  daemon: ['cli', 'cli.ts', 'client'],
  client: ['daemon', 'vault', 'cli', 'cli.ts'],
  cli: ['vault'],
  'cli.ts': ['vault', 'daemon'],
  'locations.ts': ['vault', 'daemon', 'rpc', 'cli', 'client'],
  'session-proof.ts': ['vault', 'daemon', 'rpc', 'cli', 'client'],
  platform: ['daemon', 'vault', 'rpc', 'cli', 'cli.ts', 'client', 'generated', 'locations.ts', 'session-proof.ts', 'shared'],
  shared: ['daemon', 'vault', 'rpc', 'cli', 'cli.ts', 'client', 'platform', 'locations.ts', 'session-proof.ts'],
};

/** The offline commands, which work on a data dir with no daemon: the one part of the CLI that may use the vault. */
const ALLOWED: Record<string, readonly string[]> = {
  [path.join('cli', 'commands', 'rekey.ts')]: ['vault'],
  [path.join('cli', 'commands', 'restore.ts')]: ['vault'],
  [path.join('cli', 'commands', 'farm.ts')]: ['vault'],
};

/** The src/ files under `dir`, relative to src/, with their text. */
function sources(dir = path.join(ROOT, 'src')): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(path.join(ROOT, 'src'), file), fs.readFileSync(file, 'utf8'));
  }
  return files;
}

/** Every import of one file that breaks its layer's rule, as `file -> target`. */
export function forbiddenImports(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    const layer = file.split(path.sep)[0]!;
    const rules = FORBIDDEN[layer];
    if (!rules) continue;
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = path.normalize(path.join(path.dirname(file), match[1]!));
      const top = target.split(path.sep)[0]!.replace(/\.js$/, '.ts');
      if (rules.includes(top) && !ALLOWED[file]?.includes(top)) found.push(`${file} -> ${target}`);
    }
  }
  return found;
}

t.test('the import rule finds a forbidden import (the check itself can fail)', async (t) => {
  const planted = new Map([
    ['rpc/server.ts', "import { dispatch } from '../daemon/methods.js';"],
    ['rpc/framing.ts', "const x = await import('../vault/vault.js');"],
    ['vault/vault.ts', "import { RpcServer } from '../rpc/server.js';"],
    ['daemon/serve.ts', "import { RpcServer } from '../rpc/server.js';"],
    [path.join('cli', 'commands', 'list.ts'), "import { Vault } from '../../vault/vault.js';"],
    [path.join('cli', 'commands', 'restore.ts'), "const { restoreVault } = await import('../../vault/backup.js');"],
    ['cli.ts', "import { maskSecrets } from './vault/secret-text.js';"],
    [path.join('shared', 'log.ts'), "import type { Vault } from '../vault/vault.js';"],
  ]);
  t.same(forbiddenImports(planted), [
    'rpc/server.ts -> daemon/methods.js',
    'rpc/framing.ts -> vault/vault.js',
    'vault/vault.ts -> rpc/server.js',
    `${path.join('cli', 'commands', 'list.ts')} -> vault/vault.js`,
    'cli.ts -> vault/secret-text.js',
    `${path.join('shared', 'log.ts')} -> vault/vault.js`,
  ]);
});

t.test('no layer imports what docs/architecture.md forbids it', async (t) => {
  const files = sources();
  t.ok(files.size > 30, `${files.size} source files read`);
  t.same(forbiddenImports(files), []);
});

t.test('the domain knows no RPC method name', async (t) => {
  for (const [file, text] of sources()) {
    if (!file.startsWith(`vault${path.sep}`)) continue;
    for (const method of rpcMethods) t.notOk(text.includes(`'${method}'`) || text.includes(`"${method}"`), `${file} names ${method}`);
  }
});

/** The files whose comments must cite documents inside the repository. */
function commentedFiles(): string[] {
  const roots = ['src', 'test', 'build', 'bench', 'powershell'];
  const files: string[] = [];
  for (const root of roots) {
    for (const entry of fs.readdirSync(path.join(ROOT, root), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && /\.(ts|mjs|ps1|psm1|psd1|ps1xml|txt)$/.test(entry.name)) files.push(path.join(entry.parentPath, entry.name));
    }
  }
  return files;
}

t.test('comments cite docs/ in the repository, never a document outside it', async (t) => {
  const cited = new Set<string>();
  for (const file of commentedFiles()) {
    if (file.includes(`${path.sep}generated${path.sep}`) || file === path.join(ROOT, 'test/architecture.test.ts')) continue;
    const text = fs.readFileSync(file, 'utf8');
    t.notMatch(text, /DESIGN(\.md)?\s*(§|section)/, `${path.relative(ROOT, file)} cites DESIGN`);
    for (const match of text.matchAll(/docs\/([\w-]+\.md)/g)) cited.add(match[1]!);
  }
  t.ok(cited.size >= 4, `comments cite ${[...cited].join(', ')}`);
  for (const doc of cited) t.ok(fs.existsSync(path.join(ROOT, 'docs', doc)), `docs/${doc} exists`);
});
