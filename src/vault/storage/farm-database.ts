import pg from 'pg';

/**
 * The farm's tables (docs/farm.md): what several hosts share through a database they all reach.
 * The database orders every change and holds ciphertext only: it sees ids, versions, keyed hashes
 * and sealed bytes, never a name, a value or a description. This file knows no key and no crypto;
 * the vault seals what it gives and opens what it reads.
 *
 * The SQL is kept portable (ANSI types and statements) so that a SQL Server backend can follow;
 * what only PostgreSQL has is named where it is used: `bytea`, `pg_notify`/`LISTEN`, `ON CONFLICT`,
 * and the error code of a unique violation.
 */

/** What a write found instead of doing what it was asked. */
export type RefusedWrite = 'nameTaken' | 'conflict' | 'notFound';

/** The database could not be reached, or failed, within the time allowed: nothing was written. */
export class StoreUnreachableError extends Error {
  constructor(readonly reason: string, options?: ErrorOptions) {
    super(`The farm's database cannot be reached: ${reason}`, options);
    this.name = 'StoreUnreachableError';
  }
}

/** The farm itself: one row, made by `farm init`. */
export interface FarmRow {
  farmId: Buffer;
  /** The cluster data key, sealed under the recovery passphrase (docs/farm.md, "The cluster key"). */
  recoveryWrap: Buffer;
  createdAt: number;
  /** The sequence number of the last change committed. */
  lastSeq: number;
}

export interface HostRow {
  hostId: Buffer;
  name: string;
  /** The cluster data key, sealed under this host's own key. */
  keyWrap: Buffer;
  joinedAt: number;
  /** What the host said it had applied, and when (farm status, lag). */
  appliedSeq: number;
  seenAt: number;
}

/** A key as the database holds it: sealed, with the hashes that make names unique and values findable. */
export interface KeyRow {
  id: Buffer;
  version: number;
  nameHash: Buffer;
  sealed: Buffer;
}

/** One committed change, in the order the database gave it: a key's new row, or its deletion. */
export interface ChangeRow {
  seq: number;
  keyId: Buffer;
  /** Null for a deletion. */
  key: KeyRow | null;
}

/** One host's uses of one key: when it last authenticated there, and its uses per connector, sealed. */
export interface UsageRow {
  keyId: Buffer;
  lastUsedAt: number;
  sealed: Buffer;
}

/** An audit entry written in its change's transaction; `previousHash` chains it (docs/storage.md, "The audit trail"). */
export interface AuditAppend {
  make(previousHash: Buffer | null, seq: number): { entry: Buffer; hash: Buffer };
}

export interface FarmDatabaseOptions {
  /** A postgres:// URL; a password comes from PGPASSWORD or a passfile, never from the URL (docs/farm.md). */
  url: string;
  /** How long a connection may take, and a statement, before the database counts as unreachable. */
  timeoutMs?: number;
}

const CHANNEL = 'gwk_changes';
/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** SQLSTATE of a table that is not there (a database no farm was made in). */
const UNDEFINED_TABLE = '42P01';
/** Keys per INSERT when a farm is made from a vault. */
const IMPORT_ROWS = 500;

const SCHEMA = [
  // PostgreSQL only: bytea (SQL Server: varbinary(max)).
  `CREATE TABLE IF NOT EXISTS gwk_farm (
     id smallint PRIMARY KEY CHECK (id = 1),
     farm_id bytea NOT NULL,
     recovery_wrap bytea NOT NULL,
     created_at bigint NOT NULL,
     last_seq bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS gwk_hosts (
     host_id bytea PRIMARY KEY,
     name varchar(255) NOT NULL,
     key_wrap bytea NOT NULL,
     joined_at bigint NOT NULL,
     applied_seq bigint NOT NULL,
     seen_at bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS gwk_keys (
     id bytea PRIMARY KEY,
     version bigint NOT NULL,
     name_hash bytea NOT NULL UNIQUE,
     sealed bytea NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS gwk_changes (
     seq bigint PRIMARY KEY,
     key_id bytea NOT NULL,
     version bigint)`,
  `CREATE TABLE IF NOT EXISTS gwk_usage (
     host_id bytea NOT NULL,
     key_id bytea NOT NULL,
     last_used_at bigint NOT NULL,
     sealed bytea NOT NULL,
     PRIMARY KEY (host_id, key_id))`,
  `CREATE TABLE IF NOT EXISTS gwk_audit (
     seq bigint PRIMARY KEY,
     entry bytea NOT NULL,
     hash bytea NOT NULL)`,
];

/**
 * One host's link to the farm's database: a pool of connections for reads and writes, and one more
 * that listens for changes. Writes are serialised by a lock on the farm's row, so the change
 * sequence grows in commit order and a reader that asks for what follows its last seq misses
 * nothing (docs/farm.md, "Ordering").
 */
export class FarmDatabase {
  private constructor(private readonly pool: pg.Pool, private readonly options: Required<FarmDatabaseOptions>) {}

  static open(options: FarmDatabaseOptions): FarmDatabase {
    // `?? 5000`, not a spread default: an options object that says `timeoutMs: undefined` must not turn the timeouts off.
    const full = { ...options, timeoutMs: options.timeoutMs ?? 5000 };
    const pool = new pg.Pool({
      connectionString: full.url, max: 4, connectionTimeoutMillis: full.timeoutMs, query_timeout: full.timeoutMs, idleTimeoutMillis: 30_000,
    });
    // A connection lost while idle is dropped by the pool; the next call opens another or fails as unreachable.
    pool.on('error', () => undefined);
    return new FarmDatabase(pool, full);
  }

  /** Creates the tables when they are not there yet (`farm init`). */
  async createSchema(): Promise<void> {
    await this.transaction(async (db) => {
      for (const statement of SCHEMA) await db.query(statement);
    });
  }

  /**
   * Makes the farm's row, with the keys it starts with (`farm init --from-data-dir`) and its first
   * host, in one transaction: a failure leaves no farm. False when the database already holds one.
   */
  async createFarm(farm: Omit<FarmRow, 'lastSeq'>, keys: readonly KeyRow[] = [], firstHost?: Omit<HostRow, 'appliedSeq' | 'seenAt'>): Promise<boolean> {
    return this.transaction(async (db) => {
      const existing = await db.query('SELECT 1 FROM gwk_farm WHERE id = 1');
      if (existing.rowCount) return false;
      await db.query('INSERT INTO gwk_farm (id, farm_id, recovery_wrap, created_at, last_seq) VALUES (1, $1, $2, $3, 0)', [farm.farmId, farm.recoveryWrap, farm.createdAt]);
      // Many rows per statement (ANSI multi-row VALUES): 10,000 keys in 20 round trips, not 10,000.
      for (let start = 0; start < keys.length; start += IMPORT_ROWS) {
        const batch = keys.slice(start, start + IMPORT_ROWS);
        const values = batch.map((_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`).join(', ');
        const refused = await nameTakenOr(db.query(`INSERT INTO gwk_keys (id, version, name_hash, sealed) VALUES ${values}`, batch.flatMap((row) => [row.id, row.version, row.nameHash, row.sealed])));
        if (refused) throw new Error('two keys of the vault have the same name once folded: the farm was not made');
      }
      if (firstHost) {
        await db.query('INSERT INTO gwk_hosts (host_id, name, key_wrap, joined_at, applied_seq, seen_at) VALUES ($1, $2, $3, $4, 0, $4)',
          [firstHost.hostId, firstHost.name, firstHost.keyWrap, firstHost.joinedAt]);
      }
      return true;
    });
  }

  /** The farm's row; undefined when the database holds none (not even its tables). */
  async readFarm(): Promise<FarmRow | undefined> {
    const { rows } = await this.query('SELECT farm_id, recovery_wrap, created_at, last_seq FROM gwk_farm WHERE id = 1').catch((error: unknown) => {
      if (error instanceof pg.DatabaseError && error.code === UNDEFINED_TABLE) return { rows: [] };
      throw error;
    });
    const row = rows[0];
    return row && { farmId: row.farm_id, recoveryWrap: row.recovery_wrap, createdAt: Number(row.created_at), lastSeq: Number(row.last_seq) };
  }

  /** Adds a host, or replaces its wrap of the cluster key when it joins again. */
  async putHost(host: Omit<HostRow, 'appliedSeq' | 'seenAt'>, now: number): Promise<void> {
    await this.transaction(async (db) => {
      const updated = await db.query('UPDATE gwk_hosts SET name = $2, key_wrap = $3, seen_at = $4 WHERE host_id = $1', [host.hostId, host.name, host.keyWrap, now]);
      if (!updated.rowCount) {
        await db.query('INSERT INTO gwk_hosts (host_id, name, key_wrap, joined_at, applied_seq, seen_at) VALUES ($1, $2, $3, $4, 0, $4)', [host.hostId, host.name, host.keyWrap, host.joinedAt]);
      }
    });
  }

  async hosts(): Promise<HostRow[]> {
    const { rows } = await this.query('SELECT host_id, name, key_wrap, joined_at, applied_seq, seen_at FROM gwk_hosts ORDER BY name, host_id');
    return rows.map((row) => ({
      hostId: row.host_id, name: row.name, keyWrap: row.key_wrap, joinedAt: Number(row.joined_at), appliedSeq: Number(row.applied_seq), seenAt: Number(row.seen_at),
    }));
  }

  /** What a host has applied, for the others' `farm status`. */
  async reportApplied(hostId: Buffer, appliedSeq: number, now: number): Promise<void> {
    await this.query('UPDATE gwk_hosts SET applied_seq = $2, seen_at = $3 WHERE host_id = $1', [hostId, appliedSeq, now]);
  }

  /**
   * Writes one key's new row (`expectedVersion` null: a new key) or deletes it (`next` null), with
   * its audit entry, as one transaction; the change's seq when it committed, or what refused it.
   * A refused write changes nothing.
   */
  async writeKey(keyId: Buffer, expectedVersion: number | null, next: KeyRow | null, audit: AuditAppend | undefined): Promise<{ seq: number } | { refused: RefusedWrite }> {
    return this.transaction(async (db) => {
      const seq = await this.nextSeq(db);
      const refused = expectedVersion === null ? await insertKey(db, next) : await replaceKey(db, keyId, expectedVersion, next);
      if (refused) return { refused };
      await db.query('INSERT INTO gwk_changes (seq, key_id, version) VALUES ($1, $2, $3)', [seq, keyId, next?.version ?? null]);
      if (audit) await this.appendAudit(db, seq, audit);
      await db.query('UPDATE gwk_farm SET last_seq = $1 WHERE id = 1', [seq]);
      // PostgreSQL only: delivered to the listeners when the transaction commits, never before.
      await db.query('SELECT pg_notify($1, $2)', [CHANNEL, String(seq)]);
      return { seq };
    }, (result) => 'refused' in result);
  }

  /**
   * This host's uses of some keys, as they are now (absolute, not added): one transaction every few
   * seconds, never a write per authentication (docs/farm.md, "Design"). Rows of keys deleted
   * meanwhile are dropped.
   */
  async flushUsage(hostId: Buffer, rows: readonly UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction(async (db) => {
      for (const row of rows) {
        // PostgreSQL only: ON CONFLICT (SQL Server: MERGE).
        await db.query(
          `INSERT INTO gwk_usage (host_id, key_id, last_used_at, sealed) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM gwk_keys WHERE id = $2)
           ON CONFLICT (host_id, key_id) DO UPDATE SET last_used_at = EXCLUDED.last_used_at, sealed = EXCLUDED.sealed`,
          [hostId, row.keyId, row.lastUsedAt, row.sealed]);
      }
    });
  }

  /** Every host's uses of a key, for a read that merges them. */
  async usageOf(keyId: Buffer): Promise<{ hostId: Buffer; row: UsageRow }[]> {
    const { rows } = await this.query('SELECT host_id, last_used_at, sealed FROM gwk_usage WHERE key_id = $1 ORDER BY host_id', [keyId]);
    return rows.map((row) => ({ hostId: row.host_id, row: { keyId, lastUsedAt: Number(row.last_used_at), sealed: row.sealed } }));
  }

  /** The changes after `seq`, in order, each with the key's row as it is now (or null once deleted). */
  async changesSince(seq: number, limit = 1000): Promise<ChangeRow[]> {
    const { rows } = await this.query(
      `SELECT c.seq, c.key_id, k.version, k.name_hash, k.sealed FROM gwk_changes c LEFT JOIN gwk_keys k ON k.id = c.key_id
       WHERE c.seq > $1 ORDER BY c.seq LIMIT $2`, [seq, limit]);
    return rows.map((row) => ({
      seq: Number(row.seq), keyId: row.key_id,
      key: row.sealed === null ? null : { id: row.key_id, version: Number(row.version), nameHash: row.name_hash, sealed: row.sealed },
    }));
  }

  /** Every key as it is now, and the seq they are current at: what a host joining, or far behind, starts from. */
  async allKeys(): Promise<{ seq: number; keys: KeyRow[] }> {
    return this.transaction(async (db) => {
      // One snapshot of both: REPEATABLE READ sees the keys as of the seq it read.
      const farm = await db.query('SELECT last_seq FROM gwk_farm WHERE id = 1');
      const { rows } = await db.query('SELECT id, version, name_hash, sealed FROM gwk_keys ORDER BY id');
      return { seq: Number(farm.rows[0]?.last_seq ?? 0), keys: rows.map((row) => ({ id: row.id, version: Number(row.version), nameHash: row.name_hash, sealed: row.sealed })) };
    }, undefined, 'REPEATABLE READ');
  }

  /** The audit entries after `seq`, in order (a host's copy of the trail, its verification). */
  async auditSince(seq: number): Promise<{ seq: number; entry: Buffer; hash: Buffer }[]> {
    const { rows } = await this.query('SELECT seq, entry, hash FROM gwk_audit WHERE seq > $1 ORDER BY seq', [seq]);
    return rows.map((row) => ({ seq: Number(row.seq), entry: row.entry, hash: row.hash }));
  }

  /**
   * Calls `wake` with the seq of each change another host commits, on a connection of its own.
   * Notifications are lost while it is disconnected, so a host also polls `changesSince`
   * (docs/farm.md, "Learning of changes"). Resolves once listening; the returned function stops.
   */
  async listen(wake: (seq: number) => void, lost: (error: Error) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.timeoutMs });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL) wake(Number(message.payload));
    });
    client.on('error', lost);
    try {
      await client.connect();
      // PostgreSQL only: LISTEN (SQL Server would poll, or use Service Broker).
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw unreachable(error);
    }
    return async () => {
      client.off('error', lost);
      client.on('error', () => undefined);
      // A partition can leave the connection silent, and a clean end waits for the server: bounded, then cut.
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        client.end().then(() => true, () => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!ended) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async nextSeq(db: pg.PoolClient): Promise<number> {
    // The farm's row, locked to the end of the transaction: one writer at a time, in seq order.
    // (SQL Server: WITH (UPDLOCK, HOLDLOCK).)
    const { rows } = await db.query('SELECT last_seq FROM gwk_farm WHERE id = 1 FOR UPDATE');
    if (!rows[0]) throw new Error('The database holds no farm: run `gateway-apikeys farm init` first.');
    return Number(rows[0].last_seq) + 1;
  }

  private async appendAudit(db: pg.PoolClient, seq: number, audit: AuditAppend): Promise<void> {
    const last = await db.query('SELECT hash FROM gwk_audit ORDER BY seq DESC LIMIT 1');
    const { entry, hash } = audit.make(last.rows[0]?.hash ?? null, seq);
    await db.query('INSERT INTO gwk_audit (seq, entry, hash) VALUES ($1, $2, $3)', [seq, entry, hash]);
  }

  private async query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(text, values);
    } catch (error) {
      throw unreachable(error);
    }
  }

  /**
   * Runs `work` in one transaction: committed when it returns, unless `rollBack(result)` says the
   * result refused the change; rolled back when it throws. A failure to reach the database, or one
   * while committing, is StoreUnreachableError: then nothing was written, or (a commit whose answer
   * was lost) the change is there for the next read of the changes to find.
   */
  private async transaction<T>(work: (db: pg.PoolClient) => Promise<T>, rollBack?: (result: T) => boolean, isolation = 'READ COMMITTED'): Promise<T> {
    let db: pg.PoolClient;
    try {
      db = await this.pool.connect();
    } catch (error) {
      throw unreachable(error);
    }
    let broken = false;
    // A connection that breaks under a query also says so as an 'error' event; the query's own failure reports it.
    const ignore = () => undefined;
    db.on('error', ignore);
    try {
      await db.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const result = await work(db);
      await db.query(rollBack?.(result) ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      broken = true;
      await db.query('ROLLBACK').catch(() => undefined);
      throw unreachable(error);
    } finally {
      db.off('error', ignore);
      // A connection that failed mid-transaction is not given to the next caller.
      db.release(broken);
    }
  }
}

/** A new key's row; NameTaken when its name hash is another key's. */
async function insertKey(db: pg.PoolClient, next: KeyRow | null): Promise<RefusedWrite | undefined> {
  if (!next) throw new TypeError('a new key needs its row');
  return nameTakenOr(db.query('INSERT INTO gwk_keys (id, version, name_hash, sealed) VALUES ($1, $2, $3, $4)', [next.id, next.version, next.nameHash, next.sealed]));
}

/** A key's next row, or its deletion (`next` null), if it is still at `expectedVersion`. */
async function replaceKey(db: pg.PoolClient, keyId: Buffer, expectedVersion: number, next: KeyRow | null): Promise<RefusedWrite | undefined> {
  const current = await db.query('SELECT version FROM gwk_keys WHERE id = $1', [keyId]);
  if (!current.rowCount) return 'notFound';
  if (Number(current.rows[0].version) !== expectedVersion) return 'conflict';
  if (!next) {
    await db.query('DELETE FROM gwk_keys WHERE id = $1', [keyId]);
    await db.query('DELETE FROM gwk_usage WHERE key_id = $1', [keyId]);
    return undefined;
  }
  return nameTakenOr(db.query('UPDATE gwk_keys SET version = $2, name_hash = $3, sealed = $4 WHERE id = $1', [keyId, next.version, next.nameHash, next.sealed]));
}

/** Runs a write; NameTaken when it broke the names' uniqueness (the caller rolls the transaction back). */
async function nameTakenOr(write: Promise<unknown>): Promise<RefusedWrite | undefined> {
  try {
    await write;
    return undefined;
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION) return 'nameTaken';
    throw error;
  }
}

/**
 * What the database answered about a request itself stays as it is (a bug of ours to see); anything
 * else, a socket error, a timeout or the server going away, means the database is out of reach.
 */
function unreachable(error: unknown): Error {
  if (error instanceof StoreUnreachableError) return error;
  // SQLSTATE classes 08 (connection), 53 (insufficient resources), 57 (operator intervention: a shutdown).
  if (error instanceof pg.DatabaseError && !/^(08|53|57)/.test(error.code ?? '')) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnreachableError(message, { cause: error });
}
