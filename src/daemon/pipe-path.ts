import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { unsafeAncestor } from '../platform/strict-modes.js';
import { PipeInUseError } from '../rpc/server.js';
import { type PipeSystem, systemPipe, takenPipe } from './pipe-access.js';

/** The pipe's path cannot be used safely: nothing was removed or created. */
class PipePathUnsafeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipePathUnsafeError';
  }
}

/** Whether something answers on a Unix socket path: a live server, as opposed to a file left by a crash. */
function somethingListens(pipe: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(pipe);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Makes the pipe ready to listen on (docs/security.md, "The pipe"). A Windows pipe name some
 * process already serves is refused naming that process: the first instance answers every client,
 * and Wine does not even refuse a second server (it ignores FILE_FLAG_FIRST_PIPE_INSTANCE).
 *
 * A Unix socket path's directory must be the daemon user's (or root's) and not be writable by other
 * users: there, anyone could take the name first, or its owner move the socket aside, and answer
 * the clients (they would find out, protocol 2 tells them, but the daemon could not serve); every
 * directory above it must be root's or the daemon user's and not writable by others, except a
 * root-owned sticky one like /tmp (src/platform/strict-modes.ts). An existing path must be
 * a socket of the daemon's own user that nothing answers on any more (left by a crash): that one is
 * removed; anything else is refused, never deleted.
 */
export async function preparePipePath(pipe: string, platform = process.platform, windows: Pick<PipeSystem, 'pipeHolder'> = systemPipe): Promise<void> {
  if (platform === 'win32') {
    const taken = takenPipe(pipe, windows);
    if (taken) throw new PipeInUseError(pipe, taken);
    return;
  }
  const directory = path.dirname(pipe);
  const { mode, uid: owner } = await fsp.stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error;
    throw new PipePathUnsafeError(`The pipe's directory ${directory} does not exist. Create it first, writable only by the daemon's user ` +
      '(for a gateway of another user: install -d -m 0750 -g <gateway group> /run/gateway-apikeys), or give another --pipe.');
  });
  const uid = process.geteuid!();
  if (owner !== uid && owner !== 0) {
    // Its owner could rename the socket and listen in its place, relaying clients to the daemon.
    throw new PipePathUnsafeError(
      `The pipe's directory ${directory} is owned by uid ${owner} (mode ${(mode & 0o7777).toString(8)}), neither root nor the daemon's user (uid ${uid}): ` +
        'its owner could move the pipe aside and answer in its place. Nothing was removed or created. ' +
        `Give it to the daemon's user (chown ${uid} '${directory}'), or put the pipe in a directory of the daemon's user, such as the data directory.`,
    );
  }
  if (mode & 0o022) {
    throw new PipePathUnsafeError(
      `The pipe's directory ${directory} can be written by ${mode & 0o002 ? 'every user' : 'its group'} (mode ${(mode & 0o7777).toString(8)}): ` +
        'anyone there could take the pipe\'s name first. Put the pipe in a directory only the daemon\'s user can write to, ' +
        'such as /run/gateway-apikeys (mode 0750, group of the gateway) or the data directory.',
    );
  }
  const unsafe = await unsafeAncestor(directory, uid);
  if (unsafe) {
    throw new PipePathUnsafeError(`${unsafe.directory} (on the way to the pipe ${pipe}) ${unsafe.problem}. Nothing was removed or created. ${unsafe.fix}`);
  }
  let stat;
  try {
    stat = await fsp.lstat(pipe);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) {
    throw new PipePathUnsafeError(`${pipe} exists and is not a socket, so the daemon leaves it alone. Remove it if it is not needed, or give another --pipe.`);
  }
  if (await somethingListens(pipe)) throw new PipeInUseError(pipe);
  if (stat.uid !== uid) {
    throw new PipePathUnsafeError(`${pipe} is a socket of uid ${stat.uid}, not of the daemon's user (uid ${uid}). Remove it if it is not needed, or give another --pipe.`);
  }
  await fsp.rm(pipe); // left by a daemon that crashed
}
