#!/usr/bin/env node
// Runs the Pester suite of the PowerShell module (powershell/tests) in the repo-local pwsh, against
// the daemon in dist/ (the suites start it themselves). Installs PowerShell and Pester first when
// missing. Exit code: 0 when every test passed, 1 otherwise. Where PowerShell cannot be had, it
// fails when CI is set and otherwise says SKIPPED and exits 0.
//
//   node build/run-pester.mjs [test file or folder ...]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePowerShellTools, PESTER_VERSION, POWERSHELL_VERSION } from './install-powershell-tools.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`run-pester: ${line}`);

let tools;
try {
  tools = ensurePowerShellTools(say);
} catch (error) {
  if (process.env.CI) {
    console.error(`run-pester: FAILED: PowerShell ${POWERSHELL_VERSION} and Pester ${PESTER_VERSION} are needed and CI is set.\n${error.message}`);
    process.exit(1);
  }
  say(`SKIPPED: the Pester suite needs PowerShell ${POWERSHELL_VERSION} and Pester ${PESTER_VERSION}, which could not be installed.\n${error.message}`);
  process.exit(0);
}

if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) {
  console.error('run-pester: dist/cli.js is missing: run `npm run build` first (the suites start the daemon from it).');
  process.exit(1);
}

const paths = process.argv.length > 2 ? process.argv.slice(2).map((p) => path.resolve(p)) : [path.join(root, 'powershell', 'tests')];

// The closing line is "pester: N passed, N failed, N skipped"; a run that ran no test fails.
const script = `
$ErrorActionPreference = 'Stop'
Import-Module -Name $env:RUN_PESTER_MODULE
$config = New-PesterConfiguration
$config.Run.Path = $env:RUN_PESTER_PATHS -split [System.IO.Path]::PathSeparator
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$result = Invoke-Pester -Configuration $config
"pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.Result -ne 'Passed' -or $result.TotalCount -eq 0) { exit 1 }
exit 0
`;

const run = spawnSync(tools.pwsh, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    RUN_PESTER_MODULE: tools.pester,
    RUN_PESTER_PATHS: paths.join(path.delimiter),
    // The suites start the daemon with the Node that runs this script.
    GATEWAY_TEST_NODE: process.execPath,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    POWERSHELL_TELEMETRY_OPTOUT: '1',
    POWERSHELL_UPDATECHECK: 'Off',
  },
});
if (run.error) {
  console.error(`run-pester: cannot start ${tools.pwsh}: ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status === 0 ? 0 : 1);
