import type { StoreStatus } from '../generated/schemas.js';
import type { Log } from '../shared/log.js';
import { formatInstant } from './instant.js';
import type { ClusterKeys } from './storage/cluster-key.js';
import { type ChangeRow, type FarmDatabase, StoreUnreachableError } from './storage/farm-database.js';
import { idOf, openKeyRecord } from './storage/farm-records.js';
import type { ApiKeyRecord } from './api-key.js';
import type { Mutation } from './storage/mutations.js';

/**
 * How a farm host learns of the changes other hosts make (docs/farm.md, "How a host will work"):
 * a notification wakes it at once, and a poll of the change sequence every few seconds catches what
 * notifications lose while it is disconnected. Each round reads the changes after the last seq it
 * applied, opens their records, and hands them, in seq order, to `apply`, which makes them durable
 * in the host's replica and applies them to its keys; then it tells the farm how far it got. One
 * round runs at a time; a wake during one asks for another after it.
 */

/** One change another host (or this one) committed: the key's row as it is now, opened, or its deletion. */
export interface FarmChange {
  seq: number;
  /** The version the key is at; null once deleted. */
  version: number | null;
  mutation: Mutation;
}

/** Every key of the farm, opened, at one seq: what a host starts from when it does not know its place. */
export interface FarmKeys {
  seq: number;
  keys: { version: number; record: ApiKeyRecord }[];
}

export interface FarmSyncOptions {
  db: FarmDatabase;
  keys: ClusterKeys;
  hostId: Buffer;
  /**
   * The seq this host's replica holds already; null when it does not know (a start, a join): the
   * first round then hands every key to `reconcile` before following the changes.
   */
  appliedSeq: number | null;
  /** Makes the changes durable in the replica and applies them, in order; resolves once done. */
  apply(changes: readonly FarmChange[]): Promise<void>;
  /** Makes the replica hold exactly these keys (changing only what differs); needed when appliedSeq may be null. */
  reconcile?(all: FarmKeys): Promise<void>;
  log: Log;
  /** The backstop poll, in milliseconds: 2 s unless told. */
  pollMs?: number;
  now?: () => number;
}

/** The poll while the database does not answer. */
const UNREACHABLE_POLL_MS = 500;
/** Changes read per query: a host far behind catches up in rounds of this many. */
const BATCH = 1000;

export class FarmSync {
  private applied: number | null;
  private reachable = false;
  private lastSyncAt: number | null = null;
  private hosts = 1;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly options: FarmSyncOptions) {
    this.applied = options.appliedSeq;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** The last seq applied; null until the first round reached the database. */
  get appliedSeq(): number | null {
    return this.applied;
  }

  /** Whether this host has caught up with the database at least once since it started: its versions are the farm's. */
  get inStep(): boolean {
    return this.applied !== null;
  }

  /** Catches up once (without throwing: the host serves its replica when the database is down), then keeps in step. */
  async start(): Promise<void> {
    await this.syncNow();
    this.schedule();
  }

  /** Runs a round now, or after the one under way; resolves when this host is as far as the database was when it began. */
  syncNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** What `daemon.status` says of the store. */
  status(): StoreStatus {
    return {
      kind: 'postgres',
      reachable: this.reachable,
      lastSyncAt: this.lastSyncAt === null ? null : formatInstant(this.lastSyncAt),
      // Never synced since it started: its replica is at least as old as this run.
      lagSeconds: Math.max(0, (this.now() - (this.lastSyncAt ?? this.startedAt)) / 1000),
      hosts: this.hosts,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.stopListening?.();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.syncNow().finally(() => this.schedule());
      // Cut off, it tries again sooner: a host catches up within a second of the link's return (docs/farm.md).
    }, this.reachable ? this.options.pollMs ?? 2000 : Math.min(this.options.pollMs ?? 2000, UNREACHABLE_POLL_MS));
    this.timer.unref();
  }

  private async round(): Promise<void> {
    const { db, log } = this.options;
    try {
      // Listening first: a change committed after the read below still wakes this host.
      if (!this.stopListening) await this.listen();
      if (this.applied === null) {
        const all = await db.allKeys();
        if (!this.options.reconcile) throw new Error('a host that does not know its place needs reconcile');
        await this.options.reconcile({ seq: all.seq, keys: all.keys.map((row) => ({ version: row.version, record: openKeyRecord(this.options.keys, row) })) });
        this.applied = all.seq;
        log.info('Caught up with every key of the farm', { event: 'farm.reconciled', keys: all.keys.length, appliedSeq: all.seq });
      }
      let changes: ChangeRow[];
      do {
        changes = await db.changesSince(this.applied, BATCH);
        if (changes.length === 0) break;
        await this.options.apply(changes.map((change) => this.changeOf(change)));
        this.applied = changes[changes.length - 1]!.seq;
      } while (changes.length === BATCH && !this.stopped);
      this.hosts = Math.max(1, (await db.hosts()).length);
      await db.reportApplied(this.options.hostId, this.applied, this.now());
      if (!this.reachable) log.info('The farm\'s database answers; this host is in step', { event: 'farm.reachable', appliedSeq: this.applied });
      this.reachable = true;
      this.lastSyncAt = this.now();
    } catch (error) {
      if (!(error instanceof StoreUnreachableError)) {
        // A row that does not open (altered in the database) stops this host where it is: it keeps serving what it
        // has, and turns stale, so that its health check says so; the operator's log says why.
        log.error('A change in the farm\'s database cannot be applied; this host stays at the last change it applied', {
          event: 'farm.syncFailed', appliedSeq: this.applied, error: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      // A partition can leave the listening connection open and silent: listen anew once the database answers.
      const listening = this.stopListening;
      this.stopListening = undefined;
      await listening?.();
      if (this.reachable || this.lastSyncAt === null) {
        log.warn('The farm\'s database does not answer; this host serves its replica and refuses changes', { event: 'farm.unreachable', reason: error.reason });
      }
      this.reachable = false;
    }
  }

  private async listen(): Promise<void> {
    let end: (() => Promise<void>) | undefined;
    let lost = false;
    end = await this.options.db.listen(
      (seq) => {
        if (this.applied === null || seq > this.applied) void this.syncNow();
      },
      () => {
        // Notifications stop with their connection: the poll catches up, and listens again.
        lost = true;
        if (this.stopListening === end) this.stopListening = undefined;
        void end?.();
      },
    );
    if (lost) await end();
    else this.stopListening = end;
  }

  private changeOf(change: ChangeRow): FarmChange {
    if (change.key === null) return { seq: change.seq, version: null, mutation: { type: 'delete', id: idOf(change.keyId) } };
    return { seq: change.seq, version: change.key.version, mutation: { type: 'put', record: openKeyRecord(this.options.keys, change.key) } };
  }
}
