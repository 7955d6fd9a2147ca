import fs, { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import { createPrivateFile } from '../../platform/system.js';
import type { StoreFile, StoreFileSystem } from '../../shared/file-system.js';

/**
 * The store's file operations on the real file system (the interface is src/shared/file-system.ts,
 * where tests put faults in). New files come from createPrivateFile: made exclusively and private
 * from their creation, never a file or link someone put there first (docs/security.md, "The data dir").
 */

const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const ftruncate = promisify(fs.ftruncate);
const close = promisify(fs.close);

function handleFile(handle: fsp.FileHandle): StoreFile {
  return {
    async write(data, position) {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
        written += bytesWritten;
      }
    },
    sync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

/** The same over a bare descriptor: on Windows createPrivateFile's handle reaches Node as one. */
function descriptorFile(fd: number): StoreFile {
  return {
    async write(data, position) {
      let written = 0;
      while (written < data.length) written += (await write(fd, data, written, data.length - written, position + written)).bytesWritten;
    },
    sync: () => fdatasync(fd),
    truncate: (length) => ftruncate(fd, length),
    close: () => close(fd),
  };
}

export const nodeFileSystem: StoreFileSystem = {
  async readFile(file) {
    try {
      return await fsp.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  openExisting: async (file) => handleFile(await fsp.open(file, 'r+')),
  create: async (file) => descriptorFile(await createPrivateFile(file)),
  rename: (from, to) => fsp.rename(from, to),
  async syncDirectory(directory) {
    // Windows cannot open a directory to flush it; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    const handle = await fsp.open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async remove(file) {
    await fsp.rm(file, { force: true });
  },
};
