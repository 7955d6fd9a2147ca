import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';

/** A directory on the way to the data dir or the socket that another user could change: what is wrong, and the command that fixes it. */
export interface UnsafeAncestor {
  directory: string;
  /** "is owned by uid 65534 (mode 755)", to follow the directory's name. */
  problem: string;
  fix: string;
}

const describeMode = (stat: Stats) => (stat.mode & 0o7777).toString(8);

/**
 * Whether one directory on the way is safe (docs/security.md, "The data dir"): owned by root or the
 * daemon's user, and not writable by its group or others, unless it is root's and sticky (like
 * /tmp): there others may add entries but not rename or remove the next one on the way, which is
 * itself checked. ssh's StrictModes makes no such allowance; it is what lets a private directory
 * under /tmp be used (the tests' own layout, and a socket under /tmp/…).
 */
function ancestorProblem(directory: string, stat: Stats, uid: number): UnsafeAncestor | undefined {
  const mode = describeMode(stat);
  if (stat.uid !== 0 && stat.uid !== uid) {
    return { directory, problem: `is owned by uid ${stat.uid} (mode ${mode}), neither root nor the daemon's user (uid ${uid}), so that user could replace what is inside it`,
      fix: `Give it to root: chown root '${directory}' (or choose a path whose every directory is root's or the daemon user's).` };
  }
  if (stat.isSymbolicLink()) return undefined; // its mode means nothing; what it points to is checked through the real path
  const sticky = (stat.mode & 0o1000) !== 0;
  if (stat.mode & 0o022 && !(sticky && stat.uid === 0)) {
    return { directory, problem: `is owned by uid ${stat.uid} and can be written by ${stat.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode}), so they could replace what is inside it`,
      fix: `Take that right away: chmod go-w '${directory}' (or choose a path whose every directory only root or the daemon's user can write to).` };
  }
  return undefined;
}

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The directories above `target`, its parent first, up to the root. */
export function directoriesAbove(target: string): string[] {
  const list: string[] = [];
  for (let current = path.dirname(target); ; current = path.dirname(current)) {
    list.push(current);
    if (path.dirname(current) === current) return list;
  }
}

/**
 * The first directory above `target` (the data dir, or the socket's directory; it need not exist
 * yet) that another user could change, or undefined: every directory on the way, as given and as
 * the symbolic links on it resolve, must be owned by root or `uid` and not writable by group or
 * others, except a root-owned sticky one (docs/security.md, "The data dir"). A missing directory
 * is skipped: the daemon makes it, 0700. Only reads; POSIX only.
 */
export async function unsafeAncestor(target: string, uid: number): Promise<UnsafeAncestor | undefined> {
  const resolved = path.resolve(target);
  const lexical = directoriesAbove(resolved);
  let nearest = (await lstatOrUndefined(resolved)) ? resolved : undefined;
  for (const directory of lexical) {
    const stat = await lstatOrUndefined(directory);
    if (!stat) continue;
    nearest ??= directory;
    const problem = ancestorProblem(directory, stat, uid);
    if (problem) return problem;
  }
  if (nearest === undefined) return undefined;
  // The target itself is its caller's to judge; where symbolic links on the way lead, ours.
  const real = await fsp.realpath(nearest);
  for (const directory of nearest === resolved ? directoriesAbove(real) : [real, ...directoriesAbove(real)]) {
    if (lexical.includes(directory)) continue; // already checked
    const problem = ancestorProblem(directory, await fsp.lstat(directory), uid);
    if (problem) return problem;
  }
  return undefined;
}
