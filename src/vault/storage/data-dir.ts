import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { lockFileExclusively } from '../../platform/system.js';

/** The data dir's lock: held by the daemon for its whole life, released last (or by the system, however it dies). */
export interface DataDirLock {
  release(): Promise<void>;
}

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
const PRIVATE_FILES = ['master.key', 'admin.token', 'gateway.token', 'keys.snapshot', 'keys.journal', LOCK_FILE];

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

/** Refuses a secret's file that is not a regular file of this user, or that others may read. */
function checkPrivateFile(file: string, stat: Stats, uid: number): void {
  if (!stat.isFile()) throw new DataDirUnsafeError(file, 'is not a regular file', 'Remove it; the daemon makes the files it needs.');
  if (stat.uid !== uid) {
    throw new DataDirUnsafeError(file, `is owned by uid ${stat.uid}, not by the daemon's user (uid ${uid})`,
      `If it is yours to keep: chown ${uid} '${file}'; if you do not know where it came from, remove it.`);
  }
  if (stat.mode & 0o077) {
    throw new DataDirUnsafeError(file, `can be ${stat.mode & 0o022 ? 'written' : 'read'} by other users (mode ${(stat.mode & 0o777).toString(8)})`,
      `Make it private: chmod 600 '${file}'${/token$/.test(file) ? ', and since others may have read it, delete it and restart to have a new token made' : ''}.`);
  }
}

/**
 * Makes the data dir ready for one vault and takes it (docs/security.md, "The data dir"): created
 * 0700 if missing; refused, like ssh's StrictModes, when it is a symlink, another user's, or others
 * can write to it; then locked for this process with an exclusive lock on `daemon.lock` inside it,
 * which a second daemon finds held whatever path, mount or namespace it came through; then each
 * file holding a secret must be this user's own and private. The daemon calls this once, before
 * anything in the directory is read or written, and releases the lock last.
 */
export async function claimDataDir(dataDir: string): Promise<DataDirLock> {
  const uid = process.platform === 'win32' ? undefined : process.geteuid!();
  let stat = await lstatOrUndefined(dataDir);
  if (!stat) {
    await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
    stat = await fsp.lstat(dataDir);
  }
  if (uid !== undefined) checkDirectory(dataDir, stat, uid);
  const held = lockFileExclusively(path.join(dataDir, LOCK_FILE));
  if (!held) throw new DataDirLockedError(dataDir);
  try {
    if (uid !== undefined) {
      for (const name of PRIVATE_FILES) {
        const file = path.join(dataDir, name);
        const fileStat = await lstatOrUndefined(file);
        if (fileStat) checkPrivateFile(file, fileStat, uid);
      }
    }
  } catch (error) {
    held.release();
    throw error;
  }
  return { release: async () => held.release() };
}
