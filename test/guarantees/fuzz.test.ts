import fc from 'fast-check';
import t from 'tap';
import { rpcMethods } from '../../src/generated/schemas.js';
import { encodeFrame, MAX_BODY_BYTES } from '../../src/rpc/framing.js';
import { errorCodes } from '../../src/shared/api-error.js';
import { FAILURE_BUDGETS } from '../../src/daemon/limits.js';
import { parseParams } from '../../src/daemon/params.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';
import { rssOf } from '../helpers/process-memory.js';
import { RawSocket } from '../helpers/raw-socket.js';

/**
 * Guarantee 4: random frames and params (bad JSON, wrong types, huge strings, deep nesting, huge
 * or negative Content-Length, half frames then a disconnect) sent to the real daemon. It never
 * crashes, every reply is valid JSON-RPC, no invalid request changes anything, and memory stays
 * bounded: a frame over MAX_BODY_BYTES (1 MiB) is refused before it is buffered.
 */
const FRAMES = scale(10_000, 100_000);
const PER_CONNECTION = 100;
/**
 * Hellos the fuzzer may send (nearly all fail): under its user's handshake budget (FAILURE_BUDGETS),
 * past which its connections would be closed and refused, as they are for any user guessing tokens.
 */
const helloAllowance = (seconds: number) => FAILURE_BUDGETS.handshake.burst / 2 + (FAILURE_BUDGETS.handshake.perSecond / 2) * seconds;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const EXISTING = ['alpha-key', 'Beta key', 'gamma'];
// Every method that changes a key (or the daemon): one left out here may, by chance, be sent valid, and change what the test says nothing changes.
const MUTATING = new Set(['apiKey.create', 'apiKey.update', 'apiKey.delete', 'apiKey.disable', 'apiKey.enable', 'apiKey.rotate', 'daemon.shutdown']);
const FIELDS = ['name', 'newName', 'description', 'expiresOn', 'validFor', 'key', 'role', 'clientNonce', 'clientProof', 'status', 'sortBy', 'descending', 'asOf', 'offset', 'limit', 'connectorId', 'extra'];

const deep = (depth: number): unknown => (depth === 0 ? 1 : [deep(depth - 1)]);
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.constantFrom(...EXISTING, 'ALPHA-KEY', 'P30D', 'P1H', '2027-02-30', '2026-11-27', '9999-12-31', '*', 'gwk_' + 'A'.repeat(49)),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.constantFrom('Active', 'Expired', 'Red', 7)),
  fc.constantFrom('x'.repeat(150_000), '\u0000\u0001\ud800', 'é'.repeat(4001)),
  fc.integer({ min: 10, max: 3000 }).map(deep),
  fc.anything(),
);
const params = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.array(value, { maxLength: 3 }) },
);
const request = fc.record({
  jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '2.0', '1.0', 2),
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.constant(undefined), fc.object({ maxDepth: 1 })),
  method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...rpcMethods) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: fc.constant('$/cancelRequest') }),
  params,
}, { requiredKeys: ['jsonrpc', 'method'] });

/** A request the fuzzer may send: mutations are made invalid on purpose, so none may change anything. */
function invalidated(message: { method: string; params?: unknown }): { method: string; params?: unknown } {
  if (!MUTATING.has(message.method)) return message;
  let valid = true;
  try {
    parseParams(message.method as never, message.params);
  } catch {
    valid = false;
  }
  if (!valid) return message;
  const p = { ...(message.params as Record<string, unknown>) };
  // A create of a taken name, or a change to a missing key, must fail whatever else it says; a
  // shutdown with a field it does not take is refused (a valid one would end the run).
  if (message.method === 'daemon.shutdown') p.unexpected = true;
  else if (message.method === 'apiKey.create') p.name = 'ALPHA-KEY';
  else p.name = 'no such key';
  return { ...message, params: p };
}

const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    'Content-Length: 99999999999\r\n\r\n', `Content-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`, 'Content-Length: -1\r\n\r\n',
    'Content-Length: 1e3\r\n\r\n', 'Content-Length: 40\r\n\r\n{"jsonrpc":"2.0"', 'Content-Length:\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  ).map((text) => Buffer.from(text)),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), Buffer.from(bytes)])),
);


function isValidReply(reply: Record<string, unknown>): boolean {
  const idOk = reply.id === null || typeof reply.id === 'string' || typeof reply.id === 'number';
  const one = ('result' in reply) !== ('error' in reply);
  if (reply.jsonrpc !== '2.0' || !idOk || !one) return false;
  if (!('error' in reply)) return true;
  const error = reply.error as { code?: unknown; message?: unknown; data?: { code?: unknown } };
  return Number.isInteger(error.code) && typeof error.message === 'string' &&
    (error.data === undefined || errorCodes.includes(error.data.code as never));
}

t.test(`the daemon survives ${FRAMES} hostile frames with its state unchanged (seed ${SEED})`, async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  for (const name of EXISTING) await admin.request('apiKey.create', { name, description: `seeded ${name}` });
  const state = async () => {
    const { items } = await admin.request('apiKey.list', {});
    return Promise.all(items.map(async (item) => ({ ...item, key: (await admin.request('apiKey.reveal', { name: item.name })).key })));
  };
  const before = await state();
  const rssBefore = rssOf(daemon.child.pid!);

  const requests = fc.sample(request, { numRuns: FRAMES, seed: SEED });
  const garbageFrames = fc.sample(garbage, { numRuns: Math.ceil(FRAMES / PER_CONNECTION), seed: SEED });
  let sent = 0;
  let replies = 0;
  let invalidReplies = 0;
  let peakRss = rssBefore ?? 0;
  const started = performance.now();
  let hellos = 0;
  for (let batch = 0; sent < FRAMES; batch++) {
    const raw = await RawSocket.connect(daemon.pipe).catch((e: Error) => { throw new Error(`${e.message}\n${daemon.stderr().slice(-3000)}`); });
    if (batch % 3 === 1) await raw.handshake('admin', daemon.adminToken());
    if (batch % 3 === 2) await raw.handshake('gateway', daemon.gatewayToken());
    const chunk: Buffer[] = [];
    for (let i = 0; i < PER_CONNECTION - 1 && sent < FRAMES; i++, sent++) {
      let message = invalidated(requests[sent]!);
      if (message.method === 'session.hello') {
        if (hellos < helloAllowance((performance.now() - started) / 1000)) hellos++;
        else message = { ...message, method: 'apiKey.list' };
      }
      let body: string;
      try {
        body = JSON.stringify(message);
      } catch {
        body = '{"not json';
      }
      chunk.push(encodeFrame(i % 10 === 9 ? body.slice(0, Math.max(1, body.length - 3)) : body));
    }
    raw.send(Buffer.concat(chunk));
    // Each connection ends in one of three ways: cleanly, with broken framing, or cut mid-frame.
    if (batch % 4 === 1) raw.send(garbageFrames[batch % garbageFrames.length]!);
    if (batch % 4 === 2) raw.send('Content-Length: 500\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"apiKey.list"');
    sent++;
    await raw.waitFor(Number.MAX_SAFE_INTEGER, batch % 4 === 1 ? 300 : 80);
    for (const reply of raw.answers) {
      replies++;
      if (!isValidReply(reply)) {
        invalidReplies++;
        if (invalidReplies < 5) t.fail(`not a valid JSON-RPC reply: ${JSON.stringify(reply).slice(0, 300)}`);
      }
    }
    raw.close();
    if (batch % 10 === 0) peakRss = Math.max(peakRss, rssOf(daemon.child.pid!) ?? 0);
  }
  t.equal(invalidReplies, 0, `${replies} replies to ${sent} frames, all valid JSON-RPC`);
  t.equal(daemon.child.exitCode, null, 'the daemon is alive');
  t.same(await state(), before, 'no request changed the keys');
  const rssAfter = rssOf(daemon.child.pid!);
  if (rssBefore && rssAfter) {
    t.comment(`daemon RSS: ${Math.round(rssBefore / 2 ** 20)} MiB before, peak ${Math.round(peakRss / 2 ** 20)} MiB, ${Math.round(rssAfter / 2 ** 20)} MiB after`);
    t.ok(peakRss < rssBefore + 150 * 2 ** 20, 'memory stayed bounded');
  }
  t.equal(await daemon.stop(), 0, 'and it stops cleanly');
});
