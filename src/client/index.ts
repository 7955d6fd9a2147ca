/**
 * `gateway-apikeys/client`, the package's entry for a gateway's own code (docs/gateway-integration.md):
 * the client, its options, its errors, and the contract's types.
 */
export { type CallOptions, type DedicatedConnection, GatewayClient, type GatewayClientOptions, type PooledMethod } from './gateway-client.js';
export { ClientClosedError, DaemonConnectionLostError, DaemonUnavailableError, GatewayApiKeysError, TokenUnavailableError } from './errors.js';
export { DaemonImpostorError, DaemonProtocolError, DaemonTimeoutError } from './connect.js';
export type {
  ApiKeyInfo, AuthenticateResult, DaemonStatusResult, ErrorCode, RejectReason, Role, RpcMethod, RpcMethods, Status,
} from '../generated/schemas.js';
