import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { preparePipePath } from '../src/daemon/pipe-path.js';
import { unsafeAncestor } from '../src/platform/strict-modes.js';
import { claimDataDir } from '../src/vault/storage/data-dir.js';
import { shortPipe } from './helpers/daemon.js';
import { freshDataDir } from './helpers/vault.js';

// Every directory on the way to the data dir and to the socket, like ssh's StrictModes
// (docs/security.md, "The data dir" and "The pipe"): refused naming the directory, its owner and
// mode and the command that fixes it, having made and removed nothing.
const posix = process.platform !== 'win32';
const isRoot = posix && process.geteuid!() === 0;
const NOBODY = 65534;

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => e);

t.test('the layouts the suite uses pass: a 0700 directory under /tmp (root\'s, sticky) and the test\'s own directory', { skip: !posix && 'POSIX owners and modes' }, async (t) => {
  const pipe = shortPipe();
  t.teardown(() => fs.rmSync(path.dirname(pipe), { recursive: true, force: true }));
  await preparePipePath(pipe);
  const dataDir = freshDataDir(t);
  const lock = await claimDataDir(dataDir);
  await lock.release();
  t.equal(await unsafeAncestor('/', process.geteuid!()), undefined, 'the root has nothing above it');
});

t.test('a socket directory of another user is refused, even private to it: that user could move the socket aside', { skip: !isRoot && 'needs root to give a directory to nobody' }, async (t) => {
  const pipe = shortPipe();
  const directory = path.dirname(pipe);
  t.teardown(() => fs.rmSync(directory, { recursive: true, force: true }));
  fs.writeFileSync(path.join(directory, 'other'), '');
  fs.chownSync(directory, NOBODY, NOBODY);
  const error = await refusal(preparePipePath(pipe));
  t.match(error?.message, new RegExp(`The pipe's directory ${directory} is owned by uid 65534 \\(mode 700\\), neither root nor the daemon's user \\(uid 0\\).*Nothing was removed or created\\. Give it to the daemon's user \\(chown 0 '${directory}'\\)`));
  t.same(fs.readdirSync(directory), ['other'], 'nothing made or removed there');
});

t.test('a directory above the socket\'s that others can write to, or that another user owns, is refused', { skip: !isRoot && 'needs root to give a directory to nobody' }, async (t) => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-up-'));
  t.teardown(() => fs.rmSync(top, { recursive: true, force: true }));
  fs.mkdirSync(path.join(top, 'run'), { mode: 0o700 });
  const pipe = path.join(top, 'run', 'd.sock');
  fs.chmodSync(top, 0o777);
  t.match((await refusal(preparePipePath(pipe)))?.message,
    new RegExp(`^${top} \\(on the way to the pipe ${pipe}\\) is owned by uid 0 and can be written by every user \\(mode 777\\).*Nothing was removed or created\\. Take that right away: chmod go-w '${top}'`));
  fs.chmodSync(top, 0o775);
  t.match((await refusal(preparePipePath(pipe)))?.message, /can be written by its group \(mode 775\)/);
  fs.chmodSync(top, 0o1777);
  await preparePipePath(pipe);
  t.pass('root\'s and sticky, like /tmp: others cannot move what is inside it');
  fs.chownSync(top, NOBODY, NOBODY);
  t.match(await unsafeAncestor(path.dirname(pipe), NOBODY), { directory: top, problem: /is owned by uid 65534 and can be written by every user \(mode 1777\)/ },
    'sticky is enough only for a directory of root: its owner may move anything inside it');
  fs.chownSync(top, 0, 0);
  fs.chmodSync(top, 0o755);
  fs.chownSync(top, NOBODY, NOBODY);
  t.match((await refusal(preparePipePath(pipe)))?.message, new RegExp(`^${top} .* is owned by uid 65534 \\(mode 755\\), neither root nor the daemon's user \\(uid 0\\).*chown root '${top}'`));
  fs.chownSync(top, 0, 0);
  await preparePipePath(pipe);
  t.pass('root\'s and 0755: accepted');
});

t.test('a data dir under a directory others can write to is refused, before anything is made', { skip: !isRoot && 'needs root to give a directory to nobody' }, async (t) => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-data-'));
  t.teardown(() => fs.rmSync(parent, { recursive: true, force: true }));
  const dataDir = path.join(parent, 'vault', 'data');
  fs.chmodSync(parent, 0o777);
  const error = await refusal(claimDataDir(dataDir));
  t.match(error?.message, new RegExp(`^${parent} \\(on the way to the data directory ${dataDir}\\) is owned by uid 0 and can be written by every user \\(mode 777\\).*Nothing was read or written\\. Take that right away: chmod go-w '${parent}'`));
  t.same(fs.readdirSync(parent), [], 'the data dir was not made');

  fs.chmodSync(parent, 0o755);
  fs.mkdirSync(path.join(parent, 'vault'), { mode: 0o755 });
  fs.chownSync(path.join(parent, 'vault'), NOBODY, NOBODY);
  t.match((await refusal(claimDataDir(dataDir)))?.message, /vault \(on the way to the data directory .*\) is owned by uid 65534 \(mode 755\)/, 'a parent of another user, even 0755');
  t.same(fs.readdirSync(path.join(parent, 'vault')), []);

  fs.chownSync(path.join(parent, 'vault'), 0, 0);
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-open-'));
  t.teardown(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
  fs.chmodSync(elsewhere, 0o777);
  fs.mkdirSync(path.join(elsewhere, 'real'), { mode: 0o755 });
  fs.symlinkSync(path.join(elsewhere, 'real'), path.join(parent, 'vault', 'link'));
  const throughLink = path.join(parent, 'vault', 'link', 'data');
  t.match((await refusal(claimDataDir(throughLink)))?.message, new RegExp(`^${elsewhere} \\(on the way to the data directory ${throughLink}\\) .*mode 777`),
    'where a symbolic link on the way leads is checked too');
  t.same(fs.readdirSync(path.join(elsewhere, 'real')), []);

  const lock = await claimDataDir(dataDir);
  await lock.release();
  t.pass('root\'s 0755 directories all the way: accepted');
});
