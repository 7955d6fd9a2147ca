import type { Temporal } from 'temporal-polyfill';
import type {
  ApiKeyCreateParams, ApiKeyCreateResult, ApiKeyDeleteResult, ApiKeyInfo, ApiKeyListParams, ApiKeyListResult,
  ApiKeyRevealResult, ApiKeyUpdateParams, AuthenticateResult, KeyCounts, Role,
} from '../generated/schemas.js';
import { type ApiKeyRecord, toInfo, toRevealed } from './api-key.js';
import { type Clock, hostTimeZone, systemClock, VaultCalendar } from './clock.js';
import { CoalescedFlush } from './coalesced-flush.js';
import { CompactionSchedule } from './compaction-schedule.js';
import { keyedHash, randomBytes, type SecretKey } from './crypto.js';
import { VaultError } from './errors.js';
import { chosenExpiry, newKeyExpiry } from './expiry.js';
import { KeyIndex } from './key-index.js';
import { encodeKeyValue, isWellFormedKeyValue, KEY_SECRET_BYTES } from './key-value.js';
import { type Log, silentLog } from './log.js';
import { listKeys, listKeysJson } from './query.js';
import { daysLeft, statusFor } from './status.js';
import { nodeFileSystem, type StoreFileSystem } from './storage/file-system.js';
import { type AuditRecord, AuditTrail } from './storage/audit-trail.js';
import { deriveVaultKeys, loadOrCreateMasterKey } from './storage/master-key.js';
import type { Mutation } from './storage/mutations.js';
import { KeyStore } from './storage/store.js';
import { WriteQueue } from './write-queue.js';

export interface VaultOptions {
  /** The data dir: it exists, is private and is locked by the caller (claimDataDir), which owns it. */
  dataDir: string;
  clock?: Clock;
  /** The zone whose calendar expiry dates live in; default the host's. */
  timeZone?: string;
  log?: Log;
  fileSystem?: StoreFileSystem;
  /** Seals a new vault's master key with this passphrase (Argon2id); opens a sealed one. */
  passphrase?: Uint8Array;
  /** How often last-used times are persisted (they are in memory at once). */
  lastUsedFlushMs?: number;
  /** How soon after a delete the compaction that removes its ciphertext from disk runs. */
  compactAfterDeleteMs?: number;
}

/** Who asks for a change or a reveal, for its audit entry: a session's role and connection, or nobody's (an offline command). */
export interface Actor {
  role: Role | null;
  connection: number | null;
}
const OFFLINE: Actor = { role: null, connection: null };

/** What an audit entry says of a change: the event, the key, and details (never a secret). */
type Audited = Pick<AuditRecord, 'event' | 'keyName' | 'detail'>;

/**
 * A change planned against the current keys: what to write, what the audit trail records of it,
 * and the answer once it is durable.
 */
interface Plan<T> {
  mutations: Mutation[];
  audit?: Audited;
  result: () => T;
}

function notFound(name: string): VaultError {
  return new VaultError('KeyNotFound', `No API key is named '${name}'.`, 'name');
}

/**
 * The vault: the keys, their rules and their durable storage, with no networking. Reads answer
 * from memory; changes are planned against the current keys, written to the journal and made
 * durable, and only then applied and acknowledged, one at a time (WriteQueue) so two changes never
 * race (docs/storage.md). Last-used times are persisted coalesced (CoalescedFlush); compactions
 * run when asked for (CompactionSchedule).
 */
export class Vault {
  private readonly writes = new WriteQueue();
  private readonly uses: CoalescedFlush;
  private readonly compactions: CompactionSchedule;
  private closed = false;
  private closing: Promise<void> | undefined;
  readonly calendar: VaultCalendar;

  private constructor(
    private readonly index: KeyIndex,
    private readonly store: KeyStore,
    /** The audit trail (docs/storage.md): the daemon appends an entry for each change, reveal, backup, burst of failures. */
    readonly audit: AuditTrail,
    /** The subkeys derived from the master key, in secure memory until close(). */
    private readonly keys: readonly SecretKey[],
    private readonly log: Log,
    private readonly clock: Clock,
    timeZone: string,
    lastUsedFlushMs: number,
    private readonly compactAfterDeleteMs: number,
  ) {
    this.calendar = new VaultCalendar(clock, timeZone);
    this.uses = new CoalescedFlush((ids) => this.persistUses(ids), lastUsedFlushMs);
    this.compactions = new CompactionSchedule(() => this.writes.run(() => this.compact()), log);
  }

  /**
   * Opens the vault in `dataDir`, creating it on first use. Throws StoreIntegrityError naming a
   * file that cannot be trusted, having changed nothing.
   */
  static async open(options: VaultOptions): Promise<Vault> {
    const { dataDir } = options;
    const fs = options.fileSystem ?? nodeFileSystem;
    const log = options.log ?? silentLog;
    const clock = options.clock ?? systemClock;
    const timeZone = VaultCalendar.checkTimeZone(options.timeZone ?? hostTimeZone());
    const keys: SecretKey[] = [];
    try {
      const master = await loadOrCreateMasterKey(fs, dataDir, options.passphrase, log);
      const { lookupKey, storeKey, auditKey } = deriveVaultKeys(master);
      keys.push(lookupKey, storeKey, auditKey);
      const { store, contents } = await KeyStore.open(fs, dataDir, { vaultId: master.vaultId, key: storeKey }, log);
      const audit = await AuditTrail.open(fs, dataDir, auditKey, log, () => clock.now()).catch(async (error: unknown) => {
        await store.close();
        throw error;
      });
      // The tag's bytes as a latin1 string: the map key costs 32 characters, not base64's 44.
      const index = new KeyIndex((value) => keyedHash(lookupKey, Buffer.from(value, 'latin1')).toString('latin1'));
      index.load(contents.records);
      for (const mutation of contents.mutations) index.apply(mutation);
      const vault = new Vault(index, store, audit, keys, log, clock, timeZone,
        options.lastUsedFlushMs ?? 3000, options.compactAfterDeleteMs ?? 30_000);
      vault.tagInBackground();
      log.info('Opened the vault', { event: 'vault.opened', keys: index.size, timeZone, replayedChanges: contents.mutations.length });
      // Deleted keys' ciphertext leaves the disk at the latest on the next start. A disk that
      // refuses the rewrite must not keep the gateway from authenticating: log, and serve.
      if (store.needsRewrite || store.journalRecordCount > 0) {
        await vault.writes.run(() => vault.compact()).catch((error: Error) => {
          log.error('Compaction at start failed; it is retried in a minute', { event: 'store.compactFailed', reason: error.message });
          vault.compactions.within(60_000);
        });
      }
      return vault;
    } catch (error) {
      for (const key of keys) key.dispose();
      throw error;
    }
  }

  get timeZone(): string {
    return this.calendar.timeZone;
  }

  get size(): number {
    return this.index.size;
  }

  today(): Temporal.PlainDate {
    return this.calendar.today();
  }

  list(params: ApiKeyListParams): ApiKeyListResult {
    return listKeys(this.index.keysByName(), params, this.calendar.todayEpochDay());
  }

  /** `list` as UTF-8 JSON pieces, for the wire: the same answer, made without an object per key. */
  listJson(params: ApiKeyListParams): Buffer[] {
    return listKeysJson(this.index.keysByName(), params, this.calendar.todayEpochDay());
  }

  get(params: { name: string }): ApiKeyInfo {
    return toInfo(this.find(params.name), this.calendar.todayEpochDay());
  }

  /** A key with its value, the View screen. (The daemon records the reveal in the audit trail before the value leaves.) */
  reveal(params: { name: string }): ApiKeyRevealResult {
    return toRevealed(this.find(params.name));
  }

  counts(): KeyCounts {
    const today = this.calendar.todayEpochDay();
    const counts: KeyCounts = { total: 0, Active: 0, Expiring: 0, ExpiresSoon: 0, Expired: 0 };
    for (const record of this.index.records()) {
      counts.total++;
      counts[statusFor(daysLeft(record.expiresOn, today)).status]++;
    }
    return counts;
  }

  create(params: ApiKeyCreateParams, by: Actor = OFFLINE): Promise<ApiKeyCreateResult> {
    return this.change(by, () => {
      const expiresOn = newKeyExpiry(params, this.today()).toString();
      this.checkNameFree(params.name, 'name');
      const now = this.clock.now();
      const record: ApiKeyRecord = {
        id: randomBytes(16).toString('base64url'),
        name: params.name,
        description: params.description ?? '',
        key: encodeKeyValue(randomBytes(KEY_SECRET_BYTES)),
        createdAt: now,
        updatedAt: now,
        expiresOn,
        lastUsedAt: null,
      };
      return {
        mutations: [{ type: 'put', record }],
        audit: { event: 'apiKey.created', keyName: record.name, detail: { expiresOn } },
        result: () => ({ ...toInfo(record, this.calendar.todayEpochDay()), key: record.key }),
      };
    });
  }

  /** Edits name, description or expiry. A new expiry on an expired key re-activates it at once. Nothing to change writes nothing. */
  update(params: ApiKeyUpdateParams, by: Actor = OFFLINE): Promise<ApiKeyInfo> {
    return this.change(by, () => {
      const record = this.find(params.name);
      const expiresOn = chosenExpiry(params, this.today())?.toString() ?? record.expiresOn;
      const name = params.newName ?? record.name;
      if (name !== record.name) this.checkNameFree(name, 'newName', record.id);
      const description = params.description ?? record.description;
      const today = this.calendar.todayEpochDay();
      if (name === record.name && description === record.description && expiresOn === record.expiresOn) {
        return { mutations: [], result: () => toInfo(record, today) };
      }
      const updated: ApiKeyRecord = { ...record, name, description, expiresOn, updatedAt: this.clock.now() };
      const changed = Object.keys(params).filter((field) => field !== 'name');
      return {
        mutations: [{ type: 'put', record: updated }],
        audit: { event: 'apiKey.updated', keyName: name, detail: { ...(name !== record.name && { previousName: record.name }), expiresOn, changed } },
        result: () => toInfo(updated, today),
      };
    });
  }

  /** Deletes a key: it fails authentication from the moment this returns; its ciphertext leaves the disk at the compaction this schedules. */
  delete(params: { name: string }, by: Actor = OFFLINE): Promise<ApiKeyDeleteResult> {
    return this.change(by, () => {
      const record = this.find(params.name);
      return {
        mutations: [{ type: 'delete', id: record.id }],
        audit: { event: 'apiKey.deleted', keyName: record.name, detail: {} },
        result: () => {
          this.compactions.within(this.compactAfterDeleteMs);
          return { deleted: true as const };
        },
      };
    });
  }

  /** Whether a presented key is valid, recording its use when `recordUse` (connector.authenticate; not apiKey.verify). */
  authenticate(presented: string, recordUse: boolean): AuthenticateResult {
    if (!isWellFormedKeyValue(presented)) return { authenticated: false, reason: 'Malformed' };
    const record = this.index.findByKey(presented);
    if (!record) return { authenticated: false, reason: 'Unknown' };
    const left = daysLeft(record.expiresOn, this.calendar.todayEpochDay());
    if (left < 0) return { authenticated: false, reason: 'Expired' };
    if (recordUse) {
      record.lastUsedAt = this.clock.now();
      this.uses.add(record.id);
    }
    return { authenticated: true, name: record.name, expiresOn: record.expiresOn, status: statusFor(left).status };
  }

  /** The name of the key a presented value belongs to, for logs; undefined when malformed or unknown. */
  keyNameOf(presented: string): string | undefined {
    return isWellFormedKeyValue(presented) ? this.index.findByKey(presented)?.name : undefined;
  }

  /** Persists pending last-used times and compacts away deleted keys. The data dir stays its owner's to release. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.compactions.stop();
      this.uses.stop();
      await this.uses.flush();
      await this.writes.run(async () => {
        this.closed = true;
        if (this.store.needsRewrite || this.store.journalRecordCount > 0) {
          await this.compact().catch((error: Error) =>
            this.log.error('Compaction at shutdown failed; it runs at the next start', { event: 'store.compactFailed', reason: error.message }));
        }
      });
      await this.store.close();
      await this.audit.close();
      for (const key of this.keys) key.dispose();
      this.log.info('Closed the vault', { event: 'vault.closed' });
    })();
    return this.closing;
  }

  /** Computes the lookup tags the index left at load, a slice per turn of the event loop, after the daemon is up. */
  private tagInBackground(): void {
    setImmediate(() => {
      if (!this.closed && this.index.tagSome(2000)) this.tagInBackground();
    });
  }

  private find(name: string): ApiKeyRecord {
    const record = this.index.findByName(name);
    if (!record) throw notFound(name);
    return record;
  }

  private checkNameFree(name: string, field: string, exceptId?: string): void {
    const holder = this.index.findByName(name);
    if (holder && holder.id !== exceptId) {
      throw new VaultError('NameTaken', `An API key named '${holder.name}' already exists: names are unique, whatever their case.`, field);
    }
  }

  /**
   * Runs a change: plan it against the current keys (a rule broken throws, and nothing changes),
   * record it in the audit trail, make it durable, apply it, answer. The entry goes first: a fault
   * after it leaves an entry for a change that did not happen (and says so to the caller), never a
   * change without its entry. A storage fault is an Internal error and changes nothing.
   */
  private change<T>(by: Actor, plan: () => Plan<T>): Promise<T> {
    return this.writes.run(async () => {
      if (this.closed) throw new VaultError('Internal', 'The vault is shutting down; try again when the daemon is back.');
      const { mutations, audit, result } = plan();
      if (mutations.length > 0) {
        if (audit) await this.recordAudit(audit, by);
        await this.persist(mutations);
        for (const mutation of mutations) this.index.apply(mutation);
        if (this.store.journalOutgrewSnapshot) this.compactions.within(0);
      }
      return result();
    });
  }

  private async recordAudit(audited: Audited, by: Actor): Promise<void> {
    try {
      await this.audit.record({ ...audited, ...by });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.log.error('An audit entry could not be written to disk', { event: 'audit.writeFailed', reason });
      throw new VaultError('Internal', `Nothing was done: writing the audit trail failed (${reason}).`);
    }
  }

  private async persist(mutations: Mutation[]): Promise<void> {
    try {
      if (this.store.needsRewrite) await this.compact();
      await this.store.append(mutations);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.log.error('A change could not be written to disk', { event: 'store.writeFailed', reason });
      throw new VaultError('Internal', `The change was not saved: writing to the data directory failed (${reason}). Nothing was changed.`);
    }
  }

  private async compact(): Promise<void> {
    await this.store.compact(this.index.records());
  }

  /** Writes the last-used times of `ids` as they are now: one journal record for all of them. */
  private persistUses(ids: string[]): Promise<void> {
    return this.change(OFFLINE, () => {
      const lastUsedAt: [string, number][] = [];
      for (const id of ids) {
        const at = this.index.findById(id)?.lastUsedAt;
        if (at != null) lastUsedAt.push([id, at]);
      }
      return { mutations: lastUsedAt.length ? [{ type: 'used', lastUsedAt }] : [], result: () => undefined };
    });
  }
}
