import net from 'node:net';
import type { Test } from 'tap';

/**
 * A TCP proxy between one farm host and its database (issue 25's partition tests): it forwards
 * bytes both ways until the test cuts the link, then either resets every connection and refuses
 * new ones (a stopped server, a firewall that rejects) or silently drops every byte while keeping
 * connections open (a partition: nothing fails until a timeout says so). `restore` lets new
 * connections through again; those cut stay cut, as a real client's would be.
 */

export type CutMode = 'reset' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  /** Connections open through the proxy now. */
  readonly connections: number;
  cut(mode?: CutMode): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(t: Test, target: { host: string; port: number }): Promise<TcpProxy> {
  let cutMode: CutMode | undefined;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; held: boolean }>();

  const hold = (pair: { client: net.Socket; upstream: net.Socket; held: boolean }) => {
    // No byte crosses any more, in either direction, and neither end hears of it.
    pair.held = true;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.on('data', () => undefined);
    pair.upstream.on('data', () => undefined);
  };

  const server = net.createServer((client) => {
    // The proxy never keeps the test process alive by itself: a connection a daemon left half-open at
    // teardown (a silent link holds both ends) must not leave the test hanging until tap's timeout.
    client.unref();
    if (cutMode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host).unref();
    const pair = { client, upstream, held: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
    client.on('error', end);
    upstream.on('error', end);
    if (cutMode === 'blackhole') {
      hold(pair);
      return;
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as net.AddressInfo;

  const proxy: TcpProxy = {
    port,
    get connections() {
      return pairs.size;
    },
    cut(mode = 'reset') {
      cutMode = mode;
      for (const pair of [...pairs]) {
        if (mode === 'reset') {
          pair.client.resetAndDestroy();
          pair.upstream.destroy();
        } else if (!pair.held) {
          hold(pair);
        }
      }
    },
    restore() {
      cutMode = undefined;
    },
    async close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      // Closed once every connection is; bounded, so that a teardown never waits on a socket the OS holds open.
      await Promise.race([
        new Promise((resolve) => server.close(resolve)),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    },
  };
  t.teardown(() => proxy.close());
  return proxy;
}
