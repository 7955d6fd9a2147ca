import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { privacyOf } from '../../src/platform/windows-security.js';
import { skipWithoutWine, type WineHarness, winPath, type WineSuite, wineSuite } from '../helpers/wine.js';

// The first start's race on Windows (docs/security.md, "The data dir"), under Wine: what Wine can
// show of it. Wine keeps no access list it is given; it turns the descriptor a file or directory is
// created with into its Unix mode, and reads the mode back as a DACL, with a Unix owner other than
// its own user as ANONYMOUS LOGON. So, under umask 022: a directory or file made without an explicit
// descriptor (mkdir, then a DACL set afterwards; a file opened with 'w') reads back Everyone-readable,
// one made with its descriptor (CreateDirectoryW, CreateFileW CREATE_NEW) private; and a file another
// Unix user made reads back owned by ANONYMOUS LOGON, an owner the daemon must refuse. What Wine
// cannot show (owners on a real NTFS, inheritance from %ProgramData%) is unit-tested in
// test/windows-security.test.ts and test/windows-units.test.ts.
const skip = skipWithoutWine(t);
const NOBODY = 65534;
let wine: WineHarness;
let cli: string;
let driver: WineSuite['driver'];

t.before(async () => {
  if (skip) return;
  ({ wine, cli, driver } = await wineSuite(t));
});

const pipeFor = (name: string) => `\\\\.\\pipe\\gwk-${process.pid}-${name}`;

async function sddlOf(target: string): Promise<string> {
  return (await driver('path-sddl', winPath(target))).sddl as string;
}

t.test('Wine, umask 022: the data dir and every file of the first start are private from their creation', { skip }, async (t) => {
  const parent = path.join(wine.runDir, 'open-parent');
  fs.mkdirSync(parent, { mode: 0o700 });
  const dataDir = path.join(parent, 'Gateway');
  const daemon = wine.start(wine.nodeExe, [cli, 'serve', '--data-dir', winPath(dataDir), '--pipe', pipeFor('umask022'), '--time-zone', 'UTC'], { umask: '022', timeoutMs: 120_000 });
  await wine.waitFor(daemon, (out) => out.includes('is serving'), 90_000);
  daemon.child.kill('SIGINT');
  await daemon.exited;
  const ownSid = /"ownSid":"(S-1-5-21-[\d-]+)"/.exec(daemon.stderr())?.[1];
  t.ok(ownSid, 'the daemon logged its SID with dataDir.protected');
  for (const target of [dataDir, ...['master.key', 'admin.token', 'gateway.token', 'keys.snapshot', 'keys.journal'].map((name) => path.join(dataDir, name))]) {
    const sddl = await sddlOf(target);
    t.same(privacyOf(sddl, ownSid!).findings, [], `${path.basename(target)} is private: ${sddl}`);
  }
  t.equal(fs.statSync(dataDir).mode & 0o007, 0, 'the data dir\'s Unix mode, as Wine made it from the descriptor, gives other users nothing');
});

t.test('Wine: a file another account made in the data dir before the daemon is refused by name, with its owner', { skip }, async (t) => {
  const dataDir = path.join(wine.runDir, 'planted');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const planted = path.join(dataDir, 'master.key.tmp');
  fs.writeFileSync(planted, 'planted');
  fs.chownSync(planted, NOBODY, NOBODY);
  const refused = await wine.run(wine.nodeExe, [cli, 'serve', '--data-dir', winPath(dataDir), '--pipe', pipeFor('planted'), '--time-zone', 'UTC'], { timeoutMs: 90_000 });
  t.equal(refused.code, 1, 'the daemon does not start');
  t.match(refused.stderr, `${winPath(planted)} is owned by NT AUTHORITY\\ANONYMOUS LOGON (S-1-5-7), neither SYSTEM, Administrators nor the daemon's account: someone else made it. Nothing was read or written.`);
  t.match(refused.stderr, `icacls "${winPath(planted)}" /setowner "*S-1-5-32-544"`);
  t.notOk(fs.existsSync(path.join(dataDir, 'master.key')), 'no master.key was made');
  t.equal(fs.readFileSync(planted, 'utf8'), 'planted');
});

t.test('Wine: a directory on the way that another account owns is refused by name before anything is made', { skip }, async (t) => {
  const theirs = path.join(wine.runDir, 'theirs');
  fs.mkdirSync(theirs, { mode: 0o755 });
  fs.chownSync(theirs, NOBODY, NOBODY);
  const dataDir = path.join(theirs, 'Gateway');
  const refused = await wine.run(wine.nodeExe, [cli, 'serve', '--data-dir', winPath(dataDir), '--pipe', pipeFor('ancestor'), '--time-zone', 'UTC'], { timeoutMs: 90_000 });
  t.equal(refused.code, 1, 'the daemon does not start');
  t.match(refused.stderr, `${winPath(theirs)} (on the way to the data directory ${winPath(dataDir)}) is owned by NT AUTHORITY\\ANONYMOUS LOGON (S-1-5-7)`);
  t.notOk(fs.existsSync(dataDir), 'the data dir was not made');
});
