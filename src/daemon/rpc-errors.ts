import { ResponseError } from 'vscode-jsonrpc/node';
import { type ErrorCode, VaultError } from '../vault/errors.js';

/**
 * The JSON-RPC error for each error code of docs/protocol.md. Clients branch on `data.code`; the numbers follow
 * JSON-RPC where it has one (-32602 invalid params, -32603 internal) and use the server range
 * (-32000…-32099) for the rest.
 */
const JSON_RPC_CODE: Record<ErrorCode, number> = {
  InvalidParams: -32602,
  NameInvalid: -32602,
  NameTooShort: -32602,
  NameTooLong: -32602,
  DescriptionTooLong: -32602,
  ExpiryInvalid: -32602,
  ExpiryInPast: -32602,
  ExpiryTooFar: -32602,
  Internal: -32603,
  Unauthenticated: -32001,
  Forbidden: -32003,
  NameTaken: -32009,
  KeyNotFound: -32004,
  KeyDisabled: -32010,
  GraceInvalid: -32602,
  // Named by offline commands (restore, rekey) and kept in the one list, so that every client reads them alike.
  BackupInvalid: -32011,
  PassphraseWrong: -32012,
};

export interface ErrorData {
  code: ErrorCode;
  field?: string;
}

export function toResponseError(error: VaultError): ResponseError<ErrorData> {
  const data: ErrorData = error.field === undefined ? { code: error.code } : { code: error.code, field: error.field };
  return new ResponseError(JSON_RPC_CODE[error.code], error.message, data);
}

export function rpcError(code: ErrorCode, message: string, field?: string): ResponseError<ErrorData> {
  return toResponseError(new VaultError(code, message, field));
}
