import type { AuditEntry, AuditEvent } from '../generated/schemas.js';
import type { Log } from '../shared/log.js';

/** How the operator's log says each audited event: its level and words. */
const LINES: Record<AuditEvent, { level: 'info' | 'warn'; message: string }> = {
  'apiKey.created': { level: 'info', message: 'API key created' },
  'apiKey.updated': { level: 'info', message: 'API key edited' },
  'apiKey.revealed': { level: 'info', message: 'API key value shown' },
  'apiKey.deleted': { level: 'info', message: 'API key deleted' },
  'apiKey.rotated': { level: 'info', message: 'API key given a new value' },
  'apiKey.disabled': { level: 'info', message: 'API key disabled' },
  'apiKey.enabled': { level: 'info', message: 'API key enabled' },
  'vault.backedUp': { level: 'info', message: 'Backup started' },
  'vault.restored': { level: 'info', message: 'Restored a backup' },
  'vault.rekeyed': { level: 'info', message: 'Sealed the master key anew' },
  'farm.created': { level: 'info', message: 'Made a farm of this vault: its keys are in the farm\'s database' },
  'farm.joined': { level: 'info', message: 'Joined a farm: this host keeps its keys in step with the farm\'s database' },
  'auth.failures': { level: 'warn', message: 'Failed authentications went past their budget this minute: someone may be guessing tokens or keys' },
};

/**
 * The log line of an audit entry (docs/storage.md, "The audit trail"): the entry's own facts, so the
 * log and the trail never tell an event two ways. Its details come first, so none can take the
 * place of who and what; the entry has been masked already, and the logger's guard masks again.
 */
export function logAuditEntry(log: Log, entry: AuditEntry): void {
  const { level, message } = LINES[entry.event];
  log[level](message, {
    ...entry.detail, event: entry.event, seq: entry.seq, keyName: entry.keyName, role: entry.role, account: entry.account, connection: entry.connection,
  });
}
