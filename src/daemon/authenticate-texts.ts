import type { AuthenticateResult } from '../generated/schemas.js';

/** Names whose answer is kept at most: past it, all are forgotten and made again as they are asked for. */
const MAX_NAMES = 4096;

/**
 * The JSON text of authenticate results, made once per key and kept while the result stays the
 * same (docs/architecture.md, "The authenticate fast path"): a gateway asks about the same few keys
 * over and over. Kept by key name, with the result it was made from, never a key value; a result
 * that differs in any field is written afresh.
 */
export class AuthenticateTexts {
  private readonly byName = new Map<string, { result: AuthenticateResult; text: string }>();
  /** Failures carry only their reason: a handful of texts. */
  private readonly byReason = new Map<string, string>();

  textOf(result: AuthenticateResult): string {
    if (!result.authenticated) {
      let text = this.byReason.get(result.reason);
      if (text === undefined) this.byReason.set(result.reason, (text = JSON.stringify(result)));
      return text;
    }
    const kept = this.byName.get(result.name);
    if (kept && sameFields(kept.result, result)) return kept.text;
    if (this.byName.size >= MAX_NAMES) this.byName.clear();
    const text = JSON.stringify(result);
    this.byName.set(result.name, { result, text });
    return text;
  }
}

/** Whether two results have the same fields, with the same values, in the same order: then their JSON is the same. */
function sameFields(a: object, b: object): boolean {
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  for (let i = 0; i < aKeys.length; i++) {
    const key = aKeys[i]!;
    if (key !== bKeys[i] || (a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]) return false;
  }
  return true;
}
