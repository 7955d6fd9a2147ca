// Child processes for the benchmarks: the real daemon (dist/cli.js serve) and the bare server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tempPipe(label) {
  return path.join(os.tmpdir(), `gwk-bench-${label}-${process.pid}-${Math.random().toString(36).slice(2, 7)}.sock`);
}

/** Starts a process and resolves once its stdout shows `ready`; with its start time in ms. */
function startProcess(args, ready, env = process.env) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
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

export async function startDaemon(dataDir, pipe) {
  const { child, startMs } = await startProcess([path.join(ROOT, 'dist/cli.js'), 'serve', '--data-dir', dataDir, '--pipe', pipe, '--time-zone', 'UTC', '--log-level', 'warn'], 'is serving');
  const token = (file) => fs.readFileSync(path.join(dataDir, file), 'utf8').trim();
  return { child, startMs, pipe, adminToken: token('admin.token'), gatewayToken: token('gateway.token'), stop: () => stop(child) };
}

export async function startBareServer(pipe) {
  const { child } = await startProcess([path.join(ROOT, 'bench/lib/bare-server.mjs'), pipe], 'listening');
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
