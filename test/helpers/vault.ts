import fs from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import type { Log } from '../../src/shared/log.js';
import { parseParams } from '../../src/daemon/params.js';
import { decodeJournal, decodeSnapshot } from '../../src/vault/storage/file-format.js';
import { deriveVaultKeys, readMasterKeyFile } from '../../src/vault/storage/master-key.js';
import { Vault, type VaultOptions } from '../../src/vault/vault.js';
import { ManualClock } from './clock.js';

export const TODAY = '2026-11-27';

const scratch = new WeakMap<Test, { dir: string; count: number }>();

/** A new, unused path inside the test's own fixture directory (removed when tap finishes). */
export function scratchPath(t: Test, prefix: string): string {
  let entry = scratch.get(t);
  if (!entry) scratch.set(t, (entry = { dir: t.testdir(), count: 0 }));
  return path.join(entry.dir, `${prefix}-${++entry.count}`);
}

/** A fresh data dir path (not yet created) inside the test's own directory. */
export function freshDataDir(t: Test): string {
  return scratchPath(t, 'data');
}

/** A fresh data dir, made (0700) as the daemon's claim of it would: what Vault.open expects. */
export function madeDataDir(t: Test): string {
  const dataDir = freshDataDir(t);
  fs.mkdirSync(dataDir, { mode: 0o700 });
  return dataDir;
}

/**
 * A data dir the test owns, holding a copy of `test/fixtures/<name>` (a data dir an earlier version
 * wrote): files 0600 and directories 0700, as the daemon requires.
 */
export function copyOfFixture(t: Test, name: string): string {
  const dataDir = madeDataDir(t);
  fs.cpSync(path.join(import.meta.dirname, '..', 'fixtures', name), dataDir, { recursive: true, filter: (source) => !source.endsWith('.mjs') && !source.endsWith('.json') });
  for (const entry of fs.readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o700 : 0o600);
  }
  return dataDir;
}

/** A Log that keeps every line, for assertions. */
export class RecordingLog implements Log {
  readonly lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  debug(message: string, meta?: Record<string, unknown>) { this.lines.push({ level: 'debug', message, meta }); }
  info(message: string, meta?: Record<string, unknown>) { this.lines.push({ level: 'info', message, meta }); }
  warn(message: string, meta?: Record<string, unknown>) { this.lines.push({ level: 'warn', message, meta }); }
  error(message: string, meta?: Record<string, unknown>) { this.lines.push({ level: 'error', message, meta }); }
}

export interface TestVault {
  vault: Vault;
  clock: ManualClock;
  dataDir: string;
  log: RecordingLog;
}

/** Opens a vault in `dataDir` (fresh by default) with a manual clock at noon UTC today; closed at teardown. */
export async function openTestVault(t: Test, options: Partial<VaultOptions> & { clock?: ManualClock } = {}): Promise<TestVault> {
  const dataDir = options.dataDir ?? freshDataDir(t);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const clock = options.clock ?? new ManualClock(`${TODAY}T12:00:00Z`);
  const log = (options.log as RecordingLog | undefined) ?? new RecordingLog();
  const vault = await Vault.open({ timeZone: 'UTC', lastUsedFlushMs: 20, ...options, dataDir, clock, log });
  t.teardown(() => vault.close());
  return { vault, clock, dataDir, log };
}

/** Typed shortcuts that go through the schemas first, as the RPC layer does. */
export const create = async (vault: Vault, params: object) => vault.create(parseParams('apiKey.create', params));
export const update = async (vault: Vault, params: object) => vault.update(parseParams('apiKey.update', params));
export const remove = async (vault: Vault, name: string) => vault.delete(parseParams('apiKey.delete', { name }));
export const rotate = async (vault: Vault, params: object) => vault.rotate(parseParams('apiKey.rotate', params) as { name: string; graceHours: number });

/** Each key's value by name, read from the vault's rows: a reveal would add to the audit trail. */
export function valuesByName(vault: Vault): Map<string, string> {
  return new Map(vault.rows().map(([, name, , key]) => [name, key]));
}

/** Everything an interface can see of the vault, for comparing states. */
export function visibleState(vault: Vault) {
  const values = valuesByName(vault);
  return vault.list(parseParams('apiKey.list', {})).items.map((item) => ({ ...item, key: values.get(item.name) }));
}

/**
 * The data dir's files copied as they are on disk now: what a crash at this instant would leave
 * (every acknowledged change is already durable).
 */
export function crashImage(t: Test, dataDir: string): string {
  const copy = scratchPath(t, 'crash');
  fs.mkdirSync(copy, { mode: 0o700 });
  // The audit trail too: the store and the trail anchor each other (docs/storage.md, "Anchors").
  for (const file of fs.readdirSync(dataDir)) {
    const source = path.join(dataDir, file);
    if (fs.statSync(source).isFile()) fs.copyFileSync(source, path.join(copy, file));
    else if (file === 'audit') fs.cpSync(source, path.join(copy, file), { recursive: true });
  }
  return copy;
}

/** Every file under `dir`, with its bytes. */
export function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      files.set(file, fs.readFileSync(file));
    }
  }
  return files;
}

/** Whether `bytes` hold `secret` in a form a reader could use: UTF-8, UTF-16, base64 or hex of its UTF-8. */
export function holdsInClear(bytes: Buffer, secret: string): boolean {
  const utf8 = Buffer.from(secret, 'utf8');
  const latin1 = bytes.toString('latin1');
  return bytes.includes(utf8) || bytes.includes(Buffer.from(secret, 'utf16le')) ||
    latin1.includes(utf8.toString('base64').replace(/=+$/, '').slice(0, -2)) || latin1.toLowerCase().includes(utf8.toString('hex'));
}

/**
 * What the store files of a key-file vault hold once decrypted, snapshot and journal records
 * together, as text: what a thief with master.key would read. A value not in it has left the disk.
 */
export function decryptedStore(dataDir: string): string {
  const master = readMasterKeyFile(fs.readFileSync(path.join(dataDir, 'master.key')), 'master.key');
  const { lookupKey, storeKey } = deriveVaultKeys(master);
  try {
    const snapshot = decodeSnapshot(storeKey, fs.readFileSync(path.join(dataDir, 'keys.snapshot')), 'keys.snapshot', master.vaultId);
    const journal = decodeJournal(storeKey, fs.readFileSync(path.join(dataDir, 'keys.journal')), 'keys.journal', master.vaultId);
    return [snapshot.payload, ...journal.payloads].map((bytes) => bytes.toString('utf8')).join('\n');
  } finally {
    lookupKey.dispose();
    storeKey.dispose();
  }
}
