import fs from 'node:fs';
import net from 'node:net';
import koffi from 'koffi';
import { DaemonImpostorError, openSession } from '../../src/client/connect.js';
import { pathSecurity, pipeSecurity, wineVersion } from '../../src/platform/system.js';
import { RpcCallError } from '../../src/rpc/client.js';
import { encodeFrame, FrameDecoder } from '../../src/rpc/framing.js';
import { localPipeConnector, clientSideEnds } from '../../src/platform/system.js';
import { RpcClient } from '../../src/rpc/client.js';
import { clientProof, endpointBinding, newNonce, PROTOCOL_VERSION, proofKey } from '../../src/session-proof.js';

/**
 * The Windows suite's framed test client (docs/architecture.md, "The Windows suite"): it runs on
 * node.exe under Wine beside the daemon, because a Linux process cannot open a Wine named pipe.
 * Bundled by test/helpers/wine.ts with the project's own client (src/client/connect.ts, which on
 * Windows opens the pipe at the Identification level). Each command prints one JSON line and exits
 * 0, or prints {ok: false, error} and exits 1.
 *
 *   driver.cjs tour PIPE ADMIN_TOKEN_FILE GATEWAY_TOKEN_FILE
 *   driver.cjs impostor PIPE ADMIN_TOKEN_FILE
 *   driver.cjs writer PIPE ADMIN_TOKEN_FILE ACK_FILE ROUND
 *   driver.cjs verify PIPE ADMIN_TOKEN_FILE ACK_FILE
 *   driver.cjs authenticate PIPE GATEWAY_TOKEN_FILE KEY
 *   driver.cjs pipe-dacl PIPE
 *   driver.cjs path-sddl PATH
 *   driver.cjs squat PIPE READY_FILE
 *   driver.cjs relay PIPE READY_FILE
 *   driver.cjs open PIPE ADMIN_TOKEN_FILE
 *   driver.cjs hello-unchecked PIPE ADMIN_TOKEN_FILE
 */

const token = (file: string) => fs.readFileSync(file, 'utf8').trim();
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: RpcCallError) => error.code);

async function tour(pipe: string, adminFile: string, gatewayFile: string): Promise<Record<string, unknown>> {
  const calls: Record<string, unknown> = {};
  const { client: admin, hello } = await openSession({ pipe, role: 'admin', token: token(adminFile) });
  calls['session.challenge'] = 'ok (the daemon proved the admin token)';
  calls['session.hello'] = hello;
  const created = await admin.request('apiKey.create', { name: 'Wine connector', description: 'made under Wine', validFor: 'P90D' });
  calls['apiKey.create'] = { name: created.name, expiresOn: created.expiresOn, keyFormat: /^gwk_[0-9A-Za-z]{49}$/.test(created.key) };
  calls['apiKey.get'] = (await admin.request('apiKey.get', { name: 'wine CONNECTOR' })).name;
  calls['apiKey.update'] = (await admin.request('apiKey.update', { name: 'Wine connector', description: 'edited under Wine' })).description;
  calls['apiKey.reveal'] = (await admin.request('apiKey.reveal', { name: 'Wine connector' })).key === created.key;
  calls['apiKey.verify'] = await admin.request('apiKey.verify', { key: created.key });
  const { client: gateway } = await openSession({ pipe, role: 'gateway', token: token(gatewayFile) });
  calls['connector.authenticate'] = await gateway.request('connector.authenticate', { key: created.key, connectorId: 'wine-test' });
  calls['gateway may not list'] = await codeOf(gateway.request('apiKey.list', {}));
  calls['gateway may not stop the daemon'] = await codeOf(gateway.request('daemon.shutdown', {}));
  calls['daemon.status'] = (await gateway.request('daemon.status', {})).keys;
  const listed = await admin.request('apiKey.list', { name: 'wine*' });
  calls['apiKey.list'] = { total: listed.total, lastUsed: listed.items[0]?.lastUsedAt !== null };
  calls['NameTaken'] = await codeOf(admin.request('apiKey.create', { name: 'WINE CONNECTOR' }));
  calls['apiKey.delete'] = await admin.request('apiKey.delete', { name: 'Wine connector' });
  calls['deleted key'] = await gateway.request('connector.authenticate', { key: created.key });
  // Protocol 3 by hand: a proof made with the wrong token (whatever the binding) is Unauthenticated, and the connection stays usable.
  const raw = (await openSession({ pipe, role: 'gateway', token: token(gatewayFile) })).client;
  const clientNonce = newNonce();
  const { serverNonce } = await raw.request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce });
  calls['wrong proof'] = await codeOf(raw.request('session.hello', { role: 'admin', clientProof: clientProof(proofKey(Buffer.from('gwt_wrong')), serverNonce, clientNonce, '') }));
  calls['after a wrong proof'] = await codeOf(raw.request('daemon.status', {}));
  for (const client of [admin, gateway, raw]) client.close();
  return { calls, wine: wineVersion() ?? null };
}

/**
 * A squatter on `pipe` that answers the challenge without knowing the token: the client must refuse
 * it (DaemonImpostor) and send it no proof.
 */
async function impostor(pipe: string, adminFile: string): Promise<Record<string, unknown>> {
  const seen: string[] = [];
  const server = net.createServer((socket) => {
    const decoder = new FrameDecoder(1 << 20);
    socket.on('data', (chunk) => {
      decoder.push(chunk);
      for (let body = decoder.next(); body; body = decoder.next()) {
        const request = JSON.parse(body.toString('utf8')) as { id: number; method: string };
        seen.push(request.method);
        socket.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { serverNonce: newNonce(), serverProof: newNonce() } })));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  const refused = await openSession({ pipe, token: token(adminFile) }).then(() => 'accepted', (error: Error) => (error instanceof DaemonImpostorError ? error.code : error.message));
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.close();
  return { refused, methodsTheImpostorSaw: seen };
}

/**
 * Changes keys one at a time until the daemon goes away. Each change is written to ACK_FILE before
 * it is sent (an intent) and again once the daemon acknowledged it (an ack), each line fsynced; key
 * names carry ROUND so that every round makes new ones.
 */
async function writer(pipe: string, adminFile: string, ackFile: string, round: string): Promise<Record<string, unknown>> {
  const { client } = await openSession({ pipe, role: 'admin', token: token(adminFile) });
  const log = fs.openSync(ackFile, 'a');
  const write = (line: object) => {
    fs.writeSync(log, `${JSON.stringify(line)}\n`);
    fs.fsyncSync(log);
  };
  const change = async (intent: { op: string; name: string; description?: string }, call: () => Promise<unknown>) => {
    write({ intent });
    await call();
    write({ ack: true });
  };
  let n = 0;
  try {
    for (;; n++) {
      const name = `crash-${round}-${n}`;
      await change({ op: 'create', name, description: 'v1' }, () => client.request('apiKey.create', { name, description: 'v1' }));
      if (n % 3 === 1) await change({ op: 'update', name, description: 'v2' }, () => client.request('apiKey.update', { name, description: 'v2' }));
      const old = `crash-${round}-${n - 2}`;
      if (n % 3 === 2) await change({ op: 'delete', name: old }, () => client.request('apiKey.delete', { name: old }));
    }
  } catch (error) {
    return { rounds: n, endedWith: (error as Error).message };
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Every acknowledged change of ACK_FILE is in the vault: keys made there (with their last
 * acknowledged description), deleted ones gone. A change sent but never acknowledged (the daemon
 * died first) may have happened or not: either state of that key is right.
 */
async function verify(pipe: string, adminFile: string, ackFile: string): Promise<Record<string, unknown>> {
  type Intent = { op: string; name: string; description?: string };
  const expected = new Map<string, string | null>();
  const unacknowledged = new Map<string, string | null>();
  let pending: Intent | undefined;
  let acknowledged = 0;
  const outcome = (intent: Intent) => (intent.op === 'delete' ? null : intent.description!);
  for (const line of fs.readFileSync(ackFile, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { intent?: Intent; ack?: true };
    if (entry.intent) {
      if (pending) unacknowledged.set(pending.name, outcome(pending));
      pending = entry.intent;
    } else if (pending) {
      expected.set(pending.name, outcome(pending));
      acknowledged++;
      pending = undefined;
    }
  }
  if (pending) unacknowledged.set(pending.name, outcome(pending));
  const { client } = await openSession({ pipe, role: 'admin', token: token(adminFile) });
  const { items } = await client.request('apiKey.list', { name: 'crash-*' });
  const present = new Map(items.map((item) => [item.name, item.description]));
  const state = (name: string) => (present.has(name) ? present.get(name)! : null);
  const allowed = (name: string, description: string | null) => state(name) === description ||
    (unacknowledged.has(name) && state(name) === unacknowledged.get(name));
  const missing = [...expected].filter(([name, description]) => description !== null && !allowed(name, description))
    .map(([name, description]) => `${name}: acknowledged ${description}, found ${state(name) ?? 'nothing'}`);
  const resurrected = [...expected].filter(([name, description]) => description === null && !allowed(name, null)).map(([name]) => name);
  client.close();
  return { acknowledged, unacknowledged: unacknowledged.size, keys: items.length, missing, resurrected };
}

async function authenticate(pipe: string, gatewayFile: string, key: string): Promise<Record<string, unknown>> {
  const { client } = await openSession({ pipe, role: 'gateway', token: token(gatewayFile) });
  const result = await client.request('connector.authenticate', { key, connectorId: 'wine-expired' });
  client.close();
  return { result };
}

async function squat(pipe: string, readyFile: string): Promise<never> {
  // Connections stay open: the daemon's probe asks Windows who serves them while connected.
  const server = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(pipe, resolve));
  fs.writeFileSync(readyFile, `${process.pid}\n`);
  return new Promise<never>(() => undefined); // until killed
}

/** The bodies of the frames in `chunk`, as JSON, fed to `decoder`. */
function* messages(decoder: FrameDecoder, chunk: Buffer): Generator<{ id?: unknown; method?: string; result?: unknown; error?: { data?: { code?: string } } }> {
  decoder.push(chunk);
  for (let body = decoder.next(); body; body = decoder.next()) yield JSON.parse(body.toString('utf8'));
}

/**
 * The relay of docs/security.md ("Relayed handshakes"), as an attacker that can create an instance of
 * the daemon's pipe would run it: Wine enforces no pipe DACL, so this process can, as every connecting
 * account could on Windows under protocol 2's DACL. It makes its instance, then opens its own
 * connection to the daemon, which takes the daemon's waiting instance (Windows and Wine hand a client
 * to the oldest waiting instance), so the next client lands on the relay. It passes every byte
 * through both ways, noting the answer to the relayed hello; once the client has gone, it asks the
 * daemon for apiKey.list on its own connection, to see whether the relayed handshake left it a session.
 */
async function relay(pipe: string, readyFile: string): Promise<Record<string, unknown>> {
  koffi.pointer('HANDLE', koffi.opaque());
  const kernel32 = koffi.load('kernel32.dll');
  const CreateNamedPipeW = kernel32.func('HANDLE __stdcall CreateNamedPipeW(str16 lpName, uint32 dwOpenMode, uint32 dwPipeMode, uint32 nMaxInstances, uint32 nOutBufferSize, uint32 nInBufferSize, uint32 nDefaultTimeOut, void *lpSecurityAttributes)');
  const ConnectNamedPipe = kernel32.func('int __stdcall ConnectNamedPipe(HANDLE hNamedPipe, void *lpOverlapped)');
  const GetNamedPipeClientProcessId = kernel32.func('int __stdcall GetNamedPipeClientProcessId(HANDLE Pipe, _Out_ uint32 *ClientProcessId)');
  const uvOpenOsfhandle = koffi.load(process.execPath).func('int uv_open_osfhandle(HANDLE os_fd)');
  const PIPE_ACCESS_DUPLEX = 3;
  const instance = CreateNamedPipeW(pipe, PIPE_ACCESS_DUPLEX, 0, 255, 65536, 65536, 0, null); // blocking, waited for on a worker
  const accepted = new Promise<void>((resolve, reject) => ConnectNamedPipe.async(instance, null, (error: Error | null) => (error ? reject(error) : resolve())));
  const upstream = net.connect(pipe);
  await new Promise<void>((resolve, reject) => upstream.once('connect', resolve).once('error', reject));
  fs.writeFileSync(readyFile, `${process.pid}\n`);
  await accepted;
  const clientPid = [0];
  GetNamedPipeClientProcessId(instance, clientPid);
  const client = new net.Socket({ fd: uvOpenOsfhandle(instance) as number, readable: true, writable: true });
  const seen: string[] = [];
  let helloId: unknown;
  let relayedHello = 'none';
  const fromClient = new FrameDecoder(1 << 20);
  const fromDaemon = new FrameDecoder(1 << 20);
  const answers: Record<string, unknown>[] = [];
  let relaying = true;
  client.on('data', (chunk: Buffer) => {
    for (const message of messages(fromClient, chunk)) {
      seen.push(message.method ?? '?');
      if (message.method === 'session.hello') helloId = message.id;
    }
    upstream.write(chunk);
  });
  upstream.on('data', (chunk: Buffer) => {
    for (const message of messages(fromDaemon, chunk)) {
      if (helloId !== undefined && message.id === helloId) relayedHello = message.error ? (message.error.data?.code ?? 'error') : 'ok';
      if (!relaying) answers.push(message as Record<string, unknown>);
    }
    if (relaying) client.write(chunk);
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
  relaying = false;
  upstream.write(encodeFrame(JSON.stringify({ jsonrpc: '2.0', id: 'stolen', method: 'apiKey.list', params: {} })));
  for (const deadline = Date.now() + 10_000; answers.length === 0 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 20));
  const stolen = answers[0] as { result?: unknown; error?: { data?: { code?: string } } } | undefined;
  upstream.destroy();
  return {
    clientPid: clientPid[0], methodsRelayed: seen, relayedHello,
    sessionForTheRelay: stolen === undefined ? 'no answer' : stolen.error ? (stolen.error.data?.code ?? 'error') : 'admin session',
  };
}

/** An admin opening a session as the CLI does (openSession): what answers must prove itself first. */
async function open(pipe: string, adminFile: string): Promise<Record<string, unknown>> {
  const opened = await openSession({ pipe, role: 'admin', token: token(adminFile) }).then(
    ({ client, hello }) => {
      client.close();
      return { outcome: 'session', role: hello.role };
    },
    (error: Error & { code?: string }) => ({ outcome: error.code ?? error.message }),
  );
  return opened;
}

/**
 * A client that sends its proof without checking the daemon's (no project client does so): what the
 * daemon says to a client proof bound to the ends this client sees.
 */
async function helloUnchecked(pipe: string, adminFile: string): Promise<Record<string, unknown>> {
  const connector = localPipeConnector()!;
  let socket: net.Socket | undefined;
  const client = await RpcClient.connect(pipe, 3000, async (at, timeoutMs) => (socket = await connector(at, timeoutMs)));
  const ends = clientSideEnds(socket);
  const clientNonce = newNonce();
  const { serverNonce } = await client.request('session.challenge', { protocolVersion: PROTOCOL_VERSION, role: 'admin', clientNonce }) as { serverNonce: string };
  const proof = clientProof(proofKey(Buffer.from(token(adminFile))), serverNonce, clientNonce, endpointBinding(ends));
  const hello = await codeOf(client.request('session.hello', { role: 'admin', clientProof: proof }));
  client.close();
  return { hello, ends };
}

async function main(argv: string[]): Promise<Record<string, unknown>> {
  const [command, ...args] = argv as [string, ...string[]];
  switch (command) {
    case 'tour': return tour(args[0]!, args[1]!, args[2]!);
    case 'impostor': return impostor(args[0]!, args[1]!);
    case 'writer': return writer(args[0]!, args[1]!, args[2]!, args[3]!);
    case 'verify': return verify(args[0]!, args[1]!, args[2]!);
    case 'authenticate': return authenticate(args[0]!, args[1]!, args[2]!);
    case 'pipe-dacl': return { sddl: pipeSecurity(args[0]!) };
    case 'path-sddl': return { sddl: pathSecurity(args[0]!) };
    case 'squat': return squat(args[0]!, args[1]!);
    case 'relay': return relay(args[0]!, args[1]!);
    case 'open': return open(args[0]!, args[1]!);
    case 'hello-unchecked': return helloUnchecked(args[0]!, args[1]!);
    default: throw new Error(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (result) => console.log(JSON.stringify({ ok: true, ...result })),
  (error: Error) => {
    console.log(JSON.stringify({ ok: false, error: error.message, stack: error.stack }));
    process.exitCode = 1;
  },
);
