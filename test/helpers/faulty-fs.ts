import type { StoreFile, StoreFileSystem } from '../../src/shared/file-system.js';
import { nodeFileSystem } from '../../src/vault/storage/node-file-system.js';

export type FaultPoint = 'write' | 'sync' | 'truncate' | 'rename' | 'create' | 'syncDirectory';

/**
 * The real file system, with faults the test arms: the next `times` calls at a point fail with
 * `code` (EIO, ENOSPC…), as a failing disk would; only on files whose path matches `only`, when given.
 */
export class FaultyFileSystem implements StoreFileSystem {
  private readonly armed = new Map<FaultPoint, { code: string; times: number; only?: RegExp }>();
  readonly hits: FaultPoint[] = [];

  fail(point: FaultPoint, code = 'EIO', times = 1, only?: RegExp): void {
    this.armed.set(point, { code, times, only });
  }

  heal(): void {
    this.armed.clear();
  }

  private check(point: FaultPoint, target: string): void {
    const fault = this.armed.get(point);
    if (!fault || fault.times <= 0 || (fault.only && !fault.only.test(target))) return;
    fault.times--;
    this.hits.push(point);
    throw Object.assign(new Error(`${fault.code}: injected fault at ${point}`), { code: fault.code });
  }

  private wrap(file: StoreFile, target: string): StoreFile {
    return {
      write: async (data, position) => {
        const fault = this.armed.get('write');
        // A failing write may still have put part of the data on disk, as a full disk does.
        if (fault && fault.times > 0 && (!fault.only || fault.only.test(target))) await file.write(data.subarray(0, Math.floor(data.length / 2)), position);
        this.check('write', target);
        return file.write(data, position);
      },
      sync: async () => {
        this.check('sync', target);
        return file.sync();
      },
      truncate: async (length) => {
        this.check('truncate', target);
        return file.truncate(length);
      },
      close: () => file.close(),
    };
  }

  readFile = (file: string) => nodeFileSystem.readFile(file);
  remove = (file: string) => nodeFileSystem.remove(file);
  openExisting = async (file: string) => this.wrap(await nodeFileSystem.openExisting(file), file);
  create = async (file: string) => {
    this.check('create', file);
    return this.wrap(await nodeFileSystem.create(file), file);
  };
  rename = async (from: string, to: string) => {
    this.check('rename', to);
    return nodeFileSystem.rename(from, to);
  };
  syncDirectory = async (directory: string) => {
    this.check('syncDirectory', directory);
    return nodeFileSystem.syncDirectory(directory);
  };
}
