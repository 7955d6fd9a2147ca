import { ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { ApiKeyListResult, RpcMethod, RpcMethods, Role } from '../generated/schemas.js';
import type { RoleTokens } from '../daemon/tokens.js';
import { VaultError } from '../vault/errors.js';
import type { Log } from '../vault/log.js';
import { isRpcMethod, parseParams } from '../vault/params.js';
import { maskSecrets } from '../vault/secret-text.js';
import type { Vault } from '../vault/vault.js';
import { rpcError, toResponseError } from './errors.js';
import { OncePerInterval } from './once-per-interval.js';
import { RawJson } from './raw-json.js';
import type { Session } from './session.js';

/** What the methods act on: one per daemon. */
export interface DaemonContext {
  vault: Vault;
  tokens: RoleTokens;
  log: Log;
  serverVersion: string;
  /** performance.now() when the daemon started. */
  startedAt: number;
}

type Handler<M extends RpcMethod> = (
  ctx: DaemonContext,
  session: Session,
  params: RpcMethods[M]['params'],
) => RpcMethods[M]['result'] | Promise<RpcMethods[M]['result']>;

/** Who may call what (DESIGN §6): admin everything; gateway only authenticate and status. */
const ALLOWED: Record<RpcMethod, 'anyone' | readonly Role[]> = {
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
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Holds back a failed authentication's answer when this connection keeps failing. */
async function throttleFailure(ctx: DaemonContext, session: Session, what: string): Promise<void> {
  const delay = session.throttle.failure();
  const count = session.throttle.count;
  if (delay > 0 && (count === 21 || count % 100 === 0)) {
    ctx.log.warn('Slowing down a connection that keeps failing to authenticate', {
      event: 'auth.throttled', connection: session.id, role: session.role ?? 'none', failures: count, last: what,
    });
  }
  if (delay > 0) await sleep(delay);
}

/** Audit line for a change or a reveal: what, to which key, by which role on which connection. */
function audit(ctx: DaemonContext, session: Session, event: string, message: string, meta: Record<string, unknown>): void {
  ctx.log.info(message, { event, role: session.role, connection: session.id, ...meta });
}

const HANDLERS: { [M in RpcMethod]: Handler<M> } = {
  'session.hello': async (ctx, session, { token }) => {
    const role = ctx.tokens.roleOf(token);
    // A failed hello drops whatever role the connection had: least privilege.
    session.role = role;
    if (!role) {
      ctx.log.warn('A client presented a wrong token', { event: 'session.rejected', connection: session.id });
      await throttleFailure(ctx, session, 'token');
      throw new VaultError('Unauthenticated', 'The token is not valid. Use the content of admin.token or gateway.token in the data directory.');
    }
    ctx.log.debug('Session opened', { event: 'session.opened', connection: session.id, role });
    return { role, serverVersion: ctx.serverVersion, protocolVersion: 1, today: ctx.vault.today().toString(), timeZone: ctx.vault.timeZone };
  },

  'daemon.status': (ctx) => ({
    serverVersion: ctx.serverVersion,
    uptimeSeconds: Math.floor((performance.now() - ctx.startedAt) / 1000),
    keys: ctx.vault.counts(),
  }),

  'connector.authenticate': (ctx, session, { key, connectorId }) => authenticate(ctx, session, key, true, connectorId),
  'apiKey.verify': (ctx, session, { key }) => authenticate(ctx, session, key, false),

  // The one answer that can be megabytes: written as JSON text directly (RawJson), not via objects.
  'apiKey.list': (ctx, _session, params) => new RawJson(ctx.vault.listJson(params)) as unknown as ApiKeyListResult,
  'apiKey.get': (ctx, _session, params) => ctx.vault.get(params),

  'apiKey.reveal': (ctx, session, params) => {
    const revealed = ctx.vault.reveal(params);
    audit(ctx, session, 'apiKey.revealed', 'API key value shown', { keyName: revealed.name });
    return revealed;
  },

  'apiKey.create': async (ctx, session, params) => {
    const created = await ctx.vault.create(params);
    audit(ctx, session, 'apiKey.created', 'API key created', { keyName: created.name, expiresOn: created.expiresOn });
    return created;
  },

  'apiKey.update': async (ctx, session, params) => {
    const updated = await ctx.vault.update(params);
    audit(ctx, session, 'apiKey.updated', 'API key edited', {
      keyName: updated.name, ...(params.newName !== undefined && { previousName: params.name }), expiresOn: updated.expiresOn,
      changed: Object.keys(params).filter((field) => field !== 'name'),
    });
    return updated;
  },

  'apiKey.delete': async (ctx, session, params) => {
    const name = ctx.vault.get(params).name;
    const deleted = await ctx.vault.delete(params);
    audit(ctx, session, 'apiKey.deleted', 'API key deleted', { keyName: name });
    return deleted;
  },
};

const expiredReported = new OncePerInterval(3_600_000);

async function authenticate(ctx: DaemonContext, session: Session, key: string, recordUse: boolean, connectorId?: string) {
  const result = ctx.vault.authenticate(key, recordUse);
  if (result.authenticated) return result;
  if (result.reason === 'Expired') {
    // An expired key still in use breaks a workflow: tell the operator, once an hour per key.
    const name = ctx.vault.keyNameOf(key) ?? '';
    if (expiredReported.due(name)) {
      ctx.log.warn('A connector presented an expired API key: edit its expiry or give the connector a new key', {
        event: 'auth.expiredKey', keyName: name, connectorId, connection: session.id,
      });
    }
  } else {
    await throttleFailure(ctx, session, result.reason);
  }
  return result;
}

/**
 * Answers one request: the method must exist, the session must have a role allowed to call it,
 * the params must pass their schema; then the handler runs. Every failure is a coded
 * ResponseError; an unexpected exception is logged and answered as Internal, never thrown on.
 */
export async function dispatch(ctx: DaemonContext, session: Session, method: string, params: unknown): Promise<unknown> {
  if (!isRpcMethod(method)) return new ResponseError(ErrorCodes.MethodNotFound, maskSecrets(`Unknown method '${method.slice(0, 100)}'.`));
  const allowed = ALLOWED[method];
  if (allowed !== 'anyone') {
    if (!session.role) return rpcError('Unauthenticated', 'Call session.hello with a token first.');
    if (!allowed.includes(session.role)) return rpcError('Forbidden', `The ${session.role} role cannot call ${method}.`);
  }
  try {
    const handler = HANDLERS[method] as Handler<RpcMethod>;
    return await handler(ctx, session, parseParams(method, params));
  } catch (error) {
    if (error instanceof VaultError) {
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
}
