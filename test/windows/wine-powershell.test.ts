import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ensurePowerShellTools } from '../../build/install-powershell-tools.mjs';
import { ROOT } from '../helpers/daemon.js';
import { skipWithoutWine, WINE_DIR, type WineHarness, wineHarness, winPath } from '../helpers/wine.js';
import { skipWhenMissing } from '../helpers/skip.js';

// The PowerShell module's Windows path, for real: PowerShell 7.6 hosted as a Windows program
// (test/windows/pwsh-host, Microsoft.PowerShell.SDK from NuGet, published for win-x64) runs
// powershell/tests/GatewayApiKeys.Windows.Tests.ps1 under Wine, against the daemon on node.exe in
// the same Wine prefix (docs/architecture.md, "The Windows suite"). Windows PowerShell 5.1 cannot
// run under Wine: the module's 5.1 syntax is checked by the Manifest tests, and its Windows-only
// branches by the Unit tests, with mocks.
const HOST_SOURCES = path.join(ROOT, 'test', 'windows', 'pwsh-host');

/** Why the host cannot be built here (no .NET SDK 10: PowerShell 7.6's SDK targets .NET 10), or undefined. */
function dotnetMissing(): string | undefined {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `the .NET SDK is not installed (${(probe.error as NodeJS.ErrnoException).code}); PowerShell is hosted from NuGet through it`;
  const major = Number(probe.stdout.trim().split('.')[0]);
  return major >= 10 ? undefined : `the .NET SDK is ${probe.stdout.trim()}; hosting PowerShell 7.6 needs 10 or later`;
}

const skip = skipWithoutWine(t) || skipWhenMissing(t, 'The module\'s Windows tests', dotnetMissing());

/** The published host, made once per version of its sources (about 10 s with NuGet's cache warm) and kept in .tools/wine. */
function ensureHost(say: (line: string) => void): string {
  const files = fs.readdirSync(HOST_SOURCES).filter((name) => /\.(cs|csproj)$/.test(name)).sort();
  const hash = crypto.createHash('sha256');
  for (const name of files) hash.update(name).update(fs.readFileSync(path.join(HOST_SOURCES, name)));
  const out = path.join(WINE_DIR, `pwshhost-${hash.digest('hex').slice(0, 16)}`);
  const exe = path.join(out, 'pwshhost.exe');
  if (fs.existsSync(exe)) return exe;
  const started = performance.now();
  // Built outside the repository, so that dotnet's obj/ and bin/ do not land in it.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-pwshhost-'));
  fs.rmSync(`${out}.tmp`, { recursive: true, force: true });
  try {
    for (const name of files) fs.copyFileSync(path.join(HOST_SOURCES, name), path.join(work, name));
    const published = spawnSync('dotnet', ['publish', work, '-c', 'Release', '-r', 'win-x64', '--self-contained', 'true', '-o', `${out}.tmp`, '-nologo', '-v', 'q'], {
      encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' }, timeout: 600_000,
    });
    if (published.status !== 0) throw new Error(`dotnet publish of the PowerShell host failed:\n${published.stdout}\n${published.stderr}`);
    for (const old of fs.readdirSync(WINE_DIR).filter((name) => /^pwshhost-[0-9a-f]+$/.test(name))) fs.rmSync(path.join(WINE_DIR, old), { recursive: true, force: true });
    fs.renameSync(`${out}.tmp`, out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  say(`published the PowerShell host in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exe;
}

let wine: WineHarness;
let host: string;
let pester: string;

t.before(async () => {
  if (skip) return;
  wine = await wineHarness(t);
  host = ensureHost((line) => t.comment(line));
  pester = ensurePowerShellTools().pester;
});

t.test("the module's Windows path under Wine: named pipe, Identification level, timeouts, clipboard, Stop-", { skip }, async (t) => {
  const result = await wine.run(host, [winPath(path.join(ROOT, 'test', 'windows', 'run-windows-pester.ps1'))], {
    env: {
      DOTNET_EnableWriteXorExecute: '0', // else the CLR dies under Wine with Internal CLR error 0x80131506
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      POWERSHELL_UPDATECHECK: 'Off',
      RUN_PESTER_MODULE: winPath(pester),
      RUN_PESTER_PATHS: winPath(path.join(ROOT, 'powershell', 'tests', 'GatewayApiKeys.Windows.Tests.ps1')),
      // TestDaemon.psm1 starts `node dist/cli.js serve` with this node: node.exe 22, in the same prefix.
      GATEWAY_TEST_NODE: winPath(wine.nodeExe),
    },
    timeoutMs: 170_000,
  });
  const output = result.stdout.replace(/^.*FS volume label and serial are not available\.\n/gm, '');
  t.comment(`pwshhost.exe ran the Windows tests in ${(result.ms / 1000).toFixed(1)} s`);
  for (const line of output.split('\n').filter((l) => /\[[-+!]\]|pester:|Tests Passed/.test(l))) t.comment(line.trim());
  if (result.code !== 0) t.comment(`${output}\n${result.stderr}`);
  t.equal(result.code, 0, 'every Windows test passed');
  const summary = /pester: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(output);
  t.ok(summary && Number(summary[1]) >= 6 && summary[2] === '0' && summary[3] === '0', `none skipped: PowerShell ran as Windows (${summary?.[0]})`);
});
