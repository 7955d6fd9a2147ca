import type { ClientErrorCode } from '../generated/error-codes.js';
import type { ErrorCode } from '../generated/schemas.js';

/**
 * The failures GatewayClient (gateway-client.ts) adds to those of a session (connect.ts): the
 * daemon's own refusals, a daemon that cannot be reached, a connection lost under a call that is
 * not safe to send twice. Each has a `code` (docs/protocol.md, "Errors"); no message holds a key
 * value or a token.
 */

/**
 * The daemon refused the call: `code` is its `data.code` (`KeyNotFound`, `NameTaken`…), or the
 * JSON-RPC number as text when it gave none (`-32601`, an unknown method); `field` the params field
 * at fault, when it names one. The message is the daemon's, which never quotes a key value.
 */
export class GatewayApiKeysError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode | (string & {}),
    readonly rpcCode: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'GatewayApiKeysError';
  }
}

/**
 * Nothing answers at the pipe within the client's connect timeout (the daemon is not running, or
 * its pipe is elsewhere: `DaemonUnreachable`), or the system refuses this account the pipe
 * (`DaemonAccessDenied`). `reason` is the system's word for it: ENOENT, ECONNREFUSED, EACCES…
 */
export class DaemonUnavailableError extends Error {
  readonly code: Extract<ClientErrorCode, 'DaemonUnreachable' | 'DaemonAccessDenied'>;

  constructor(readonly pipe: string, readonly reason: string) {
    const denied = reason === 'EACCES' || reason === 'EPERM';
    super(denied
      ? `This account may not open the gateway-apikeys daemon's pipe ${pipe} (${reason}): run as a member of the group that owns the socket, or one the pipe's access list allows.`
      : `No gateway-apikeys daemon answers at ${pipe} (${reason}): it is not running, or its pipe is elsewhere.`);
    this.name = 'DaemonUnavailableError';
    this.code = denied ? 'DaemonAccessDenied' : 'DaemonUnreachable';
  }
}

/**
 * The connection broke while a call was on it, and the call is not one that may be sent twice
 * (a change: it may or may not have been made). Read again to know.
 */
export class DaemonConnectionLostError extends Error {
  readonly code = 'DaemonConnectionLost' satisfies ClientErrorCode;

  constructor(readonly pipe: string, readonly method: string) {
    super(`The connection to the gateway-apikeys daemon at ${pipe} broke during ${method}: it may or may not have been done.`);
    this.name = 'DaemonConnectionLostError';
  }
}

/** The token file cannot be read: `reason` is the system's word (ENOENT, EACCES). */
export class TokenUnavailableError extends Error {
  readonly code = 'TokenUnavailable' satisfies ClientErrorCode;

  constructor(readonly file: string, readonly reason: string) {
    super(`Cannot read the token at ${file} (${reason}): run as an account that may read it, or give the token another way.`);
    this.name = 'TokenUnavailableError';
  }
}

/** The client was closed: it makes no more calls. */
export class ClientClosedError extends Error {
  constructor() {
    super('This GatewayClient is closed.');
    this.name = 'ClientClosedError';
  }
}
