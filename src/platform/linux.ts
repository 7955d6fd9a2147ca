import fs from 'node:fs';
import type { Socket } from 'node:net';
import koffi from 'koffi';

/**
 * The Linux system calls Node does not offer, through koffi (an FFI whose npm package carries
 * prebuilt addons: nothing is compiled here). docs/security.md says what each is for.
 */

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const PR_SET_DUMPABLE = 4;
const RLIMIT_CORE = 4;

let calls: ReturnType<typeof bind> | undefined;

function bind() {
  const libc = koffi.load('libc.so.6');
  const ucred = koffi.struct('gwk_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
  const rlimit = koffi.struct('gwk_rlimit', { cur: 'uint64', max: 'uint64' });
  return {
    flock: libc.func('int flock(int fd, int operation)'),
    getsockopt: libc.func('getsockopt', 'int', ['int', 'int', 'int', koffi.out(koffi.pointer(ucred)), koffi.inout(koffi.pointer('uint32'))]),
    prctl: libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
    setrlimit: libc.func('setrlimit', 'int', ['int', koffi.pointer(rlimit)]),
  };
}

function libc() {
  calls ??= bind();
  return calls;
}

/**
 * Takes an exclusive flock on the open file `fd`, without waiting. False when another open file
 * description holds it (another daemon, whatever path, mount or namespace it came through: the lock
 * belongs to the file). It is released when the descriptor is closed or the process dies.
 */
export function tryLockExclusive(fd: number): boolean {
  if (libc().flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = koffi.errno();
  if (errno === EWOULDBLOCK) return false;
  throw new Error(`flock failed with errno ${errno}`);
}

/** The uid of the process at the other end of a Unix socket (SO_PEERCRED), or undefined. */
export function peerUid(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const credentials: { pid?: number; uid?: number; gid?: number } = {};
  return libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credentials, [12]) === 0 ? credentials.uid : undefined;
}

/**
 * No core dumps, and no ptrace by other processes of the same user: a dump or a debugger would
 * hand out the derived keys and the key values in memory.
 */
export function forbidCoreDumps(): void {
  const { prctl, setrlimit } = libc();
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) !== 0 || setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) !== 0) {
    throw new Error(`turning core dumps off failed with errno ${koffi.errno()}`);
  }
}

/** Opens (creating, 0600) a lock file without following a symlink planted in its place. */
export function openLockFile(file: string): number {
  return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
}
