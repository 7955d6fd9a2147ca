import fs from 'node:fs';
import path from 'node:path';
import type { StoreFile, StoreFileSystem } from '../../src/shared/file-system.js';
import { nodeFileSystem } from '../../src/vault/storage/node-file-system.js';

/**
 * The real file system, plus a model of what a power loss would leave behind: a file's data is
 * durable only as of its last sync; a directory entry (a created, renamed or removed name) only as
 * of the last sync of its directory. `powerLossImage` writes that durable state into a directory,
 * the worst a machine that lost power at this instant could show at the next boot.
 */
export class PowerLossFileSystem implements StoreFileSystem {
  private nextInode = 1;
  /** Names as the running system sees them. */
  private readonly live = new Map<string, number>();
  /** Names as a power loss would leave them. */
  private readonly durableNames = new Map<string, number>();
  /** Each inode's content at its last sync. */
  private readonly durableData = new Map<number, Buffer>();
  private readonly pathOf = new Map<number, string>();
  syncs = 0;

  constructor(readonly dataDir: string) {
    if (!fs.existsSync(dataDir)) return;
    for (const name of fs.readdirSync(dataDir)) {
      const file = path.join(dataDir, name);
      if (!fs.statSync(file).isFile()) continue;
      const inode = this.newInode(file);
      this.durableNames.set(file, inode);
      this.durableData.set(inode, fs.readFileSync(file));
    }
  }

  private newInode(file: string): number {
    const inode = this.nextInode++;
    this.live.set(file, inode);
    this.pathOf.set(inode, file);
    return inode;
  }

  private track(handle: StoreFile, inode: number): StoreFile {
    return {
      write: (data, position) => handle.write(data, position),
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
      sync: async () => {
        await handle.sync();
        this.syncs++;
        this.durableData.set(inode, fs.readFileSync(this.pathOf.get(inode)!));
      },
    };
  }

  readFile = (file: string) => nodeFileSystem.readFile(file);

  async openExisting(file: string): Promise<StoreFile> {
    const inode = this.live.get(file);
    if (inode === undefined) throw new Error(`model: ${file} is not known`);
    return this.track(await nodeFileSystem.openExisting(file), inode);
  }

  async create(file: string): Promise<StoreFile> {
    // Creation is exclusive: it fails when the name is taken, so a created file is always a new inode.
    const created = await nodeFileSystem.create(file);
    return this.track(created, this.newInode(file));
  }

  async rename(from: string, to: string): Promise<void> {
    await nodeFileSystem.rename(from, to);
    const inode = this.live.get(from)!;
    this.live.delete(from);
    this.live.set(to, inode);
    this.pathOf.set(inode, to);
  }

  async remove(file: string): Promise<void> {
    await nodeFileSystem.remove(file);
    this.live.delete(file);
  }

  async syncDirectory(directory: string): Promise<void> {
    await nodeFileSystem.syncDirectory(directory);
    this.syncs++;
    for (const name of [...this.durableNames.keys()]) if (path.dirname(name) === directory) this.durableNames.delete(name);
    for (const [name, inode] of this.live) if (path.dirname(name) === directory) this.durableNames.set(name, inode);
  }

  /** Writes what a power loss now would leave of the data dir into `target` (created 0700). */
  powerLossImage(target: string): void {
    fs.mkdirSync(target, { mode: 0o700, recursive: true });
    for (const [name, inode] of this.durableNames) {
      // Where it lies in the data dir (the audit trail's files are in audit/): the store and the trail anchor each other.
      const file = path.join(target, path.relative(this.dataDir, name));
      fs.mkdirSync(path.dirname(file), { mode: 0o700, recursive: true });
      fs.writeFileSync(file, this.durableData.get(inode) ?? Buffer.alloc(0), { mode: 0o600 });
    }
  }
}
