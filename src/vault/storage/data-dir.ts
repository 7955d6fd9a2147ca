import { existsSync, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { directoriesAbove, unsafeAncestor } from '../../platform/strict-modes.js';
import * as system from '../../platform/system.js';
import {
  type AccessFinding, describeFinding, isTrustedOwner, ownerOf, privacyOf, privateDirectoryFix, privateDirectorySddl, SID, wellKnownName,
} from '../../platform/windows-security.js';

/** Something the claim did or could not check, for the daemon to log once its log is open (it lives in the data dir). */
interface DataDirNote {
  level: 'info' | 'warn';
  message: string;
  meta: Record<string, unknown>;
}

/** The data dir's lock: held by the daemon for its whole life, released last (or by the system, however it dies). */
interface DataDirLock {
  release(): Promise<void>;
  readonly notes: readonly DataDirNote[];
}

/** The Windows calls the claim makes (src/platform/system.ts); tests give recorded descriptors instead. */
export interface WindowsSecurity {
  ownSid(): string;
  pathSecurity(target: string): string;
  setPathSecurity(target: string, sddl: string): void;
  /** Makes a directory with this descriptor in one step; false when something is already there. */
  createDirectory(dir: string, sddl: string): boolean;
  accountNameOf(sid: string): string | undefined;
}

interface ClaimOptions {
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** Default: the real calls of src/platform/system.ts. */
  windows?: WindowsSecurity;
  /** Default: lockFileExclusively of src/platform/system.ts. */
  lock?: (file: string) => system.HeldLock | undefined;
  /**
   * Who `serve --gateway-account` / `--gateway-group` lets read gateway.token: on Unix its group
   * (the file exactly 0640 and that group's), on Windows its SID (one entry reading it, nothing broader).
   */
  gatewayReader?: { gid: number } | { sid: string };
}

const systemWindows: WindowsSecurity = {
  ownSid: system.ownSid,
  pathSecurity: system.pathSecurity,
  setPathSecurity: system.setPathSecurity,
  createDirectory: system.createDirectoryWithSecurity,
  accountNameOf: system.accountNameOf,
};

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`Another gateway-apikeys daemon is already running on the data directory ${dataDir}. Stop it first, or use another --data-dir.`);
    this.name = 'DataDirLockedError';
  }
}

/** The data dir, or a file in it, cannot be trusted as it is: nothing was read or written. */
export class DataDirUnsafeError extends Error {
  constructor(readonly target: string, problem: string, fix: string) {
    super(`${target} ${problem}. Nothing was read or written. ${fix}`);
    this.name = 'DataDirUnsafeError';
  }
}

export const LOCK_FILE = 'daemon.lock';
/** The files of a vault that hold secrets or ciphertext: each must be the daemon user's own, unreadable by others. */
const GATEWAY_TOKEN = 'gateway.token';
const SECRET_FILES = ['master.key', 'admin.token', GATEWAY_TOKEN, 'keys.snapshot', 'keys.journal', 'audit.key']; // audit.key: only in a rotated vault
const PRIVATE_FILES = [...SECRET_FILES, LOCK_FILE];

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Refuses what is not a real directory of this user that only it can write to (like ssh's StrictModes). */
function checkDirectory(dataDir: string, stat: Stats, uid: number): void {
  if (stat.isSymbolicLink()) {
    throw new DataDirUnsafeError(dataDir, 'is a symbolic link', 'Give the directory it points to with --data-dir, so that nobody can point it elsewhere.');
  }
  if (!stat.isDirectory()) throw new DataDirUnsafeError(dataDir, 'is not a directory', 'Give a directory with --data-dir.');
  if (stat.uid !== uid) {
    throw new DataDirUnsafeError(dataDir, `is owned by uid ${stat.uid}, not by the daemon's user (uid ${uid})`,
      `Run the daemon as its owner, or make it the daemon user's: chown ${uid} '${dataDir}'.`);
  }
  if (stat.mode & 0o022) {
    throw new DataDirUnsafeError(dataDir, `can be written by ${stat.mode & 0o002 ? 'every user' : 'its group'} (mode ${(stat.mode & 0o777).toString(8)})`,
      `Make it private first: chmod 700 '${dataDir}'.`);
  }
}

/** The gateway.token that `--gateway-group` shares: exactly mode 0640, of that group. */
const sharedWithGroup = (file: string, stat: Stats, gid: number | undefined) =>
  gid !== undefined && path.basename(file) === GATEWAY_TOKEN && stat.gid === gid && (stat.mode & 0o777) === 0o640;

/** Refuses a secret's file that is not a regular file of this user, or that others may read (but the gateway's group its token, when shared). */
function checkPrivateFile(file: string, stat: Stats, uid: number, gatewayGid: number | undefined): void {
  if (!stat.isFile()) throw new DataDirUnsafeError(file, 'is not a regular file', 'Remove it; the daemon makes the files it needs.');
  if (stat.uid !== uid) {
    throw new DataDirUnsafeError(file, `is owned by uid ${stat.uid}, not by the daemon's user (uid ${uid})`,
      `If it is yours to keep: chown ${uid} '${file}'; if you do not know where it came from, remove it.`);
  }
  if (stat.mode & 0o077 && !sharedWithGroup(file, stat, gatewayGid)) {
    throw new DataDirUnsafeError(file, `can be ${stat.mode & 0o022 ? 'written' : 'read'} by other users (mode ${(stat.mode & 0o777).toString(8)})`,
      `Make it private: chmod 600 '${file}'${/token$/.test(file) ? ', and since others may have read it, delete it and restart to have a new token made' : ''}.`);
  }
}

/**
 * On Windows, the same promise through access lists (docs/security.md, "Windows: the data dir"): a
 * directory the daemon has just made, or one that is still empty, gets the protected DACL of
 * privateDirectorySddl (nothing inherited from %ProgramData%, whose Users may read and add files);
 * then the DACL is read back, and any other account that may read or change the directory, or
 * owns it, is refused by name with the icacls commands that fix it. Always on the descriptor the
 * system reads back: under Wine that is derived from the Unix mode (Everyone may read a 0755
 * directory), which is what protects the files there, so the Windows suite runs this refusal too.
 */
function refuseUnlessPrivate(target: string, security: WindowsSecurity, ownSid: string, fix: (findings: AccessFinding[]) => string, reader?: string): void {
  const { findings } = privacyOf(security.pathSecurity(target), ownSid, reader);
  if (findings.length === 0) return;
  const who = findings.map((finding) => describeFinding(finding, security.accountNameOf)).join('; ');
  throw new DataDirUnsafeError(target, `is not private to the daemon: ${who}`, fix(findings));
}

/** "BUILTIN\\Users (S-1-5-32-545)", or the SID alone. */
function accountText(sid: string | undefined, security: WindowsSecurity): string {
  if (sid === undefined) return 'no account';
  const name = security.accountNameOf(sid) ?? wellKnownName(sid);
  return name ? `${name} (${sid})` : sid;
}

/**
 * Windows' counterpart of unsafeAncestor (docs/security.md, "The data dir"): the first existing
 * directory above the data dir whose owner is not trusted (isTrustedOwner), who could rename the data
 * dir away and put their own in its place; a user may make %ProgramData%\\Nintex before the installer does.
 */
function refuseUntrustedAncestor(dataDir: string, security: WindowsSecurity, ownSid: string): void {
  for (const directory of directoriesAbove(path.resolve(dataDir))) {
    if (!existsSync(directory)) continue;
    const owner = ownerOf(security.pathSecurity(directory));
    if (isTrustedOwner(owner, ownSid, 'ancestor')) continue;
    throw new DataDirUnsafeError(directory, `(on the way to the data directory ${dataDir}) is owned by ${accountText(owner, security)}, ` +
      'neither SYSTEM, Administrators, TrustedInstaller nor the daemon\'s account, so that account could replace what is inside it',
      `If you made it, give it to Administrators (in an elevated prompt): icacls "${directory}" /setowner "*${SID.administrators}"; ` +
      'if you do not know who made it, remove it and let the daemon make the data directory.');
  }
}

async function claimOnWindows(dataDir: string, stat: Stats, created: boolean, security: WindowsSecurity, notes: DataDirNote[]): Promise<string> {
  if (stat.isSymbolicLink()) {
    throw new DataDirUnsafeError(dataDir, 'is a symbolic link or junction', 'Give the directory it points to with --data-dir, so that nobody can point it elsewhere.');
  }
  if (!stat.isDirectory()) throw new DataDirUnsafeError(dataDir, 'is not a directory', 'Give a directory with --data-dir.');
  const ownSid = security.ownSid();
  if (created) {
    notes.push({ level: 'info', message: 'Made the data directory, private from its creation: SYSTEM, Administrators and the daemon\'s account only', meta: { event: 'dataDir.protected', dataDir, ownSid } });
  } else if ((await fsp.readdir(dataDir)).length === 0) {
    security.setPathSecurity(dataDir, privateDirectorySddl(ownSid));
    notes.push({ level: 'info', message: 'Made the data directory private: SYSTEM, Administrators and the daemon\'s account only', meta: { event: 'dataDir.protected', dataDir, ownSid } });
  }
  const holdsSecrets = (await Promise.all(SECRET_FILES.map((name) => lstatOrUndefined(path.join(dataDir, name))))).some(Boolean);
  refuseUnlessPrivate(dataDir, security, ownSid, (findings) =>
    `Make it private (in an elevated prompt): ${privateDirectoryFix(dataDir, ownSid, findings).join(' ; then ')}` +
    (holdsSecrets ? '. Since others may have read master.key and the tokens, then delete admin.token and gateway.token and restart to have new ones made, and consider the stored keys exposed.' : '.'));
  return ownSid;
}

/**
 * Makes the data dir private from its first instant (docs/security.md, "The data dir"): mode 0700 on
 * Unix; on Windows with its protected DACL in the same call, never with what %ProgramData% hands
 * down (where Users may add files), so no one can put a file in it before it is private. False when
 * something was made there since the caller looked: then it is judged as any existing directory.
 */
async function createPrivateDirectory(dataDir: string, windows: WindowsSecurity | undefined): Promise<boolean> {
  if (windows) return windows.createDirectory(dataDir, privateDirectorySddl(windows.ownSid()));
  try {
    await fsp.mkdir(dataDir, { mode: 0o700 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Every entry under `dir`, directories before what they hold, never following a link. */
async function* entriesUnder(dir: string): AsyncGenerator<{ entry: string; stat: Stats }> {
  for (const name of await fsp.readdir(dir)) {
    const entry = path.join(dir, name);
    const stat = await lstatOrUndefined(entry);
    if (!stat) continue; // removed since the listing
    yield { entry, stat };
    if (stat.isDirectory()) yield* entriesUnder(entry);
  }
}

/**
 * Refuses the data dir when anything in it, at any depth, is owned by an account the daemon does
 * not trust (docs/security.md, "The data dir"): on Unix neither root nor the daemon's user, on
 * Windows neither SYSTEM, Administrators nor the daemon's account. Such a file was made by someone
 * else, while the directory was open to them, to be taken for the daemon's own (a master.key.tmp
 * that the daemon would fill and rename to master.key, with its maker still its owner), or holds a
 * handle on it. A symbolic link is judged by its own owner and never followed.
 */
async function refuseForeignEntries(dataDir: string, owner: { uid: number } | { security: WindowsSecurity; ownSid: string }): Promise<void> {
  for await (const { entry, stat } of entriesUnder(dataDir)) {
    if ('uid' in owner) {
      if (stat.uid === 0 || stat.uid === owner.uid) continue;
      throw new DataDirUnsafeError(entry, `is owned by uid ${stat.uid}, neither root nor the daemon's user (uid ${owner.uid}): someone else made it`,
        `If you do not know where it came from, remove it (rm -r '${entry}') and consider what it held exposed; if it is the daemon's: chown ${owner.uid} '${entry}'.`);
    }
    const sid = ownerOf(owner.security.pathSecurity(entry));
    if (isTrustedOwner(sid, owner.ownSid, 'entry')) continue;
    throw new DataDirUnsafeError(entry, `is owned by ${accountText(sid, owner.security)}, neither SYSTEM, Administrators nor the daemon's account: someone else made it`,
      `If you do not know where it came from, remove it and consider what it held exposed; if it is the daemon's, give it to Administrators (in an elevated prompt): icacls "${entry}" /setowner "*${SID.administrators}".`);
  }
}

/**
 * Refuses, touching nothing, a data dir another daemon holds: for a caller that checks something
 * else before it claims the data dir (the daemon, a Windows pipe name), so that a second daemon is
 * told about the daemon before it is told about the pipe. claimDataDir's lock remains the one that counts.
 */
export function refuseIfHeld(dataDir: string, lock: ClaimOptions['lock'] = system.lockFileExclusively): void {
  const file = path.join(dataDir, LOCK_FILE);
  if (!existsSync(file)) return;
  const held = lock(file);
  if (!held) throw new DataDirLockedError(dataDir);
  held.release();
}

/**
 * Makes the data dir ready for one vault and takes it (docs/security.md, "The data dir"): refused,
 * like ssh's StrictModes, when a directory on the way to it is neither root's nor this user's or
 * others can write to it (src/platform/strict-modes.ts; on Windows, when its owner is not trusted);
 * created private in one step if missing (createPrivateDirectory); refused when it is a symlink,
 * another user's, or others can write to it (on Windows: may read or change it, by its DACL); then
 * locked for this process with an exclusive lock on `daemon.lock` inside it, which a second daemon
 * finds held whatever path, mount or namespace it came through; then anything in it that a trusted
 * account does not own is refused (refuseForeignEntries), and each file holding a secret must be
 * this user's own and private (gateway.token may be shared as `options.gatewayReader` says). The daemon calls this once, before anything in the directory is read or written, and
 * releases the lock last.
 */
export async function claimDataDir(dataDir: string, options: ClaimOptions = {}): Promise<DataDirLock> {
  const windows = (options.platform ?? process.platform) === 'win32';
  const security = options.windows ?? systemWindows;
  const notes: DataDirNote[] = [];
  const uid = windows ? undefined : process.geteuid!();
  if (uid !== undefined) {
    // Before anything is made: whoever can change a directory on the way can swap the data dir itself.
    const unsafe = await unsafeAncestor(dataDir, uid);
    if (unsafe) throw new DataDirUnsafeError(unsafe.directory, `(on the way to the data directory ${dataDir}) ${unsafe.problem}`, unsafe.fix);
  }
  if (windows) refuseUntrustedAncestor(dataDir, security, security.ownSid());
  let stat = await lstatOrUndefined(dataDir);
  let created = false;
  if (!stat) {
    await fsp.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o700 });
    created = await createPrivateDirectory(dataDir, windows ? security : undefined);
    stat = await fsp.lstat(dataDir);
  }
  const ownSid = windows ? await claimOnWindows(dataDir, stat, created, security, notes) : undefined;
  if (uid !== undefined) checkDirectory(dataDir, stat, uid);
  const held = (options.lock ?? system.lockFileExclusively)(path.join(dataDir, LOCK_FILE));
  if (!held) throw new DataDirLockedError(dataDir);
  try {
    await refuseForeignEntries(dataDir, ownSid !== undefined ? { security, ownSid } : { uid: uid! });
    for (const name of PRIVATE_FILES) {
      const file = path.join(dataDir, name);
      const fileStat = await lstatOrUndefined(file);
      if (!fileStat) continue;
      const reader = options.gatewayReader;
      if (uid !== undefined) checkPrivateFile(file, fileStat, uid, reader && 'gid' in reader ? reader.gid : undefined);
      if (ownSid !== undefined) {
        if (!fileStat.isFile()) throw new DataDirUnsafeError(file, 'is not a regular file', 'Remove it; the daemon makes the files it needs.');
        refuseUnlessPrivate(file, security, ownSid, () =>
          `Give it back the data directory's access list (in an elevated prompt): icacls "${file}" /reset` +
          (/token$/.test(name) ? ', and since others may have read it, delete it and restart to have a new token made.' : '.'),
        name === GATEWAY_TOKEN && reader && 'sid' in reader ? reader.sid : undefined);
      }
    }
  } catch (error) {
    held.release();
    throw error;
  }
  return { release: async () => held.release(), notes };
}
