import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadEmbeddedAddon, placeAddon } from '../build/sea-addon.js';

// The single executable's addon loader (build/sea-addon.ts), outside the executable; test/package.test.ts
// runs it inside one.
const posix = process.platform === 'win32' && 'POSIX owners and modes';
const uid = process.getuid?.() ?? -1;
const addon = crypto.randomBytes(4096);
const hash16 = crypto.createHash('sha256').update(addon).digest('hex').slice(0, 16);
const sharedDir = (tmpDir: string, owner = uid) => path.join(tmpDir, `gateway-apikeys-addons-${owner}`);

t.test('first use writes the addon to <tmp>/gateway-apikeys-addons-<uid> (0700), named by its hash; then re-uses it', { skip: posix }, async (t) => {
  const tmpDir = t.testdir();
  const first = placeAddon('sodium-native.node', addon, { tmpDir });
  t.same(first, { file: path.join(sharedDir(tmpDir), `sodium-native-${hash16}.node`), reused: false, transient: false });
  t.equal(fs.statSync(sharedDir(tmpDir)).mode & 0o777, 0o700);
  t.same(fs.readFileSync(first.file), addon);
  const inode = fs.statSync(first.file).ino;
  const again = placeAddon('sodium-native.node', addon, { tmpDir });
  t.same(again, { ...first, reused: true });
  t.equal(fs.statSync(again.file).ino, inode, 'the same file, not rewritten');
  t.same(fs.readdirSync(sharedDir(tmpDir)), [path.basename(first.file)], 'no temporary file left');
});

t.test('a file with the wrong bytes, or a symlink in its place, is replaced atomically', { skip: posix }, async (t) => {
  const tmpDir = t.testdir();
  const { file } = placeAddon('sodium-native.node', addon, { tmpDir });
  fs.writeFileSync(file, 'truncated');
  t.match(placeAddon('sodium-native.node', addon, { tmpDir }), { file, reused: false, transient: false });
  t.same(fs.readFileSync(file), addon);

  fs.rmSync(file);
  fs.writeFileSync(path.join(tmpDir, 'target'), addon);
  fs.symlinkSync(path.join(tmpDir, 'target'), file);
  t.match(placeAddon('sodium-native.node', addon, { tmpDir }), { file, reused: false }, 'a symlink is not followed, even to the right bytes');
  t.notOk(fs.lstatSync(file).isSymbolicLink(), 'the symlink itself was replaced');
  t.same(fs.readFileSync(file), addon);
  t.same(fs.readFileSync(path.join(tmpDir, 'target')), addon, 'the link target is untouched');
});

t.test('when the shared directory cannot take the file, a fresh directory can', { skip: posix }, async (t) => {
  const tmpDir = t.testdir();
  const blocked = path.join(sharedDir(tmpDir), `sodium-native-${hash16}.node`);
  fs.mkdirSync(path.join(blocked, 'in-the-way'), { recursive: true, mode: 0o700 });
  const placed = placeAddon('sodium-native.node', addon, { tmpDir });
  t.ok(placed.transient, 'a directory where the file belongs: the rename fails, a fresh directory is used');
  t.same(fs.readFileSync(placed.file), addon);
  t.same(fs.readdirSync(sharedDir(tmpDir)), [path.basename(blocked)], 'no temporary file left behind');
});

t.test('a directory that is not private is never used: a fresh 0700 one instead', { skip: posix }, async (t) => {
  const cases: [string, (tmpDir: string) => void, number?][] = [
    ['made by another user', () => undefined, uid + 1],
    ['group/other may read or write it', (tmpDir) => fs.mkdirSync(sharedDir(tmpDir), { mode: 0o777 })],
    ['a symlink to a private directory', (tmpDir) => {
      fs.mkdirSync(path.join(tmpDir, 'decoy'), { mode: 0o700 });
      fs.symlinkSync(path.join(tmpDir, 'decoy'), sharedDir(tmpDir));
    }],
    ['a file', (tmpDir) => fs.writeFileSync(sharedDir(tmpDir), '')],
  ];
  for (const [name, prepare, owner] of cases) {
    const tmpDir = t.testdir();
    prepare(tmpDir);
    // The shared directory of `owner` is made (or found) by this process, so it is not owned by `owner`.
    const placed = placeAddon('sodium-native.node', addon, { tmpDir, ...(owner === undefined ? {} : { uid: owner }) });
    t.ok(placed.transient, `${name}: a fresh directory`);
    t.equal(path.dirname(path.dirname(placed.file)), tmpDir, name);
    t.match(path.basename(path.dirname(placed.file)), /^gateway-apikeys-addon-once-/, name);
    t.equal(fs.statSync(path.dirname(placed.file)).mode & 0o777, 0o700, `${name}: the fresh directory is 0700`);
    t.same(fs.readFileSync(placed.file), addon, name);
    if (fs.lstatSync(sharedDir(tmpDir, owner)).isDirectory()) {
      t.same(fs.readdirSync(sharedDir(tmpDir, owner)), [], `${name}: nothing written into it`);
    }
  }
});

t.test('Windows: %LOCALAPPDATA%\\gateway-apikeys\\addons, else a fresh directory', async (t) => {
  const tmpDir = t.testdir();
  const local = path.join(tmpDir, 'AppData-Local');
  const placed = placeAddon('sodium-native.node', addon, { tmpDir, platform: 'win32', env: { LOCALAPPDATA: local } });
  t.same(placed, { file: path.join(local, 'gateway-apikeys', 'addons', `sodium-native-${hash16}.node`), reused: false, transient: false });
  t.match(placeAddon('sodium-native.node', addon, { tmpDir, platform: 'win32', env: { LOCALAPPDATA: local } }), { reused: true });
  const fresh = placeAddon('sodium-native.node', addon, { tmpDir, platform: 'win32', env: {} });
  t.ok(fresh.transient);
  t.same(fs.readFileSync(fresh.file), addon);
});

t.test('outside the single executable there is no embedded addon to load', async (t) => {
  t.throws(() => loadEmbeddedAddon('sodium-native.node'), /embedded only in the single executable/);
});
