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
  /**
   * Creates a new file, private to the daemon's account from its creation (mode 0600; on Windows an
   * explicit protected DACL), failing with EEXIST when anything is at that name: a planted file or
   * link is never opened (docs/security.md, "The data dir").
   */
  create(file: string): Promise<StoreFile>;
  rename(from: string, to: string): Promise<void>;
  /** Makes a rename in `directory` durable. */
  syncDirectory(directory: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  remove(file: string): Promise<void>;
}

/**
 * Replaces `file` with `data` so that a crash leaves either the old file or the new one, whole:
 * write a temporary file, flush it, rename it over, flush the directory. Whatever is at the
 * temporary name (left by a crash, or planted) is removed first, never opened: a link is removed,
 * not followed; the file renamed into place is always one this call created.
 */
export async function replaceFileAtomically(fs: StoreFileSystem, file: string, data: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp`;
  await fs.remove(temporary);
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
