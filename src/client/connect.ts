import type net from 'node:net';
import type { ClientErrorCode } from '../generated/error-codes.js';
import type { Role, RpcMethods, SessionHelloResult } from '../generated/schemas.js';
import { clientSideEnds, localPipeConnector } from '../platform/system.js';
import { type ClientLimits, RpcClient, RpcProtocolError, RpcTimeoutError } from '../rpc/client.js';
import { clientProof, endpointBinding, newNonce, PROTOCOL_VERSION, proofKey, sameProof, serverProof } from '../session-proof.js';

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
  /** The largest answer accepted once the daemon has proved itself (MAX_ANSWER_BYTES when not given). */
  maxAnswerBytes?: number;
  /** How long each request may wait for its answer once the session is open (REQUEST_TIMEOUT_MS when not given). */
  requestTimeoutMs?: number;
  /** How long each request of the handshake may wait (HANDSHAKE_TIMEOUT_MS when not given). */
  handshakeTimeoutMs?: number;
}

/**
 * What the client accepts of what answers on the pipe (docs/security.md, "What answers the pipe").
 * Before the handshake, whatever answers may be anyone: its answers are the challenge's and
 * hello's, about 150 bytes, so 4 KiB (the daemon's own limit for requests before the handshake,
 * docs/protocol.md "Limits") is room enough, and nothing larger is ever buffered.
 */
const HANDSHAKE_ANSWER_BYTES = 4 * 1024;
/**
 * Once the daemon has proved itself: room for the largest legitimate answer. apiKey.list of
 * 100,000 keys whose every field is at its longest in plain text is 424 MiB; a backup.read part of
 * 1000 such keys, each used by 64 connectors of 256-character ids, is 30 MiB in base64 (160 MiB
 * were every character a JSON escape). test/guarantees/hostile-clients.test.ts computes them.
 * Node cannot make one string of a body over 512 MiB (V8's limit of 2^29 - 24 characters), so
 * no larger answer could be read anyway; a list of longer texts is read a page at a time
 * (offset, limit).
 */
export const MAX_ANSWER_BYTES = 500 * 1024 * 1024;
/** The daemon closes a connection that has not finished its handshake within 10 s (docs/protocol.md, "Limits"): waiting longer is waiting for nothing. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Each request of an open session. The slowest legitimate answers: backup.create's key
 * derivation (about a second, one after the other when several backups start together),
 * audit.verify of a long trail. A backup is read a part per request, each under 10 ms to make.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * What answers on the pipe could not prove it knows the token: it is not the daemon, or the token is
 * not the daemon's. Either way nothing secret was sent to it.
 */
export class DaemonImpostorError extends Error {
  /** One of the clients' own codes (docs/protocol.md, "Errors"), which the CLI prints. */
  readonly code = 'DaemonImpostor' satisfies ClientErrorCode;

  /** `problem`: what gave it away, when it is not a wrong proof. */
  constructor(readonly pipe: string, problem?: string) {
    super(problem
      ? `What answers on ${pipe} is not the gateway-apikeys daemon: ${problem}. Nothing secret was sent to it.`
      : `What answers on ${pipe} is not the gateway-apikeys daemon: it does not know the token. Nothing secret was sent to it. ` +
        'If the token itself is wrong or old (a token changes when its file is deleted and the daemon restarts), give the current one.');
    this.name = 'DaemonImpostorError';
  }
}

/** What answers on the pipe broke the protocol once the daemon had proved itself: the connection is closed. */
export class DaemonProtocolError extends Error {
  readonly code = 'DaemonProtocolError' satisfies ClientErrorCode;

  constructor(readonly pipe: string, problem: string) {
    super(`What answers on ${pipe} does not speak the gateway-apikeys protocol: ${problem} The connection was closed.`);
    this.name = 'DaemonProtocolError';
  }
}

/** The daemon did not answer a request within the client's timeout: the connection is closed. */
export class DaemonTimeoutError extends Error {
  readonly code = 'DaemonTimeout' satisfies ClientErrorCode;

  constructor(readonly pipe: string, timeoutMs: number, handshake: boolean) {
    super(handshake
      ? `What answers on ${pipe} did not answer the handshake within ${timeoutMs / 1000} s: it is not the gateway-apikeys daemon, or the daemon is stuck. Nothing secret was sent to it.`
      : `The gateway-apikeys daemon at ${pipe} did not answer within ${timeoutMs / 1000} s. The connection was closed.`);
    this.name = 'DaemonTimeoutError';
  }
}

/** A protocol failure before the daemon has proved itself: nothing it says is to be believed, and nothing more is sent. */
function impostor(pipe: string, failure: RpcProtocolError): DaemonImpostorError {
  const problem = failure.message.replace(/\.$/, '');
  return new DaemonImpostorError(pipe, `it answers with what no daemon sends (${problem.charAt(0).toLowerCase()}${problem.slice(1)})`);
}

const ROLES: readonly Role[] = ['admin', 'gateway'];

/**
 * Connects to the daemon at `pipe` and opens a session with protocol 3 (docs/protocol.md,
 * "Sessions"): the daemon must prove it knows the role's token before the client sends its own
 * proof, and no token crosses the pipe. The one way this project's clients (the CLI, the tests, the
 * benchmarks) start talking to it. The connection is closed again when the session cannot be opened.
 */
export async function openSession(options: SessionOptions): Promise<DaemonSession> {
  const key = proofKey(Buffer.from(options.token, 'utf8'));
  const { pipe } = options;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const session: ClientLimits = { maxAnswerBytes: options.maxAnswerBytes ?? MAX_ANSWER_BYTES, requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS };
  let proved = false;
  // Until hello has answered, what answers may be anyone: small answers, a short wait, and a bad frame unmasks it.
  const describeFailure = (failure: RpcProtocolError | RpcTimeoutError): Error => {
    if (failure instanceof RpcTimeoutError) return new DaemonTimeoutError(pipe, failure.timeoutMs, !proved);
    return proved ? new DaemonProtocolError(pipe, failure.message) : impostor(pipe, failure);
  };
  // On Windows the pipe is opened at the Identification level: whatever answers cannot act as us (docs/security.md).
  // The proofs are bound to the connection's ends as this client sees them (src/session-proof.ts).
  const connector = localPipeConnector();
  let connected: net.Socket | undefined;
  const open = connector && (async (at: string, timeoutMs: number) => (connected = await connector(at, timeoutMs)));
  const client = await RpcClient.connect<RpcMethods>(pipe, options.connectTimeoutMs, open,
    { maxAnswerBytes: HANDSHAKE_ANSWER_BYTES, requestTimeoutMs: handshakeTimeoutMs, describeFailure });
  const binding = endpointBinding(clientSideEnds(connected));
  try {
    // A challenge reveals nothing, so asking for each role in turn until the daemon proves one is safe.
    for (const role of options.role ? [options.role] : ROLES) {
      const clientNonce = newNonce();
      const challenge = await client.request('session.challenge', { protocolVersion: PROTOCOL_VERSION, role, clientNonce });
      if (typeof challenge?.serverNonce !== 'string' || typeof challenge.serverProof !== 'string' ||
          !sameProof(serverProof(key, clientNonce, challenge.serverNonce, binding), challenge.serverProof)) {
        continue;
      }
      const proof = clientProof(key, challenge.serverNonce, clientNonce, binding);
      const hello = await client.request('session.hello', { role, clientProof: proof });
      proved = true;
      client.setLimits(session);
      return { client, hello };
    }
    throw new DaemonImpostorError(pipe);
  } catch (error) {
    client.destroy();
    throw error;
  }
}
