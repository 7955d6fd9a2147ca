import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { groupIdIn, PasswdFile, unixAccount, windowsAccount } from './accounts.js';
import * as linux from './linux.js';
import { privateFileSddl } from './windows-security.js';
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
  if (process.platform === 'win32') return windows.lockFile(file, privateFileSddl(windows.ownSid()));
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

/**
 * Creates `file` for writing, only if nothing is there, private from its first instant (docs/security.md,
 * "The data dir"): a file, or a symbolic link, planted at that name fails the call (EEXIST) and is
 * never opened or followed. Linux: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; Windows: CREATE_NEW with the
 * explicit descriptor of privateFileSddl, not the one the directory would hand down. Its descriptor.
 */
export async function createPrivateFile(file: string): Promise<number> {
  /* c8 ignore next -- Windows only: the Wine suite runs it */
  if (process.platform === 'win32') return windows.createFileWithSecurity(file, privateFileSddl(windows.ownSid()));
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  return new Promise((resolve, reject) => fs.open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600, (error, fd) => (error ? reject(error) : resolve(fd))));
}

const passwd = new PasswdFile();

/**
 * Windows account names by SID, asked once each: LookupAccountSidW may ask a domain controller, and
 * peerOf runs for every connection, on the event loop. Local accounts are few; the map is bounded anyway.
 */
const accountNames = {
  known: new Map<string, string | undefined>(),
  /* c8 ignore next 7 -- Windows only: the Wine suite runs it */
  nameOf(sid: string): string | undefined {
    if (!this.known.has(sid)) {
      if (this.known.size >= 1000) this.known.clear();
      this.known.set(sid, windows.lookupAccountSid(sid));
    }
    return this.known.get(sid);
  },
};

/**
 * The account at the other end of a connection, where the system tells: on Linux the user of a
 * Unix socket's peer (SO_PEERCRED), "alice (uid 1000)"; on Windows the user of the client process's
 * token, "CONTOSO\\alice (S-1-5-21-…)", for a connection the daemon's own pipe server accepted
 * (listenPipe; docs/security.md, "Who acted").
 */
export function peerOf(socket: net.Socket): string | undefined {
  /* c8 ignore next 4 -- Windows only: the Wine suite runs it */
  if (process.platform === 'win32') {
    const sid = windows.pipeClientOf(socket)?.sid;
    return sid === undefined ? undefined : windowsAccount(sid, accountNames.nameOf(sid));
  }
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

/** Unix: the gid of a group, by name (in /etc/group) or number; undefined when the system has no such group name. */
export function groupId(group: string): number | undefined {
  let text = '';
  try {
    text = fs.readFileSync('/etc/group', 'utf8');
  } catch {
    // No readable group file: only a number can be taken.
  }
  return groupIdIn(text, group);
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

/** Windows: makes a directory with the descriptor of an SDDL string, in one step; false when something is already there. */
export const createDirectoryWithSecurity = (dir: string, sddl: string): boolean => onWindows('access list').createDirectoryWithSecurity(dir, sddl);

/** Windows: the SID and name of an account name; undefined when there is no such account. */
export const lookupAccount = (name: string): { sid: string; name: string } | undefined => onWindows('account').lookupAccountName(name);

/** Windows: who serves a pipe (undefined: nobody), with its pid and executable where Windows tells. */
export const pipeHolder = (pipe: string): windows.PipeHolder | undefined => onWindows('named pipe').pipeHolder(pipe);

/**
 * Windows: serves a pipe with instances of this process's own, each with the DACL of `sddl` from its
 * creation (windows.listenPipe); rejects with code EADDRINUSE when another process serves the name.
 */
export const listenPipe = (pipe: string, sddl: string, accept: (socket: net.Socket) => void, failed: (error: Error) => void): windows.PipeListener =>
  onWindows('named pipe').listenPipe(pipe, sddl, accept, failed);

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

/** The process ids at the two ends of a Windows pipe connection, as one end learned them from Windows (undefined: Windows did not say). */
export interface PipeEnds {
  serverPid: number | undefined;
  clientPid: number | undefined;
}

/**
 * The ends of a connection the daemon accepted, for protocol 3's endpoint binding (src/session-proof.ts):
 * on Windows its own process id and the client's, as Windows gives it (listenPipe); undefined on
 * Unix, where the binding is empty (docs/protocol.md, "Sessions").
 */
export function daemonSideEnds(socket: net.Socket): PipeEnds | undefined {
  if (process.platform !== 'win32') return undefined;
  /* c8 ignore next -- Windows only: the Wine suite runs it */
  return { serverPid: process.pid, clientPid: windows.pipeClientOf(socket)?.pid };
}

/** …and of a connection a client opened with localPipeConnector: the server's process id as Windows gives it, and this process's own. */
export function clientSideEnds(socket: net.Socket | undefined): PipeEnds | undefined {
  if (process.platform !== 'win32') return undefined;
  /* c8 ignore next -- Windows only: the Wine suite runs it */
  return { serverPid: socket === undefined ? undefined : windows.serverPidOf(socket), clientPid: process.pid };
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
