import type { Role } from '../../src/generated/schemas.js';
import type { DaemonClient } from '../../src/client/connect.js';
import { clientProof, newNonce, proofKey } from '../../src/session-proof.js';

/**
 * The handshake of protocol 2 done by hand, for tests that must send what a well-behaved client
 * would not: a proof made with a wrong token, a hello without its challenge. Real clients use
 * openSession (src/client/connect.ts), which also checks the daemon's proof.
 */
export async function handshake(client: DaemonClient, role: Role, token: string): Promise<unknown> {
  const clientNonce = newNonce();
  const { serverNonce } = (await client.request('session.challenge', { role, clientNonce })) as { serverNonce: string };
  return client.request('session.hello', { role, clientProof: clientProof(proofKey(Buffer.from(token)), serverNonce, clientNonce) });
}
