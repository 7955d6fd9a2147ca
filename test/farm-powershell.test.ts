import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/daemon.js';
import { type FarmHost, startFarm, within } from './helpers/farm.js';
import { skipWithoutPostgres } from './helpers/postgres.js';
import { skipWhenMissing } from './helpers/skip.js';

/**
 * The PowerShell module against farm hosts, unchanged (docs/farm.md): a key made with
 * New-GatewayApiKey on B authenticates on A; Get-GatewayApiKeyServiceStatus shows the store, its
 * hosts and the lag; cut off, Set-GatewayApiKey fails with StoreUnavailable as its error id. The
 * repository's pwsh is installed by `npm test` before tap runs (build/install-powershell-tools.mjs).
 */

const PWSH = path.join(ROOT, '.tools', 'pwsh', 'pwsh');
const skip = skipWithoutPostgres(t) || skipWhenMissing(t, 'The PowerShell farm test', fs.existsSync(PWSH) ? undefined : `no ${PWSH}: node build/install-powershell-tools.mjs installs it`);
const MODULE = path.join(ROOT, 'powershell', 'GatewayApiKeys', 'GatewayApiKeys.psd1');

/** Runs pwsh asynchronously: the hosts' database proxies live in this process, and must keep forwarding meanwhile. */
async function pwsh(host: FarmHost, script: string): Promise<unknown> {
  const run = await promisify(execFile)(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', `
    $ErrorActionPreference = 'Stop'
    Import-Module '${MODULE}'
    $null = Connect-GatewayApiKeyService -Pipe '${host.daemon.pipe}' -DataDirectory '${host.dataDir}'
    ${script}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 }).catch((error: { code: number; stdout: string; stderr: string }) => {
    throw new Error(`pwsh failed (${error.code}): ${error.stderr}${error.stdout}`);
  });
  return JSON.parse(run.stdout);
}

t.test('PowerShell on a farm host: keys, status with the store and its lag, and StoreUnavailable', { skip }, async (t) => {
  const farm = await startFarm(t, { hosts: 2 });
  const [a, b] = farm.hosts as [FarmHost, FarmHost];
  const made = await pwsh(b, `
    $key = New-GatewayApiKey -Name 'Made in PowerShell' -Description 'on host B' -AsPlainText
    $status = Get-GatewayApiKeyServiceStatus
    [pscustomobject]@{ Key = $key.Key; Store = $status.Store; Reachable = $status.StoreReachable; Hosts = $status.Hosts; LagSeconds = $status.StoreLag.TotalSeconds; LastSync = [string]$status.LastSync } | ConvertTo-Json`) as
    { Key: string; Store: string; Reachable: boolean; Hosts: number; LagSeconds: number; LastSync: string };
  t.match(made, { Store: 'postgres', Reachable: true, Hosts: 2 }, 'Get-GatewayApiKeyServiceStatus shows the store and its hosts');
  t.ok(made.LagSeconds >= 0 && made.LagSeconds < 60, 'and a lag in seconds');
  t.not(made.LastSync, '', 'and when it last synced');
  await within(5000, async () => (await a.gateway.request('connector.authenticate', { key: made.Key })).authenticated);
  t.pass('the key made in PowerShell on B authenticates on A');

  b.proxy.cut('reset');
  const refused = await pwsh(b, `
    try { Set-GatewayApiKey -Name 'Made in PowerShell' -Description 'cut off'; 'changed' | ConvertTo-Json }
    catch { [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category } | ConvertTo-Json }`) as { Id: string; Category: string };
  t.match(refused, { Id: /^StoreUnavailable/, Category: 'ConnectionError' }, 'cut off: StoreUnavailable, as an error record with a stable id');
  t.equal((await a.admin.request('apiKey.get', { name: 'Made in PowerShell' })).description, 'on host B', 'and nothing changed');
});
