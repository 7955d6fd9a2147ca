import { ApiError } from '../shared/api-error.js';

/**
 * The backups one daemon is reading at once: each holds its keys as rows (about 30 MB at 100,000
 * keys) until its last part is read or its connection ends, so a daemon reads a few at most.
 */
export class OpenBackups {
  private count = 0;

  constructor(private readonly max: number) {}

  /** Takes a place for a backup, or refuses when every place is taken; the function returned gives it back. */
  take(): () => void {
    if (this.count >= this.max) throw new ApiError('Internal', `${this.max} backups are being read already; try again once one has ended.`);
    this.count++;
    return () => {
      this.count--;
    };
  }
}
