import { execFile, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ROOT } from './helpers/daemon.js';
import { type FarmHost, startFarm, within } from './helpers/farm.js';
import { freePort, skipWithoutPostgres } from './helpers/postgres.js';
import { skipWhenMissing } from './helpers/skip.js';
import { scratchPath } from './helpers/vault.js';

/**
 * The ASP.NET Core client against a farm host, unchanged (docs/farm.md): the sample minimal API
 * (clients/dotnet/samples/MinimalApi) served beside host B accepts a key made on host A and refuses
 * it once A deletes it; its health check reads the store, Healthy in step, Degraded while B's
 * database does not answer (B still authenticates).
 */

const dotnetMissing = (() => {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `the .NET SDK is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  return Number(probe.stdout.trim().split('.')[0]) >= 10 ? undefined : `the .NET SDK is ${probe.stdout.trim()}; the sample targets net10.0`;
})();
const skip = skipWithoutPostgres(t) || skipWhenMissing(t, 'The ASP.NET Core farm test', dotnetMissing);

t.test('the ASP.NET Core sample on a farm host: keys from the other host, and a health check that reads the store', { skip, timeout: 600_000 }, async (t) => {
  const out = scratchPath(t, 'minimal-api');
  // tap's loader in NODE_OPTIONS is for tap's own children, not for dotnet's.
  const { NODE_OPTIONS: _tapLoader, ...parent } = process.env;
  const env = { ...parent, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };
  await promisify(execFile)('dotnet', ['build', path.join(ROOT, 'clients/dotnet/samples/MinimalApi'), '-c', 'Release', '-o', out, '--nologo', '-v', 'q'], { env, maxBuffer: 16 * 1024 * 1024 });

  const farm = await startFarm(t, { hosts: 2 });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  const port = await freePort();
  const app = spawn('dotnet', [path.join(out, 'MinimalApi.dll')], {
    env: { ...env, GATEWAY_APIKEYS_DATA_DIR: b.dataDir, GATEWAY_APIKEYS_PIPE: b.daemon.pipe, ASPNETCORE_URLS: `http://127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  app.stdout.on('data', (chunk: Buffer) => (output += chunk));
  app.stderr.on('data', (chunk: Buffer) => (output += chunk));
  t.teardown(() => {
    app.kill();
  });
  const base = `http://127.0.0.1:${port}`;
  await within(60_000, async () => (await fetch(`${base}/health`).catch(() => undefined)) !== undefined).catch(() => {
    throw new Error(`the sample did not start:\n${output}`);
  });

  const made = await a.admin.request('apiKey.create', { name: 'for the minimal API' });
  const orders = () => fetch(`${base}/orders`, { headers: { 'X-API-Key': made.key, 'X-Connector-Id': 'nac-orders' } });
  await within(5000, async () => (await orders()).status === 200);
  t.match(await (await orders()).json(), { key: 'for the minimal API' }, 'a key made on A opens the API served beside B');
  const healthy = await fetch(`${base}/health`);
  t.same([healthy.status, await healthy.text()], [200, 'Healthy'], 'in step: Healthy');

  await a.admin.request('apiKey.delete', { name: 'for the minimal API' });
  await within(5000, async () => (await orders()).status === 401);
  t.pass('deleted on A: refused beside B');

  const second = await a.admin.request('apiKey.create', { name: 'made before the cut' });
  await within(5000, async () => (await b.gateway.request('connector.authenticate', { key: second.key })).authenticated);
  b.proxy.cut('reset');
  await within(10_000, async () => (await b.admin.request('daemon.status', {})).store?.reachable === false);
  const degraded = await fetch(`${base}/health`);
  t.same([degraded.status, await degraded.text()], [200, 'Degraded'], 'B cut off from its database, within the threshold: Degraded, still served');
  const served = await fetch(`${base}/orders`, { headers: { 'X-API-Key': second.key } });
  t.equal(served.status, 200, 'and keys still authenticate');
});
