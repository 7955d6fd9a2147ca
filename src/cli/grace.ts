import { schemaDocuments } from '../generated/schemas.js';

/** graceHours of apiKey.rotate's params: its bounds, default and the text a person may type (`x-shorthand`). */
const GRACE = (schemaDocuments.find((d) => d.$id === 'params/apiKey.rotate.json') as {
  properties: { graceHours: { 'x-shorthand': { pattern: string } } };
}).properties.graceHours;
const SHORTHAND = new RegExp(GRACE['x-shorthand'].pattern);

/**
 * The graceHours to send for what a person typed to --grace: whole hours, bare or with h (24, 24h),
 * or whole days with d (2d is 48); undefined when it is none of these. The bounds are the daemon's
 * to check, so that its message and code (GraceInvalid) say them.
 */
export function graceHoursFromText(text: string): number | undefined {
  const match = SHORTHAND.exec(text);
  if (!match) return undefined;
  const n = Number(match[1]);
  return /d/i.test(match[2]!) ? n * 24 : n;
}
