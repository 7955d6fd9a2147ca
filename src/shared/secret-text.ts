/**
 * Key values (`gwk_…`) and role tokens (`gwt_…`) cut to their 8-character hint wherever they
 * appear in text. Logs and error messages pass through this, so a secret pasted into the wrong
 * field (a key given as a name) is never echoed back or written down.
 */
const SECRET_VALUE = /(gw[kt]_[0-9A-Za-z]{4})[0-9A-Za-z]+/g;

export function maskSecrets(text: string): string {
  return text.replace(SECRET_VALUE, '$1…');
}
