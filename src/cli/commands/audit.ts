import type { AuditEvent, AuditListParams } from '../../generated/schemas.js';
import { given, print, type SessionCommand, text } from '../command.js';
import { choice, choicesOf, instant, wholeNumber } from '../option-values.js';
import { counted, table } from '../output.js';

const EVENTS = choicesOf('audit.list', 'event');

export const auditCommand: SessionCommand = {
  name: 'audit',
  group: 'Keys',
  summary: 'the audit trail: who changed, saw or backed up which key, and when; --verify checks its chain',
  session: true,
  options: {
    since: { type: 'string', value: 'WHEN', help: 'entries from then on: YYYY-MM-DD (its first instant in UTC) or an RFC 3339 instant', field: 'since', parse: instant },
    until: { type: 'string', value: 'WHEN', help: 'entries before then', field: 'until', parse: instant },
    'key-name': { type: 'string', value: 'NAME', help: "one key's entries", field: 'keyName' },
    event: { type: 'string', value: 'EVENT', help: `one kind of entry: ${EVENTS.join(', ')}`, field: 'event', parse: (typed, option) => choice(typed, option, EVENTS) },
    limit: { type: 'string', value: 'N', help: 'at most N entries', field: 'limit', parse: wholeNumber },
    verify: { type: 'boolean', help: 'check every link of the hash chain instead of listing (exit 3 when broken)' },
  },
  async run(client, invocation) {
    const { flags } = invocation;
    if (flags.verify) {
      const check = await client.request('audit.verify', {});
      print(invocation, check, () => check.intact
        ? `The audit trail is intact: ${counted(check.entries, 'entry', 'entries')}, each linked to the one before.`
        : `The audit trail is broken at entry ${check.brokenAt}: ${check.reason}`);
      return check.intact ? 0 : 3;
    }
    const since = given<string>(flags, 'since');
    const until = given<string>(flags, 'until');
    const keyName = text(flags, 'key-name');
    const event = given<AuditEvent>(flags, 'event');
    const limit = given<number>(flags, 'limit');
    const params: AuditListParams = {
      ...(since !== undefined && { since }),
      ...(until !== undefined && { until }),
      ...(keyName !== undefined && { keyName }),
      ...(event !== undefined && { event }),
      ...(limit !== undefined && { limit }),
    };
    const result = await client.request('audit.list', params);
    print(invocation, result, () => result.total === 0 ? 'No audit entries match.' : `${table(['SEQ', 'AT', 'EVENT', 'ROLE', 'ACCOUNT', 'KEY', 'DETAIL'],
      result.items.map((e) => [String(e.seq), e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.event, e.role ?? '-', e.account ?? '-', e.keyName ?? '-',
        Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : '']))}\n${result.items.length} of ${counted(result.total, 'entry', 'entries')}`);
    return 0;
  },
};
