import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { clientProof, proofKey, serverProof } from '../src/session-proof.js';
import { ROOT, startDaemon } from './helpers/daemon.js';

/**
 * docs/gateway-integration.md cannot rot: its Node example is compiled and run from the packed
 * package against a real daemon, the README links it from its first screen, and whatever proof
 * values it shows are recomputed with src/session-proof.ts.
 */

const run = promisify(execFile);
const GUIDE = fs.readFileSync(path.join(ROOT, 'docs', 'gateway-integration.md'), 'utf8');

/** The first ```ts block of the guide's Node section. */
function nodeExample(): string {
  const section = GUIDE.slice(GUIDE.indexOf('\n## Node'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('the Node section has no ts example');
  return match[1]!;
}

/** A consumer project of its own, outside the checkout, with the packed package installed in node_modules as npm lays it out. */
async function consumerProject(dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 << 20 });
  const tarball = path.join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  const project = path.join(dir, 'consumer');
  const installed = path.join(project, 'node_modules', 'gateway-apikeys');
  fs.mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  // Its dependencies are linked from the checkout's: the tests run offline, where npm could not fetch them.
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of [...Object.keys(manifest.dependencies), '@types/node']) {
    const link = path.join(project, 'node_modules', dependency);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', dependency), link, 'dir');
  }
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'a-gateway', private: true, type: 'module' }));
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out', skipLibCheck: false },
    include: ['*.ts'],
  }));
  return project;
}

t.test('the packed package: a gateway project imports gateway-apikeys/client, typed, and the guide\'s example authenticates', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-consumer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const project = await consumerProject(dir);
  const installed = path.join(project, 'node_modules', 'gateway-apikeys');
  t.ok(fs.existsSync(path.join(installed, 'dist', 'client', 'index.d.ts')), 'the types are packed');
  t.ok(fs.existsSync(path.join(installed, 'dist', 'cli.js')), 'the CLI is packed');
  t.notOk(fs.existsSync(path.join(installed, 'src')) || fs.existsSync(path.join(installed, 'test')), 'no sources or tests');

  fs.writeFileSync(path.join(project, 'authorize.ts'), nodeExample());
  // The admin methods are typed from the contract's schemas: a wrong method or field fails to compile.
  fs.writeFileSync(path.join(project, 'typed.ts'), `
import { GatewayClient, GatewayApiKeysError, DaemonImpostorError, type ApiKeyInfo } from 'gateway-apikeys/client';
export async function typed(client: GatewayClient): Promise<string> {
  const created = await client.request('apiKey.create', { name: 'typed', validFor: 'P30D' });
  const info: ApiKeyInfo = await client.request('apiKey.get', { name: created.name });
  // @ts-expect-error: no such method
  await client.request('apiKey.nothing', {});
  // @ts-expect-error: no such field
  await client.request('apiKey.get', { nom: 'typed' });
  const error: unknown = undefined;
  if (error instanceof GatewayApiKeysError) return error.code;
  if (error instanceof DaemonImpostorError) return error.code;
  return created.key + info.status;
}
`);
  fs.writeFileSync(path.join(project, 'main.ts'), `
import { authorize } from './authorize.js';
const accepted = await authorize({ 'x-api-key': process.argv[2], 'x-connector-id': 'the package test' });
const refused = await authorize({ 'x-api-key': 'gwk_not-a-key' });
console.log(JSON.stringify({ accepted, refused: refused ?? null }));
process.exit(0);
`);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(() => '', (error: { stdout: string }) => error.stdout);
  t.equal(compiled, '', 'tsc compiles the example and the typed calls against the packed .d.ts');

  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'Orders connector' });
  admin.close();
  const env: NodeJS.ProcessEnv = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  delete env.GATEWAY_APIKEYS_TOKEN;
  delete env.NODE_OPTIONS; // tap's loaders are the checkout's, not the project's
  const { stdout } = await run(process.execPath, [path.join(project, 'out', 'main.js'), key], { cwd: project, env });
  t.same(JSON.parse(stdout), { accepted: 'Orders connector', refused: null }, 'the example accepts the key and refuses another');
  const admin2 = await daemon.client('admin');
  t.match(await admin2.request('apiKey.usage', { name: 'Orders connector' }), { connectors: [{ connectorId: 'the package test', count: 1 }] });
  admin2.close();
});

t.test('the README links the guide from its first screen', async (t) => {
  const firstScreen = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 24).join('\n');
  t.match(firstScreen, '](docs/gateway-integration.md)');
});

t.test('every proof value the guide shows is what src/session-proof.ts computes', async (t) => {
  const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'session-proof-example.json'), 'utf8')) as
    { token: string; clientNonce: string; serverNonce: string; bindings: { binding: string }[] };
  const key = proofKey(Buffer.from(example.token));
  const computed = new Set([
    example.token, example.clientNonce, example.serverNonce,
    ...example.bindings.flatMap(({ binding }) => [
      serverProof(key, example.clientNonce, example.serverNonce, binding), clientProof(key, example.serverNonce, example.clientNonce, binding),
    ]),
  ]);
  // Tokens, nonces and proofs are 43 base64url characters (a token `gwt_` and 49): any such run in the guide must be one of them.
  const shown = [...GUIDE.matchAll(/(?<![\w-])(gwt_[0-9A-Za-z]{49}|[\w-]{43})(?![\w-])/g)].map((m) => m[1]!);
  for (const value of shown) t.ok(computed.has(value), `${value} is the worked example's`);
  t.pass(`${shown.length} values shown`);
});
