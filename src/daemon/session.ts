import type { Role } from '../generated/schemas.js';
import type { ConnectionState } from '../rpc/server.js';
import type { BackupStream } from '../vault/backup.js';
import type { Actor } from '../vault/vault.js';
import { CONNECTION_LIMITS } from './limits.js';

/** A challenge issued on this connection: it answers one hello, then it is forgotten. */
interface IssuedChallenge {
  role: Role;
  clientNonce: string;
  serverNonce: string;
}

/**
 * One client connection: the account at its other end (where the system tells: src/platform/system.ts,
 * peerOf), its ends' binding, its role once the handshake succeeded, the challenge it is answering. What it may cost
 * follows its role (docs/protocol.md, "Limits").
 */
export class Session implements ConnectionState {
  challenge: IssuedChallenge | undefined;
  /** A connection past its user's handshake budget (FailedAuthentications): closed, its answers not yet written dropped. */
  closing = false;
  private currentRole: Role | undefined;
  /** Gives back its place among the sessions (SessionCaps). */
  private leave: (() => void) | undefined;
  /** The backup this connection is reading (backup.create, backup.read): one at a time. */
  private currentBackup: BackupStream | undefined;
  private ended = false;

  /**
   * `binding`: this connection's ends as the daemon sees them, which the handshake's proofs are bound
   * to (src/session-proof.ts; on Unix empty).
   */
  constructor(readonly id: number, readonly account: string | undefined, readonly binding: string) {}

  /** Who asks, for the audit trail: this session's role, connection and account. */
  get actor(): Actor {
    return { role: this.role ?? null, connection: this.id, account: this.account };
  }

  get role(): Role | undefined {
    return this.currentRole;
  }

  get established(): boolean {
    return this.currentRole !== undefined;
  }

  /** An admin's answers can be megabytes, and the admin role can stop the daemon: its unread answers count against no one else's. */
  get privileged(): boolean {
    return this.currentRole === 'admin';
  }

  get maxBodyBytes(): number {
    return this.currentRole === undefined ? CONNECTION_LIMITS.maxBodyBytes.beforeHello : CONNECTION_LIMITS.maxBodyBytes.session;
  }

  get maxUnreadBytes(): number {
    return CONNECTION_LIMITS.maxUnreadBytes[this.currentRole ?? 'beforeHello'];
  }

  /** The handshake proved `role`; `leave` gives back the place the session took (SessionCaps.admit). */
  establish(role: Role, leave: () => void): void {
    this.dropRole();
    this.currentRole = role;
    this.leave = leave;
  }

  get backup(): BackupStream | undefined {
    return this.currentBackup;
  }

  /** Starts reading `backup`, ending the one before, if any; on a closed connection, ends it at once. */
  set backup(backup: BackupStream | undefined) {
    this.currentBackup?.dispose();
    this.currentBackup = this.ended ? undefined : backup;
    if (this.ended) backup?.dispose();
  }

  /** A closed connection's backup is ended (its rows forgotten, its key wiped), and one that was being started, once it is; its place is given back. */
  closed(): void {
    this.ended = true;
    this.dropRole();
  }

  /** Least privilege: a new handshake, or a failed one, leaves the connection with no role (and a new handshake deadline: src/rpc/server.ts). */
  dropRole(): void {
    this.currentRole = undefined;
    this.leave?.();
    this.leave = undefined;
    this.backup = undefined;
  }
}
