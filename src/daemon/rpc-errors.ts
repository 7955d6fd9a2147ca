import { ResponseError } from 'vscode-jsonrpc/node';
import { jsonRpcNumbers } from '../generated/error-codes.js';
import { type ErrorCode, ApiError } from '../shared/api-error.js';

interface ErrorData {
  code: ErrorCode;
  field?: string;
}

/** The JSON-RPC error of a ApiError: its number from x-codes of ErrorCode in schemas/defs.json (docs/protocol.md, "Errors"). */
export function toResponseError(error: ApiError): ResponseError<ErrorData> {
  const data: ErrorData = error.field === undefined ? { code: error.code } : { code: error.code, field: error.field };
  return new ResponseError(jsonRpcNumbers[error.code], error.message, data);
}

export function rpcError(code: ErrorCode, message: string, field?: string): ResponseError<ErrorData> {
  return toResponseError(new ApiError(code, message, field));
}
