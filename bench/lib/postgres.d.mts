/** A PostgreSQL server of its own (bench/lib/postgres.mjs). */
export interface PostgresServer {
  /** The postmaster's process id. */
  pid: number;
  host: string;
  port: number;
  user: string;
  /** For clients through PGPASSWORD or a passfile, as the farm takes it: never on a command line. */
  password: string;
  database: string;
  /** A postgres:// URL without the password. */
  url: string;
  /** The server's log so far (initdb's and the server's own). */
  log(): string;
  /**
   * Stops the server with `signal` (SIGINT: a fast shutdown; SIGKILL: a crash, its backends with it, as a
   * failover sees it) and starts it again on the same data and port after `downMs`; resolves when it accepts connections.
   */
  restart(signal: 'SIGINT' | 'SIGKILL', downMs?: number): Promise<void>;
  /** Ends the server (fast shutdown) and removes its directory; the same promise on every call. */
  stop(): Promise<void>;
}

/** The directory of initdb and postgres, or undefined when this machine has no PostgreSQL server. */
export function postgresBinDir(): string | undefined;
/** A TCP port nothing listens on now. */
export function freePort(): Promise<number>;
/** A client program of the server's own version (pg_dump, psql). */
export function postgresTool(name: string): string;
/** Why a PostgreSQL server cannot run here, or undefined when it can. */
export function postgresMissing(): string | undefined;
/** Starts a server; `durable` keeps fsync on, as a customer's database has it. */
export function startPostgres(options?: { durable?: boolean }): Promise<PostgresServer>;
