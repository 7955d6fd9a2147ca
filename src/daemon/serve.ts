import { existsSync } from 'node:fs';
import path from 'node:path';
import { serverVersion } from '../generated/version.js';
import { TOKEN_FILES } from '../locations.js';
import { daemonSideEnds, eventLogWriter, forbidCoreDumps, listenPipe, peerOf } from '../platform/system.js';
import { type ConnectionSource, PipeInUseError, RpcServer } from '../rpc/server.js';
import { type Clock, clockStartingAt, hostTimeZone, systemClock } from '../vault/clock.js';
import { claimDataDir, refuseIfHeld } from '../vault/storage/data-dir.js';
import { checkNewVaultPassphrase, MASTER_KEY_FILE } from '../vault/storage/master-key.js';
import { NO_SESSION, Vault } from '../vault/vault.js';
import { readFarmMembership } from '../vault/storage/farm-membership.js';
import { checkStoreUrl } from '../shared/store-url.js';
import { nodeFileSystem } from '../vault/storage/node-file-system.js';
import { ExpiryWatch } from './expiry-watch.js';
import { FailedAuthentications } from './failed-authentications.js';
import { SERVER_LIMITS } from './limits.js';
import { createLogger, type Logger } from './logging.js';
import { type DaemonContext, daemonState, dispatch, fastAnswer } from './methods.js';
import { eventFor, type EventLogWriter } from './event-log.js';
import { resolveGatewayReader, shareGatewayToken, shareSocket } from './gateway-access.js';
import { type Account, checkPipeAccess, pipeAccess, resolvePipeAllow, takenPipe } from './pipe-access.js';
import { preparePipePath } from './pipe-path.js';
import { endpointBinding } from '../session-proof.js';
import { Session } from './session.js';
import { SessionCaps } from './session-caps.js';
import { SummarizingLog } from './summarizing-log.js';
import { RoleTokens } from './tokens.js';

interface DaemonOptions {
  dataDir: string;
  pipe: string;
  timeZone?: string;
  logLevel?: string;
  /** Seals (first start) or opens the master key with a passphrase. */
  passphrase?: Buffer;
  /** GATEWAY_APIKEYS_NOW: start the clock at this instant (a test aid). */
  now?: string;
  /** Log to the console as well as to <data-dir>/logs (default true). */
  consoleLog?: boolean;
  /** Windows: the accounts (names or SIDs) that may open the pipe; none: every authenticated local account. */
  pipeAllow?: readonly string[];
  /** Windows: the gateway's account, which may read gateway.token and open the pipe (serve --gateway-account). */
  gatewayAccount?: string;
  /** Unix: the gateway's group, which may read gateway.token, reach it, and connect (serve --gateway-group). */
  gatewayGroup?: string;
  /**
   * The farm's database (--store, GATEWAY_APIKEYS_STORE): overrides farm.json's. Given to a data dir
   * that is no farm host's, the start is refused: `farm init` or `farm join` makes one (docs/farm.md).
   */
  store?: string;
  /** A farm host's backstop poll of the change sequence, in milliseconds (2 s). */
  farmPollMs?: number;
  /** Where warnings and errors also go: the Windows event log by default there, nowhere elsewhere. */
  eventLog?: EventLogWriter;
}

/** Why the daemon stops: a signal's name, or `daemon.shutdown` with who asked. */
export type StopReason = { by: 'signal'; signal: string } | { by: 'request'; role: string; connection: number };

interface RunningDaemon {
  readonly pipe: string;
  readonly adminTokenFile: string;
  readonly vault: Vault;
  readonly log: Logger;
  /** Resolves when a client asked the daemon to stop (daemon.shutdown); the caller then calls stop(). */
  readonly stopRequested: Promise<StopReason>;
  /** Finishes in-flight requests, flushes last-used times, compacts, removes the socket, releases the data dir. */
  stop(reason?: StopReason): Promise<void>;
}

function startClock(now: string | undefined, log: Logger): Clock {
  if (now === undefined) return systemClock;
  const at = Date.parse(now);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(now) || Number.isNaN(at)) {
    throw new Error(`GATEWAY_APIKEYS_NOW must be an RFC 3339 instant such as 2026-11-27T12:00:00Z, not '${now}'.`);
  }
  log.warn('The clock was moved by GATEWAY_APIKEYS_NOW: a test aid, never for production', { event: 'clock.moved', startsAt: new Date(at).toISOString() });
  return clockStartingAt(at);
}

/** No core dumps (they would hold the derived keys and key values), before any secret is in memory; what to log about it. */
function hardenProcess(): (log: Logger) => void {
  try {
    if (forbidCoreDumps()) return () => undefined;
    return (log) => log.info('Core dumps are left to the system here', { event: 'process.coreDumps', platform: process.platform });
  } catch (error) {
    return (log) => log.warn('Could not turn core dumps off', { event: 'process.coreDumps', error: (error as Error).message });
  }
}

/**
 * Starts the daemon (docs/architecture.md, "Start and stop"): claims the data dir (checked and
 * locked) before touching anything in it, so a second daemon leaves no trace; opens the vault,
 * makes the role tokens, listens on the pipe. The lock is this function's to release, last.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const startedAt = performance.now();
  const reportHardening = hardenProcess();
  const eventLog = options.eventLog ?? eventLogWriter();
  const windows = process.platform === 'win32';
  let log: Logger | undefined;
  let vault: Vault | undefined;
  let lock: Awaited<ReturnType<typeof claimDataDir>> | undefined;
  try {
    // Before anything is touched: a mistyped account fails the start, not the gateway's first call.
    const gatewayReader = resolveGatewayReader(options, windows);
    const pipeAllow: Account[] = windows ? resolvePipeAllow(options.pipeAllow ?? []) : [];
    // --gateway-account opens the pipe to that account as --pipe-allow would, beside those named there.
    if (gatewayReader?.kind === 'windows' && pipeAllow.length > 0) pipeAllow.push(gatewayReader.account);
    // A Windows pipe name someone serves is refused before the data dir is touched (a Unix path is
    // checked once the vault is open); a second daemon on the same data dir is told about that first.
    if (windows) {
      refuseIfHeld(options.dataDir);
      await preparePipePath(options.pipe);
    }
    // A first start would seal a new master.key with this passphrase: one too short is refused before
    // the data dir is even made (docs/security.md, "The master key"); Vault.open checks again under the lock.
    if (options.passphrase && !existsSync(path.join(options.dataDir, MASTER_KEY_FILE))) checkNewVaultPassphrase(options.passphrase);
    lock = await claimDataDir(options.dataDir, {
      gatewayReader: gatewayReader && (gatewayReader.kind === 'unix' ? { gid: gatewayReader.gid } : { sid: gatewayReader.account.sid }),
    });
    log = createLogger({ level: options.logLevel ?? 'info', directory: path.join(options.dataDir, 'logs'), console: options.consoleLog, eventLog });
    for (const note of lock.notes) log[note.level](note.message, note.meta);
    reportHardening(log);
    const clock = startClock(options.now, log);
    const membership = await readFarmMembership(nodeFileSystem, options.dataDir);
    if (options.store !== undefined && !membership) {
      throw new Error(`${options.dataDir} is not a farm host's data directory: make it one with 'gateway-apikeys farm init' or 'gateway-apikeys farm join' first (docs/farm.md).`);
    }
    vault = await Vault.open({
      dataDir: options.dataDir, clock, log, passphrase: options.passphrase, timeZone: options.timeZone ?? hostTimeZone(),
      farm: membership && { membership, url: checkStoreUrl(options.store ?? membership.store), pollMs: options.farmPollMs },
    });
    const tokens = await RoleTokens.ensure(options.dataDir);
    if (gatewayReader) {
      await shareGatewayToken(options.dataDir, gatewayReader);
      log.info('The gateway\'s account may read gateway.token', {
        event: 'gatewayToken.shared', ...(gatewayReader.kind === 'unix' ? { group: gatewayReader.group, gid: gatewayReader.gid } : { account: gatewayReader.account }),
      });
    }
    // What any local process can make the daemon log is summarized when it floods.
    const exposedLog = new SummarizingLog(log);
    const openVault = vault;
    const failures = new FailedAuthentications(log, (detail) => openVault.record({ event: 'auth.failures', detail }, NO_SESSION));
    let requestStop!: (reason: StopReason) => void;
    const stopRequested = new Promise<StopReason>((resolve) => { requestStop = resolve; });
    const context: DaemonContext = {
      vault, tokens, log, exposedLog, failures, sessions: new SessionCaps(), serverVersion, startedAt, ...daemonState(),
      requestStop: (role, connection) => requestStop({ by: 'request', role, connection }),
    };
    if (!windows) await preparePipePath(options.pipe);
    // On Windows the daemon makes the pipe's instances itself, each with its DACL from the start (docs/security.md, "Windows: the pipe").
    const access = windows ? pipeAccess(pipeAllow) : undefined;
    const pipeLog = log;
    let listener: ReturnType<typeof listenPipe> | undefined;
    const source: ConnectionSource | undefined = access && {
      listen: async (accept) => {
        listener = listenPipe(options.pipe, access.sddl, accept, (error) =>
          pipeLog.error('The pipe stopped accepting connections', { event: 'pipe.failed', pipe: options.pipe, error: error.message }));
      },
      close: () => listener?.close() ?? Promise.resolve(),
    };
    const server = await RpcServer.listen(options.pipe, {
      dispatch: (session: Session, method, params) => dispatch(context, session, method, params),
      fastAnswer: (session: Session, body) => fastAnswer(context, session, body),
      openSession: (id, account, socket) => new Session(id, account, endpointBinding(daemonSideEnds(socket))),
      peerOf,
      refusal: (account) => failures.refusal(account),
      limits: SERVER_LIMITS,
      log: exposedLog,
      source,
    }).catch((error: unknown) => {
      // Windows refuses a name another process took since preparePipePath looked (the first instance is asked for): say whose.
      if (error instanceof PipeInUseError && windows) throw new PipeInUseError(options.pipe, takenPipe(options.pipe));
      throw error;
    });
    await shareSocket(options.pipe, gatewayReader);
    if (access && listener) {
      try {
        const readBack = listener.readBackDacl();
        checkPipeAccess(options.pipe, access, readBack);
        log.info('The pipe\'s access list: SYSTEM, Administrators, the daemon\'s account, and who may connect', {
          event: 'pipe.secured', pipe: options.pipe, mayConnect: access.connectors, sddl: readBack,
        });
      } catch (error) {
        await server.close(0);
        throw error;
      }
    }
    const watch = new ExpiryWatch(vault, log);
    log.info('Daemon ready', {
      event: 'daemon.ready', version: serverVersion, pipe: options.pipe, dataDir: options.dataDir, timeZone: vault.timeZone,
      keys: vault.size, startMs: Math.round(performance.now() - startedAt),
    });
    const running = { vault, log, lock }; // stop() closes over these; TypeScript does not carry the narrowed lets into it
    let stopping: Promise<void> | undefined;
    return {
      pipe: options.pipe,
      adminTokenFile: path.join(options.dataDir, TOKEN_FILES.admin),
      vault,
      log,
      stopRequested,
      stop(reason) {
        stopping ??= (async () => {
          running.log.info('Daemon stopping', { event: 'daemon.stopping', ...reason });
          watch.stop();
          await server.close();
          exposedLog.endWindow();
          await failures.endWindow();
          await running.vault.close();
          await running.lock.release();
          running.log.info('Daemon stopped', { event: 'daemon.stopped' });
          await new Promise<void>((resolve) => {
            running.log.on('finish', resolve);
            running.log.end();
          });
        })();
        return stopping;
      },
    };
  } catch (error) {
    await vault?.close();
    await lock?.release();
    const failed = { event: 'daemon.startFailed', error: (error as Error).message, dataDir: options.dataDir, pipe: options.pipe };
    if (log) {
      log.error('The daemon could not start', failed);
    } else if (eventLog) {
      // No log yet (the data dir was refused or is held): a Windows admin still finds why in the event log.
      const event = eventFor({ level: 'error', message: 'The daemon could not start', ...failed })!;
      eventLog.report(event.type, event.eventId, event.message);
    }
    log?.end();
    throw error;
  }
}
