// Child processes for the benchmarks: the real daemon (dist/cli.js serve) and the bare server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A socket path in a private directory of its own: the daemon refuses one in a directory others can write to, such as /tmp. */
export function tempPipe(label) {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), `gwk-bench-${label}-`)), 'd.sock');
}

/** Starts a process (with `env` added to this one's) and resolves once its stdout shows `ready`; with its start time in ms. */
function startProcess(args, ready, command = process.execPath, env = {}) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes(ready)) resolve({ child, startMs: performance.now() - started });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${err.slice(-2000)}`)));
  });
}

/** The single executable, when `npm run package` has made it. */
export const EXECUTABLE = path.join(ROOT, 'dist/gateway-apikeys-linux-x64');

/** The V8 flags the daemon runs with (package.json's daemonNodeFlags; the executable has them built in). */
const { daemonNodeFlags } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/**
 * Starts the daemon: `node dist/cli.js serve`, or the single executable when `executable` is true;
 * `env` adds to its environment (a farm host's PGPASSWORD, docs/farm.md).
 */
export async function startDaemon(dataDir, pipe, executable = false, env = {}) {
  const serve = ['serve', '--data-dir', dataDir, '--pipe', pipe, '--time-zone', 'UTC', '--log-level', 'warn'];
  const { child, startMs } = executable
    ? await startProcess(serve, 'is serving', EXECUTABLE, env)
    : await startProcess([...daemonNodeFlags, path.join(ROOT, 'dist/cli.js'), ...serve], 'is serving', process.execPath, env);
  const token = (file) => fs.readFileSync(path.join(dataDir, file), 'utf8').trim();
  return { child, startMs, pipe, adminToken: token('admin.token'), gatewayToken: token('gateway.token'), stop: () => stop(child) };
}

export async function startBareServer(pipe) {
  const { child } = await startProcess([path.join(ROOT, 'bench/lib/bare-server.mjs'), pipe], 'listening');
  return { child, pipe, stop: () => stop(child) };
}

/** The C server of bench/c/server.c, built at `binary`. */
export async function startCServer(binary, pipe) {
  const { child } = await startProcess([pipe], 'listening', binary);
  return { child, pipe, stop: () => stop(child) };
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}
