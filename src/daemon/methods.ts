import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { ApiKeyListResult, AuthenticateResult, RpcMethod, RpcMethods, Role } from '../generated/schemas.js';
import { RawJson } from '../rpc/raw-json.js';
import { newNonce, PROTOCOL_VERSION } from '../session-proof.js';
import { BackupStream } from '../vault/backup.js';
import { ApiError } from '../shared/api-error.js';
import type { Log } from '../shared/log.js';
import { maskSecrets } from '../shared/secret-text.js';
import type { Vault } from '../vault/vault.js';
import type { FailedAuthentications } from './failed-authentications.js';
import { OncePerInterval, OncePerPairPerInterval } from './once-per-interval.js';
import { OpenBackups } from './open-backups.js';
import { readAuthenticateFrame } from './authenticate-frame.js';
import { AuthenticateTexts } from './authenticate-texts.js';
import { isRpcMethod, parseParams } from './params.js';
import { rpcError, toResponseError } from './rpc-errors.js';
import type { Session } from './session.js';
import type { SessionCaps } from './session-caps.js';
import type { RoleTokens } from './tokens.js';

/** What the methods act on: one per daemon. */
export interface DaemonContext {
  vault: Vault;
  tokens: RoleTokens;
  log: Log;
  /** Where events any local process can cause are logged: summarized when they flood (SummarizingLog). */
  exposedLog: Log;
  failures: FailedAuthentications;
  /** The places of sessions, checked when a hello proves a role. */
  sessions: SessionCaps;
  serverVersion: string;
  /** performance.now() when the daemon started. */
  startedAt: number;
  /** Asks the daemon to stop cleanly once this answer is out (daemon.shutdown). */
  requestStop(role: Role, connection: number): void;
  /** The warnings about connectors' keys said recently: each is said once per interval, so a connector retrying does not flood the log. */
  reported: {
    expiredKey: OncePerInterval;
    disabledKey: OncePerInterval;
    previousValue: OncePerPairPerInterval;
  };
  openBackups: OpenBackups;
  /** The JSON text of authenticate results, for the fast path. */
  authenticateTexts: AuthenticateTexts;
}

/** Backups read at once by one daemon at most (OpenBackups). */
const MAX_OPEN_BACKUPS = 4;

/** What a daemon remembers between requests besides its vault: its own, so that no two daemons of one process share any. */
export function daemonState(): Pick<DaemonContext, 'reported' | 'openBackups' | 'authenticateTexts'> {
  return {
    reported: {
      expiredKey: new OncePerInterval(3_600_000),
      disabledKey: new OncePerInterval(3_600_000),
      previousValue: new OncePerPairPerInterval(600_000),
    },
    openBackups: new OpenBackups(MAX_OPEN_BACKUPS),
    authenticateTexts: new AuthenticateTexts(),
  };
}

type Handler<M extends RpcMethod> = (
  ctx: DaemonContext,
  session: Session,
  params: RpcMethods[M]['params'],
) => Answer<RpcMethods[M]['result']> | Promise<Answer<RpcMethods[M]['result']>>;

/** A result as an object, or already written as its JSON text. */
type Answer<R> = R | RawJson<R>;

/** Who may call what (docs/security.md): admin everything; gateway only authenticate and status; the handshake anyone. */
const ALLOWED: Record<RpcMethod, 'anyone' | readonly Role[]> = {
  'session.challenge': 'anyone',
  'session.hello': 'anyone',
  'daemon.status': ['admin', 'gateway'],
  'connector.authenticate': ['admin', 'gateway'],
  'apiKey.list': ['admin'],
  'apiKey.get': ['admin'],
  'apiKey.create': ['admin'],
  'apiKey.update': ['admin'],
  'apiKey.reveal': ['admin'],
  'apiKey.delete': ['admin'],
  'apiKey.verify': ['admin'],
  'audit.list': ['admin'],
  'audit.verify': ['admin'],
  'daemon.shutdown': ['admin'],
  'apiKey.rotate': ['admin'],
  'apiKey.disable': ['admin'],
  'apiKey.enable': ['admin'],
  'apiKey.usage': ['admin'],
  'backup.create': ['admin'],
  'backup.read': ['admin'],
};

const notProved = () =>
  new ApiError('Unauthenticated', 'The proof is not valid for this role: use the token of admin.token or gateway.token in the data directory.');

const HANDLERS: { [M in RpcMethod]: Handler<M> } = {
  // Protocol 3 (docs/protocol.md, "Sessions"): the daemon proves itself first; no token crosses the pipe;
  // both proofs are bound to this connection's ends. The params check refused a client of protocol 2.
  'session.challenge': (ctx, session, { role, clientNonce }) => {
    const serverNonce = newNonce();
    session.challenge = { role, clientNonce, serverNonce };
    return { serverNonce, serverProof: ctx.tokens.serverProof(role, clientNonce, serverNonce, session.binding) };
  },

  'session.hello': (ctx, session, { role, clientProof }) => {
    const challenge = session.challenge;
    session.challenge = undefined; // each challenge answers one hello
    if (!challenge || challenge.role !== role || !ctx.tokens.acceptsClientProof(role, challenge.serverNonce, challenge.clientNonce, session.binding, clientProof)) {
      ctx.exposedLog.info('A client failed the handshake', {
        event: 'session.rejected', connection: session.id, account: session.account, role, reason: challenge ? 'proof' : 'noChallenge',
      });
      throw challenge ? notProved() : new ApiError('Unauthenticated', 'Call session.challenge first: each hello answers the challenge issued just before it.');
    }
    session.establish(role, ctx.sessions.admit(role, session.account));
    ctx.log.debug('Session opened', { event: 'session.opened', connection: session.id, role });
    return { role, serverVersion: ctx.serverVersion, protocolVersion: PROTOCOL_VERSION, today: ctx.vault.today().toString(), timeZone: ctx.vault.timeZone };
  },

  'daemon.status': (ctx) => ({
    serverVersion: ctx.serverVersion,
    uptimeSeconds: Math.floor((performance.now() - ctx.startedAt) / 1000),
    keys: ctx.vault.counts(),
    store: ctx.vault.storeStatus(),
  }),

  'connector.authenticate': (ctx, session, { key, connectorId }) => authenticate(ctx, session, key, true, connectorId),
  'apiKey.verify': (ctx, session, { key }) => authenticate(ctx, session, key, false),

  // The one answer that can be megabytes: written as JSON text directly (RawJson), not via objects.
  'apiKey.list': (ctx, _session, params) => new RawJson<ApiKeyListResult>(ctx.vault.listJson(params)),
  'apiKey.get': (ctx, _session, params) => ctx.vault.get(params),

  // Each change and reveal is recorded and logged by the vault, once (docs/storage.md, "The audit trail").
  'apiKey.reveal': (ctx, session, params) => ctx.vault.reveal(params, session.actor),
  'apiKey.create': (ctx, session, params) => ctx.vault.create(params, session.actor),
  'apiKey.update': (ctx, session, params) => ctx.vault.update(params, session.actor),
  'apiKey.delete': (ctx, session, params) => ctx.vault.delete(params, session.actor),
  // The params check filled in graceHours' default (schemas/params/apiKey.rotate.json).
  'apiKey.rotate': (ctx, session, params) => ctx.vault.rotate(params as Required<typeof params>, session.actor),
  'apiKey.disable': (ctx, session, params) => ctx.vault.setEnabled(params, false, session.actor),
  'apiKey.enable': (ctx, session, params) => ctx.vault.setEnabled(params, true, session.actor),

  'audit.list': (ctx, _session, params) => ctx.vault.audit.list(params),
  'audit.verify': (ctx) => ctx.vault.audit.verify(),
  // The clean stop of SIGINT/SIGTERM, for Windows, which has no SIGTERM: the answer goes out first (docs/protocol.md).
  'daemon.shutdown': (ctx, session) => {
    ctx.log.info('Daemon stop requested', { event: 'daemon.shutdownRequested', role: session.role, account: session.account, connection: session.id });
    ctx.requestStop(session.role!, session.id);
    return { stopping: true };
  },
  'apiKey.usage': (ctx, _session, params) => ctx.vault.usageAcrossFarm(params),

  // A backup is read a part per request (docs/protocol.md, "Backups"), so authentication goes on between parts.
  'backup.create': async (ctx, session, { passphrase }) => {
    session.backup = undefined; // a new backup ends the one before, before this one costs memory
    const giveBack = ctx.openBackups.take(); // taken from now: backups started together all count
    const secret = Buffer.from(passphrase, 'utf8');
    try {
      const backup = await BackupStream.start(ctx.vault, secret, session.actor, giveBack);
      session.backup = backup;
      return { ...backup.summary, parts: backup.parts };
    } catch (error) {
      giveBack();
      throw error;
    } finally {
      secret.fill(0);
    }
  },

  'backup.read': (_ctx, session, { index }) => {
    const backup = session.backup;
    if (!backup) throw new ApiError('InvalidParams', 'No backup is being read on this connection: call backup.create first.', 'index');
    const { data, last } = backup.read(index);
    if (last) session.backup = undefined;
    return { data: data.toString('base64'), last };
  },
};

function authenticate(ctx: DaemonContext, session: Session, key: string, recordUse: boolean, connectorId?: string): AuthenticateResult {
  const result = ctx.vault.authenticate(key, recordUse, connectorId);
  if (result.authenticated) {
    // Who still presents the value a rotation replaced, so the admin can give them the new one
    // before its grace ends: once every ten minutes per key and connector.
    if (result.previousValue && recordUse && ctx.reported.previousValue.due(result.name, connectorId ?? '')) {
      ctx.log.warn('A connector authenticated with the previous value of a rotated API key: give it the new value before the grace ends', {
        event: 'auth.previousValue', keyName: result.name, connectorId, previousValidUntil: ctx.vault.get({ name: result.name }).previousValidUntil,
        connection: session.id,
      });
    }
    return result;
  }
  if (result.reason === 'Expired') {
    // An expired key still in use breaks a workflow: tell the operator, once an hour per key.
    const name = ctx.vault.keyNameOf(key) ?? '';
    if (ctx.reported.expiredKey.due(name)) {
      ctx.log.warn('A connector presented an expired API key: edit its expiry or give the connector a new key', {
        event: 'auth.expiredKey', keyName: name, connectorId, connection: session.id,
      });
    }
  } else if (result.reason === 'Disabled') {
    // Likewise a disabled key: which connector still presents it, once an hour per key.
    const name = ctx.vault.keyNameOf(key) ?? '';
    if (ctx.reported.disabledKey.due(name)) {
      ctx.log.warn('A connector presented a disabled API key: enable the key, or give the connector another', {
        event: 'auth.disabledKey', keyName: name, connectorId, connection: session.id,
      });
    }
  }
  return result;
}

/**
 * What a request failed to prove, when it is a failed authentication (a wrong handshake proof, a
 * malformed or unknown key): those are counted against their user's budgets (FailedAuthentications).
 */
function failedAuthentication(method: RpcMethod, outcome: unknown): string | undefined {
  if (method === 'session.hello') return outcome instanceof ResponseError && (outcome.data as { code?: string } | undefined)?.code === 'Unauthenticated' ? 'proof' : undefined;
  if (method !== 'connector.authenticate' && method !== 'apiKey.verify' || outcome instanceof ResponseError) return undefined;
  const result = outcome as AuthenticateResult;
  return !result.authenticated && (result.reason === 'Malformed' || result.reason === 'Unknown') ? result.reason : undefined;
}

/**
 * Answers one request (docs/protocol.md): the method must exist, the session must have a role
 * allowed to call it, the params must pass their schema; then the handler runs. Every failure is a
 * coded ResponseError; an unexpected exception is logged and answered as Internal, never thrown
 * on. A failed authentication is answered at once, never held (docs/protocol.md, "Throttling"):
 * one past its user's handshake budget closes its connection instead (src/rpc/server.ts).
 */
export function dispatch(ctx: DaemonContext, session: Session, method: string, params: unknown): Promise<unknown> {
  if (!isRpcMethod(method)) return Promise.resolve(new ResponseError(ErrorCodes.MethodNotFound, maskSecrets(`Unknown method '${method.slice(0, 100)}'.`)));
  return answer(ctx, session, method, params).then((outcome) => countFailure(ctx, session, method, outcome));
}

/** Counts a failed authentication against its user's budgets (FailedAuthentications); the outcome, unchanged. */
function countFailure(ctx: DaemonContext, session: Session, method: RpcMethod, outcome: unknown): unknown {
  const failure = failedAuthentication(method, outcome);
  if (failure === undefined) return outcome;
  if (method === 'session.hello') {
    if (ctx.failures.handshakeFailed(session, failure) === 'close') session.closing = true;
  } else {
    ctx.failures.keyFailed(session, failure);
  }
  return outcome;
}

const AUTHENTICATE = 'connector.authenticate';
const mayAuthenticate = ALLOWED[AUTHENTICATE] as readonly Role[];

/**
 * The authenticate fast path (docs/architecture.md, "The authenticate fast path"): a gateway's
 * authenticate frame, recognised from its bytes (readAuthenticateFrame), answered by the same steps
 * as dispatch takes for it — role check, authenticate(), failure counted — with its answer written
 * as JSON text. Undefined, for the generic path, when the frame is not exactly of that shape, or
 * the session has no role that may call it (the generic path says why).
 */
export function fastAnswer(ctx: DaemonContext, session: Session, body: Buffer): string | undefined {
  const role = session.role;
  if (role === undefined || !mayAuthenticate.includes(role)) return undefined;
  const request = readAuthenticateFrame(body);
  if (!request) return undefined;
  let outcome: AuthenticateResult | ResponseError<unknown>;
  try {
    outcome = HANDLERS[AUTHENTICATE](ctx, session, { key: request.key, connectorId: request.connectorId }) as AuthenticateResult;
  } catch (error) {
    outcome = refusal(ctx, session, AUTHENTICATE, error);
  }
  countFailure(ctx, session, AUTHENTICATE, outcome);
  return outcome instanceof ResponseError
    ? JSON.stringify({ jsonrpc: '2.0', id: Number(request.id), error: outcome.toJson() })
    : `{"jsonrpc":"2.0","id":${request.id},"result":${ctx.authenticateTexts.textOf(outcome)}}`;
}

async function answer(ctx: DaemonContext, session: Session, method: RpcMethod, params: unknown): Promise<unknown> {
  const allowed = ALLOWED[method];
  if (allowed === 'anyone') {
    session.dropRole(); // a handshake starts from no role, and one that fails, even its schema, ends with none
  } else {
    if (!session.role) return rpcError('Unauthenticated', 'Open a session first: session.challenge, then session.hello.');
    if (!allowed.includes(session.role)) return rpcError('Forbidden', `The ${session.role} role cannot call ${method}.`);
  }
  try {
    const handler = HANDLERS[method] as Handler<RpcMethod>;
    return await handler(ctx, session, parseParams(method, params));
  } catch (error) {
    return refusal(ctx, session, method, error);
  }
}

/** What a handler's exception is answered with: its ApiError, coded; anything else logged, and answered as Internal. */
function refusal(ctx: DaemonContext, session: Session, method: RpcMethod, error: unknown): ResponseError<unknown> {
  if (error instanceof ApiError) {
    if (method.startsWith('apiKey.') && method !== 'apiKey.verify') {
      ctx.log.info('Request refused', { event: 'request.refused', method, code: error.code, field: error.field, role: session.role, connection: session.id });
    }
    return toResponseError(error);
  }
  ctx.log.error('Unexpected failure while answering a request', {
    event: 'request.failed', method, connection: session.id, error: (error as Error).message, stack: (error as Error).stack,
  });
  return rpcError('Internal', 'The daemon failed to answer this request; the details are in its log.');
}
