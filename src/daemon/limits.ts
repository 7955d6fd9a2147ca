/**
 * Every number of what one connection, one user and everyone together may cost the daemon
 * (docs/protocol.md, "Limits" and "Throttling"; docs/security.md, "Budgets"), in one place. A user
 * is the account at the other end of a connection (src/platform/system.ts, peerOf); connections
 * whose account the system does not tell share one budget, "unidentified".
 */
const KiB = 1024;
const MiB = 1024 * KiB;

/** The transport's limits (src/rpc/server.ts, ServerLimits). */
export const SERVER_LIMITS = {
  /** Open sockets at most: room for every connection still in its handshake and every session. */
  maxConnections: 512 + 512,
  /** Connections that have not proved who they are, all users together, and per user. */
  maxPendingConnections: 512,
  maxPendingPerPeer: 128,
  /** To finish the handshake, counted again whenever a connection drops back to no role. */
  handshakeTimeoutMs: 10_000,
  frameTimeoutMs: 10_000,
  /** Requests being worked on, per connection; an answered one (a failure included) no longer counts. */
  maxInFlight: 256,
  /** Unread answers of every connection of one user, and of all users, admin sessions aside. */
  maxUnreadPerPeer: 16 * MiB,
  maxUnreadTotal: 64 * MiB,
} as const;

/** Per connection, by what it has proved (src/daemon/session.ts). */
export const CONNECTION_LIMITS = {
  /** The largest valid request, a create or an update at every limit with every character a \u escape pair, is about 51 KB. */
  maxBodyBytes: { beforeHello: 4 * KiB, session: 64 * KiB },
  /** Answers left unread before the connection is no longer read: a gateway's are a few hundred bytes each, an admin's list of a large vault megabytes. */
  maxUnreadBytes: { beforeHello: 64 * KiB, gateway: 1 * MiB, admin: 8 * MiB },
} as const;

/** Sessions (connections with a role), checked at session.hello (src/daemon/session-caps.ts). */
export const SESSION_LIMITS = {
  /** Sessions at most, every role. */
  maxSessions: 512,
  /** Of those, the last ones are only for admin sessions: no token holder can lock the admins out. */
  adminReserve: 32,
  /** Sessions of other roles than admin, per user. */
  maxSessionsPerPeer: 256,
} as const;

/** The budgets of failed authentications, per user (src/daemon/failed-authentications.ts): a burst, then a steady rate. */
export const FAILURE_BUDGETS = {
  /** Wrong handshake proofs: beyond, the connection is closed and the user's new connections refused until the budget refills. */
  handshake: { burst: 20, perSecond: 5 },
  /** Unknown or malformed keys: beyond, the daemon warns that someone may be guessing; the answers are never held. */
  key: { burst: 100, perSecond: 20 },
} as const;
