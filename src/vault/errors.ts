import { schemaDocuments, type ErrorCode } from '../generated/schemas.js';
import { maskSecrets } from './secret-text.js';

export type { ErrorCode };

/** Every error code of DESIGN §5, read from schemas/defs.json: the one list. */
export const errorCodes: readonly ErrorCode[] = (
  schemaDocuments.find((d) => d.$id === 'defs.json') as { $defs: { ErrorCode: { enum: ErrorCode[] } } }
).$defs.ErrorCode.enum;

/**
 * A failure an admin can act on: a DESIGN error code, a message in plain words (never a secret,
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
