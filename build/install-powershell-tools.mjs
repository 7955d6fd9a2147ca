#!/usr/bin/env node
// Installs what the Pester suite needs into the git-ignored .tools/ folder, from NuGet through the
// .NET SDK: PowerShell as a .NET tool (.tools/pwsh) and the Pester module (.tools/nuget). Each is
// installed only when its pinned version is missing, so a second run returns at once.
//
//   node build/install-powershell-tools.mjs        prints what it found or installed; exit 1 on failure
//   import { ensurePowerShellTools } from ...      the same for build/run-pester.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const POWERSHELL_VERSION = '7.6.9';
export const PESTER_VERSION = '5.7.1';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = path.join(root, '.tools');
const toolPath = path.join(toolsDir, 'pwsh');
const packagesDir = path.join(toolsDir, 'nuget');
const pwsh = path.join(toolPath, process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
// `dotnet tool install --tool-path` keeps each installed version under .store/<id>/<version>.
const pwshStore = path.join(toolPath, '.store', 'powershell', POWERSHELL_VERSION);
const pester = path.join(packagesDir, 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');

const dotnetEnv = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };

function dotnet(args, what) {
  const result = spawnSync('dotnet', args, { encoding: 'utf8', env: dotnetEnv });
  if (result.error) {
    throw new Error(`${what}: cannot run 'dotnet' (${result.error.message}). Install the .NET SDK 8 or later: PowerShell and Pester come from NuGet through it.`);
  }
  if (result.status !== 0) {
    throw new Error(`${what} failed (dotnet exit code ${result.status}):\n${`${result.stdout}\n${result.stderr}`.trim()}`);
  }
  return result.stdout;
}

function installPowerShell() {
  if (fs.existsSync(pwsh)) dotnet(['tool', 'uninstall', 'PowerShell', '--tool-path', toolPath], 'Removing another PowerShell version');
  dotnet(['tool', 'install', 'PowerShell', '--version', POWERSHELL_VERSION, '--tool-path', toolPath], `Installing PowerShell ${POWERSHELL_VERSION}`);
}

function installPester() {
  // A throw-away project whose only job is to make NuGet download the package into .tools/nuget.
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'pester-restore-'));
  try {
    const sdkMajor = dotnet(['--version'], 'Asking the .NET SDK its version').trim().split('.')[0];
    fs.writeFileSync(path.join(project, 'restore.csproj'), `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net${sdkMajor}.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[${PESTER_VERSION}]" /></ItemGroup>
</Project>
`);
    dotnet(['restore', path.join(project, 'restore.csproj'), '--packages', packagesDir], `Downloading Pester ${PESTER_VERSION}`);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
  if (!fs.existsSync(pester)) throw new Error(`Downloading Pester ${PESTER_VERSION} left no ${pester}.`);
}

/** Installs whatever is missing; returns the paths of pwsh and Pester.psd1, or throws saying what failed. */
export function ensurePowerShellTools(log = () => {}) {
  if (fs.existsSync(pwsh) && fs.existsSync(pwshStore)) {
    log(`PowerShell ${POWERSHELL_VERSION}: present`);
  } else {
    log(`PowerShell ${POWERSHELL_VERSION}: installing into ${path.relative(root, toolPath)} ...`);
    installPowerShell();
  }
  if (fs.existsSync(pester)) {
    log(`Pester ${PESTER_VERSION}: present`);
  } else {
    log(`Pester ${PESTER_VERSION}: installing into ${path.relative(root, packagesDir)} ...`);
    installPester();
  }
  return { pwsh, pester };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const tools = ensurePowerShellTools((line) => console.log(line));
    console.log(`pwsh:   ${tools.pwsh}\nPester: ${tools.pester}`);
  } catch (error) {
    console.error(`install-powershell-tools: ${error.message}`);
    process.exit(1);
  }
}
