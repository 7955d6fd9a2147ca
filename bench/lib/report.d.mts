/** bench/results.md from the results bench/run.mjs writes to bench/results.json. */
export function markdown(results: Record<string, unknown>): string;
