import fs from 'node:fs';
import pg from 'pg';
import t from 'tap';
import { skipWithoutPostgres, startPostgres, type PostgresServer } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/**
 * The ground issue 25's farm tests stand on (test/helpers/postgres.ts, tcp-proxy.ts): a real
 * PostgreSQL server started by the test, as an unprivileged user, with password authentication;
 * and a proxy that cuts a client off it, by resets or by silence.
 */

const skip = skipWithoutPostgres(t);

const client = (server: PostgresServer, port = server.port, password: string | undefined = server.password) => {
  const made = new pg.Client({ host: server.host, port, user: server.user, database: server.database, password, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  // A broken connection is also an 'error' event: the tests read it from the call that fails.
  made.on('error', () => undefined);
  return made;
};

t.test('a server of the test\'s own: not root, and a password is needed', { skip }, async (t) => {
  const server = await startPostgres(t);
  if (process.getuid?.() === 0) {
    const uid = /Uid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1];
    t.not(uid, '0', 'the postmaster does not run as root');
  }
  const good = client(server);
  await good.connect();
  const { rows } = await good.query('select current_user as who, 1 + 1 as two');
  t.same(rows, [{ who: server.user, two: 2 }]);
  await good.end();
  const wrong = client(server, server.port, 'not the password');
  await t.rejects(wrong.connect(), /password authentication failed/, 'a wrong password is refused');
  await wrong.end().catch(() => undefined);
});

t.test('the proxy forwards, then cuts by resets or by silence, then lets new connections through', { skip }, async (t) => {
  const server = await startPostgres(t);
  const proxy = await startTcpProxy(t, server);
  const first = client(server, proxy.port);
  await first.connect();
  t.same((await first.query('select 1 as one')).rows, [{ one: 1 }], 'through the proxy');
  t.equal(proxy.connections, 1);

  proxy.cut('reset');
  await t.rejects(first.query('select 1'), 'a connection open at the cut is broken');
  const refused = client(server, proxy.port);
  await t.rejects(refused.connect(), 'a new connection is refused while cut');
  await refused.end().catch(() => undefined);

  proxy.restore();
  const second = client(server, proxy.port);
  await second.connect();
  t.same((await second.query('select 2 as two')).rows, [{ two: 2 }], 'restored: new connections work');

  proxy.cut('blackhole');
  await t.rejects(second.query('select 3'), /timeout/i, 'cut by silence: a query only times out');
  const silent = client(server, proxy.port);
  await t.rejects(silent.connect(), /timeout/i, 'and a new connection never completes');
  await silent.end().catch(() => undefined);
  await second.end().catch(() => undefined);

  proxy.restore();
  const third = client(server, proxy.port);
  await third.connect();
  t.same((await third.query('select 4 as four')).rows, [{ four: 4 }]);
  await third.end();
});
