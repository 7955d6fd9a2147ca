import { type ErrorCode, schemaDocuments } from '../generated/schemas.js';
import { maskSecrets } from './secret-text.js';

export type { ErrorCode };

/** Every error code of docs/protocol.md, read from schemas/defs.json: the one list. */
export const errorCodes: readonly ErrorCode[] = (schemaDocuments.find((d) => d.$id === 'defs.json') as { $defs: { ErrorCode: { enum: ErrorCode[] } } })
  .$defs.ErrorCode.enum;

/**
 * A failure an admin can act on, as the protocol answers it (docs/protocol.md, "Errors"): an error
 * code, a message in plain words (never a secret, never a stack trace) and, where one field is to
 * blame, its name. The vault throws it for its rules, the daemon for its own; the daemon's answer
 * carries it to every client.
 */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(maskSecrets(message));
    this.name = 'ApiError';
  }
}
