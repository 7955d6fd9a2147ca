import fc from 'fast-check';
import t from 'tap';
import { errorCodes, ApiError } from '../src/shared/api-error.js';
import { parseParams } from '../src/daemon/params.js';

/** The ApiError parseParams throws for `params`, or undefined when they pass. */
function failure(method: Parameters<typeof parseParams>[0], params: unknown): { code: string; field?: string; message: string } | undefined {
  try {
    parseParams(method, params);
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { code: error.code, field: error.field, message: error.message };
  }
}

/** A string as ASCII, for test names: TAP reads U+0085 and U+2028 as line breaks. */
const show = (s: string) => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const ASTRAL = '𝒜'; // one code point, two UTF-16 units: where .length lies

t.test('name length counts code points after NFC: 2/3/100/101', async (t) => {
  t.match(failure('apiKey.create', { name: 'ab' }), { code: 'NameTooShort', field: 'name' });
  t.equal(failure('apiKey.create', { name: 'abc' }), undefined);
  t.equal(failure('apiKey.create', { name: 'a'.repeat(100) }), undefined);
  t.match(failure('apiKey.create', { name: 'a'.repeat(101) }), { code: 'NameTooLong', field: 'name' });

  t.match(failure('apiKey.create', { name: ASTRAL.repeat(2) }), { code: 'NameTooShort' }, '2 astral = 4 UTF-16 units, still too short');
  t.equal(failure('apiKey.create', { name: ASTRAL.repeat(3) }), undefined);
  t.equal(failure('apiKey.create', { name: ASTRAL.repeat(100) }), undefined, '100 astral = 200 UTF-16 units, still allowed');
  t.match(failure('apiKey.create', { name: ASTRAL.repeat(101) }), { code: 'NameTooLong' });

  // 'é' decomposed is two code points; NFC makes it one.
  const decomposed = 'e\u0301';
  t.match(failure('apiKey.create', { name: 'a' + decomposed }), { code: 'NameTooShort' }, '3 code points before NFC, 2 after');
  t.match(failure('apiKey.create', { name: decomposed + decomposed }), { code: 'NameTooShort' }, '4 code points before NFC, 2 after');
  t.equal(failure('apiKey.create', { name: decomposed.repeat(100) }), undefined, '200 code points before NFC, 100 after');
  t.match(failure('apiKey.create', { name: decomposed.repeat(101) }), { code: 'NameTooLong' });
});

t.test('names are returned NFC-normalised, and the caller object is not changed', async (t) => {
  const raw = { name: 'Cafe\u0301 key', description: 'cre\u0300me' };
  const parsed = parseParams('apiKey.create', raw);
  t.equal(parsed.name, 'Café key');
  t.equal(parsed.name.length, 8);
  t.equal(parsed.description, 'crème');
  t.equal(raw.name, 'Cafe\u0301 key');
});

t.test('control characters and leading or trailing white space are rejected, not trimmed', async (t) => {
  for (const name of [' abc', 'abc ', '\tabc', 'abc\n', 'ab\u0000c', 'ab\u0007c', 'ab\u007fc', 'ab\u0085c', 'ab\u2028c', '\u00a0abc', 'abc\u3000', 'ab\ud800c']) {
    t.match(failure('apiKey.create', { name }), { code: 'NameInvalid', field: 'name' }, show(name));
  }
  for (const name of ['a b c', 'prod-key_1.2', 'Ключ доступа', '鍵鍵鍵', '👨‍👩‍👧 family', 'a\u00a0b']) {
    t.equal(failure('apiKey.create', { name }), undefined, show(name));
  }
});

t.test('newName follows the same rules and is blamed by its own field', async (t) => {
  t.match(failure('apiKey.update', { name: 'abc', newName: 'x' }), { code: 'NameTooShort', field: 'newName' });
  t.match(failure('apiKey.update', { name: 'abc', newName: ' xyz' }), { code: 'NameInvalid', field: 'newName' });
});

t.test('description: at most 4000 code points', async (t) => {
  t.equal(failure('apiKey.create', { name: 'abc', description: '' }), undefined);
  t.equal(failure('apiKey.create', { name: 'abc', description: 'd'.repeat(4000) }), undefined);
  t.match(failure('apiKey.create', { name: 'abc', description: 'd'.repeat(4001) }), { code: 'DescriptionTooLong', field: 'description' });
  t.equal(failure('apiKey.create', { name: 'abc', description: ASTRAL.repeat(4000) }), undefined);
  t.match(failure('apiKey.create', { name: 'abc', description: ASTRAL.repeat(4001) }), { code: 'DescriptionTooLong' });
  t.equal(failure('apiKey.update', { name: 'abc', description: 'line one\nline two\ttabbed' }), undefined, 'multi-line text is fine');
  t.match(failure('apiKey.create', { name: 'abc', description: 'a\u0000b' }), { code: 'InvalidParams', field: 'description' });
});

t.test('expiry fields: a real date or a date duration, never both', async (t) => {
  t.match(failure('apiKey.create', { name: 'abc', expiresOn: '2027-02-30' }), { code: 'ExpiryInvalid', field: 'expiresOn' });
  t.match(failure('apiKey.create', { name: 'abc', expiresOn: '2027-2-3' }), { code: 'ExpiryInvalid' });
  t.match(failure('apiKey.create', { name: 'abc', expiresOn: 'tomorrow' }), { code: 'ExpiryInvalid' });
  t.equal(failure('apiKey.create', { name: 'abc', expiresOn: '2028-02-29' }), undefined, 'a leap day');
  t.match(failure('apiKey.create', { name: 'abc', expiresOn: '2027-02-29' }), { code: 'ExpiryInvalid' }, 'not a leap year');
  for (const validFor of ['P7D', 'P30D', 'P60D', 'P90D', 'P180D', 'P1Y', 'P6M', 'P2W', 'P1Y2M3D']) {
    t.equal(failure('apiKey.create', { name: 'abc', validFor }), undefined, validFor);
  }
  for (const validFor of ['P1H', 'PT1H', 'P', '30d', '1y', '-P1D', 'P1.5D', 'P1DT1H', 'p1d']) {
    t.match(failure('apiKey.create', { name: 'abc', validFor }), { code: 'ExpiryInvalid', field: 'validFor' }, validFor);
  }
  t.match(failure('apiKey.create', { name: 'abc', validFor: 'P1D', expiresOn: '2027-01-01' }), { code: 'InvalidParams', field: 'validFor' });
  t.match(failure('apiKey.update', { name: 'abc', validFor: 'P1D', expiresOn: '2027-01-01' }), { code: 'InvalidParams' });
});

t.test('the form of the request: unknown fields, wrong types, positional params', async (t) => {
  t.match(failure('apiKey.create', { name: 'abc', colour: 'red' }), { code: 'InvalidParams', field: 'colour', message: /Unknown field 'colour'/ });
  t.match(failure('apiKey.create', {}), { code: 'InvalidParams', field: 'name', message: /Missing required field 'name'/ });
  t.match(failure('apiKey.create', { name: 42 }), { code: 'InvalidParams', field: 'name' });
  t.match(failure('apiKey.create', ['abc']), { code: 'InvalidParams', field: undefined, message: /object of named fields/ });
  t.match(failure('apiKey.create', null), { code: 'InvalidParams' });
  t.match(failure('apiKey.create', 'abc'), { code: 'InvalidParams' });
  t.equal(failure('daemon.status', undefined), undefined, 'omitted params are {}');
  t.match(failure('daemon.status', { verbose: true }), { code: 'InvalidParams', field: 'verbose' });
  t.match(failure('connector.authenticate', { key: 5 }), { code: 'InvalidParams', field: 'key' });
  t.equal(failure('connector.authenticate', { key: 'not a key at all' }), undefined, 'the format of a key is judged by the vault (Malformed), not here');
  t.match(failure('session.hello', { token: 'x'.repeat(40) }), { code: 'InvalidParams' }, 'a protocol 1 hello is refused');
  t.match(failure('session.hello', { role: 'admin', clientProof: 'x'.repeat(44) }), { code: 'InvalidParams', field: 'clientProof' });
  t.match(failure('session.challenge', { protocolVersion: 3, role: 'root', clientNonce: 'A'.repeat(43) }), { code: 'InvalidParams', field: 'role' });
  t.match(failure('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce: 'A'.repeat(42) + '=' }), { code: 'InvalidParams', field: 'clientNonce' });
  t.match(failure('session.challenge', { role: 'admin', clientNonce: 'A'.repeat(43) }), { code: 'InvalidParams', field: 'protocolVersion', message: /speaks protocol 3.*update the client/ },
    'a protocol 2 challenge is told which protocol to speak');
  t.match(failure('session.challenge', { role: 'root' }), { field: 'protocolVersion' }, 'before anything else is wrong with it');
  t.match(failure('session.challenge', { protocolVersion: '3', role: 'admin', clientNonce: 'A'.repeat(43) }), { field: 'protocolVersion', message: /speaks protocol 3/ });
  t.equal(failure('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce: 'A'.repeat(43) }), undefined);
});

t.test('list: asOf, offset and limit of the wrong form are InvalidParams; defaults are filled', async (t) => {
  for (const params of [{ asOf: '2027-13-01' }, { asOf: 'today' }, { offset: -1 }, { offset: 1.5 }, { limit: '10' }, { limit: -1 },
    { sortBy: 'colour' }, { status: ['Red'] }, { status: 'Active' }, { status: ['Active', 'Active'] }, { descending: 'yes' }]) {
    t.match(failure('apiKey.list', params), { code: 'InvalidParams' }, JSON.stringify(params));
  }
  t.match(failure('apiKey.list', { limit: -1 }), { field: 'limit' });
  t.same(parseParams('apiKey.list', {}), { sortBy: 'name', descending: false, offset: 0 });
  t.same(parseParams('apiKey.list', { status: ['Expired', 'ExpiresSoon'], sortBy: 'status', descending: true, asOf: '2030-01-01', offset: 2, limit: 0 }),
    { status: ['Expired', 'ExpiresSoon'], sortBy: 'status', descending: true, asOf: '2030-01-01', offset: 2, limit: 0 });
});

t.test('list: literalName is a key name, NFC-normalised, and never with name', async (t) => {
  t.same(parseParams('apiKey.list', { literalName: 'Cafe\u0301 * key' }).literalName, 'Café * key');
  t.match(failure('apiKey.list', { literalName: 'ab' }), { code: 'NameTooShort', field: 'literalName' }, 'no key can have it');
  t.match(failure('apiKey.list', { literalName: ' abc' }), { code: 'NameInvalid', field: 'literalName' });
  t.equal(failure('apiKey.list', { literalName: 'e\u0301'.repeat(100) }), undefined, '200 code points before NFC, 100 after');
  t.match(failure('apiKey.list', { literalName: 'e\u0301'.repeat(101) }), { code: 'NameTooLong', field: 'literalName' });
  t.match(failure('apiKey.list', { name: 'ord*', literalName: 'Orders' }), { code: 'InvalidParams', field: 'literalName', message: /not both/ });
  t.match(failure('apiKey.list', { name: '*', literalName: 'Orders', status: ['Active'] }), { code: 'InvalidParams', field: 'literalName' });
});

t.test('messages speak plainly and never echo a key value', async (t) => {
  const f = failure('apiKey.create', { name: 'ab' })!;
  t.equal(f.message, 'A key name must have at least 3 characters.');
  t.equal(failure('apiKey.create', { name: 'a'.repeat(101) })!.message, 'A key name can have at most 100 characters.');
  const secret = 'gwk_' + 'A'.repeat(49);
  const e = failure('apiKey.verify', { key: secret, extra: 1 })!;
  t.notMatch(e.message, secret);
});

t.test('every failure carries a code from the one list', async () => {
  fc.assert(
    fc.property(
      fc.constantFrom('apiKey.create', 'apiKey.update', 'apiKey.list', 'apiKey.get', 'connector.authenticate', 'session.hello', 'session.challenge'),
      fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('name', 'newName', 'description', 'expiresOn', 'validFor', 'key', 'role', 'clientNonce', 'clientProof', 'asOf', 'limit', 'x'), fc.anything())),
      (method, params) => {
        const f = failure(method, params);
        return f === undefined || (errorCodes.includes(f.code as never) && f.message.length > 0);
      },
    ),
    { numRuns: 3000 },
  );
});

t.test('a valid name always passes; one of the wrong length always fails with the right code', async () => {
  const nameChar = fc.constantFrom(...'abcXYZ019-_.é鍵𝒜 ');
  fc.assert(
    fc.property(fc.array(nameChar, { minLength: 0, maxLength: 120 }), (chars) => {
      const name = chars.join('');
      const f = failure('apiKey.create', { name });
      const length = Array.from(name.normalize('NFC')).length;
      if (/^\s|\s$/.test(name) && length >= 3 && length <= 100) return f?.code === 'NameInvalid';
      if (length < 3) return f?.code === 'NameTooShort' || f?.code === 'NameInvalid';
      if (length > 100) return f?.code === 'NameTooLong' || f?.code === 'NameInvalid';
      return f === undefined;
    }),
    { numRuns: 2000 },
  );
});
