import { type AuditRef, JOURNAL_FILE, SNAPSHOT_FILE } from './file-format.js';
import { StoreIntegrityError } from './integrity-error.js';

/**
 * The key store and the audit trail anchor each other (docs/storage.md, "Anchors"), so that
 * neither can be cut or rolled back alone without the daemon refusing to start:
 *
 * - every snapshot and journal record names the trail's last entry as it was written (AuditRef):
 *   the trail must reach that entry, with that hash;
 * - every audit entry names the store's state as it entered it (generation, records), and
 *   audit/head the store's state with the tag of its last record: the store must reach that state,
 *   and at that very position hold that record.
 *
 * Each side only ever names what the other has already made durable, so a crash leaves either side
 * ahead of what the other names, never behind: behind is a rollback.
 */

/** Where the store stands: its generation, the records of its journal, the tag of the last one (of the snapshot when there is none). */
export interface StoreState {
  generation: number;
  records: number;
  tag: Buffer;
}

/** What KeyStore.open found. */
export interface FoundStore {
  state: StoreState;
  /** The audit entry the newest snapshot or record names; undefined for a store written before anchors (format 3 and older). */
  auditRef?: AuditRef;
  /** The tag after the first `count` records of the journal, when it holds them (the snapshot's for 0). */
  tagAfter(count: number): Buffer | undefined;
  /** Made by this open: there was no store. */
  created: boolean;
}

/** What AuditTrail.open found. */
export interface FoundTrail {
  /** The last entry (seq 0: none), in `file`, and the store's state it names (entries before anchors name none). */
  last: AuditRef & { file: string; store?: Position };
  /** audit/head: undefined when missing; its `store` undefined when of the format before anchors. */
  head?: { seq: number; store?: StoreState };
}

type Position = Pick<StoreState, 'generation' | 'records'>;

const behind = (a: Position, b: Position) => a.generation < b.generation || (a.generation === b.generation && a.records < b.records);
const describe = (p: Position) => `generation ${p.generation} with ${p.records} journal record${p.records === 1 ? '' : 's'}`;

const ROLLED_BACK = 'Nothing was changed. Put back the files as they were. To go back to an earlier state on purpose, restore a backup ' +
  '(gateway-apikeys restore, into a new data directory); a copy of some of the files is never a restore.';

/**
 * Checks the store and the trail against each other; throws a StoreIntegrityError naming the file
 * that fell behind and what was found against what is anchored. Returns what the vault must do:
 * `adopt` a store written before anchors (write the head now; the compaction at start rewrites the
 * store anchored), write the head of a `new` vault whose first start stopped before it, or nothing.
 */
export function checkAnchors(store: FoundStore, trail: FoundTrail): 'adopt' | 'new' | 'anchored' {
  const ref = store.auditRef;
  if (ref) {
    if (ref.seq > trail.last.seq) {
      throw trail.last.seq === 0
        ? new StoreIntegrityError('audit', `holds no entry, but the key store names entry ${ref.seq} of the audit trail: the trail was removed`, ROLLED_BACK)
        : new StoreIntegrityError(trail.last.file, `ends at entry ${trail.last.seq}, but the key store names entry ${ref.seq}: ` +
          'entries were cut off the end of the audit trail, or an older trail was put back', ROLLED_BACK);
    }
    if (ref.seq === trail.last.seq && ref.seq > 0 && !ref.hash.equals(trail.last.hash)) {
      throw new StoreIntegrityError(trail.last.file, `ends at an entry ${ref.seq} that is not the one the key store names: the audit trail was replaced`, ROLLED_BACK);
    }
  }
  const anchors: [Position, string][] = [];
  if (trail.head?.store) anchors.push([trail.head.store, 'audit/head']);
  if (trail.last.store) anchors.push([trail.last.store, `${trail.last.file} entry ${trail.last.seq}`]);
  for (const [anchored, by] of anchors) {
    if (!behind(store.state, anchored)) continue;
    const [file, what] = store.state.generation < anchored.generation
      ? [SNAPSHOT_FILE, 'an older key store was put back']
      : [JOURNAL_FILE, 'records were cut off the end of the journal, or an older journal was put back'];
    throw new StoreIntegrityError(file, `holds ${describe(store.state)}, but ${by} anchors ${describe(anchored)}: ${what}`, ROLLED_BACK);
  }
  const head = trail.head?.store;
  // A store made by this open is a new, empty one in the place of a first start's: no record of it was anchored.
  if (head && head.generation === store.state.generation && !store.created) {
    const tag = store.tagAfter(head.records);
    if (tag && !tag.equals(head.tag)) {
      throw new StoreIntegrityError(head.records === 0 ? SNAPSHOT_FILE : JOURNAL_FILE,
        `holds another ${head.records === 0 ? 'snapshot' : `record ${head.records - 1}`} than the one audit/head anchors at ${describe(head)}: the key store was replaced`, ROLLED_BACK);
    }
  }
  if (!ref) return 'adopt';
  if (!trail.head?.store) {
    const { generation, records } = store.state;
    // The one anchored store without a head: a first start (or a restore) that stopped before writing it.
    if (generation === 0 && records === 0 && ref.seq === 0) return 'new';
    throw new StoreIntegrityError('audit/head', trail.head
      ? 'is of the format before anchors, but the key store is anchored: an older head was put back'
      : 'is missing: it anchors the key store and the end of the audit trail, and the daemon keeps it from its first start on', ROLLED_BACK);
  }
  return 'anchored';
}
