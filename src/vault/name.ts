/**
 * Names are unique case-insensitively (`Prod-Key` and `prod-key` clash) and sort and match
 * case-insensitively. The folded form is what is compared: upper- then lower-casing also folds
 * ß/SS and ligatures the way people expect, then NFC makes equal text equal code points.
 */
export function foldName(name: string): string {
  // For ASCII, lower-casing alone is the same fold; most names are ASCII, and start-up folds them all.
  if (ASCII.test(name)) return name.toLowerCase();
  return name.toUpperCase().toLowerCase().normalize('NFC');
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A case-insensitive wildcard pattern over names: `*` any run of characters, `?` exactly one
 * (a code point), everything else literal. Returns a test of folded names.
 *
 * Matched with the two-pointer algorithm that backtracks only to the last `*`: O(name × pattern)
 * at worst, where a regular expression of many stars backtracks exponentially.
 */
export function nameMatcher(pattern: string): (foldedName: string) => boolean {
  const wanted = Array.from(foldName(pattern));
  if (wanted.length > 0 && wanted.every((ch) => ch === '*')) return () => true;
  return (foldedName) => {
    const name = Array.from(foldedName);
    let n = 0;
    let p = 0;
    let starAt = -1;
    let resumeAt = 0;
    while (n < name.length) {
      if (p < wanted.length && (wanted[p] === '?' || (wanted[p] !== '*' && wanted[p] === name[n]))) {
        n++;
        p++;
      } else if (p < wanted.length && wanted[p] === '*') {
        starAt = p++;
        resumeAt = n;
      } else if (starAt >= 0) {
        p = starAt + 1;
        n = ++resumeAt;
      } else {
        return false;
      }
    }
    while (p < wanted.length && wanted[p] === '*') p++;
    return p === wanted.length;
  };
}
