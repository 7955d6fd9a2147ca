import type { Test } from 'tap';
import type { DaemonClient } from '../../src/client/connect.js';
import { cli } from './backup.js';
import { type DaemonProcess, startDaemon } from './daemon.js';
import { type PostgresServer, startPostgres } from './postgres.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { freshDataDir } from './vault.js';

/**
 * A farm of real daemons on one machine (docs/farm.md, "Testing"): a PostgreSQL of the test's own,
 * and hosts made by the real `farm init` and `farm join`, each with its data dir, and each reaching
 * the database through a TCP proxy of its own that the test can cut.
 */

export const RECOVERY_PASSPHRASE = 'the farm recovery passphrase';

export interface FarmHost {
  name: string;
  dataDir: string;
  proxy: TcpProxy;
  daemon: DaemonProcess;
  admin: DaemonClient;
  gateway: DaemonClient;
  /** Stops the daemon (SIGTERM unless told) and starts it again on the same data dir. */
  restart(signal?: NodeJS.Signals): Promise<void>;
}

export interface Farm {
  server: PostgresServer;
  hosts: FarmHost[];
  /** The environment every farm command and daemon here gets: the database's password, the recovery passphrase. */
  env: Record<string, string>;
  /** Makes one more host join through a proxy of its own (not started), with `passphrase`; the CLI's result. */
  join(name: string, passphrase?: string): Promise<{ code: number; stdout: string; stderr: string; dataDir: string; proxy: TcpProxy }>;
  /** Starts a daemon on a host's data dir, with its clients. */
  serve(name: string, dataDir: string, proxy: TcpProxy): Promise<FarmHost>;
}

export interface FarmOptions {
  hosts?: number;
  /** A data dir to make the farm from (`farm init --from-data-dir`). */
  fromDataDir?: string;
  /** The sync's backstop poll, in ms (GATEWAY_APIKEYS_FARM_POLL_MS). */
  pollMs?: number;
}

export async function startFarm(t: Test, options: FarmOptions = {}): Promise<Farm> {
  const server = await startPostgres(t);
  const env: Record<string, string> = {
    PGPASSWORD: server.password, GATEWAY_APIKEYS_RECOVERY_PASSPHRASE: RECOVERY_PASSPHRASE,
    ...(options.pollMs === undefined ? {} : { GATEWAY_APIKEYS_FARM_POLL_MS: String(options.pollMs) }),
  };
  const url = (proxy: TcpProxy) => `postgres://${server.user}@127.0.0.1:${proxy.port}/${server.database}`;
  const serve = async (name: string, dataDir: string, proxy: TcpProxy): Promise<FarmHost> => {
    const daemon = await startDaemon(t, { dataDir, env });
    const host: FarmHost = {
      name, dataDir, proxy, daemon, admin: await daemon.client('admin'), gateway: await daemon.client('gateway'),
      async restart(signal = 'SIGTERM') {
        await host.daemon.stop(signal);
        host.daemon = await startDaemon(t, { dataDir, env });
        host.admin = await host.daemon.client('admin');
        host.gateway = await host.daemon.client('gateway');
      },
    };
    return host;
  };
  const join = async (name: string, passphrase = RECOVERY_PASSPHRASE) => {
    const proxy = await startTcpProxy(t, server);
    const dataDir = freshDataDir(t);
    const result = await cli(['farm', 'join', '--store', url(proxy), '--data-dir', dataDir, '--host-name', name],
      { ...env, GATEWAY_APIKEYS_RECOVERY_PASSPHRASE: passphrase });
    return { ...result, dataDir, proxy };
  };
  const hosts: FarmHost[] = [];
  const firstProxy = await startTcpProxy(t, server);
  const firstDir = options.fromDataDir ?? freshDataDir(t);
  const made = await cli(['farm', 'init', '--store', url(firstProxy), ...(options.fromDataDir ? ['--from-data-dir', firstDir] : ['--data-dir', firstDir]), '--host-name', 'host-a'], env);
  if (made.code !== 0) throw new Error(`farm init failed (${made.code}): ${made.stderr}`);
  hosts.push(await serve('host-a', firstDir, firstProxy));
  for (let i = 1; i < (options.hosts ?? 3); i++) {
    const name = `host-${String.fromCharCode(97 + i)}`;
    const joined = await join(name);
    if (joined.code !== 0) throw new Error(`farm join failed (${joined.code}): ${joined.stderr}`);
    hosts.push(await serve(name, joined.dataDir, joined.proxy));
  }
  return { server, hosts, env, join, serve };
}

/** Polls `check` every 10 ms until it is true; the milliseconds it took, or an error after `ms`. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
