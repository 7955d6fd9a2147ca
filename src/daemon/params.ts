import { rpcMethods, type RpcMethod, type RpcMethods } from '../generated/schemas.js';
import { checkAgainstSchema } from './schema-check.js';

/** Whether `method` is one of the contract's (docs/protocol.md): one params schema each, in schemas/params. */
export function isRpcMethod(method: string): method is RpcMethod {
  return (rpcMethods as readonly string[]).includes(method);
}

/**
 * The params of `method`, checked by `schemas/params/<method>.json`, with text NFC-normalised and
 * schema defaults filled in; or a ApiError. The caller's object is not changed. Omitted params
 * count as `{}`.
 */
export function parseParams<M extends RpcMethod>(method: M, raw: unknown): RpcMethods[M]['params'] {
  return checkAgainstSchema<RpcMethods[M]['params']>(`params/${method}.json`, raw === undefined ? {} : raw);
}
