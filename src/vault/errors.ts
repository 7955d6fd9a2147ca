import type { ErrorCode } from '../generated/schemas.js';
import { schemaDef } from './defs.js';
import { maskSecrets } from './secret-text.js';

export type { ErrorCode };

/** Every error code of docs/protocol.md, read from schemas/defs.json: the one list. */
export const errorCodes: readonly ErrorCode[] = schemaDef<{ enum: ErrorCode[] }>('ErrorCode').enum;

/**
 * A failure an admin can act on: an error code of docs/protocol.md, a message in plain words (never a secret,
 * never a stack trace) and, where one field is to blame, its name.
 */
export class VaultError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(maskSecrets(message));
    this.name = 'VaultError';
  }
}
