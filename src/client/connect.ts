import type { Role, RpcMethods, SessionHelloResult } from '../generated/schemas.js';
import { RpcClient } from '../rpc/client.js';

/** A client of the daemon: the transport's client, typed with the contract's methods. */
export type DaemonClient = RpcClient<RpcMethods>;

/** A connection to the daemon with its session open: the typed client and what hello answered. */
export interface DaemonSession {
  client: DaemonClient;
  hello: SessionHelloResult;
}

export interface SessionOptions {
  pipe: string;
  role: Role;
  /** The role's token: the content of its token file. */
  token: string;
  connectTimeoutMs?: number;
}

/**
 * Connects to the daemon at `pipe` and opens a session in `role` (docs/protocol.md, "Sessions"):
 * the one way this project's clients (the CLI, the tests, the benchmarks) start talking to it.
 * The connection is closed again when the session cannot be opened.
 */
export async function openSession(options: SessionOptions): Promise<DaemonSession> {
  const client = await RpcClient.connect<RpcMethods>(options.pipe, options.connectTimeoutMs);
  try {
    const hello = await client.request('session.hello', { token: options.token });
    return { client, hello };
  } catch (error) {
    client.destroy();
    throw error;
  }
}
