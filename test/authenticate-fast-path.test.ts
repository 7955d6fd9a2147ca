import fc from 'fast-check';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { FailedAuthentications } from '../src/daemon/failed-authentications.js';
import { CONNECTION_LIMITS, SERVER_LIMITS } from '../src/daemon/limits.js';
import { type DaemonContext, daemonState, dispatch, fastAnswer } from '../src/daemon/methods.js';
import { readAuthenticateFrame } from '../src/daemon/authenticate-frame.js';
import { Session } from '../src/daemon/session.js';
import { SessionCaps } from '../src/daemon/session-caps.js';
import { RoleTokens } from '../src/daemon/tokens.js';
import { parseParams } from '../src/daemon/params.js';
import { encodeFrame, FrameDecoder } from '../src/rpc/framing.js';
import { RpcServer } from '../src/rpc/server.js';
import { clientProof, newNonce, PROTOCOL_VERSION, proofKey } from '../src/session-proof.js';
import { Vault } from '../src/vault/vault.js';
import { ManualClock } from './helpers/clock.js';
import { startDaemon } from './helpers/daemon.js';
import { create, madeDataDir, RecordingLog, rotate, TODAY, valuesByName } from './helpers/vault.js';

/**
 * The authenticate fast path (docs/architecture.md, "The authenticate fast path") answers byte for
 * byte as the generic path does, and leaves the same state and logs behind. Two daemons in this
 * process, on two copies of one vault with the same clock: one with the fast path, one without it
 * (the reference); every frame is sent to both, on connections of the same role.
 */

type Role = 'none' | 'gateway' | 'admin';
const ROLES: Role[] = ['none', 'gateway', 'admin'];

/** A raw connection: frames out, answers' bytes in, in order. */
class Wire {
  private readonly decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  private readonly bodies: Buffer[] = [];
  private waiting: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.decoder.push(chunk);
      for (let body = this.decoder.next(); body; body = this.decoder.next()) this.bodies.push(Buffer.from(body));
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(pipe: string): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(pipe, () => resolve(new Wire(socket)));
      socket.once('error', reject);
    });
  }

  send(bodies: string[]): void {
    this.socket.write(Buffer.concat(bodies.map(encodeFrame)));
  }

  /** The next `count` answers, as they came. */
  async take(count: number): Promise<Buffer[]> {
    while (this.bodies.length < count) {
      if (this.closed) throw new Error('the connection closed');
      await new Promise<void>((resolve) => { this.waiting = resolve; });
      this.waiting = undefined;
    }
    return this.bodies.splice(0, count);
  }

  /** Answers received and not taken. */
  get unread(): number {
    return this.bodies.length;
  }

  async call(method: string, params: unknown): Promise<Record<string, unknown>> {
    this.send([JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })]);
    const [answer] = await this.take(1);
    const message = JSON.parse(answer!.toString('utf8')) as { result?: Record<string, unknown>; error?: unknown };
    if (!message.result) throw new Error(`${method}: ${JSON.stringify(message.error)}`);
    return message.result;
  }
}

async function establish(wire: Wire, role: 'admin' | 'gateway', token: string): Promise<void> {
  const clientNonce = newNonce();
  const { serverNonce } = await wire.call('session.challenge', { protocolVersion: PROTOCOL_VERSION, role, clientNonce });
  await wire.call('session.hello', { role, clientProof: clientProof(proofKey(Buffer.from(token)), serverNonce as string, clientNonce, '') });
}

interface Side {
  vault: Vault;
  log: RecordingLog;
  context: DaemonContext;
  wires: Record<Role, Wire>;
  /** The daemon's end of each connection, by role. */
  ends: Record<Role, net.Socket>;
  /** Frames the fast path answered. */
  taken: { count: number };
}

/** A daemon in this process on `dataDir`, with or without the fast path, and a connection of each role. */
async function side(t: Test, dataDir: string, clock: ManualClock, tokensDir: string, fast: boolean): Promise<Side> {
  const tokens = await RoleTokens.ensure(tokensDir);
  const log = new RecordingLog();
  const vault = await Vault.open({ timeZone: 'UTC', lastUsedFlushMs: 1_000_000, dataDir, clock, log });
  t.teardown(() => vault.close());
  // Budgets that do not refill with time: both daemons, at slightly different instants, spend them alike.
  const failures = new FailedAuthentications(log, async () => undefined, () => 0);
  const context: DaemonContext = {
    vault, tokens, log, exposedLog: log, failures, sessions: new SessionCaps(), serverVersion: 'test', startedAt: 0,
    requestStop: () => undefined, ...daemonState(),
  };
  const pipe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-fast-')), 'd.sock');
  const ends: net.Socket[] = [];
  const taken = { count: 0 };
  const server = await RpcServer.listen(pipe, {
    dispatch: (session: Session, method, params) => dispatch(context, session, method, params),
    ...(fast ? {
      fastAnswer: (session: Session, body: Buffer) => {
        const answer = fastAnswer(context, session, body);
        if (answer !== undefined) taken.count++;
        return answer;
      },
    } : {}),
    openSession: (id, peer, socket) => {
      ends.push(socket);
      return new Session(id, peer, '');
    },
    log,
    limits: { ...SERVER_LIMITS, handshakeTimeoutMs: 3_600_000 }, // the connection without a role stays for the whole test
  });
  t.teardown(() => server.close(0));
  const wires = { none: await Wire.open(pipe), gateway: await Wire.open(pipe), admin: await Wire.open(pipe) };
  t.teardown(() => { for (const wire of Object.values(wires)) wire.socket.destroy(); });
  await establish(wires.gateway, 'gateway', fs.readFileSync(path.join(tokensDir, 'gateway.token'), 'utf8').trim());
  await establish(wires.admin, 'admin', fs.readFileSync(path.join(tokensDir, 'admin.token'), 'utf8').trim());
  log.lines.length = 0; // the lines of the opening name the data dir, the only difference between the two
  return { vault, log, context, wires, ends: { none: ends[0]!, gateway: ends[1]!, admin: ends[2]! }, taken };
}

/** A vault with a key in each state a presented value can meet, and the values to present. */
async function keysInEveryState(t: Test, clock: ManualClock): Promise<{ dataDir: string; presented: string[] }> {
  const dataDir = madeDataDir(t);
  const vault = await Vault.open({ timeZone: 'UTC', lastUsedFlushMs: 20, dataDir, clock, log: new RecordingLog() });
  await create(vault, { name: 'active-key' });
  await create(vault, { name: 'ünïcödé ключ "quoted" \\ key', validFor: 'P10D' }); // expiring soon, a name JSON escapes
  await create(vault, { name: 'disabled-key' });
  await vault.setEnabled(parseParams('apiKey.disable', { name: 'disabled-key' }), false);
  await create(vault, { name: 'expired-key', validFor: 'P1D' });
  await create(vault, { name: 'rotated-key' });
  await create(vault, { name: 'grace-over-key' });
  const before = valuesByName(vault);
  await rotate(vault, { name: 'grace-over-key', graceHours: 1 });
  clock.advance('PT2H'); // the previous value of grace-over-key is Unknown now
  await rotate(vault, { name: 'rotated-key', graceHours: 168 });
  const deleted = (await create(vault, { name: 'deleted-key' })).key;
  await vault.delete(parseParams('apiKey.delete', { name: 'deleted-key' }));
  const after = valuesByName(vault);
  await vault.close();
  clock.advance('P3D'); // expired-key is past its day
  const valid = [...after.values()];
  const wrongChecksum = valid[0]!.slice(0, -1) + (valid[0]!.endsWith('A') ? 'B' : 'A');
  return { dataDir, presented: [...valid, before.get('rotated-key')!, before.get('grace-over-key')!, deleted, wrongChecksum, valid[0]!.toLowerCase(), 'not-a-key', ''] };
}

/** The two daemons, on copies of one vault, and the values to present. */
async function twoDaemons(t: Test): Promise<{ fast: Side; generic: Side; presented: string[] }> {
  const clock = new ManualClock(`${TODAY}T12:00:00Z`);
  const { dataDir, presented } = await keysInEveryState(t, clock);
  const copy = madeDataDir(t);
  fs.cpSync(dataDir, copy, { recursive: true });
  const tokensDir = madeDataDir(t);
  return { fast: await side(t, dataDir, clock, tokensDir, true), generic: await side(t, copy, clock, tokensDir, false), presented };
}

const authenticateFrame = (id: number, key: string) => `{"jsonrpc":"2.0","id":${id},"method":"connector.authenticate","params":{"key":"${key}"}}`;

t.test('the fast path and the generic path answer byte for byte alike, and leave the same state and logs (property)', async (t) => {
  const { fast, generic, presented } = await twoDaemons(t);

  // Each part as the JSON text that is sent: hostile ones beside what a gateway writes.
  const escapedFirst = (value: string) => `"\\u00${value.charCodeAt(0).toString(16).padStart(2, '0')}${value.slice(1)}"`;
  const key = fc.oneof(
    { arbitrary: fc.constantFrom(...presented).map((value) => JSON.stringify(value)), weight: 6 },
    fc.constantFrom(...presented.filter(Boolean)).map(escapedFirst),
    fc.string({ maxLength: 60, unit: 'binary' }).map((text) => JSON.stringify(text)),
  );
  const connectorId = fc.oneof(
    { arbitrary: fc.constantFrom('"gw-1"', '"gw-2"', '""', `"${'x'.repeat(256)}"`), weight: 4 },
    fc.constantFrom('gw-1', 'gw-2', '', 'x'.repeat(256), 'x'.repeat(257), 'ünïcödé', 'e\u0301', 'tab\there', 'quote"d', 'back\\slash', '\u{1F600}').map((text) => JSON.stringify(text)),
    fc.constant('"\\u0067w-1"'),
    fc.string({ maxLength: 20, unit: 'binary' }).map((text) => JSON.stringify(text)),
  );
  const id = fc.oneof(
    { arbitrary: fc.nat({ max: 100_000 }).map(String), weight: 4 },
    fc.integer().map(String),
    fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String), // past 2 ** 53, JSON.parse rounds: the answer's id is another text
    fc.constantFrom('-0', '-1', '1e3', '1.0', '0.5', '999999999999999', '9999999999999999', '12345678901234567890', '1e400', '00', '"7"', '"x"', 'null', 'true', '[]'),
    fc.string({ maxLength: 5 }).map((text) => JSON.stringify(text)),
  );
  /** How the frame is written: as a gateway does, or one way or another beside it. */
  const shape = fc.oneof(
    { arbitrary: fc.constant('exact'), weight: 30 },
    fc.constantFrom('spaces', 'keyOrder', 'paramsOrder', 'extraField', 'extraParam', 'noParams', 'nullConnector', 'otherMethod', 'verify', 'notJson', 'noId', 'trailing', 'oldVersion'),
  );
  const frame = fc.record({ id, key, connectorId: fc.option(connectorId, { nil: undefined }), shape }).map(({ id, key, connectorId, shape }) => {
    const params = connectorId === undefined ? `{"key":${key}}` : `{"key":${key},"connectorId":${connectorId}}`;
    const method = '"connector.authenticate"';
    switch (shape) {
      case 'spaces': return `{ "jsonrpc": "2.0", "id": ${id}, "method": ${method}, "params": ${params} }`;
      case 'keyOrder': return `{"id":${id},"jsonrpc":"2.0","method":${method},"params":${params}}`;
      case 'paramsOrder': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":{"connectorId":"gw-1","key":${key}}}`;
      case 'extraField': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":${params},"extra":1}`;
      case 'extraParam': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":${params.slice(0, -1)},"extra":1}}`;
      case 'noParams': return `{"jsonrpc":"2.0","id":${id},"method":${method}}`;
      case 'nullConnector': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":{"key":${key},"connectorId":null}}`;
      case 'otherMethod': return `{"jsonrpc":"2.0","id":${id},"method":"daemon.shutdown","params":${params}}`;
      case 'verify': return `{"jsonrpc":"2.0","id":${id},"method":"apiKey.verify","params":{"key":${key}}}`;
      case 'notJson': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":${params}`;
      case 'noId': return `{"jsonrpc":"2.0","method":${method},"params":${params}}`;
      case 'trailing': return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":${params}}\n`;
      case 'oldVersion': return `{"jsonrpc":"1.0","id":${id},"method":${method},"params":${params}}`;
      default: return `{"jsonrpc":"2.0","id":${id},"method":${method},"params":${params}}`;
    }
  });

  let recognised = 0;
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROLES), fc.array(frame, { minLength: 1, maxLength: 8 }), async (role, frames) => {
      for (const body of frames) if (readAuthenticateFrame(Buffer.from(body, 'utf8'))) recognised++;
      sent += frames.length;
      // Each batch in one write, so that fast and generic answers meet in one read. Every frame but a
      // notification is answered. The generic path lets a quicker answer (a parse error, a refusal
      // before the params check) overtake a slower one of the same read, so the answers are compared
      // as a set; the order the fast path keeps has its own test below.
      const answered = frames.filter((body) => !body.startsWith('{"jsonrpc":"2.0","method"')).length;
      fast.wires[role].send(frames);
      generic.wires[role].send(frames);
      const [fastAnswers, genericAnswers] = await Promise.all([fast.wires[role].take(answered), generic.wires[role].take(answered)]);
      const sorted = (answers: Buffer[]) => answers.map((answer) => answer.toString('latin1')).sort();
      t.same(sorted(fastAnswers), sorted(genericAnswers));
      return sorted(fastAnswers).join('\n') === sorted(genericAnswers).join('\n');
    }),
    { numRuns: 300 },
  );
  t.ok(recognised > sent / 5, `${recognised} of ${sent} frames are of the fast path's shape`);
  t.ok(fast.taken.count > sent / 25, `the fast path answered ${fast.taken.count} of them (not those of a session without a role)`);
  for (const role of ROLES) {
    fast.wires[role].send(['{"jsonrpc":"2.0","id":"last","method":"session.nonsense"}']);
    generic.wires[role].send(['{"jsonrpc":"2.0","id":"last","method":"session.nonsense"}']);
    t.same((await fast.wires[role].take(1)).toString(), (await generic.wires[role].take(1)).toString(), 'no answer more: notifications are not answered');
  }

  // The same uses recorded, the same failures counted and warned about, the same log lines.
  const names = fast.vault.list(parseParams('apiKey.list', {})).items.map((item) => item.name);
  t.same(names.map((name) => fast.vault.usage({ name })), names.map((name) => generic.vault.usage({ name })), 'the same uses recorded');
  t.same(fast.vault.list(parseParams('apiKey.list', {})), generic.vault.list(parseParams('apiKey.list', {})), 'the same last uses');
  await fast.context.failures.endWindow();
  await generic.context.failures.endWindow();
  t.same(fast.log.lines, generic.log.lines, 'the same log lines: warnings of previous values, expired and disabled keys, failures past their budget');
  t.ok(fast.log.lines.some((line) => line.meta?.event === 'auth.previousValue'), 'a previous value was warned about');
  t.ok(fast.log.lines.some((line) => line.meta?.event === 'auth.overBudget' || line.meta?.event === 'auth.failures'), 'failures were counted');
});

t.test('a fast answer never overtakes the answer of an earlier request of its connection', async (t) => {
  const { fast, generic, presented } = await twoDaemons(t);
  // daemon.status goes the generic way, answered a few promise jobs after it is read; the
  // authenticate after it in the same read must not be written first.
  const batch = ['{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":{}}', authenticateFrame(2, presented[0]!), authenticateFrame(3, presented[0]!)];
  const ids = async (side: Side) => {
    side.wires.gateway.send(batch);
    return (await side.wires.gateway.take(3)).map((answer) => (JSON.parse(answer.toString('utf8')) as { id: number }).id);
  };
  t.same(await ids(generic), [1, 2, 3], 'the generic path answers in the order of the requests');
  t.same(await ids(fast), [1, 2, 3], 'so does the fast path');
});

t.test('fast answers count as unread like any: a gateway that does not read is no longer read', async (t) => {
  const { fast, presented } = await twoDaemons(t);
  const wire = fast.wires.gateway;
  const end = fast.ends.gateway;
  wire.socket.pause(); // reads nothing: its answers pile up in the daemon
  const frames = Array.from({ length: 40_000 }, (_, i) => authenticateFrame(i, presented[0]!)); // about 4 MiB of answers
  wire.send(frames);
  const unread = () => end.writableLength;
  const limit = CONNECTION_LIMITS.maxUnreadBytes.gateway;
  const turns = async (count: number) => { for (let i = 0; i < count; i++) await new Promise((resolve) => setTimeout(resolve, 5)); };
  // Until the daemon has stopped reading the connection past its limit, or has answered far past it;
  // then some turns more (this daemon runs in this process), in which one that only paused for its turn reads on.
  while (!(end.isPaused() && unread() > limit) && unread() < 4 * 1024 * 1024) await turns(1);
  await turns(10);
  t.ok(end.isPaused(), 'the connection is no longer read');
  t.ok(unread() <= limit + 64 * 1024, `unread answers held at its limit: ${unread()} bytes`);
  wire.socket.resume();
  t.equal((await wire.take(frames.length)).length, frames.length, 'once it reads, every request is answered');
});

t.test('an unexpected exception on the fast path is answered and logged as on the generic path', async (t) => {
  const { fast, generic, presented } = await twoDaemons(t);
  for (const side of [fast, generic]) {
    side.vault.authenticate = () => { throw new TypeError('disk gremlins'); };
    side.wires.gateway.send([authenticateFrame(7, presented[0]!)]);
  }
  const [fastAnswer, genericAnswer] = [(await fast.wires.gateway.take(1))[0]!.toString(), (await generic.wires.gateway.take(1))[0]!.toString()];
  t.equal(fastAnswer, genericAnswer);
  t.match(JSON.parse(fastAnswer), { id: 7, error: { code: -32603, data: { code: 'Internal' } } });
  const failed = (side: Side) => side.log.lines.filter((line) => line.level === 'error').map((line) => ({ ...line, meta: { ...line.meta, stack: undefined } }));
  t.same(failed(fast), failed(generic), 'logged alike');
  t.match(failed(fast), [{ meta: { event: 'request.failed', method: 'connector.authenticate', error: 'disk gremlins' } }]);
});

t.test('the daemon takes the fast path: an authenticate is answered as it is read, before a later frame\'s parse error', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'fast-key' });
  const wire = await Wire.open(daemon.pipe);
  t.teardown(() => wire.socket.destroy());
  await establish(wire, 'gateway', daemon.gatewayToken());
  // The generic path answers the parse error first: it is written as it is read, the authenticate a few promise jobs later.
  wire.send([authenticateFrame(1, key), 'not json']);
  const answers = (await wire.take(2)).map((answer) => JSON.parse(answer.toString('utf8')) as { id: number | null });
  t.same(answers.map((answer) => answer.id), [1, null], 'the authenticate first');
});
