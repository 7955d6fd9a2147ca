import { schemaDocuments } from '../generated/schemas.js';

/**
 * A validity as a person types it to a client (docs/architecture.md, "One validity grammar"): an
 * ISO 8601 date duration (P30D, P6M), or the shorthand of `x-shorthand` in schemas/defs.json, a
 * whole number and d, w, m or y (30d, 2w, 6m, 1y; the presets are such shorthands). The daemon
 * takes the canonical ISO form only, so clients send that. The PowerShell module applies the same
 * grammar from its generated copy of the same definition.
 */
const VALID_FOR = (schemaDocuments.find((d) => d.$id === 'defs.json') as {
  $defs: { ValidFor: { pattern: string; 'x-shorthand': { pattern: string } } };
}).$defs.ValidFor;
const ISO = new RegExp(VALID_FOR.pattern);
const SHORTHAND = new RegExp(VALID_FOR['x-shorthand'].pattern);

/** The validFor to send for what a person typed (a shorthand as its ISO form, ISO in any case as upper case); undefined when it is no validity. */
export function validForFromText(text: string): string | undefined {
  const short = SHORTHAND.exec(text);
  if (short) return `P${short[1]}${short[2]!.toUpperCase()}`;
  const upper = text.toUpperCase();
  return ISO.test(upper) ? upper : undefined;
}
