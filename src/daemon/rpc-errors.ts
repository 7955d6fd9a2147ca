import { ResponseError } from 'vscode-jsonrpc/node';
import { jsonRpcNumbers } from '../generated/error-codes.js';
import { type ErrorCode, VaultError } from '../vault/errors.js';

interface ErrorData {
  code: ErrorCode;
  field?: string;
}

/** The JSON-RPC error of a VaultError: its number from x-codes of ErrorCode in schemas/defs.json (docs/protocol.md, "Errors"). */
export function toResponseError(error: VaultError): ResponseError<ErrorData> {
  const data: ErrorData = error.field === undefined ? { code: error.code } : { code: error.code, field: error.field };
  return new ResponseError(jsonRpcNumbers[error.code], error.message, data);
}

export function rpcError(code: ErrorCode, message: string, field?: string): ResponseError<ErrorData> {
  return toResponseError(new VaultError(code, message, field));
}
