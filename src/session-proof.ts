import crypto from 'node:crypto';

/**
 * The proofs of the session handshake, protocol 3 (docs/protocol.md, "Sessions"): neither side
 * sends its token; each proves it knows it. HMAC-SHA256 keyed by the role's token (the token file's
 * content, trimmed, as UTF-8), over a label, the two nonces in base64url without padding, and the
 * endpoint binding `cb`; the same computation as .NET's HMACSHA256, which the PowerShell module uses.
 * The daemon and its clients both compute them here.
 *
 * `cb` ties a proof to the two ends of one connection, so that a process that can create another
 * instance of the daemon's Windows pipe cannot relay a handshake between an admin and the daemon
 * (docs/security.md, "Relayed handshakes"): on Windows it is the server's and the client's process
 * ids as each end sees them (endpointBinding); on Unix it is empty (docs/protocol.md says why).
 */

const NONCE_BYTES = 32;
export const PROTOCOL_VERSION = 3;

const SERVER_LABEL = 'gateway-apikeys server v3\n';
const CLIENT_LABEL = 'gateway-apikeys client v3\n';

/**
 * The binding `cb` of a connection whose ends one side learned from the system
 * (src/platform/system.ts): on Windows the server's process id, then the client's, in decimal; none
 * (undefined) on Unix, where it is empty. An end Windows would not name gives a binding no honest
 * peer computes, so no proof is accepted on that connection rather than one that binds nothing.
 */
export function endpointBinding(ends: { serverPid: number | undefined; clientPid: number | undefined } | undefined): string {
  if (ends === undefined) return '';
  if (ends.serverPid === undefined || ends.clientPid === undefined) return '?';
  return `${ends.serverPid}:${ends.clientPid}`;
}

/** base64url without padding, as the handshake carries nonces and proofs. */
function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function newNonce(): string {
  return b64(crypto.randomBytes(NONCE_BYTES));
}

/** A token as an HMAC key, held outside the JS heap (an OpenSSL key object). */
export function proofKey(token: Buffer): crypto.KeyObject {
  return crypto.createSecretKey(token);
}

function hmac(key: crypto.KeyObject, text: string): string {
  return crypto.createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

/** What the daemon answers a challenge with: it proves it knows the token of the role asked for. */
export function serverProof(key: crypto.KeyObject, clientNonce: string, serverNonce: string, binding: string): string {
  return hmac(key, `${SERVER_LABEL}${clientNonce}\n${serverNonce}\n${binding}`);
}

/** What the client sends in its hello, once the server proved itself. */
export function clientProof(key: crypto.KeyObject, serverNonce: string, clientNonce: string, binding: string): string {
  return hmac(key, `${CLIENT_LABEL}${serverNonce}\n${clientNonce}\n${binding}`);
}

/** Whether two proofs are equal, in constant time (a proof of the wrong length is simply unequal). */
export function sameProof(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(presented, 'latin1');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
