import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type { Log } from '../shared/log.js';
import { EventLogTransport, type EventLogWriter } from './event-log.js';
import { maskSecrets } from '../shared/secret-text.js';

/**
 * Structured logs (winston, JSON lines) for operators: what happened, to which key name, by which
 * role. They may name keys; they never hold a secret. The guard below is the last line of that
 * promise: whatever a caller passes, key values and tokens are cut to their 8-character hint and
 * fields named like secrets are replaced, before any transport sees the line.
 */

const SECRET_FIELD = /^(key|token|passphrase|secret|password|masterKey)$/i;
export const REDACTED = '[redacted]';

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    copy[field] = SECRET_FIELD.test(field) && item != null ? REDACTED : redactValue(item, depth + 1);
  }
  return copy;
}

/** A copy of a log entry with secrets cut out: exported for the tests of the guard. */
export function redactSecrets<T extends Record<string, unknown>>(entry: T): T {
  const copy = redactValue(entry, 0) as T;
  // winston keeps level and message under symbols as well; carry them over.
  for (const symbol of Object.getOwnPropertySymbols(entry)) {
    (copy as Record<symbol, unknown>)[symbol] = redactValue((entry as Record<symbol, unknown>)[symbol], 0);
  }
  return copy;
}

const redact = winston.format((info) => redactSecrets(info));

interface LoggerOptions {
  level?: string;
  /** Directory of the log file (created 0700, file 0600); none logs to the console only. */
  directory?: string;
  console?: boolean;
  /** Warnings and errors also go there: the Windows Application event log (src/daemon/event-log.ts). */
  eventLog?: EventLogWriter;
}

export type Logger = winston.Logger & Log;

export const LOG_FILE = 'gateway-apikeys.log';

export function createLogger(options: LoggerOptions = {}): Logger {
  const transports: winston.transport[] = [];
  if (options.directory) {
    fs.mkdirSync(options.directory, { recursive: true, mode: 0o700 });
    transports.push(new winston.transports.File({
      filename: path.join(options.directory, LOG_FILE),
      maxsize: 10 * 1024 * 1024,
      maxFiles: 5,
      tailable: true,
      options: { flags: 'a', mode: 0o600 },
    }));
  }
  if (options.console !== false) {
    transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  }
  if (options.eventLog) transports.push(new EventLogTransport(options.eventLog));
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}
