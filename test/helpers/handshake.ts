import type { Role } from '../../src/generated/schemas.js';
import type { DaemonClient } from '../../src/client/connect.js';
import { clientProof, newNonce, PROTOCOL_VERSION, proofKey } from '../../src/session-proof.js';

/**
 * The handshake of protocol 3 done by hand, for tests that must send what a well-behaved client
 * would not: a proof made with a wrong token or a wrong binding, a hello without its challenge. Real
 * clients use openSession (src/client/connect.ts), which also checks the daemon's proof. `binding`:
 * the endpoint binding the proof claims (a Unix socket's is empty).
 */
export async function handshake(client: DaemonClient, role: Role, token: string, binding = ''): Promise<unknown> {
  const clientNonce = newNonce();
  const { serverNonce } = await client.request('session.challenge', { protocolVersion: PROTOCOL_VERSION, role, clientNonce });
  return client.request('session.hello', { role, clientProof: clientProof(proofKey(Buffer.from(token)), serverNonce, clientNonce, binding) });
}
