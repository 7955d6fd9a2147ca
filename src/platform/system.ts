import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { PasswdFile, unixAccount, windowsAccount } from './accounts.js';
import * as linux from './linux.js';
import * as windows from './windows.js';

/**
 * What the daemon and its clients need of the operating system beyond Node: one exclusive lock per
 * data dir, the identity of a pipe's peer, no core dumps; on Windows also access lists, accounts,
 * the pipe's holder and DACL, a client connection that cannot be impersonated, and the event log
 * (docs/security.md). Linux and Windows each answer in their own file (linux.ts, windows.ts, both
 * thin shells over koffi); the decisions about what they answer are pure functions elsewhere
 * (windows-security.ts for Windows). Elsewhere the daemon does not run.
 */

/** A lock held for the life of the process, or until released. */
export interface HeldLock {
  release(): void;
}

export class UnsupportedPlatformError extends Error {
  constructor(what: string) {
    super(`gateway-apikeys runs on Linux and Windows; ${process.platform} has no ${what} it can use.`);
    this.name = 'UnsupportedPlatformError';
  }
}

/** The Windows-only calls: each throws UnsupportedPlatformError elsewhere. */
function onWindows(what: string): typeof windows {
  if (process.platform !== 'win32') throw new UnsupportedPlatformError(what);
  return windows;
}

/**
 * Locks `file` (created 0600 when missing) for this process alone, without waiting; undefined when
 * another process holds it. Linux: flock; Windows: LockFileEx.
 */
export function lockFileExclusively(file: string): HeldLock | undefined {
  /* c8 ignore next -- Windows only: the Wine suite runs it */
  if (process.platform === 'win32') return windows.lockFile(file);
  if (process.platform !== 'linux') throw new UnsupportedPlatformError('file lock');
  const fd = linux.openLockFile(file);
  try {
    if (!linux.tryLockExclusive(fd)) {
      fs.closeSync(fd);
      return undefined;
    }
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return { release: () => fs.closeSync(fd) };
}

const passwd = new PasswdFile();

/**
 * The account at the other end of a connection, where the system tells: on Linux the user of a
 * Unix socket's peer (SO_PEERCRED), "alice (uid 1000)". Windows is not asked: Node keeps the server
 * end of an accepted pipe connection to itself, and every call that names the client needs it
 * (docs/security.md, "Who acted").
 */
export function peerOf(socket: net.Socket): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const uid = linux.peerUid(socket);
  return uid === undefined ? undefined : unixAccount(uid, passwd.nameOf(uid));
}

/** The account this process runs as, written as peerOf writes a peer's: who ran an offline command. */
export function processAccount(): string {
  /* c8 ignore next 4 -- Windows only: the Wine suite runs it */
  if (process.platform === 'win32') {
    const sid = windows.ownSid();
    return windowsAccount(sid, windows.lookupAccountSid(sid));
  }
  // os.userInfo asks the system's user database, directory services included; it throws for a uid that has no name there.
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    name = undefined;
  }
  return unixAccount(process.getuid!(), name);
}

/** Turns core dumps off for this process, where the platform allows; says whether it did. */
export function forbidCoreDumps(): boolean {
  if (process.platform !== 'linux') return false;
  linux.forbidCoreDumps();
  return true;
}

/** Windows: the SID of the account this process runs as. */
export const ownSid = (): string => onWindows('account').ownSid();

/** Windows: a path's owner, group and DACL in SDDL. */
export const pathSecurity = (target: string): string => onWindows('access list').pathSddl(target);

/** Windows: replaces a path's DACL with the protected one of an SDDL string. */
export const setPathSecurity = (target: string, sddl: string): void => onWindows('access list').setPathDacl(target, sddl);

/** Windows: "DOMAIN\\name" of a SID, when Windows knows it. */
export const accountNameOf = (sid: string): string | undefined => onWindows('account').lookupAccountSid(sid);

/** Windows: the SID and name of an account name; undefined when there is no such account. */
export const lookupAccount = (name: string): { sid: string; name: string } | undefined => onWindows('account').lookupAccountName(name);

/** Windows: who serves a pipe (undefined: nobody), with its pid and executable where Windows tells. */
export const pipeHolder = (pipe: string): windows.PipeHolder | undefined => onWindows('named pipe').pipeHolder(pipe);

/** Windows: sets the DACL of a pipe this process serves; the DACL read back. */
export const setPipeSecurity = (pipe: string, sddl: string): string => onWindows('named pipe').setPipeDacl(pipe, sddl);

/** Windows: the DACL of a pipe as a client reads it. */
export const pipeSecurity = (pipe: string): string => onWindows('named pipe').pipeDacl(pipe);

/** Windows: Wine's version when running under Wine, else undefined; undefined off Windows. */
export function wineVersion(): string | undefined {
  return process.platform === 'win32' ? windows.wineVersion() : undefined;
}

/**
 * How this project's clients open the pipe: on Windows at the Identification level, so that what
 * answers may know who connects but never act as them (windows.connectIdentifyOnly); elsewhere
 * undefined, and Node's own connect is used.
 */
export function localPipeConnector(): ((pipe: string, timeoutMs: number) => Promise<net.Socket>) | undefined {
  return process.platform === 'win32' ? windows.connectIdentifyOnly : undefined;
}

/**
 * The endpoint binding of protocol 3 (src/session-proof.ts) of a connection the daemon accepted, and
 * of one a client opened: each end names the two ends as it sees them. On Unix it is empty: only the
 * daemon's account can create the socket in its directory, and process ids are not comparable across
 * PID namespaces (docs/protocol.md, "Sessions"). On Windows too, until the daemon owns its pipe
 * instances and can ask for its client's process id.
 */
export function daemonEndpointBinding(_socket: net.Socket): string {
  return '';
}

export function clientEndpointBinding(_socket: net.Socket | undefined): string {
  return '';
}

/** Where warnings and errors go besides the log files: the Windows Application event log; undefined elsewhere. */
interface EventLogWriter {
  report(type: 'error' | 'warning', eventId: number, message: string): boolean;
}

const EVENT_SOURCE = 'gateway-apikeys';

export function eventLogWriter(): EventLogWriter | undefined {
  if (process.platform !== 'win32') return undefined;
  /* c8 ignore next 5 -- Windows only: the Wine suite runs it */
  return {
    report: (type, eventId, message) =>
      windows.reportEvent(EVENT_SOURCE, type === 'error' ? windows.EVENTLOG_ERROR_TYPE : windows.EVENTLOG_WARNING_TYPE, eventId, message),
  };
}
