import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { DaemonImpostorError, DaemonProtocolError, DaemonTimeoutError, MAX_ANSWER_BYTES, openSession } from '../../src/client/connect.js';
import { schemaDocuments } from '../../src/generated/schemas.js';
import { toInfo } from '../../src/vault/api-key.js';
import { KeyUsage } from '../../src/vault/key-usage.js';
import { encodeRows, toRows } from '../../src/vault/storage/mutations.js';
import { CLI } from '../helpers/daemon.js';
import { MiB, sleep } from '../helpers/hostile.js';
import { rssOf } from '../helpers/process-memory.js';

/**
 * Guarantee: whatever answers on the pipe cannot bloat, hang or crash a client, nor make it say
 * more than one line (docs/security.md, "What answers the pipe"). The daemon's side of the same
 * promise is hostile-frames.test.ts; here the server is the attacker: test/helpers/impostor-server.mjs
 * on a socket in a private directory, against the CLI as a user runs it and against openSession.
 */

const IMPOSTOR = path.join(import.meta.dirname, '..', 'helpers', 'impostor-server.mjs');
const TOKEN = `gwt_${'T'.repeat(49)}`;
/**
 * What an attack may add to the CLI's own footprint: reading a 2 GiB frame was measured at 410 MiB and
 * rising. The footprint itself is measured here (cliFootprint), as it depends on how the CLI runs:
 * about 55 MiB as a user runs it, more under tap's coverage, over twice that were dist/cli.js a bundle.
 */
const RSS_ALLOWANCE = 50 * MiB;

interface Impostor {
  pipe: string;
  /** What it printed: `received N` lines, `closed` when a client's connection ended. */
  output: () => string;
}

/** Starts test/helpers/impostor-server.mjs in `mode` on a socket of a private temporary directory. */
async function impostor(t: Test, mode: string): Promise<Impostor> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-imp-'));
  fs.chmodSync(dir, 0o700);
  const pipe = path.join(dir, 's.sock');
  const child = spawn(process.execPath, [IMPOSTOR, pipe, mode], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GATEWAY_APIKEYS_TOKEN: TOKEN } });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  t.teardown(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 10_000;
  while (!output.includes('listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the impostor (${mode}) did not start`);
    await sleep(20);
  }
  return { pipe, output: () => output };
}

interface CliRun {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
  /** The highest resident memory seen, sampled from /proc every 20 ms. */
  maxRss: number;
  /** Still running at the deadline, and killed. */
  hung: boolean;
}

/** `gateway-apikeys status --pipe PIPE`, as an admin would run it, killed if it outlives `deadlineMs`. */
function status(pipe: string, extra: string[] = [], deadlineMs = 20_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, 'status', '--pipe', pipe, ...extra], {
      env: { ...process.env, GATEWAY_APIKEYS_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    let maxRss = 0;
    let hung = false;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssOf(child.pid!) ?? 0);
    }, 20);
    const deadline = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('exit', (code) => {
      clearInterval(sampler);
      clearTimeout(deadline);
      resolve({ code, stdout, stderr, ms: performance.now() - started, maxRss, hung });
    });
  });
}

let footprint: Promise<number> | undefined;

/** The CLI's resident memory in this environment when an impostor is refused at once (its first line is garbage). */
function cliFootprint(t: Test): Promise<number> {
  footprint ??= impostor(t, 'garbage').then((server) => status(server.pipe)).then((run) => run.maxRss);
  return footprint;
}

/** The CLI gave up on its own, with one line naming `code`, in bounded memory, within `withinMs`. */
async function refused(t: Test, run: CliRun, code: string, withinMs: number): Promise<void> {
  const limit = (await cliFootprint(t)) + RSS_ALLOWANCE;
  t.notOk(run.hung, 'the CLI did not hang');
  t.equal(run.code, 1, 'it exits 1');
  const lines = run.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line on standard error: ${run.stderr.trimEnd()}`);
  t.match(lines[0], new RegExp(`^error: .*\\(${code}\\)$`), `naming ${code}`);
  t.notMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace');
  t.ok(run.ms < withinMs, `within ${withinMs / 1000} s (took ${(run.ms / 1000).toFixed(1)} s)`);
  t.ok(run.maxRss < limit, `its memory stayed bounded: RSS at most ${(run.maxRss / MiB).toFixed(0)} MiB, under ${(limit / MiB).toFixed(0)}`);
}

t.test('a 2 GiB Content-Length answering the challenge, its body as fast as the client reads, is refused at its header', async (t) => {
  const server = await impostor(t, 'flood');
  const run = await status(server.pipe);
  await refused(t, run, 'DaemonImpostor', 5000);
  t.match(run.stderr, /is not the gateway-apikeys daemon: it answers with what no daemon sends \(a frame of 2147483648 bytes is over the limit of 4096\)\. Nothing secret was sent to it\./);
});
t.test('a 2 GiB Content-Length answering the challenge, then a byte a second, is refused at its header', async (t) => {
  const server = await impostor(t, 'huge');
  await refused(t, await status(server.pipe), 'DaemonImpostor', 5000);
});
t.test('a server that never answers: the CLI gives up at its timeout, by default within the daemon\'s own handshake deadline', async (t) => {
  const server = await impostor(t, 'silent');
  const given = await status(server.pipe, ['--timeout', '2']);
  await refused(t, given, 'DaemonTimeout', 5000);
  t.ok(given.ms > 1900, 'not before --timeout');
  t.match(given.stderr, /did not answer the handshake within 2 s: it is not the gateway-apikeys daemon, or the daemon is stuck\. Nothing secret was sent to it\./);
  const byDefault = await status(server.pipe);
  await refused(t, byDefault, 'DaemonTimeout', 14_000);
  t.match(byDefault.stderr, /within 10 s/);
});
t.test('a small frame whose body trickles a byte a second does not keep the CLI past its timeout', async (t) => {
  const server = await impostor(t, 'trickle');
  await refused(t, await status(server.pipe, ['--timeout', '2']), 'DaemonTimeout', 5000);
});
t.test('an answer that is no frame, no JSON or no answer unmasks the impostor, in one line', async (t) => {
  for (const [mode, problem] of [
    ['garbage', /a header line has no name/],
    ['badjson', /an answer is not JSON/],
    ['notanswer', /an answer is not a JSON-RPC response object/],
  ] as const) {
    const server = await impostor(t, mode);
    const run = await status(server.pipe);
    await refused(t, run, 'DaemonImpostor', 5000);
    t.match(run.stderr, problem, mode);
  }
});
t.test('after a proved handshake, an answer over the client\'s limit is a protocol error, not a 2 GiB allocation', async (t) => {
  // Only something that knows the token can prove it: this stands for a daemon gone wrong, or a stream gone out of step.
  const server = await impostor(t, 'prove-then-huge');
  const run = await status(server.pipe);
  await refused(t, run, 'DaemonProtocolError', 5000);
  t.match(run.stderr, /does not speak the gateway-apikeys protocol: A frame of 2147483648 bytes is over the limit of 524288000\. The connection was closed\./);
});
t.test('openSession destroys the connection of what fails, and nothing is thrown past it', async (t) => {
  for (const [mode, type] of [['flood', DaemonImpostorError], ['badjson', DaemonImpostorError], ['silent', DaemonTimeoutError]] as const) {
    const server = await impostor(t, mode);
    const error = await openSession({ pipe: server.pipe, token: TOKEN, handshakeTimeoutMs: 500 }).then(() => undefined, (e: unknown) => e);
    t.type(error, type, `${mode}: ${(error as Error).message}`);
    const deadline = Date.now() + 2000;
    while (!server.output().includes('closed') && Date.now() < deadline) await sleep(20);
    t.match(server.output(), /closed/, `${mode}: the server saw the connection end`);
  }
  const proved = await impostor(t, 'prove-then-huge');
  const { client } = await openSession({ pipe: proved.pipe, token: TOKEN });
  await t.rejects(client.request('daemon.status', {}), DaemonProtocolError);
  await t.rejects(client.request('daemon.status', {}), DaemonProtocolError, 'and every later request fails the same way');
  await client.closed;
  t.pass('the connection is closed');

  const slow = await impostor(t, 'prove-then-huge');
  const session = await openSession({ pipe: slow.pipe, token: TOKEN, maxAnswerBytes: 3 * 1024 * 1024 * 1024, requestTimeoutMs: 800 });
  const started = performance.now();
  await t.rejects(session.client.request('daemon.status', {}), DaemonTimeoutError, 'a limit raised by the caller, and the trickle meets the request timeout');
  t.ok(performance.now() - started < 3000, 'at once');
});

/** The longest disable reason apiKey.disable takes. */
const LONGEST_REASON = (schemaDocuments.find((d) => d.$id === 'params/apiKey.disable.json') as { properties: { reason: { maxLength: number } } }).properties.reason.maxLength;

/** A key whose every field is at its longest, in plain ASCII text, used by the most connectors a key keeps, with the longest ids. */
function longestKey(i: number, now: number) {
  const key = `gwk_${'A'.repeat(43)}${'B'.repeat(6)}`;
  const usage = KeyUsage.from([2 ** 31, Array.from({ length: 64 }, (_, c) => [`${'c'.repeat(253)}${String(c).padStart(3, '0')}`, now, now, 2 ** 31])]);
  return {
    id: 'i'.repeat(32), name: `${'n'.repeat(94)}${String(i).padStart(6, '0')}`, description: 'd'.repeat(4000), key, createdAt: now, updatedAt: now,
    expiresOn: '2031-12-31', enabled: false, rotatedAt: now, previous: { key, validUntil: now + 86_400_000 }, lastUsedAt: now, usage,
    disabledAt: now, disabledReason: 'r'.repeat(LONGEST_REASON),
  };
}
t.test('the answer limit after the handshake holds the largest legitimate answers', async (t) => {
  const now = Date.UTC(2026, 10, 27);
  const item = Buffer.byteLength(JSON.stringify(toInfo(longestKey(0, now), 20_000, now))) + 1;
  const list = 100_000 * item + 100;
  t.ok(list < MAX_ANSWER_BYTES, `apiKey.list of 100,000 such keys: ${(list / MiB).toFixed(0)} MiB, under ${MAX_ANSWER_BYTES / MiB} MiB`);
  const rows = encodeRows(toRows(Array.from({ length: 1000 }, (_, i) => longestKey(i, now)))).length;
  const part = Math.ceil((rows + 64) / 3) * 4 + 100; // sealed (nonce, tag, chunk prefix), then base64 in a JSON answer
  t.ok(part < MAX_ANSWER_BYTES, `backup.read of a part of 1000 of them: ${(part / MiB).toFixed(0)} MiB`);
  t.ok(MAX_ANSWER_BYTES < 2 ** 29 - 24, 'and every body under it can be made one string (V8\'s limit)');
});
