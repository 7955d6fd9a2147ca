/**
 * The authenticate frame a gateway sends, recognised from its bytes without a JSON parse
 * (docs/architecture.md, "The authenticate fast path"):
 *
 *   {"jsonrpc":"2.0","id":<id>,"method":"connector.authenticate","params":{"key":"…"}}
 *   {"jsonrpc":"2.0","id":<id>,"method":"connector.authenticate","params":{"key":"…","connectorId":"…"}}
 *
 * exactly so: no white space, these keys in this order, `id` digits whose number JSON gives back
 * as the same text, strings of printable ASCII with no escapes (text the params check would leave
 * as it is: NFC-normalising ASCII changes nothing), a connectorId within its schema's 256. Anything
 * else is not recognised, and goes the generic way.
 */

export interface AuthenticateFrame {
  /** The id as it was sent, which is how JSON.stringify writes its number back. */
  id: string;
  key: string;
  connectorId: string | undefined;
}

const HEAD = Buffer.from('{"jsonrpc":"2.0","id":', 'latin1');
const METHOD = Buffer.from(',"method":"connector.authenticate","params":{"key":"', 'latin1');
const CONNECTOR_ID = Buffer.from(',"connectorId":"', 'latin1');
/** schemas/params/connector.authenticate.json: connectorId's maxLength. */
const MAX_CONNECTOR_ID = 256;
/** Integers of up to 15 digits are exact doubles, written back by JSON.stringify as they came. */
const MAX_ID_DIGITS = 15;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Whether `body` holds `part` at `at`: compared here, byte by byte, as a native compare costs more for so few. */
function holds(body: Buffer, at: number, part: Buffer): boolean {
  if (body.length < at + part.length) return false;
  for (let i = 0; i < part.length; i++) if (body[at + i] !== part[i]) return false;
  return true;
}

/** Where the plain string starting at `from` ends (its closing quote), or -1 when it is not one. */
function plainStringEnd(body: Buffer, from: number): number {
  for (let i = from; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) return i;
    if (byte < 0x20 || byte > 0x7e || byte === BACKSLASH) return -1;
  }
  return -1;
}

/** The request in `body` when it is exactly a gateway's authenticate frame; undefined otherwise. */
export function readAuthenticateFrame(body: Buffer): AuthenticateFrame | undefined {
  if (!holds(body, 0, HEAD)) return undefined;
  const idStart = HEAD.length;
  let at = idStart;
  while (at < body.length && body[at]! >= DIGIT_0 && body[at]! <= DIGIT_9) at++;
  const digits = at - idStart;
  if (digits === 0 || digits > MAX_ID_DIGITS || (digits > 1 && body[idStart] === DIGIT_0)) return undefined;
  if (!holds(body, at, METHOD)) return undefined;
  const keyStart = at + METHOD.length;
  const keyEnd = plainStringEnd(body, keyStart);
  if (keyEnd < 0) return undefined;
  at = keyEnd + 1;
  let connectorId: string | undefined;
  if (holds(body, at, CONNECTOR_ID)) {
    const start = at + CONNECTOR_ID.length;
    const end = plainStringEnd(body, start);
    if (end < 0 || end - start > MAX_CONNECTOR_ID) return undefined;
    connectorId = body.toString('latin1', start, end);
    at = end + 1;
  }
  if (body.length !== at + 2 || body[at] !== CLOSE_BRACE || body[at + 1] !== CLOSE_BRACE) return undefined;
  return { id: body.toString('latin1', idStart, idStart + digits), key: body.toString('latin1', keyStart, keyEnd), connectorId };
}
