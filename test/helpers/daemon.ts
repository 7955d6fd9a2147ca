import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { type DaemonClient, openSession } from '../../src/client/connect.js';
import type { RpcMethods } from '../../src/generated/schemas.js';
import { RpcClient } from '../../src/rpc/client.js';
import { validatorFor } from '../../src/daemon/schema-check.js';
import { freshDataDir } from './vault.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** This test process's account, as the daemon names the peer of a connection and who ran an offline command (docs/security.md, "Who acted"). */
export const ownAccount = `${os.userInfo().username} (uid ${process.getuid!()})`;

/**
 * A short socket path (Unix sockets allow 107 bytes, and test fixture paths are long) in a private
 * directory of its own: the daemon refuses a pipe in a directory others can write to, such as /tmp.
 */
export function shortPipe(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-')), 'd.sock');
}

export interface DaemonProcess {
  child: ChildProcess;
  dataDir: string;
  pipe: string;
  stdout: () => string;
  stderr: () => string;
  adminToken: () => string;
  gatewayToken: () => string;
  /** A connected client; with a role, its session is already open. */
  client(role?: 'admin' | 'gateway'): Promise<DaemonClient>;
  /** SIGTERM and the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  pipe?: string;
  now?: string;
  env?: Record<string, string>;
  args?: string[];
  /** A single executable to run instead of `node dist/cli.js`. */
  executable?: string;
  /** Options for node before `dist/cli.js` (V8 flags, a preloaded module); not with `executable`. */
  nodeArgs?: string[];
  /** The environment `env` is added to; process.env by default. */
  baseEnv?: Record<string, string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs the real daemon (`dist/cli.js serve`, or a single executable's `serve`) as a child process and waits until it listens. */
export async function startDaemon(t: Test, options: StartOptions = {}): Promise<DaemonProcess> {
  const dataDir = options.dataDir ?? freshDataDir(t);
  const pipe = options.pipe ?? shortPipe();
  const env: Record<string, string> = { ...(options.baseEnv ?? (process.env as Record<string, string>)), ...options.env };
  delete env.GATEWAY_APIKEYS_NOW;
  if (options.now) env.GATEWAY_APIKEYS_NOW = options.now;
  const [command, ...commandArgs] = options.executable ? [options.executable] : [process.execPath, ...(options.nodeArgs ?? []), CLI];
  const child = spawn(command!, [...commandArgs, 'serve', '--data-dir', dataDir, '--pipe', pipe, '--time-zone', 'UTC', ...(options.args ?? [])], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (stdout.includes('is serving')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`the daemon exited (${code}) before serving:\n${stderr}`)));
  });
  const clients: DaemonClient[] = [];
  const daemon: DaemonProcess = {
    child, dataDir, pipe, exited,
    stdout: () => stdout,
    stderr: () => stderr,
    adminToken: () => fs.readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim(),
    gatewayToken: () => fs.readFileSync(path.join(dataDir, 'gateway.token'), 'utf8').trim(),
    async client(role) {
      const client = role
        ? (await openSession({ pipe, role, token: role === 'admin' ? daemon.adminToken() : daemon.gatewayToken() })).client
        : await RpcClient.connect<RpcMethods>(pipe);
      clients.push(client);
      return client;
    },
    async stop(signal = 'SIGTERM') {
      for (const client of clients) client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  // Killed at teardown, and also if this test process exits early (a tap timeout), so no daemon
  // outlives its test; a killed daemon leaves its socket file, removed here.
  running.add(child);
  t.teardown(async () => {
    await daemon.stop('SIGKILL');
    running.delete(child);
    fs.rmSync(pipe, { force: true });
    if (path.basename(path.dirname(pipe)).startsWith('gwk-')) fs.rmSync(path.dirname(pipe), { recursive: true, force: true });
  });
  return daemon;
}

/** Asserts that `result` has the shape results/<method>.json promises. */
export function checkResult(t: Test, method: string, result: unknown): void {
  const validate = validatorFor(`results/${method}.json`);
  t.ok(validate(result), `${method} answers its result schema${validate.errors ? `: ${JSON.stringify(validate.errors[0])}` : ''}`);
}

/** The daemon's error for a call, as {code, field, rpcCode, message}. */
export async function callError(promise: Promise<unknown>): Promise<{ code: string; field?: string; rpcCode: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: string; field?: string; rpcCode: number; message: string };
    return { code: e.code, field: e.field, rpcCode: e.rpcCode, message: e.message };
  }
  throw new Error('the call succeeded');
}
