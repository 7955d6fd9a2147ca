import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { driverAnswer, type DriverAnswer, drivePath, skipWithoutWine, type WineHarness, type WineProcess, winPath, type WineSuite, wineSuite } from '../helpers/wine.js';

// Issue 21, item 1, under Wine with two processes (docs/security.md, "Relayed handshakes"): an
// attacker that can create an instance of the daemon's pipe name relays an admin's handshake to the
// real daemon. Wine enforces no pipe DACL, so the relay can create its instance here, as every
// connecting account could on Windows before the DACL stopped granting FILE_CREATE_PIPE_INSTANCE
// (that DACL is unit-tested in test/windows-security.test.ts). What is shown here is protocol 3's
// half: with the proofs bound to the ends Windows names, the relayed handshake fails both ways.
const skip = skipWithoutWine(t);
const run = `gwk-relay-${process.pid}`;
const pipe = `\\\\.\\pipe\\${run}`;
const dataDir = `C:\\${run}\\data`;
let wine: WineHarness;
let cli: string;
let driverFile: string;
let driver: WineSuite['driver'];
let daemon: WineProcess;

/** Starts the relay on the daemon's pipe name and waits until it holds its instance and its own connection to the daemon. */
async function startRelay(): Promise<WineProcess> {
  const ready = path.join(wine.runDir, `relay-${Date.now()}.ready`);
  const relay = wine.start(wine.nodeExe, [driverFile, 'relay', pipe, winPath(ready)]);
  for (const deadline = Date.now() + 30_000; !fs.existsSync(ready);) {
    if (Date.now() > deadline) throw new Error(`the relay did not get ready:\n${relay.stdout()}\n${relay.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return relay;
}

async function relayReport(relay: WineProcess): Promise<DriverAnswer> {
  await relay.exited;
  const answer = driverAnswer(relay.stdout());
  if (!answer.ok) throw new Error(`the relay failed: ${answer.error}\n${answer.stack}\n${relay.stderr()}`);
  return answer;
}

t.before(async () => {
  if (skip) return;
  ({ wine, cli, driverFile, driver } = await wineSuite(t));
  daemon = wine.start(wine.nodeExe, [cli, 'serve', '--time-zone', 'UTC', '--data-dir', dataDir, '--pipe', pipe], { timeoutMs: 300_000 });
  await wine.waitFor(daemon, (out) => out.includes('is serving'));
});
t.teardown(async () => {
  if (skip) return;
  daemon?.child.kill('SIGINT');
  await daemon?.exited;
  fs.rmSync(drivePath(`C:\\${run}`), { recursive: true, force: true });
});

const adminToken = () => `${dataDir}\\admin.token`;

t.test('without a relay, the ends both sides see agree: the session opens', { skip }, async (t) => {
  t.match(await driver('open', pipe, adminToken()), { ok: true, outcome: 'session', role: 'admin' });
  const unchecked = await driver('hello-unchecked', pipe, adminToken());
  t.equal(unchecked.hello, 'ok', 'a client proof bound to the ends it sees is accepted');
  t.match(unchecked.ends, { serverPid: Number, clientPid: Number }, 'both process ids came from Windows');
});

t.test('a relayed handshake under Wine (two processes): the admin refuses the daemon\'s relayed proof, and the relay gets no session', { skip }, async (t) => {
  const relay = await startRelay();
  const admin = await driver('open', pipe, adminToken());
  const report = await relayReport(relay);
  t.equal(admin.outcome, 'DaemonImpostor', 'the client saw the daemon\'s proof bound to the relay\'s process id, not its server\'s');
  t.same(report.methodsRelayed, ['session.challenge'], 'the relay passed the challenge through, and got no client proof to pass on');
  t.equal(report.sessionForTheRelay, 'Unauthenticated', 'the relay\'s own connection to the daemon has no role');
});

t.test('a relayed handshake under Wine (two processes): a client proof that reaches the daemon through the relay is refused', { skip }, async (t) => {
  const relay = await startRelay();
  const admin = await driver('hello-unchecked', pipe, adminToken());
  const report = await relayReport(relay);
  t.equal(admin.hello, 'Unauthenticated', 'the daemon bound the proof to the relay\'s process id, the client to its own');
  t.equal(report.relayedHello, 'Unauthenticated');
  t.equal(report.sessionForTheRelay, 'Unauthenticated', 'and the relay has no session');
  const rejected = daemon.stderr().split('\n').filter((line) => line.includes('"event":"session.rejected"')).map((line) => JSON.parse(line) as DriverAnswer);
  t.match(rejected.at(-1), { reason: 'proof', account: /\(S-1-5-21-[-\d]+\)$/ }, 'the daemon named the account at the other end (peerOf, from the client process\'s token)');
});
