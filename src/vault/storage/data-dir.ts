import { promises as fsp } from 'node:fs';
import { acquireDataDirLock, type DataDirLock } from './lock.js';

/**
 * Makes the data dir ready for one vault and takes it (docs/security.md, "The data dir"): created
 * 0700 if missing; refused, like ssh's StrictModes, when others can write to it, since it holds the
 * master key and the tokens; then locked for this process. The daemon calls this once, before
 * anything in the directory is read or written, and releases the lock last.
 */
export async function claimDataDir(dataDir: string): Promise<DataDirLock> {
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const { mode } = await fsp.stat(dataDir);
    if (mode & 0o022) {
      throw new Error(
        `The data directory ${dataDir} can be written by ${mode & 0o002 ? 'every user' : 'its group'} (mode ${(mode & 0o777).toString(8)}). ` +
          `Make it private first: chmod 700 '${dataDir}'.`,
      );
    }
  }
  return acquireDataDirLock(dataDir);
}
