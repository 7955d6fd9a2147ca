import type { Test } from 'tap';
import { postgresMissing, type PostgresServer, startPostgres as startServer } from '../../bench/lib/postgres.mjs';

export { freePort, postgresTool } from '../../bench/lib/postgres.mjs';
import { skipWhenMissing } from './skip.js';

/**
 * A PostgreSQL server of a test's own (issue 25: farms are tested against a real one), started by
 * bench/lib/postgres.mjs, which the farm's benchmarks share (docs/farm.md, "Testing"): stopped, and
 * its directory removed, at the test's teardown. fsync is off: the tests time nothing.
 */

export type { PostgresServer } from '../../bench/lib/postgres.mjs';

/** The `skip` option of a test that needs PostgreSQL (skipWhenMissing). */
export function skipWithoutPostgres(t: Test): string | false {
  return skipWhenMissing(t, 'The PostgreSQL tests', postgresMissing());
}

export async function startPostgres(t: Test): Promise<PostgresServer> {
  const server = await startServer();
  t.teardown(server.stop);
  return server;
}
