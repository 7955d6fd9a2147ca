import type { Role } from '../generated/schemas.js';
import { ApiError } from '../shared/api-error.js';
import { SESSION_LIMITS } from './limits.js';

/**
 * How many sessions (connections that proved a role) the daemon keeps, checked when a hello proves
 * one (docs/protocol.md, "Limits"): at most `maxSessions` in all, the last `adminReserve` of them
 * for admin sessions only, and at most `maxSessionsPerPeer` sessions of other roles per user (where
 * the system tells the user). So a gateway-token holder, or one local user, cannot take every place
 * and lock the admins out. Admin sessions have no cap per user: the admin role can stop the daemon.
 */
export class SessionCaps {
  private sessions = 0;
  private others = 0;
  private readonly othersOf = new Map<string, number>();

  constructor(private readonly limits: { [K in keyof typeof SESSION_LIMITS]: number } = SESSION_LIMITS) {}

  /** Takes a place for a session of `role` from `account`, or throws TooManySessions; the function returned gives it back, once. */
  admit(role: Role, account: string | undefined): () => void {
    const { maxSessions, adminReserve, maxSessionsPerPeer } = this.limits;
    const admin = role === 'admin';
    if (this.sessions >= maxSessions) throw tooMany(`all ${maxSessions} sessions are taken`);
    if (!admin) {
      if (this.others >= maxSessions - adminReserve) throw tooMany(`the last ${adminReserve} of the ${maxSessions} sessions are kept for admins`);
      if (account !== undefined && (this.othersOf.get(account) ?? 0) >= maxSessionsPerPeer) {
        throw tooMany(`${account} has ${maxSessionsPerPeer} ${role} sessions open, the most one account may`);
      }
    }
    this.sessions++;
    if (!admin) {
      this.others++;
      if (account !== undefined) this.othersOf.set(account, (this.othersOf.get(account) ?? 0) + 1);
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.sessions--;
      if (admin) return;
      this.others--;
      if (account === undefined) return;
      const left = this.othersOf.get(account)! - 1;
      if (left === 0) this.othersOf.delete(account);
      else this.othersOf.set(account, left);
    };
  }
}

const tooMany = (why: string) =>
  new ApiError('TooManySessions', `The daemon has no room for another session: ${why}. Close sessions that are not needed, then try again.`);
