/**
 * A mistake in the command line itself: exit code 2, and a pointer to the help. `code` and
 * `option` name the error code and the option to blame when the mistake is one the daemon would
 * also refuse (a --valid-for that is no validity is ExpiryInvalid either way).
 */
export class UsageError extends Error {
  constructor(message: string, readonly blame?: { code: string; option: string }) {
    super(message);
    this.name = 'UsageError';
  }
}
