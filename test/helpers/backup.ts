import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import type { DaemonClient } from '../../src/client/connect.js';
import type { ApiKeyInfo } from '../../src/generated/schemas.js';
import { CLI } from './daemon.js';
import { scratchPath } from './vault.js';

/** What the backup suites share (test/backup.test.ts, test/backup-crash.test.ts). */
const run = promisify(execFile);
export const PASSPHRASE = 'a backup passphrase';

/** Runs the CLI; resolves with its exit code and output whatever the code. */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, GATEWAY_APIKEYS_BACKUP_PASSPHRASE: PASSPHRASE, ...env }, maxBuffer: 64 * 1024 * 1024 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }));
}

/** A path for a backup file, `b.gwkb` unless named, in a directory of its own made for the test. */
export function backupFile(t: Test, name = 'b.gwkb'): string {
  const dir = scratchPath(t, 'backups');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/** Every key's answer: what a restore must keep, whatever master key it lives under. */
export async function everyKey(admin: DaemonClient): Promise<ApiKeyInfo[]> {
  return (await admin.request('apiKey.list', { sortBy: 'name' })).items;
}
