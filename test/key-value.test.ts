import fc from 'fast-check';
import t from 'tap';
import { crc32 } from 'node:zlib';
import { randomBytes } from '../src/shared/random.js';
import { encodeKeyValue, isWellFormedKeyValue, KEY_VALUE_LENGTH, keyHint } from '../src/shared/secret-format.js';

const BASE62 = /^[0-9A-Za-z]+$/;

t.test('a generated key has the documented format', async (t) => {
  const key = encodeKeyValue(randomBytes(32));
  t.equal(key.length, KEY_VALUE_LENGTH);
  t.equal(KEY_VALUE_LENGTH, 4 + 43 + 6);
  t.match(key, /^gwk_[0-9A-Za-z]{49}$/);
  t.ok(isWellFormedKeyValue(key));
  t.equal(keyHint(key), key.slice(0, 8));
  t.match(keyHint(key), /^gwk_[0-9A-Za-z]{4}$/);
});

t.test('the last 6 characters are the base62 CRC32 of the 43 before them', async (t) => {
  const key = encodeKeyValue(randomBytes(32));
  const body = key.slice(4, 47);
  let n = 0n;
  for (const ch of key.slice(47)) n = n * 62n + BigInt('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.indexOf(ch));
  t.equal(n, BigInt(crc32(body)));
});

t.test('the body encodes the 32 bytes exactly (big-endian base62, zero-padded)', async (t) => {
  t.equal(encodeKeyValue(Buffer.alloc(32)).slice(4, 47), '0'.repeat(43));
  const one = Buffer.alloc(32);
  one[31] = 61;
  t.equal(encodeKeyValue(one).slice(4, 47), '0'.repeat(42) + 'z');
  const max = encodeKeyValue(Buffer.alloc(32, 0xff));
  t.ok(isWellFormedKeyValue(max), 'the largest 256-bit value is well formed');
  t.throws(() => encodeKeyValue(Buffer.alloc(31)), RangeError);
});

t.test('every 32-byte value round-trips to a distinct well-formed key', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      const ka = encodeKeyValue(a);
      const kb = encodeKeyValue(b);
      return isWellFormedKeyValue(ka) && (Buffer.from(a).equals(Buffer.from(b)) === (ka === kb));
    }),
  );
});

t.test('any single-character typo is rejected by the checksum', async () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.integer({ min: 4, max: KEY_VALUE_LENGTH - 1 }),
      fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
      (bytes, position, replacement) => {
        const key = encodeKeyValue(bytes);
        if (key[position] === replacement) return true;
        const typo = key.slice(0, position) + replacement + key.slice(position + 1);
        return !isWellFormedKeyValue(typo);
      },
    ),
    { numRuns: 2000 },
  );
});

t.test('malformed values are rejected', async (t) => {
  const key = encodeKeyValue(randomBytes(32));
  const cases: [string, string][] = [
    ['', 'empty'],
    [key.slice(0, -1), 'one short'],
    [key + 'a', 'one long'],
    ['gwx_' + key.slice(4), 'wrong prefix'],
    ['GWK_' + key.slice(4), 'prefix is case-sensitive'],
    [key.slice(0, 10) + '-' + key.slice(11), 'a character outside base62'],
    [key.slice(0, 10) + 'é' + key.slice(11), 'a non-ASCII character'],
    [' ' + key.slice(1), 'white space'],
    ['gwk_' + 'z'.repeat(43) + 'zzzzzz', 'a body larger than 2^256 - 1'],
  ];
  for (const [value, why] of cases) t.notOk(isWellFormedKeyValue(value), why);
  // A body above 2^256 - 1 with a correct checksum is still malformed: no 32 bytes make it.
  const body = 'z'.repeat(43);
  let n = BigInt(crc32(body));
  let check = '';
  for (let i = 0; i < 6; i++, n /= 62n) check = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[Number(n % 62n)] + check;
  t.notOk(isWellFormedKeyValue('gwk_' + body + check), 'checksum right but body out of range');
  t.ok(BASE62.test(check));
});
