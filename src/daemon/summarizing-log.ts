import type { Log } from '../shared/log.js';

/**
 * A log for events any local process can cause (refused connections, bad frames, failed
 * handshakes): the first few of each event per minute are written as they come, the rest counted
 * and written as one summary line when the minute ends. A flood then costs a few lines a minute, and
 * cannot rotate the lines an operator needs out of the log files (docs/security.md, "Detection").
 */
export class SummarizingLog implements Log {
  private readonly counts = new Map<string, { written: number; suppressed: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Log,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  debug(message: string, meta?: Record<string, unknown>): void {
    this.write('debug', message, meta);
  }

  info(message: string, meta?: Record<string, unknown>): void {
    this.write('info', message, meta);
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.write('warn', message, meta);
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.write('error', message, meta);
  }

  private write(level: keyof Log, message: string, meta: Record<string, unknown> = {}): void {
    const event = typeof meta.event === 'string' ? meta.event : message;
    let count = this.counts.get(event);
    if (!count) this.counts.set(event, (count = { written: 0, suppressed: 0 }));
    if (count.written < this.perWindow) {
      count.written++;
      this.log[level](message, meta);
    } else {
      count.suppressed++;
    }
    this.timer ??= setTimeout(() => this.endWindow(), this.windowMs).unref();
  }

  /** Writes what the window held back, one line per event, and starts a new window. */
  endWindow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [event, { suppressed }] of this.counts) {
      if (suppressed > 0) {
        this.log.warn(`${suppressed} more of '${event}' in the last ${this.windowMs / 1000} s, not written one by one`, {
          event: 'log.summary', of: event, count: suppressed, windowSeconds: this.windowMs / 1000,
        });
      }
    }
    this.counts.clear();
  }
}
