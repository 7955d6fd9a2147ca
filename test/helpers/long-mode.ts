/**
 * `npm test` runs a short version of every guarantee test; `npm run test:long` sets
 * GATEWAY_APIKEYS_LONG=1 for the long one (more trials, longer loads).
 */
export const LONG = process.env.GATEWAY_APIKEYS_LONG === '1';

export function scale<T>(short: T, long: T): T {
  return LONG ? long : short;
}
