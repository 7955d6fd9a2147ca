import fs from 'node:fs';
import path from 'node:path';
import type { DaemonProcess } from './daemon.js';

/** Resident memory of a process in bytes (Linux /proc), or undefined where it cannot be read. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Node options that load test/helpers/memory-probe.cjs into a daemon started with them
 * (startDaemon's `nodeArgs`): then `retainedMemory` can measure it.
 */
export const MEMORY_PROBE_NODE_ARGS = ['--expose-gc', '--require', path.join(import.meta.dirname, 'memory-probe.cjs')];

/** A daemon's memory right after full garbage collections, in bytes (process.memoryUsage()). */
export interface RetainedMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What the daemon's objects hold after full collections: its JS heap in use plus memory outside the heap (Buffers). */
export function liveBytes(memory: RetainedMemory): number {
  return memory.heapUsed + memory.external;
}

/**
 * Collects the garbage of a daemon started with MEMORY_PROBE_NODE_ARGS and measures it: SIGUSR2,
 * then the line the probe prints on the daemon's standard output.
 */
export async function retainedMemory(daemon: DaemonProcess, timeoutMs = 30_000): Promise<RetainedMemory> {
  const stdout = daemon.child.stdout!;
  return new Promise<RetainedMemory>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /memory-probe (\{.*\})\n/.exec(seen);
      if (match) {
        done();
        resolve(JSON.parse(match[1]!) as RetainedMemory);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the daemon's memory probe did not answer within ${timeoutMs} ms: was it started with MEMORY_PROBE_NODE_ARGS?`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      stdout.off('data', onData);
    };
    stdout.on('data', onData);
    daemon.child.kill('SIGUSR2');
  });
}
