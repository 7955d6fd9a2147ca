// A PostgreSQL server of its own, for the farm's tests (test/helpers/postgres.ts wraps it with the
// test's teardown) and its benchmarks (bench/run.mjs, "farm"): docs/farm.md, "Testing".
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A cluster made by initdb in a temporary directory, listening on loopback at a free port, with
 * password authentication (scram-sha-256) as a customer's would have. PostgreSQL refuses to run as
 * root, so under root the cluster belongs to, and the server runs as, `nobody`. Its binaries come
 * from PATH or Debian's /usr/lib/postgresql/<version>/bin (`.ci/run` installs Debian's `postgresql`
 * when neither has them).
 */

const UNPRIVILEGED = 'nobody';

/** The directory of initdb and postgres, or undefined when this machine has no PostgreSQL server. */
export function postgresBinDir() {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).find((dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres')));
  if (onPath) return onPath;
  const debian = '/usr/lib/postgresql';
  if (!fs.existsSync(debian)) return undefined;
  const versions = fs.readdirSync(debian).filter((v) => fs.existsSync(path.join(debian, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(debian, versions[0], 'bin') : undefined;
}

/** A client program of the server's own version (pg_dump, psql): beside the server's real binaries, PATH's being links. */
export function postgresTool(name) {
  return path.join(path.dirname(fs.realpathSync(path.join(postgresBinDir(), 'initdb'))), name);
}

/** Why a PostgreSQL server cannot run here, or undefined when it can. */
export function postgresMissing() {
  if (process.platform !== 'linux') return 'the PostgreSQL server of the tests and benchmarks runs on Linux';
  if (!postgresBinDir()) return 'no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql; `apt-get install postgresql` provides them';
  return undefined;
}

/** A TCP port nothing listens on now. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function childrenOf(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function account() {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag) => Number(execFileSync('id', [flag, UNPRIVILEGED], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts a server; its `stop()` ends it and removes its directory. `durable` keeps fsync on, as a
 * customer's database has it (the benchmarks time commits); the tests turn it off, for speed.
 */
export async function startPostgres({ durable = false } = {}) {
  const missing = postgresMissing();
  if (missing) throw new Error(`PostgreSQL cannot run here: ${missing}.`);
  const bin = postgresBinDir();
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
  let server;
  let exited;
  let port;
  const launch = async () => {
    server = spawn(path.join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${durable ? 'on' : 'off'}`, '-c', 'max_connections=50',
    ], spawnOptions);
    const from = log.length;
    const started = server;
    started.stdout.on('data', (chunk) => (log += chunk));
    started.stderr.on('data', (chunk) => (log += chunk));
    exited = new Promise((resolve) => started.once('exit', resolve));
    const thisExit = exited;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 60 s:\n${log}`)), 60_000);
      const check = () => {
        if (!log.includes('ready to accept connections', from)) return;
        clearTimeout(timer);
        started.stderr.off('data', check);
        resolve();
      };
      started.stderr.on('data', check);
      void thisExit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited (${code}) before it was ready:\n${log}`));
      });
    });
  };
  /** Ends the server with `signal`; killed, its backends go with it, as a crashed machine's would (left alone, they would hold its shared memory). */
  const halt = async (signal) => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const backends = signal === 'SIGKILL' ? childrenOf(server.pid) : [];
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
  try {
    const initdb = spawn(path.join(bin, 'initdb'), ['-D', dataDir, '-U', user, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-sync'], spawnOptions);
    initdb.stdout.on('data', (chunk) => (log += chunk));
    initdb.stderr.on('data', (chunk) => (log += chunk));
    const initCode = await new Promise((resolve) => initdb.once('exit', resolve));
    if (initCode !== 0) throw new Error(`initdb failed (${initCode}):\n${log}`);
    fs.rmSync(passwordFile);

    port = await freePort();
    await launch();
    let stopped;
    const stop = () => (stopped ??= (async () => {
      // SIGINT: PostgreSQL's fast shutdown (clients disconnected, no wait for them).
      await halt('SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    })());
    return {
      get pid() {
        return server.pid;
      },
      host: '127.0.0.1', port, user, password, database: 'postgres',
      url: `postgres://${user}@127.0.0.1:${port}/postgres`,
      log: () => log,
      async restart(signal, downMs = 0) {
        await halt(signal);
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await launch();
      },
      stop,
    };
  } catch (error) {
    // A start that failed leaves no server and no directory behind.
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
