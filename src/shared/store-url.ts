/**
 * A farm's store URL (docs/farm.md, "The store"): postgres:// (or postgresql://), and never with a password, which
 * other users would read in the process list or a service's definition: libpq's PGPASSWORD,
 * PGPASSFILE or a passfile give it. Returns the URL; throws a RangeError that says what to do.
 */
export function checkStoreUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`'${url.replace(/:[^:@/]*@/, ':***@')}' is not a URL: a farm's store is postgres://USER@HOST:PORT/DATABASE.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new RangeError(`A farm's store is a PostgreSQL database, postgres://USER@HOST:PORT/DATABASE, not ${parsed.protocol}//.`);
  }
  if (parsed.password || parsed.searchParams.has('password')) {
    throw new RangeError('A password is never part of the store URL: other users could read it in the process list. ' +
      'Give it through PGPASSWORD, PGPASSFILE or ~/.pgpass, as libpq takes it.');
  }
  return url;
}
