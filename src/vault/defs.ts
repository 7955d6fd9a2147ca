import { schemaDocuments } from '../generated/schemas.js';

/**
 * A definition of schemas/defs.json, where the static rules and their annotations live: the
 * limits and patterns ajv checks, and what the keywords cannot say (status bands, the default and
 * the longest validity, the presets and shorthands of a validity). src/vault reads them here, the
 * PowerShell module from its generated copy, so each rule has one source (docs/architecture.md).
 */
export function schemaDef<T>(name: string): T {
  const defs = schemaDocuments.find((d) => d.$id === 'defs.json') as { $defs: Record<string, unknown> };
  const found = defs.$defs[name];
  if (found === undefined) throw new Error(`schemas/defs.json has no definition ${name}`);
  return found as T;
}
