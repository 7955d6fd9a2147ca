import TransportStream from 'winston-transport';

/**
 * Warnings and errors also go to the Windows Application event log, under the source
 * gateway-apikeys, where Windows admins and their monitoring tools look (docs/security.md,
 * "Windows: the event log"). Each kind of event has an event id of its own, so a monitoring rule
 * can match one (a key about to expire) without parsing text; the text is the log line's message
 * and its fields, one per line. The log's secret guard runs before any transport, so nothing here
 * can carry a key value or a token.
 */

/** Where the entries go: ReportEventW on Windows (src/platform/system.ts), a recorder in tests. */
export interface EventLogWriter {
  report(type: 'error' | 'warning', eventId: number, message: string): boolean;
}

/** The event ids (documented in docs/security.md); anything else is 1000 (a warning) or 1001 (an error). */
export const EVENT_IDS: Readonly<Record<string, number>> = {
  'daemon.startFailed': 1100,
  'clock.moved': 1102,
  'process.coreDumps': 1103,
  'apiKey.expiring': 1200,
  'apiKey.expiresSoon': 1201,
  'apiKey.expired': 1202,
  'apiKey.expiringSummary': 1203,
  'auth.expiredKey': 1204,
  'auth.overBudget': 1300,
  'connection.refused': 1301,
  'log.summary': 1302,
  'store.compactFailed': 1400,
  'store.writeFailed': 1401,
  'store.tornTail': 1402,
  'request.failed': 1500,
};
const GENERIC = { warn: 1000, error: 1001 } as const;

/** One event log entry's message text is at most 31,839 characters (ReportEventW); ours stay well below. */
const MAX_MESSAGE = 30_000;

/** The event for a log entry at warn or error; undefined for the levels below. */
export function eventFor(entry: Record<string, unknown>): { type: 'error' | 'warning'; eventId: number; message: string } | undefined {
  const level = entry.level;
  if (level !== 'warn' && level !== 'error') return undefined;
  const event = typeof entry.event === 'string' ? entry.event : undefined;
  const lines = [String(entry.message ?? '')];
  for (const [field, value] of Object.entries(entry)) {
    if (field === 'level' || field === 'message' || value === undefined) continue;
    lines.push(`${field}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  const message = lines.join('\r\n');
  return {
    type: level === 'error' ? 'error' : 'warning',
    eventId: (event !== undefined ? EVENT_IDS[event] : undefined) ?? GENERIC[level],
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message,
  };
}

/** A winston transport for warnings and errors, writing each as one event. */
export class EventLogTransport extends TransportStream {
  constructor(private readonly writer: EventLogWriter) {
    super({ level: 'warn' });
  }

  override log(info: Record<string, unknown>, done: () => void): void {
    const event = eventFor(info);
    if (event) this.writer.report(event.type, event.eventId, event.message);
    done();
  }
}
