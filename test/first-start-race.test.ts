import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CLI, shortPipe, startDaemon } from './helpers/daemon.js';
import { madeDataDir, scratchPath } from './helpers/vault.js';

// The first start's race (docs/security.md, "The data dir"), on Linux against the real daemon: what
// someone else put in the data dir before the daemon wrote its files is never taken for its own,
// and a link planted at a temporary file's name is never followed. Windows' side runs under Wine
// (test/windows/wine-first-start.test.ts) and in test/windows-security.test.ts.
const isRoot = process.platform !== 'win32' && process.geteuid!() === 0;
const NOBODY = 65534;
const skip = !isRoot && 'needs root, to plant files as another user (nobody)';

/** `serve` on `dataDir` to its end: a refused start exits at once. */
function serveRefused(dataDir: string) {
  const pipe = shortPipe();
  const result = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--pipe', pipe], { encoding: 'utf8', timeout: 30_000 });
  fs.rmSync(path.dirname(pipe), { recursive: true, force: true });
  return result;
}

t.test('a master.key.tmp planted by another user is refused by name, with its owner and the fix; the daemon writes nothing', { skip }, async (t) => {
  const dataDir = madeDataDir(t);
  const planted = path.join(dataDir, 'master.key.tmp');
  fs.writeFileSync(planted, 'planted', { mode: 0o644 });
  fs.chownSync(planted, NOBODY, NOBODY);
  const result = serveRefused(dataDir);
  t.not(result.status, 0, 'the start is refused');
  t.match(result.stderr, `${planted} is owned by uid ${NOBODY}, neither root nor the daemon's user (uid 0): someone else made it. Nothing was read or written.`);
  t.match(result.stderr, `remove it (rm -r '${planted}')`);
  t.same(fs.readdirSync(dataDir).sort(), ['daemon.lock', 'master.key.tmp'], 'no master.key, no token: only the lock it took and released');
  t.equal(fs.readFileSync(planted, 'utf8'), 'planted', 'the planted file untouched');
});

t.test('a link of another user planted in a subdirectory (logs/) is refused too, and never followed', { skip }, async (t) => {
  const dataDir = madeDataDir(t);
  const victim = path.join(scratchPath(t, 'outside'), 'victim');
  fs.mkdirSync(path.dirname(victim));
  fs.writeFileSync(victim, 'untouched');
  fs.mkdirSync(path.join(dataDir, 'logs'), { mode: 0o700 });
  const link = path.join(dataDir, 'logs', 'planted');
  fs.symlinkSync(victim, link);
  fs.lchownSync(link, NOBODY, NOBODY);
  const result = serveRefused(dataDir);
  t.not(result.status, 0);
  t.match(result.stderr, `${link} is owned by uid ${NOBODY}`);
  t.equal(fs.readFileSync(victim, 'utf8'), 'untouched');
});

t.test('links planted at the temporary names of master.key and the tokens are removed, never followed: the files in place are the daemon\'s own', { skip }, async (t) => {
  // Owned by root, so trusted by owner: what protects here is that a new file is created exclusively (O_EXCL|O_NOFOLLOW).
  const dataDir = madeDataDir(t);
  const outside = scratchPath(t, 'outside');
  fs.mkdirSync(outside);
  const names = ['master.key', 'admin.token', 'gateway.token'];
  for (const name of names) {
    fs.writeFileSync(path.join(outside, name), 'untouched', { mode: 0o644 });
    fs.symlinkSync(path.join(outside, name), path.join(dataDir, `${name}.tmp`));
  }
  const daemon = await startDaemon(t, { dataDir });
  for (const name of names) {
    t.equal(fs.readFileSync(path.join(outside, name), 'utf8'), 'untouched', `${name}: the link's target was not written`);
    const stat = fs.lstatSync(path.join(dataDir, name));
    t.ok(stat.isFile(), `${name} is a file, not the planted link`);
    t.equal(stat.mode & 0o777, 0o600, `${name} is 0600`);
    t.notOk(fs.existsSync(path.join(dataDir, `${name}.tmp`)), `${name}.tmp is gone`);
  }
  const client = await daemon.client('gateway');
  t.ok(await client.request('daemon.status', {}), 'and the daemon serves with its own token');
});
