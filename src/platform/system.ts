import fs from 'node:fs';
import type { Socket } from 'node:net';
import * as linux from './linux.js';

/**
 * What the daemon needs of the operating system beyond Node: one exclusive lock per data dir, the
 * identity of a pipe's peer, and no core dumps (docs/security.md). Linux and Windows each answer in
 * their own file; elsewhere the daemon does not run.
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

/**
 * Locks `file` (created 0600 when missing) for this process alone, without waiting; undefined when
 * another process holds it.
 */
export function lockFileExclusively(file: string): HeldLock | undefined {
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

/** Who is at the other end of a connection, where the system tells (a Unix socket's uid on Linux). */
export function peerOf(socket: Socket): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const uid = linux.peerUid(socket);
  return uid === undefined ? undefined : `uid ${uid}`;
}

/** Turns core dumps off for this process, where the platform allows; says whether it did. */
export function forbidCoreDumps(): boolean {
  if (process.platform !== 'linux') return false;
  linux.forbidCoreDumps();
  return true;
}
