import { crc32 } from 'node:zlib';

/**
 * The key value format (docs/security.md, "Key values"): `gwk_` + 43 base62 characters of 32 random bytes + 6 base62
 * characters of the CRC32 of those 43. Like GitHub's tokens, the prefix lets secret scanners find
 * leaked keys and the checksum rejects a typo before any lookup.
 */
const KEY_PREFIX = 'gwk_';
const BODY_LENGTH = 43;
const CHECK_LENGTH = 6;
export const KEY_VALUE_LENGTH = KEY_PREFIX.length + BODY_LENGTH + CHECK_LENGTH;
/** How much of a key an interface may show: the prefix and four characters. */
const HINT_LENGTH = KEY_PREFIX.length + 4;
export const KEY_SECRET_BYTES = 32;

// Digits in ASCII order, so comparing base62 strings of equal length compares their numbers.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECK_LENGTH}}$`);

function toBase62(value: bigint, width: number): string {
  let digits = '';
  for (let n = value; n > 0n; n /= 62n) digits = BASE62[Number(n % 62n)] + digits;
  return digits.padStart(width, '0');
}

/** The largest body: 2^256 - 1. A longer number cannot come from 32 bytes. */
const MAX_BODY = toBase62((1n << 256n) - 1n, BODY_LENGTH);

/** Each ASCII code's base62 digit (-1 for other characters): a checksum is read without building a string. */
const DIGIT_OF = new Int8Array(128).fill(-1);
for (let digit = 0; digit < BASE62.length; digit++) DIGIT_OF[BASE62.charCodeAt(digit)] = digit;

/** The base62 CRC32 of a body: a CRC32 fits a double exactly, so no BigInt. */
function checksum(body: string): string {
  let digits = '';
  for (let n = crc32(body), i = 0; i < CHECK_LENGTH; i++, n = Math.floor(n / 62)) digits = BASE62[n % 62] + digits;
  return digits;
}

/** Whether the CHECK_LENGTH characters of `value` from `at`, base62 digits all (SHAPE), are the base62 CRC32 of `body`. */
function checksumMatches(value: string, at: number, body: string): boolean {
  let n = 0;
  for (let i = at; i < at + CHECK_LENGTH; i++) n = n * 62 + DIGIT_OF[value.charCodeAt(i)]!;
  return n === crc32(body);
}

/** `prefix` + 43 base62 characters of 32 secret bytes + their 6-character checksum: the shape of every secret the product makes. */
export function encodeSecret(prefix: string, secret: Uint8Array): string {
  if (secret.length !== KEY_SECRET_BYTES) throw new RangeError(`a secret needs ${KEY_SECRET_BYTES} random bytes`);
  const body = toBase62(BigInt('0x' + Buffer.from(secret).toString('hex')), BODY_LENGTH);
  return prefix + body + checksum(body);
}

/** The key value for 32 secret bytes (from libsodium's CSPRNG in the vault). */
export function encodeKeyValue(secret: Uint8Array): string {
  return encodeSecret(KEY_PREFIX, secret);
}

/** Whether a presented value has the key format and a correct checksum. No lookup is made. */
export function isWellFormedKeyValue(value: string): boolean {
  if (value.length !== KEY_VALUE_LENGTH || !SHAPE.test(value)) return false;
  const body = value.slice(KEY_PREFIX.length, KEY_PREFIX.length + BODY_LENGTH);
  return body <= MAX_BODY && checksumMatches(value, KEY_PREFIX.length + BODY_LENGTH, body);
}

/** The part of a key an interface may show: `gwk_` and four characters. */
export function keyHint(value: string): string {
  return value.slice(0, HINT_LENGTH);
}
