import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { skipWhenMissing } from './skip.js';

/**
 * A PostgreSQL server of a test's own (issue 25: farms are tested against a real one): a cluster made by
 * initdb in a temporary directory, listening on loopback at a free port, with password
 * authentication (scram-sha-256) as a customer's would have. PostgreSQL refuses to run as root, so
 * under root the cluster belongs to, and the server runs as, `nobody`. Its binaries come from PATH
 * or Debian's /usr/lib/postgresql/<version>/bin (`.ci/run` installs Debian's `postgresql` when
 * neither has them). Stopped, and its directory removed, at the test's teardown.
 */

export interface PostgresServer {
  /** The postmaster's process id. */
  pid: number;
  host: string;
  port: number;
  user: string;
  /** For clients through PGPASSWORD or a passfile, as the farm will take it: never on a command line. */
  password: string;
  database: string;
  /** A postgres:// URL without the password. */
  url: string;
  /** The server's log so far (initdb's and the server's own). */
  log(): string;
  /**
   * Stops the server with `signal` (SIGINT: a fast shutdown; SIGKILL: a crash, as a failover sees it)
   * and starts it again on the same data and port, after `downMs`; resolves when it accepts connections again.
   */
  restart(signal: 'SIGINT' | 'SIGKILL', downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const UNPRIVILEGED = 'nobody';

/** The directory of initdb and postgres, or undefined when this machine has no PostgreSQL server. */
export function postgresBinDir(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).find((dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres')));
  if (onPath) return onPath;
  const debian = '/usr/lib/postgresql';
  if (!fs.existsSync(debian)) return undefined;
  const versions = fs.readdirSync(debian).filter((v) => fs.existsSync(path.join(debian, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(debian, versions[0]!, 'bin') : undefined;
}

/** A client program of the server's own version (pg_dump, psql): beside the server's real binaries, PATH's being links. */
export function postgresTool(name: string): string {
  return path.join(path.dirname(fs.realpathSync(path.join(postgresBinDir()!, 'initdb'))), name);
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (process.platform !== 'linux') return 'the PostgreSQL tests run on Linux';
  if (!postgresBinDir()) return 'no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql; `apt-get install postgresql` provides them';
  return undefined;
}

/** The `skip` option of a test that needs PostgreSQL (skipWhenMissing). */
export function skipWithoutPostgres(t: Test): string | false {
  return skipWhenMissing(t, 'The PostgreSQL tests', postgresMissing());
}

/** A TCP port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function account(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, UNPRIVILEGED], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

export async function startPostgres(t: Test): Promise<PostgresServer> {
  const missing = postgresMissing();
  if (missing) throw new Error(`PostgreSQL cannot run here: ${missing}.`);
  const bin = postgresBinDir()!;
  const runAs = account();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-pg-'));
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  fs.mkdirSync(socketDir);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs) for (const entry of [dir, socketDir, passwordFile]) fs.chownSync(entry, runAs.uid, runAs.gid);
  // The server's own environment: a parent's NODE_OPTIONS or PG* settings are not its business.
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  const spawnOptions = { env, cwd: dir, ...(runAs ?? {}) };
  let log = '';
  const user = 'gwk';
  const initdb = spawn(path.join(bin, 'initdb'), ['-D', dataDir, '-U', user, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-sync'], spawnOptions);
  initdb.stdout.on('data', (chunk: Buffer) => (log += chunk));
  initdb.stderr.on('data', (chunk: Buffer) => (log += chunk));
  const initCode = await new Promise<number | null>((resolve) => initdb.once('exit', resolve));
  if (initCode !== 0) throw new Error(`initdb failed (${initCode}):\n${log}`);
  fs.rmSync(passwordFile);

  const port = await freePort();
  const launch = async () => {
    const server: ChildProcess = spawn(path.join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=50',
    ], spawnOptions);
    const from = log.length;
    server.stdout!.on('data', (chunk: Buffer) => (log += chunk));
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 60 s:\n${log}`)), 60_000);
      const check = () => {
        if (!log.includes('ready to accept connections', from)) return;
        clearTimeout(timer);
        server.stderr!.off('data', check);
        resolve();
      };
      server.stderr!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited (${code}) before it was ready:\n${log}`));
      });
    });
    return { server, exited };
  };
  let current = await launch();
  const halt = async (signal: NodeJS.Signals) => {
    const { server, exited } = current;
    if (server.exitCode !== null || server.signalCode !== null) return;
    // Killed, the server goes as a crashed machine's would: its backends with it (left alone, they would hold its
    // shared memory, and the next start would refuse to run beside them).
    const backends = signal === 'SIGKILL' ? childrenOf(server.pid!) : [];
    server.kill(signal);
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await exited;
  };

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    // SIGINT: PostgreSQL's fast shutdown (clients disconnected, no wait for them).
    await halt('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
  })());
  t.teardown(stop);
  return {
    get pid() {
      return current.server.pid!;
    },
    host: '127.0.0.1', port, user, password, database: 'postgres',
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    log: () => log,
    async restart(signal, downMs = 0) {
      await halt(signal);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      current = await launch();
    },
    stop,
  };
}
