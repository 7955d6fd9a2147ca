import type { Role } from '../generated/schemas.js';
import type { ConnectionState } from '../rpc/server.js';
import type { BackupStream } from '../vault/backup.js';
import type { Actor } from '../vault/vault.js';
import { FailureThrottle } from './failure-throttle.js';

/**
 * What a request may weigh (docs/protocol.md, "Limits"). The largest valid request, a create or an
 * update at every limit with every character written as a JSON \u escape pair, is about 51 KB; a
 * handshake request is a few hundred bytes.
 */
const MAX_BODY_BYTES = 64 * 1024;
const MAX_BODY_BYTES_BEFORE_HELLO = 4 * 1024;
/** Answers a client may leave unread: a list of a large vault is megabytes; errors for a stranger are not. */
const MAX_UNREAD_BYTES = 8 * 1024 * 1024;
const MAX_UNREAD_BYTES_BEFORE_HELLO = 64 * 1024;

/** A challenge issued on this connection: it answers one hello, then it is forgotten. */
interface IssuedChallenge {
  role: Role;
  clientNonce: string;
  serverNonce: string;
}

/**
 * One client connection: the account at its other end (where the system tells: src/platform/system.ts,
 * peerOf), its ends' binding, its role once the handshake succeeded, the challenge it is answering, its
 * failed authentications.
 */
export class Session implements ConnectionState {
  role: Role | undefined;
  challenge: IssuedChallenge | undefined;
  /** This connection's failed authentications: a burst of 20, then 5 a second, never held more than 10 s. */
  readonly throttle = new FailureThrottle(undefined, 20, 5, 10_000);
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

  get established(): boolean {
    return this.role !== undefined;
  }

  get maxBodyBytes(): number {
    return this.role === undefined ? MAX_BODY_BYTES_BEFORE_HELLO : MAX_BODY_BYTES;
  }

  get maxUnreadBytes(): number {
    return this.role === undefined ? MAX_UNREAD_BYTES_BEFORE_HELLO : MAX_UNREAD_BYTES;
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

  /** A closed connection's backup is ended (its rows forgotten, its key wiped), and one that was being started, once it is. */
  closed(): void {
    this.ended = true;
    this.backup = undefined;
  }

  /** Least privilege: a new handshake, or a failed one, leaves the connection with no role. */
  dropRole(): void {
    this.role = undefined;
    this.backup = undefined;
  }
}
