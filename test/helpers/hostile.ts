import fs from 'node:fs';
import net from 'node:net';
import type { Test } from 'tap';
import { encodeFrame } from '../../src/rpc/framing.js';
import { startDaemon, type DaemonProcess } from './daemon.js';
import { rssOf } from './process-memory.js';

/** What the hostile-users guarantee tests (test/guarantees/hostile-*.test.ts) share: measures, a daemon with a key, attackers. */
export const MiB = 2 ** 20;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const isRoot = process.getuid?.() === 0;

/** The daemon's RSS growth since `before`, in MiB, after letting it settle. */
export async function growthMiB(daemon: DaemonProcess, before: number, settleMs = 1500): Promise<number> {
  await sleep(settleMs);
  return ((rssOf(daemon.child.pid!) ?? before) - before) / MiB;
}

/** The gateway's authenticate round trips while something else goes on: p99 in ms, and whether all were answered. */
export async function gatewayLatency(daemon: DaemonProcess, key: string, count: number): Promise<{ p99: number; answered: number }> {
  const gateway = await daemon.client('gateway');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const result = await gateway.request('connector.authenticate', { key });
    if (result.authenticated) times.push(performance.now() - started);
  }
  gateway.close();
  times.sort((a, b) => a - b);
  return { p99: times[Math.floor(times.length * 0.99)] ?? Infinity, answered: times.length };
}

export async function daemonWithKey(t: Test): Promise<{ daemon: DaemonProcess; key: string }> {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'the gateway key' });
  admin.close();
  return { daemon, key };
}

/** A process that takes a pipe's name first and records everything clients send it. */
export async function squat(t: Test, pipe: string): Promise<{ received: () => string }> {
  let received = '';
  const server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      // It answers a challenge as a daemon would, but it cannot know the token.
      const id = /"id":(\d+)/.exec(chunk.toString())?.[1];
      if (id) socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: Number(id), result: { serverNonce: 'A'.repeat(43), serverProof: 'B'.repeat(43) } })));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  t.teardown(() => server.close());
  return { received: () => received };
}

/** Every readable region of a process's memory, searched for `needle` (Linux, and root: the daemon is not dumpable). */
export function memoryHolds(pid: number, needle: Buffer): number {
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const mem = fs.openSync(`/proc/${pid}/mem`, 'r');
  let found = 0;
  try {
    for (const line of maps) {
      const [range, perms, , , , file] = line.split(/\s+/);
      if (!perms?.startsWith('r') || file === '[vvar]' || file === '[vsyscall]') continue;
      const [start, end] = range!.split('-').map((h) => Number.parseInt(h, 16)) as [number, number];
      const size = end - start;
      if (size > 512 * MiB) continue;
      const buffer = Buffer.alloc(size);
      try {
        fs.readSync(mem, buffer, 0, size, start);
      } catch {
        continue;
      }
      for (let at = buffer.indexOf(needle); at >= 0; at = buffer.indexOf(needle, at + 1)) found++;
    }
  } finally {
    fs.closeSync(mem);
  }
  return found;
}
