import { promises as fsp } from 'node:fs';

/**
 * The data dir holds the master key and the tokens, so, like ssh's StrictModes, the daemon will
 * not use one that others can write to. It is created with mode 0700.
 */
export async function prepareDataDir(dataDir: string): Promise<void> {
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return; // protected by the ACL of %ProgramData%, not by mode bits
  const { mode } = await fsp.stat(dataDir);
  if (mode & 0o022) {
    throw new Error(
      `The data directory ${dataDir} can be written by ${mode & 0o002 ? 'every user' : 'its group'} (mode ${(mode & 0o777).toString(8)}). ` +
        `Make it private first: chmod 700 '${dataDir}'.`,
    );
  }
}
