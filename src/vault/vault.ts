import path from 'node:path';
import type { Temporal } from 'temporal-polyfill';
import type {
  ApiKeyCreateParams, ApiKeyCreateResult, ApiKeyDeleteResult, ApiKeyInfo, ApiKeyListParams, ApiKeyListResult, ApiKeyRevealResult,
  ApiKeyRotateParams, ApiKeyRotateResult, ApiKeyUpdateParams, ApiKeyUsageResult, AuditEntry, AuthenticateResult, KeyCounts, Role,
} from '../generated/schemas.js';
import { processAccount } from '../platform/system.js';
import { type ApiKeyRecord, toInfo, toRevealed } from './api-key.js';
import { formatInstant } from './instant.js';
import { logAuditEntry } from './audit-log.js';
import { type Clock, hostTimeZone, systemClock, VaultCalendar } from './clock.js';
import { CoalescedFlush } from './coalesced-flush.js';
import { CompactionSchedule } from './compaction-schedule.js';
import { randomBytes } from '../shared/random.js';
import sodium from 'sodium-native';
import { keyedHash, type SecretKey } from './crypto.js';
import { ApiError } from '../shared/api-error.js';
import { chosenExpiry, newKeyExpiry } from './expiry.js';
import { KeyTable } from './key-table.js';
import { encodeKeyValue, isWellFormedKeyValue, KEY_SECRET_BYTES } from '../shared/secret-format.js';
import { type Log, silentLog } from '../shared/log.js';
import { listKeys, listKeysJson } from './query.js';
import { maskSecrets } from '../shared/secret-text.js';
import { daysLeft, statusFor } from './status.js';
import { type AuditRecord, AuditTrail } from './storage/audit-trail.js';
import type { StoreFileSystem } from '../shared/file-system.js';
import { nodeFileSystem } from './storage/node-file-system.js';
import { AUDIT_KEY_FILE, decodeAuditKeyFile, deriveVaultKeys, encodeAuditKeyFile, loadOrCreateMasterKey, newMasterKeyFile } from './storage/master-key.js';
import { finishRotation, type RotationStep } from './storage/rotation.js';
import { StoreIntegrityError } from './storage/integrity-error.js';
import { checkAnchors } from './storage/anchor.js';
import { type KeyRow, type Mutation, type PersistedKeyUsage, toRows } from './storage/mutations.js';
import { KeyStore } from './storage/store.js';
import { WriteQueue } from './write-queue.js';
import { KeyUsage, type PersistedUsage } from './key-usage.js';
import type { FarmLink } from './farm-link.js';
import { wrapForHost } from './storage/cluster-key.js';
import type { FarmMembership } from './storage/farm-membership.js';
import type { StoreStatus } from '../generated/schemas.js';

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
  /**
   * How soon after a delete the compaction that removes its ciphertext from disk runs; also after a
   * rotation that drops a value at once (graceHours 0, or a second rotation).
   */
  compactAfterDeleteMs?: number;
  /** Opens a data dir that restoreVault is filling (its RESTORE_MARKER is there); any other open refuses such a dir. */
  restoring?: boolean;
  /**
   * Farm mode (docs/farm.md): this host's farm.json and the store's URL. Changes are committed in the
   * farm's database before the journal, and other hosts' changes are kept in step.
   */
  farm?: { membership: FarmMembership; url: string; pollMs?: number; timeoutMs?: number };
}

/** What a single host's store is, for daemon.status: its own data dir, which it is always in step with. */
const LOCAL_STORE: StoreStatus = { kind: 'files', reachable: true, lastSyncAt: null, lagSeconds: 0, hosts: 1 };

/**
 * Lies in a data dir while a restore fills it (docs/storage.md, "Restore"): a daemon refuses to
 * serve such a dir, and only a new restore may empty it and start again.
 */
export const RESTORE_MARKER = 'restore.unfinished';

const HOUR_MS = 3_600_000;
/** After a grace ends, its compaction waits this much more, so that the vault's clock surely sees it ended. */
const GRACE_END_MARGIN_MS = 1000;
/** Keys per `used` journal record: a flush of very many keys is written as several records, each of bounded size. */
const USES_PER_RECORD = 1000;

/**
 * Who asks for a change or a reveal, for its audit entry: a session's role, connection and account
 * (where the system tells), or no session's; an offline command's account is this process's.
 */
export interface Actor {
  role: Role | null;
  connection: number | null;
  account?: string;
}
/** What no session asks for and no one account does: the flush of last-used times, a burst of failed authentications. */
export const NO_SESSION: Actor = { role: null, connection: null };

/** An offline command (restore, rekey, the vault used without a daemon): no session, the account this process runs as. */
export function offline(): Actor {
  return { ...NO_SESSION, account: processAccount() };
}

/** What an audit entry says of an event: the event, the key, and details (never a secret). */
export type Audited = Pick<AuditRecord, 'event' | 'keyName' | 'detail'>;

/** What the audit trail shows to readers; entries are written through Vault.record only. */
export type AuditReader = Pick<AuditTrail, 'list' | 'verify'>;

/**
 * A change planned against the current keys: what to write, what the audit trail records of it,
 * and the answer once it is durable.
 */
interface Plan<T> {
  mutations: Mutation[];
  audit?: Audited;
  result: () => T;
}

// The two closures the vault keeps from its opening are made out here: made in Vault.open, either
// would keep open's whole scope alive, and with it every record and change read at start.

/** libsodium's shortest keyed BLAKE2b output; the tag is its first 4 bytes. */
const LOOKUP_TAG_HASH_BYTES = 16;

/**
 * The lookup tag of a key value: 32 bits of its keyed hash, a small integer V8 keeps in the map's own
 * slot. Keys that share one are told apart by their values (KeyTable.findByKey).
 */
function lookupTagOf(lookupKey: SecretKey): (keyValue: string) => number {
  return (value) => keyedHash(lookupKey, Buffer.from(value, 'latin1'), LOOKUP_TAG_HASH_BYTES).readInt32LE(0);
}

function nowOf(clock: Clock): () => number {
  return () => clock.now();
}

function notFound(name: string): ApiError {
  return new ApiError('KeyNotFound', `No API key is named '${name}'.`, 'name');
}

/**
 * The vault: the keys, their rules and their durable storage, with no networking. Reads answer
 * from memory; changes are planned against the current keys, written to the journal and made
 * durable, and only then applied and acknowledged, one at a time (WriteQueue) so two changes never
 * race (docs/storage.md). Last-used times and uses per connector are persisted coalesced
 * (CoalescedFlush); compactions run when asked for (CompactionSchedule), among others when the
 * grace of a rotation ends.
 */
export class Vault {
  private readonly writes = new WriteQueue();
  private readonly uses: CoalescedFlush;
  private readonly compactions: CompactionSchedule;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The key of the audit trail's chain, kept across rotations of the master key (in audit.key). */
  private auditKey!: SecretKey;
  /** Wraps a farm's cluster key for this host (farm.json). */
  private farmHostKey!: SecretKey;
  /** The farm this host belongs to, in farm mode (docs/farm.md); undefined on a single host. */
  private farm: FarmLink | undefined;
  readonly calendar: VaultCalendar;

  private constructor(
    private readonly index: KeyTable,
    private readonly store: KeyStore,
    /** The audit trail (docs/storage.md): every entry goes through record(). */
    private readonly trail: AuditTrail,
    /** The subkeys derived from the master key, in secure memory until close(). */
    private readonly keys: readonly SecretKey[],
    private readonly log: Log,
    private readonly clock: Clock,
    timeZone: string,
    lastUsedFlushMs: number,
    private readonly compactAfterDeleteMs: number,
    /** The vault's id (hex): backups name the vault they were taken from. */
    readonly vaultId: string,
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
    if (!options.restoring && await fs.readFile(path.join(dataDir, RESTORE_MARKER))) {
      throw new StoreIntegrityError(RESTORE_MARKER, `is in ${dataDir}: a restore into this data directory did not finish`,
        'Nothing was changed. Run gateway-apikeys restore again into this data directory: it starts over.');
    }
    try {
      const master = await loadOrCreateMasterKey(fs, dataDir, options.passphrase, log);
      const { lookupKey, storeKey, auditKey: derivedAuditKey, auditWrapKey, farmHostKey } = deriveVaultKeys(master);
      keys.push(lookupKey, storeKey, derivedAuditKey, auditWrapKey, farmHostKey);
      // A rotation a crash interrupted is completed or undone before anything is read (docs/storage.md, "Rotating the master key").
      await finishRotation(fs, dataDir, master.vaultId, storeKey, log);
      // A rotated vault keeps the audit key it was created with, sealed in audit.key, so that its trail verifies whole.
      const sealedAuditKey = await fs.readFile(path.join(dataDir, AUDIT_KEY_FILE));
      const auditKey = sealedAuditKey ? decodeAuditKeyFile(auditWrapKey, master.vaultId, sealedAuditKey) : derivedAuditKey;
      if (auditKey !== derivedAuditKey) keys.push(auditKey);
      const { store, contents, found } = await KeyStore.open(fs, dataDir, { vaultId: master.vaultId, key: storeKey }, log);
      const audit = await (async () => {
        const trail = await AuditTrail.open(fs, dataDir, auditKey, log, nowOf(clock));
        // The store and the trail anchor each other: either cut or rolled back alone stops the start (docs/storage.md, "Anchors").
        const anchors = checkAnchors(found, trail.found);
        trail.anchorStore(store.state, found.auditRef ?? trail.lastEntry);
        if (anchors === 'adopt') {
          log.warn('Anchored a key store written before anchors: from now on the store and the audit trail each catch the other cut or rolled back',
            { event: 'store.anchorAdopted', generation: store.state.generation, records: store.state.records, auditEntries: trail.lastSeq });
        }
        if (anchors !== 'anchored') await trail.writeHeadNow();
        return trail;
      })().catch(async (error: unknown) => {
        await store.close();
        throw error;
      });
      const index = new KeyTable(lookupTagOf(lookupKey));
      index.load(contents.records);
      for (const mutation of contents.mutations) index.apply(mutation);
      const vault = new Vault(index, store, audit, keys, log, clock, timeZone,
        options.lastUsedFlushMs ?? 3000, options.compactAfterDeleteMs ?? 30_000, master.vaultId.toString('hex'));
      vault.auditKey = auditKey;
      vault.farmHostKey = farmHostKey;
      vault.tagInBackground();
      log.info('Opened the vault', { event: 'vault.opened', keys: index.size, timeZone, replayedChanges: contents.mutations.length });
      // Deleted keys' ciphertext, and previous values whose grace ended while the daemon was down,
      // leave the disk at the latest on the next start. A disk that refuses the rewrite must not
      // keep the gateway from authenticating: log, and serve.
      if (store.needsRewrite || store.journalRecordCount > 0 || index.hasEndedPreviousValue(clock.now())) {
        await vault.writes.run(() => vault.compact()).catch((error: Error) => {
          log.error('Compaction at start failed; it is retried in a minute', { event: 'store.compactFailed', reason: error.message });
          vault.compactions.within(60_000);
        });
      } else {
        vault.scheduleGraceEnd();
      }
      if (options.farm) {
        try {
          // Loaded for a farm host only: a single host's start does not pay for the PostgreSQL client.
          const { FarmLink } = await import('./farm-link.js');
          vault.farm = FarmLink.open({ ...options.farm, hostKey: farmHostKey, log, now: nowOf(clock) });
          await vault.farm.start({
            applyRemote: (select) => vault.applyRemote(select),
            findById: (id) => vault.index.findById(id),
            ids: () => [...vault.index.slots()].map((slot) => vault.index.id(slot)),
          });
        } catch (error) {
          await vault.close();
          throw error;
        }
      }
      return vault;
    } catch (error) {
      for (const key of keys) key.dispose();
      throw error;
    }
  }

  /** The audit trail, to list and verify. */
  get audit(): AuditReader {
    return this.trail;
  }

  /** Where the keys are kept, and whether this host is in step with it (daemon.status's `store`, docs/farm.md). */
  storeStatus(): StoreStatus {
    return this.farm?.status() ?? LOCAL_STORE;
  }

  /** Whether this host is a farm's (docs/farm.md). */
  get inFarm(): boolean {
    return this.farm !== undefined;
  }

  /** A farm's cluster key wrapped for this host, bound to the farm and host ids, for farm.json (`farm init`, `farm join`). */
  wrapClusterKey(clusterKey: SecretKey, farmId: Buffer, hostId: Buffer): Buffer {
    return wrapForHost(clusterKey, this.farmHostKey, farmId, hostId);
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
    return listKeys(this.index, params, this.calendar.todayEpochDay(), this.clock.now());
  }

  /** `list` as UTF-8 JSON pieces, for the wire: the same answer, made without an object per key. */
  listJson(params: ApiKeyListParams): Buffer[] {
    return listKeysJson(this.index, params, this.calendar.todayEpochDay(), this.clock.now());
  }

  get(params: { name: string }): ApiKeyInfo {
    return this.info(this.find(params.name));
  }

  /** Which connectors used the key, the most recent first, and how often it was used without a connectorId. */
  usage(params: { name: string }, across?: PersistedUsage | null): ApiKeyUsageResult {
    const record = this.find(params.name);
    const usage = across === undefined ? record.usage : KeyUsage.from(across);
    const connectors = (usage?.connectorsByLastUse() ?? []).map((use) => ({
      connectorId: use.connectorId, firstUsedAt: formatInstant(use.firstUsedAt), lastUsedAt: formatInstant(use.lastUsedAt), count: use.count,
    }));
    return { name: record.name, connectors, unattributedCount: usage?.unattributedCount ?? 0 };
  }

  /** `usage`, on a farm host with every host's uses added up (docs/farm.md, "Design"); a single host's otherwise. */
  async usageAcrossFarm(params: { name: string }): Promise<ApiKeyUsageResult> {
    if (!this.farm) return this.usage(params);
    const record = this.find(params.name);
    return this.usage({ name: record.name }, await this.farm.usageAcrossHosts(record.id, record.usage?.all() ?? null));
  }

  /** A key's value, for the View screen: it leaves only once the reveal's audit entry is durable (docs/storage.md, "The audit trail"). */
  async reveal(params: { name: string }, by: Actor = offline()): Promise<ApiKeyRevealResult> {
    const record = this.find(params.name);
    await this.record({ event: 'apiKey.revealed', keyName: record.name, detail: {} }, by);
    return toRevealed(record);
  }

  counts(): KeyCounts {
    const today = this.calendar.todayEpochDay();
    const counts: KeyCounts = { total: 0, Active: 0, Expiring: 0, ExpiresSoon: 0, Expired: 0, Disabled: 0 };
    for (const slot of this.index.slots()) {
      counts.total++;
      counts[statusFor(this.index.expiresOnDay(slot) - today, this.index.enabled(slot)).status]++;
    }
    return counts;
  }

  create(params: ApiKeyCreateParams, by: Actor = offline()): Promise<ApiKeyCreateResult> {
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
        enabled: true,
        rotatedAt: null,
        previous: null,
        lastUsedAt: null,
        usage: null,
        disabledAt: null,
        disabledReason: null,
      };
      return {
        mutations: [{ type: 'put', record }],
        audit: { event: 'apiKey.created', keyName: record.name, detail: { expiresOn } },
        result: () => ({ ...this.info(record), key: record.key }),
      };
    });
  }

  /** Edits name, description or expiry. A new expiry on an expired key re-activates it at once. Nothing to change writes nothing. */
  update(params: ApiKeyUpdateParams, by: Actor = offline()): Promise<ApiKeyInfo> {
    return this.change(by, () => {
      const record = this.find(params.name);
      const expiresOn = chosenExpiry(params, this.today())?.toString() ?? record.expiresOn;
      const name = params.newName ?? record.name;
      if (name !== record.name) this.checkNameFree(name, 'newName', record.id);
      const description = params.description ?? record.description;
      if (name === record.name && description === record.description && expiresOn === record.expiresOn) {
        return { mutations: [], result: () => this.info(record) };
      }
      const updated: ApiKeyRecord = { ...record, name, description, expiresOn, updatedAt: this.clock.now() };
      const changed = Object.keys(params).filter((field) => field !== 'name');
      return {
        mutations: [{ type: 'put', record: updated }],
        audit: { event: 'apiKey.updated', keyName: name, detail: { ...(name !== record.name && { previousName: record.name }), expiresOn, changed } },
        result: () => this.info(updated),
      };
    });
  }

  /**
   * Gives a key a new value at once (docs/storage.md, "Rotation"). The previous value keeps
   * authenticating until now + graceHours; a key has one previous value at most, so an earlier one
   * ends now. A value that ends now leaves the disk at the compaction this schedules, like a
   * deleted key's; one in its grace at the compaction after its grace. A disabled key is refused.
   * `graceHours` is given: its default is the params schema's, filled in when params are checked.
   */
  rotate(params: Required<ApiKeyRotateParams>, by: Actor = offline()): Promise<ApiKeyRotateResult> {
    return this.change(by, () => {
      const record = this.find(params.name);
      if (!record.enabled) {
        throw new ApiError('KeyDisabled', `The API key '${record.name}' is disabled: enable it before giving it a new value.`, 'name');
      }
      const { graceHours } = params;
      const now = this.clock.now();
      const validUntil = now + graceHours * HOUR_MS;
      const rotated: ApiKeyRecord = {
        ...record,
        key: encodeKeyValue(randomBytes(KEY_SECRET_BYTES)),
        updatedAt: now,
        rotatedAt: now,
        previous: graceHours > 0 ? { key: record.key, validUntil } : null,
      };
      return {
        mutations: [{ type: 'put', record: rotated }],
        audit: {
          event: 'apiKey.rotated', keyName: record.name,
          detail: { graceHours, previousValidUntil: formatInstant(validUntil), ...(record.previous && { endedEarlierGrace: true }) },
        },
        result: () => {
          if (graceHours === 0 || record.previous) this.compactions.within(this.compactAfterDeleteMs);
          if (graceHours > 0) this.compactions.within(validUntil - now + GRACE_END_MARGIN_MS);
          return { ...this.info(rotated), key: rotated.key, previousValidUntil: formatInstant(validUntil) };
        },
      };
    });
  }

  /**
   * Disables or enables a key. Disabled, its values fail authentication from the moment this
   * returns; its value, expiry, previous value and uses are kept, and it keeps when and why it was
   * disabled until it is enabled again. No change writes and records nothing. A disable's `reason`
   * goes into its audit entry and onto the key, masked alike (a key value pasted in is cut to its hint).
   */
  setEnabled(params: { name: string; reason?: string }, enabled: boolean, by: Actor = offline()): Promise<ApiKeyInfo> {
    return this.change(by, (): Plan<ApiKeyInfo> => {
      const record = this.find(params.name);
      if (record.enabled === enabled) return { mutations: [], result: () => this.info(record) };
      const now = this.clock.now();
      const reason = params.reason === undefined ? null : maskSecrets(params.reason);
      const changed: ApiKeyRecord = enabled
        ? { ...record, enabled, updatedAt: now, disabledAt: null, disabledReason: null }
        : { ...record, enabled, updatedAt: now, disabledAt: now, disabledReason: reason };
      return {
        mutations: [{ type: 'put', record: changed }],
        audit: { event: enabled ? 'apiKey.enabled' : 'apiKey.disabled', keyName: record.name, detail: reason === null ? {} : { reason } },
        result: () => this.info(changed),
      };
    });
  }

  /** Deletes a key: it fails authentication from the moment this returns; its ciphertext leaves the disk at the compaction this schedules. */
  delete(params: { name: string }, by: Actor = offline()): Promise<ApiKeyDeleteResult> {
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

  /**
   * Whether a presented key is valid. With `recordUse` (connector.authenticate; not apiKey.verify)
   * a success records its use, by `connectorId` when one is given: in memory, on the key's own
   * structures, persisted later together (docs/architecture.md, "The hot path"). A previous value
   * authenticates during its grace, saying so; after it, it is Unknown, as a deleted key's is.
   */
  authenticate(presented: string, recordUse: boolean, connectorId?: string): AuthenticateResult {
    if (!isWellFormedKeyValue(presented)) return { authenticated: false, reason: 'Malformed' };
    const match = this.index.findByKey(presented);
    if (match < 0) return { authenticated: false, reason: 'Unknown' };
    // The key table's slot and whether the previous value matched: no record is made on this path.
    const slot = match >> 1;
    const previous = (match & 1) === 1;
    const now = this.clock.now();
    if (previous && !(now < this.index.previousValidUntil(slot))) return { authenticated: false, reason: 'Unknown' };
    if (!this.index.enabled(slot)) return { authenticated: false, reason: 'Disabled' };
    const left = this.index.expiresOnDay(slot) - this.calendar.todayEpochDay();
    if (left < 0) return { authenticated: false, reason: 'Expired' };
    if (recordUse) {
      this.index.recordUse(slot, now, connectorId);
      this.uses.add(this.index.id(slot));
    }
    const { status } = statusFor(left);
    const name = this.index.name(slot);
    const expiresOn = this.index.expiresOn(slot);
    return previous
      ? { authenticated: true, name, expiresOn, status, previousValue: true }
      : { authenticated: true, name, expiresOn, status };
  }

  /** The name of the key a presented value belongs to, for logs; undefined when malformed or unknown. */
  keyNameOf(presented: string): string | undefined {
    const match = isWellFormedKeyValue(presented) ? this.index.findByKey(presented) : -1;
    return match < 0 ? undefined : this.index.name(match >> 1);
  }

  /**
   * Every key as a row, taken at this instant (one turn of the event loop: later changes and uses do
   * not reach them), for a backup (docs/storage.md, "Backups").
   */
  rows(): KeyRow[] {
    return toRows(this.index.records());
  }

  /** Every key's record as it is now (`farm init`, which seals each for the farm's database). */
  records(): ApiKeyRecord[] {
    return [...this.index.records()];
  }

  /**
   * Fills this new, empty vault with a backup's keys (restoreVault): the audit trail records it
   * first, then one compaction writes them all under this vault's own keys.
   */
  restoreAll(records: readonly ApiKeyRecord[], detail: Record<string, unknown>): Promise<void> {
    return this.writes.run(async () => {
      if (this.index.size > 0 || this.store.journalRecordCount > 0) throw new Error('a restore goes into an empty vault only');
      await this.record({ event: 'vault.restored', detail }, offline(), async () => {
        this.index.load(records);
        await this.compact();
      });
    });
  }

  /**
   * Replaces the master key with a new one and closes the vault (docs/storage.md, "Rotating the master
   * key"), offline: every key is written, under keys derived from the new master key, in the snapshot
   * of the next generation with an empty journal; the audit key is kept, sealed in audit.key with the
   * new master key; master.key is sealed with `passphrase`, or is a key file without one. The audit
   * entry is durable first; master.key's atomic replacement is the instant of the rotation, and a
   * crash on either side of it leaves the old vault or the new one (finishRotation, at every open).
   */
  async rotateMasterKey(passphrase: Uint8Array | undefined, audited: Audited, onStep?: (step: RotationStep) => Promise<void>): Promise<void> {
    this.compactions.stop();
    this.uses.stop();
    await this.uses.flush();
    await this.writes.run(async () => {
      if (this.closed) throw new Error('the vault is closed');
      this.closed = true;
      this.index.dropPreviousValues(this.clock.now());
      const vaultId = Buffer.from(this.vaultId, 'hex');
      const { file, master } = newMasterKeyFile(vaultId, passphrase);
      const { lookupKey, storeKey, auditKey, auditWrapKey, farmHostKey } = deriveVaultKeys(master);
      try {
        const auditKeyFile = encodeAuditKeyFile(auditWrapKey, vaultId, this.auditKey);
        await this.record(audited, offline(), async () => {
          const auditRef = this.trail.lastEntry;
          await this.store.rotate(storeKey, this.index.records(), file, auditKeyFile, auditRef, onStep);
          this.trail.anchorStore(this.store.state, auditRef);
        });
      } finally {
        sodium.sodium_memzero(file); // a key file holds the new key in clear
        for (const key of [lookupKey, storeKey, auditKey, auditWrapKey, farmHostKey]) key.dispose();
      }
    });
    await this.close();
  }

  /** Persists pending last-used times and compacts away deleted keys. The data dir stays its owner's to release. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.compactions.stop();
      this.uses.stop();
      await this.uses.flush();
      await this.farm?.close();
      await this.writes.run(async () => {
        this.closed = true;
        if (!this.store.superseded && (this.store.needsRewrite || this.store.journalRecordCount > 0)) {
          await this.compact().catch((error: Error) =>
            this.log.error('Compaction at shutdown failed; it runs at the next start', { event: 'store.compactFailed', reason: error.message }));
        }
      });
      await this.store.close();
      await this.trail.close();
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

  private info(record: ApiKeyRecord): ApiKeyInfo {
    return toInfo(record, this.calendar.todayEpochDay(), this.clock.now());
  }

  private find(name: string): ApiKeyRecord {
    const record = this.index.findByName(name);
    if (!record) throw notFound(name);
    return record;
  }

  private checkNameFree(name: string, field: string, exceptId?: string): void {
    const holder = this.index.findByName(name);
    if (holder && holder.id !== exceptId) {
      throw new ApiError('NameTaken', `An API key named '${holder.name}' already exists: names are unique, whatever their case.`, field);
    }
  }

  /**
   * Records an event `by` someone, then does it (`act`), then logs it: every audit entry is written
   * here, and its log line is made from it, so the trail and the log say each event once and alike
   * (docs/storage.md, "The audit trail"). The entry is durable before `act` runs: a fault in `act`
   * leaves an entry for an event that did not happen (the caller is told, and no line says it
   * happened), never an event without its entry.
   */
  async record(audited: Audited, by: Actor, act: () => Promise<void> = async () => undefined): Promise<void> {
    let entry: AuditEntry;
    try {
      entry = await this.trail.record({ ...audited, ...by });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.log.error('An audit entry could not be written to disk', { event: 'audit.writeFailed', reason });
      throw new ApiError('Internal', `Nothing was done: writing the audit trail failed (${reason}).`);
    }
    await act();
    logAuditEntry(this.log, entry);
  }

  /**
   * Runs a change: plan it against the current keys (a rule broken throws, and nothing changes),
   * record it in the audit trail, make it durable, apply it, answer. A storage fault is an Internal
   * error and changes nothing.
   */
  private change<T>(by: Actor, plan: () => Plan<T>): Promise<T> {
    return this.writes.run(async () => {
      if (this.closed) throw new ApiError('Internal', 'The vault is shutting down; try again when the daemon is back.');
      const { mutations, audit, result } = plan();
      // A farm host: the database first, where the change is ordered against every host's; refused there, nothing is written here.
      const forget = await this.farm?.commit(mutations, audit && { ...audit, ...by });
      const apply = async () => {
        if (mutations.length === 0) return;
        await this.persist(mutations);
        for (const mutation of mutations) this.index.apply(mutation);
        if (this.store.journalOutgrewSnapshot) this.compactions.within(0);
      };
      try {
        await (audit ? this.record(audit, by, apply) : apply());
      } catch (error) {
        // In the farm, not here: the sync brings it from the database (docs/farm.md, "How a host works").
        forget?.();
        throw error;
      }
      return result();
    });
  }

  /**
   * Applies changes another host made (FarmLink): `select` picks, in the write queue, what this host
   * does not hold yet; those are made durable in the journal and applied as a replayed record is.
   */
  private applyRemote(select: () => { mutations: Mutation[]; applied(): void }): Promise<void> {
    return this.writes.run(async () => {
      if (this.closed) return;
      const { mutations, applied } = select();
      if (mutations.length === 0) {
        applied();
        return;
      }
      await this.persist(mutations);
      for (const mutation of mutations) this.index.apply(mutation);
      if (this.store.journalOutgrewSnapshot) this.compactions.within(0);
      for (const mutation of mutations) {
        if (mutation.type === 'put') this.log.info('Applied a change made on another host of the farm', { event: 'farm.applied', keyName: mutation.record.name });
        else if (mutation.type === 'delete') this.log.info('Applied a deletion made on another host of the farm', { event: 'farm.applied', keyId: mutation.id });
      }
      applied();
      this.scheduleGraceEnd();
    });
  }

  private async persist(mutations: Mutation[]): Promise<void> {
    try {
      if (this.store.needsRewrite) await this.compact();
      const auditRef = this.trail.lastEntry;
      await this.store.append(mutations, auditRef);
      this.trail.anchorStore(this.store.state, auditRef);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.log.error('A change could not be written to disk', { event: 'store.writeFailed', reason });
      throw new ApiError('Internal', `The change was not saved: writing to the data directory failed (${reason}). Nothing was changed.`);
    }
  }

  /**
   * Rewrites the store from the keys in memory, without the previous values whose grace has ended
   * (docs/storage.md, "Rotation"), and asks for the next compaction at the next grace end.
   */
  private async compact(): Promise<void> {
    const droppedAt = this.clock.now();
    this.index.dropPreviousValues(droppedAt);
    const auditRef = this.trail.lastEntry;
    await this.store.compact(this.index.records(), auditRef);
    this.trail.anchorStore(this.store.state, auditRef);
    // From the instant it dropped at: a grace that ended while it wrote was kept, and needs the next one.
    this.scheduleGraceEnd(droppedAt);
  }

  /** Asks for a compaction just after the earliest grace still running at `after` ends (at once when that is past), if any. */
  private scheduleGraceEnd(after = this.clock.now()): void {
    const next = this.index.nextPreviousValueEnd(after);
    if (next !== undefined) this.compactions.within(Math.max(0, next - this.clock.now()) + GRACE_END_MARGIN_MS);
  }

  /**
   * Writes the last-used times and the changed uses per connector of `ids` as they are now: one
   * journal record per thousand keys, all in one write and one sync.
   */
  private persistUses(ids: string[]): Promise<void> {
    return this.change(NO_SESSION, () => {
      const mutations: Mutation[] = [];
      let lastUsedAt: [string, number][] = [];
      let usage: PersistedKeyUsage[] = [];
      for (const id of ids) {
        const slot = this.index.slotById(id);
        if (slot < 0) continue;
        const at = this.index.lastUsedAtOf(slot);
        if (!Number.isNaN(at)) lastUsedAt.push([id, at]);
        const changed = this.index.usageOf(slot)?.changes();
        if (changed) usage.push([id, ...changed]);
        if (lastUsedAt.length === USES_PER_RECORD) {
          mutations.push({ type: 'used', lastUsedAt, usage });
          lastUsedAt = [];
          usage = [];
        }
      }
      if (lastUsedAt.length > 0 || usage.length > 0) mutations.push({ type: 'used', lastUsedAt, usage });
      return {
        mutations,
        result: () => {
          // A farm host's uses go to the database too, coalesced again there (docs/farm.md, "Design").
          this.farm?.noteUses(ids.flatMap((id) => {
            const slot = this.index.slotById(id);
            const at = slot < 0 ? NaN : this.index.lastUsedAtOf(slot);
            return Number.isNaN(at) ? [] : [{ id, lastUsedAt: at, usage: this.index.usageOf(slot)?.all() ?? null }];
          }));
        },
      };
    });
  }
}
