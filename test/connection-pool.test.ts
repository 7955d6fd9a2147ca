import t from 'tap';
import type { DaemonClient } from '../src/client/connect.js';
import { ConnectionPool } from '../src/client/connection-pool.js';
import type { SessionHelloResult } from '../src/generated/schemas.js';

/**
 * ConnectionPool (src/client/connection-pool.ts) alone, with connections it is handed on cue:
 * the orders of events a real daemon gives only by chance.
 */

interface FakeConnection {
  name: string;
  closedByPool: boolean;
  session: { client: DaemonClient; hello: SessionHelloResult };
}

function fakeConnection(name: string): FakeConnection {
  let ended: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { ended = resolve; });
  const connection: FakeConnection = { name, closedByPool: false, session: undefined as never };
  const client = { closed, close: () => { connection.closedByPool = true; ended(); } } as unknown as DaemonClient;
  connection.session = { client, hello: { role: 'gateway' } as SessionHelloResult };
  return connection;
}

t.test('a connection whose opening began before a loss and ended after it is never handed out', async (t) => {
  // Each open() waits until the test hands it a connection.
  const opens: ((connection: FakeConnection) => void)[] = [];
  const pool = new ConnectionPool({
    pipe: '/nowhere', maxConnections: 4, connectTimeoutMs: 5000,
    open: () => new Promise((resolve) => opens.push((connection) => resolve(connection.session))),
  });
  const first = pool.acquire();
  await new Promise((resolve) => setImmediate(resolve));
  const a = fakeConnection('A');
  opens[0]!(a);
  const sessionA = await first;
  t.equal(sessionA.client, a.session.client);

  // A is busy: the pool opens another beside it (B), to the daemon that is about to go.
  sessionA.inFlight = 64;
  pool.ready();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(opens.length, 2, 'a second connection is being opened');

  // The daemon goes: A's loss is seen first, then B's opening ends (its hello was read before the loss).
  pool.retireAll(sessionA);
  const retried = pool.acquire();
  const b = fakeConnection('B');
  opens[1]!(b);
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(b.closedByPool, 'B, opened across the loss, is closed');
  t.equal(opens.length, 3, 'and another connection is opened in its place');
  const c = fakeConnection('C');
  opens[2]!(c);
  const sessionC = await retried;
  t.equal(sessionC.client, c.session.client, 'the call retried after the loss goes to the connection opened after it');
  await pool.close();
});
