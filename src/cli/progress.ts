/**
 * Progress of a long command (backup, restore) on a terminal: a bar redrawn in place on standard
 * error, at most ten times a second; nothing when standard error is not a terminal, so redirected
 * output stays clean. The rate at the end is for everyone.
 */
export class ProgressBar {
  private readonly started = performance.now();
  private drawnAt = 0;

  /** The clock starts now: the rate at the end covers all the command did, the key derivation included. */
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.drawnAt < 100 && done < total) return;
    this.drawnAt = now;
    const width = 30;
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(share * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} keys`);
  }

  /** Ends the bar's line; returns the seconds taken and the keys per second. */
  finish(keys: number): { seconds: number; keysPerSecond: number } {
    if (this.stream.isTTY) this.stream.write('\n');
    const seconds = (performance.now() - this.started) / 1000;
    return { seconds, keysPerSecond: seconds > 0 ? keys / seconds : keys };
  }
}

/** "in 2.4 s (4167 keys/s)" */
export function rateText({ seconds, keysPerSecond }: { seconds: number; keysPerSecond: number }): string {
  return `in ${seconds.toFixed(1)} s (${Math.round(keysPerSecond)} keys/s)`;
}
