import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import net from 'node:net';

/**
 * One daemon per data dir. The lock is a listening endpoint that the operating system removes
 * when the process dies, however it dies, so a crash never leaves a stale lock behind:
 * an abstract Unix socket on Linux, a named pipe on Windows. Its name comes from the data dir's
 * real path.
 */
export interface DataDirLock {
  release(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`Another gateway-apikeys daemon is already running on the data directory ${dataDir}. Stop it first, or use another --data-dir.`);
    this.name = 'DataDirLockedError';
  }
}

function lockAddress(dataDir: string): string {
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 32);
  if (process.platform === 'win32') return `\\\\.\\pipe\\gateway-apikeys-lock-${id}`;
  if (process.platform === 'linux') return `\0gateway-apikeys-lock-${id}`;
  throw new Error(`gateway-apikeys runs on Linux and Windows; ${process.platform} has no lock it can use.`);
}

export function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const server = net.createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new DataDirLockedError(dataDir) : error);
    });
    server.listen(lockAddress(dataDir), () => {
      // The lock must not keep the process alive by itself.
      server.unref();
      resolve({ release: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
