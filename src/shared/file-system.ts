import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * The file operations the store makes, behind one small interface so tests can inject faults
 * (EIO, ENOSPC) at any step. Writes are positional: the store knows every offset.
 */
export interface StoreFile {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Makes written data durable (fdatasync). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface StoreFileSystem {
  /** The whole file, or null when it does not exist. */
  readFile(file: string): Promise<Buffer | null>;
  /** Opens an existing file for writing. */
  openExisting(file: string): Promise<StoreFile>;
  /** Creates (or empties) a file with mode 0600. */
  create(file: string): Promise<StoreFile>;
  rename(from: string, to: string): Promise<void>;
  /** Makes a rename in `directory` durable. */
  syncDirectory(directory: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  remove(file: string): Promise<void>;
}

function nodeFile(handle: fsp.FileHandle): StoreFile {
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

export const nodeFileSystem: StoreFileSystem = {
  async readFile(file) {
    try {
      return await fsp.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  openExisting: async (file) => nodeFile(await fsp.open(file, 'r+')),
  create: async (file) => nodeFile(await fsp.open(file, 'w', 0o600)),
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

/**
 * Replaces `file` with `data` so that a crash leaves either the old file or the new one, whole:
 * write a temporary file, flush it, rename it over, flush the directory.
 */
export async function replaceFileAtomically(fs: StoreFileSystem, file: string, data: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp`;
  try {
    const handle = await fs.create(temporary);
    try {
      await handle.write(data, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.remove(temporary).catch(() => undefined);
    throw error;
  }
  await fs.syncDirectory(path.dirname(file));
}
