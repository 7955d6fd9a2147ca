import type { ClientErrorCode } from '../generated/error-codes.js';
import type { Role, RpcMethods, SessionHelloResult } from '../generated/schemas.js';
import { localPipeConnector } from '../platform/system.js';
import { RpcClient } from '../rpc/client.js';
import { clientProof, newNonce, proofKey, sameProof, serverProof } from '../session-proof.js';

/** A client of the daemon: the transport's client, typed with the contract's methods. */
export type DaemonClient = RpcClient<RpcMethods>;

/** A connection to the daemon with its session open: the typed client and what hello answered. */
interface DaemonSession {
  client: DaemonClient;
  hello: SessionHelloResult;
}

interface SessionOptions {
  pipe: string;
  /** The role to prove; without one, whichever role the token proves (admin is tried first). */
  role?: Role;
  /** The role's token: the content of its token file (trimmed). */
  token: string;
  connectTimeoutMs?: number;
}

/**
 * What answers on the pipe could not prove it knows the token: it is not the daemon, or the token is
 * not the daemon's. Either way nothing secret was sent to it.
 */
export class DaemonImpostorError extends Error {
  /** One of the clients' own codes (docs/protocol.md, "Errors"), which the CLI prints. */
  readonly code = 'DaemonImpostor' satisfies ClientErrorCode;

  constructor(readonly pipe: string) {
    super(`What answers on ${pipe} is not the gateway-apikeys daemon: it does not know the token. Nothing secret was sent to it. ` +
      'If the token itself is wrong or old (a token changes when its file is deleted and the daemon restarts), give the current one.');
    this.name = 'DaemonImpostorError';
  }
}

const ROLES: readonly Role[] = ['admin', 'gateway'];

/**
 * Connects to the daemon at `pipe` and opens a session with protocol 2 (docs/protocol.md,
 * "Sessions"): the daemon must prove it knows the role's token before the client sends its own
 * proof, and no token crosses the pipe. The one way this project's clients (the CLI, the tests, the
 * benchmarks) start talking to it. The connection is closed again when the session cannot be opened.
 */
export async function openSession(options: SessionOptions): Promise<DaemonSession> {
  const key = proofKey(Buffer.from(options.token, 'utf8'));
  // On Windows the pipe is opened at the Identification level: whatever answers cannot act as us (docs/security.md).
  const client = await RpcClient.connect<RpcMethods>(options.pipe, options.connectTimeoutMs, localPipeConnector());
  try {
    // A challenge reveals nothing, so asking for each role in turn until the daemon proves one is safe.
    for (const role of options.role ? [options.role] : ROLES) {
      const clientNonce = newNonce();
      const challenge = await client.request('session.challenge', { role, clientNonce });
      if (typeof challenge?.serverNonce !== 'string' || typeof challenge.serverProof !== 'string' ||
          !sameProof(serverProof(key, clientNonce, challenge.serverNonce), challenge.serverProof)) {
        continue;
      }
      const proof = clientProof(key, challenge.serverNonce, clientNonce);
      const hello = await client.request('session.hello', { role, clientProof: proof });
      return { client, hello };
    }
    throw new DaemonImpostorError(options.pipe);
  } catch (error) {
    client.destroy();
    throw error;
  }
}
