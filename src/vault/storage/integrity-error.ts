/**
 * A store file that cannot be trusted: altered, damaged, from another vault, or opened with the
 * wrong master key. The daemon stops and names the file; it never overwrites or "repairs" it.
 */
export class StoreIntegrityError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    advice = 'Nothing was changed. Restore the data directory from a backup, or put back the right master.key.',
    /** An error code of docs/protocol.md, where one names this failure (PassphraseWrong). */
    readonly code?: string,
  ) {
    super(`${file}: ${problem}. ${advice}`);
    this.name = 'StoreIntegrityError';
  }
}
