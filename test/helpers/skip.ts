import type { Test } from 'tap';

/**
 * The `skip` option of tests that need something this machine may lack (Wine, the .NET SDK, a
 * PostgreSQL server): false when `missing` is undefined and they can run. Under CI a missing
 * requirement fails the run instead, since `.ci/run` installs what the tests need; elsewhere the
 * tests say why they skip.
 */
export function skipWhenMissing(t: Test, what: string, missing: string | undefined): string | false {
  if (!missing) return false;
  if (process.env.CI) {
    t.fail(`${what} must run under CI, and cannot here: ${missing}.`);
    return false;
  }
  t.comment(`SKIP ${what}: ${missing}.`);
  return missing;
}
