import type { StoreStatus } from '../generated/schemas.js';
import { ApiError } from '../shared/api-error.js';
import type { Log } from '../shared/log.js';
import type { ApiKeyRecord } from './api-key.js';
import type { SecretKey } from './crypto.js';
import { type FarmChange, type FarmKeys, FarmSync } from './farm-sync.js';
import { combineHostUsage } from './farm-usage.js';
import { formatInstant } from './instant.js';
import type { PersistedUsage } from './key-usage.js';
import { type ClusterKeys, deriveClusterKeys, unwrapForHost } from './storage/cluster-key.js';
import { type AuditAppend, FarmDatabase, type RefusedWrite, StoreUnreachableError, type UsageRow } from './storage/farm-database.js';
import type { FarmMembership } from './storage/farm-membership.js';
import { idBytes, openUsage, sealAuditEntry, sealKeyRecord, sealUsage, sharedRecordBytes } from './storage/farm-records.js';
import { StoreIntegrityError } from './storage/integrity-error.js';
import type { Mutation } from './storage/mutations.js';
import type { AuditRecord } from './storage/audit-trail.js';

/**
 * A farm host's link to its farm (docs/farm.md, "How a host works"): the vault hands it each admin
 * change before its own journal, and it hands the vault the changes other hosts make. It knows the
 * version of every key, as the database last said, so that an edit names the version it was planned
 * against and a concurrent one is refused as a Conflict. The vault stays the one that plans changes
 * and keeps the keys; this file knows the database, the cluster key and what the wire calls errors.
 */

/** What the link needs of the vault: its write queue, and a look at the keys it holds. */
export interface FarmReplica {
  /**
   * Runs `select` in the vault's write queue, makes the mutations it returns durable and applies
   * them, then calls its `applied`, still in the queue: nothing the link records happens for a write that failed.
   */
  applyRemote(select: () => { mutations: Mutation[]; applied(): void }): Promise<void>;
  findById(id: string): ApiKeyRecord | undefined;
  ids(): string[];
}

export interface FarmLinkOptions {
  membership: FarmMembership;
  /** The store's URL: farm.json's unless --store or GATEWAY_APIKEYS_STORE named another. */
  url: string;
  /** This host's farm key, derived from its master key: it opens farm.json's wrap of the cluster key. */
  hostKey: SecretKey;
  log: Log;
  now: () => number;
  pollMs?: number;
  timeoutMs?: number;
}

/** How often this host's uses go to the database, at most: the database's write rate does not follow the request rate. */
const USAGE_FLUSH_MS = 5000;

export class FarmLink {
  private readonly versions = new Map<string, number>();
  private readonly sync: FarmSync;
  /** This host's uses not yet in the database, by key id: absolute figures, so a later flush supersedes an earlier one. */
  private readonly unflushedUses = new Map<string, { lastUsedAt: number; usage: PersistedUsage }>();
  private usageTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private replica: FarmReplica | undefined;

  private constructor(
    private readonly db: FarmDatabase,
    private readonly keys: ClusterKeys,
    private readonly membership: FarmMembership,
    private readonly log: Log,
    private readonly now: () => number,
    pollMs: number | undefined,
  ) {
    this.sync = new FarmSync({
      db, keys, hostId: membership.hostId, appliedSeq: null, log, pollMs, now,
      apply: (changes) => this.applyChanges(changes),
      reconcile: (all) => this.reconcile(all),
    });
  }

  /** Opens farm.json's wrap of the cluster key with this host's key; a wrap that does not open stops the start, having changed nothing. */
  static open(options: FarmLinkOptions): FarmLink {
    const { membership } = options;
    const clusterKey = unwrapForHost(membership.keyWrap, options.hostKey, membership.farmId, membership.hostId);
    if (!clusterKey) {
      throw new StoreIntegrityError('farm.json', 'holds a cluster key that does not open under this vault\'s master key (altered, or another host\'s)',
        'Nothing was changed. Join the farm again with its recovery passphrase: gateway-apikeys farm join.');
    }
    const keys = deriveClusterKeys(clusterKey);
    clusterKey.dispose();
    const db = FarmDatabase.open({ url: options.url, timeoutMs: options.timeoutMs });
    return new FarmLink(db, keys, membership, options.log, options.now, options.pollMs);
  }

  /** Catches up once (bounded by the database's timeout: a host whose database is down serves its replica), then keeps in step. */
  async start(replica: FarmReplica): Promise<void> {
    this.replica = replica;
    await this.sync.start();
  }

  status(): StoreStatus {
    return this.sync.status();
  }

  /**
   * Commits an admin change in the database (docs/farm.md, "How a host works", 1): one key's new row
   * or its deletion, at the version this host planned it against, with its audit entry, in one
   * transaction. Only once that commits may the vault write its journal. Throws an ApiError, having
   * changed nothing: NameTaken, Conflict, KeyNotFound, or StoreUnavailable. Returns what the vault
   * calls when its own write then fails: this host forgets that it holds the change, so that the
   * sync brings it from the database.
   */
  async commit(mutations: readonly Mutation[], audited: AuditRecord | undefined): Promise<() => void> {
    const changes = mutations.filter((mutation): mutation is Exclude<Mutation, { type: 'used' }> => mutation.type !== 'used');
    if (changes.length === 0) return () => undefined;
    if (changes.length > 1) throw new Error('a farm change is one key\'s');
    if (!this.sync.inStep) {
      throw new ApiError('StoreUnavailable', 'This farm host has not reached the farm\'s database since it started, so it cannot tell whether the key changed elsewhere. ' +
        'Nothing was changed; keys still authenticate. Try again once `gateway-apikeys status` shows the store reachable.');
    }
    const change = changes[0]!;
    const id = change.type === 'put' ? change.record.id : change.id;
    const current = this.versions.get(id);
    const next = (current ?? 0) + 1;
    const row = change.type === 'put' ? sealKeyRecord(this.keys, change.record, next) : null;
    let outcome: { seq: number } | { refused: RefusedWrite };
    try {
      outcome = await this.db.writeKey(idBytes(id), current ?? null, row, audited && this.auditEntry(audited));
    } catch (error) {
      if (error instanceof StoreUnreachableError) {
        this.log.warn('A change was refused: the farm\'s database does not answer', { event: 'farm.writeUnavailable', keyName: audited?.keyName, reason: error.reason });
        throw new ApiError('StoreUnavailable', `The farm's database cannot be reached (${error.reason}). Nothing was changed; keys still authenticate on every host.`);
      }
      this.log.error('The farm\'s database refused a change', { event: 'farm.writeFailed', keyName: audited?.keyName, reason: (error as Error).message });
      throw new ApiError('Internal', 'The change was not saved: the farm\'s database refused it; its log says why. Nothing was changed.');
    }
    if ('refused' in outcome) throw refusal(outcome.refused, change);
    if (row) this.versions.set(id, next);
    else this.versions.delete(id);
    return () => {
      if (current === undefined) this.versions.delete(id);
      else this.versions.set(id, current);
      void this.sync.syncNow();
    };
  }

  /** Takes this host's uses of some keys, as they are now, for the next flush to the database. */
  noteUses(uses: readonly { id: string; lastUsedAt: number; usage: PersistedUsage | null }[]): void {
    for (const use of uses) this.unflushedUses.set(use.id, { lastUsedAt: use.lastUsedAt, usage: use.usage ?? [0, []] });
    this.usageTimer ??= setTimeout(() => {
      this.usageTimer = undefined;
      void this.flushUses();
    }, USAGE_FLUSH_MS).unref();
  }

  /** A key's uses on every host: this one's as the vault has them now (`local`), the others' as they last flushed. */
  async usageAcrossHosts(id: string, local: PersistedUsage | null): Promise<PersistedUsage | null> {
    let rows: Awaited<ReturnType<FarmDatabase['usageOf']>>;
    try {
      rows = await this.db.usageOf(idBytes(id));
    } catch (error) {
      if (error instanceof StoreUnreachableError) throw new ApiError('StoreUnavailable', `The farm's database cannot be reached (${error.reason}): other hosts' uses cannot be read now.`);
      throw error;
    }
    const perHost: PersistedUsage[] = local ? [local] : [];
    for (const { hostId, row } of rows) {
      if (hostId.equals(this.membership.hostId)) continue;
      // A row that does not open (altered, or moved to another key or host) adds nothing.
      const usage = openUsage(this.keys, row.keyId, hostId, row.sealed);
      if (usage) perHost.push(usage);
    }
    return combineHostUsage(perHost);
  }

  async close(): Promise<void> {
    clearTimeout(this.usageTimer);
    await this.sync.stop();
    await this.flushUses();
    await this.db.close();
    for (const key of Object.values(this.keys)) key.dispose();
  }

  /** Sends this host's unflushed uses in one transaction; kept for the next flush when the database does not answer. */
  private flushUses(): Promise<void> {
    this.flushing ??= (async () => {
      const taken = [...this.unflushedUses];
      this.unflushedUses.clear();
      const hostId = this.membership.hostId;
      const rows: UsageRow[] = taken.map(([id, use]) => {
        const keyId = idBytes(id);
        return { keyId, lastUsedAt: use.lastUsedAt, sealed: sealUsage(this.keys, keyId, hostId, use.usage) };
      });
      try {
        await this.db.flushUsage(hostId, rows);
      } catch (error) {
        for (const [id, use] of taken) if (!this.unflushedUses.has(id)) this.unflushedUses.set(id, use);
        this.log.debug('Uses were not flushed to the farm\'s database; they go with the next flush', { event: 'farm.usageDeferred', keys: taken.length, reason: (error as Error).message });
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** The changes of a sync round, each applied unless this host has it already (its own change, come back). */
  private async applyChanges(changes: readonly FarmChange[]): Promise<void> {
    await this.replica!.applyRemote(() => {
      const needed: Mutation[] = [];
      // The versions this round brings, null for a deletion: recorded once the replica holds them.
      const brought = new Map<string, number | null>();
      const held = (id: string) => (brought.has(id) ? brought.get(id) : this.versions.get(id)) ?? null;
      for (const { version, mutation } of changes) {
        if (mutation.type === 'put') {
          const id = mutation.record.id;
          if ((held(id) ?? 0) >= version!) continue;
          brought.set(id, version);
          needed.push(mutation);
        } else if (mutation.type === 'delete') {
          if (held(mutation.id) === null && !this.replica!.findById(mutation.id)) continue;
          brought.set(mutation.id, null);
          needed.push(mutation);
        }
      }
      return {
        mutations: needed,
        applied: () => {
          for (const [id, version] of brought) {
            if (version === null) this.versions.delete(id);
            else this.versions.set(id, version);
          }
        },
      };
    });
  }

  /** Makes the replica hold the farm's keys exactly, writing only the keys that differ (a start, a join). */
  private async reconcile(all: FarmKeys): Promise<void> {
    await this.replica!.applyRemote(() => {
      const needed: Mutation[] = [];
      const versions = new Map<string, number>();
      for (const { version, record } of all.keys) {
        versions.set(record.id, version);
        const held = this.replica!.findById(record.id);
        if (!held || !sharedRecordBytes(held).equals(sharedRecordBytes(record))) needed.push({ type: 'put', record });
      }
      for (const id of this.replica!.ids()) if (!versions.has(id)) needed.push({ type: 'delete', id });
      return {
        mutations: needed,
        applied: () => {
          this.versions.clear();
          for (const [id, version] of versions) this.versions.set(id, version);
        },
      };
    });
  }

  /** An audit entry for the database, made in the change's transaction (farm-records.ts, sealAuditEntry). */
  private auditEntry(audited: AuditRecord): AuditAppend {
    return {
      make: (previousHash, seq) => sealAuditEntry(this.keys, seq, previousHash, { seq, at: formatInstant(this.now()), host: this.membership.hostName, ...audited }),
    };
  }
}

function refusal(refused: RefusedWrite, change: Mutation): ApiError {
  const name = change.type === 'put' ? change.record.name : undefined;
  switch (refused) {
    case 'nameTaken':
      return new ApiError('NameTaken', `An API key named '${name}' already exists in the farm: names are unique, whatever their case.`, 'name');
    case 'conflict':
      return new ApiError('Conflict', 'The key was changed on another host of the farm since this host read it. Nothing was changed: read it again, and retry.');
    case 'notFound':
      return new ApiError('KeyNotFound', 'The key was deleted on another host of the farm. Nothing was changed.', 'name');
  }
}
