#!/usr/bin/env node
// Runs the .NET client's xunit suites (clients/dotnet/tests) against the daemon in dist/ (the tests start it
// themselves, with the Node that runs this script). Builds the solution once, then runs each test project in
// turn (each starts daemons; one at a time suits a two-core machine). dotnet's own output is kept quiet except
// for failures. Exit code: 0 when every test passed, 1 otherwise. Without a .NET 10 SDK it fails when CI is set
// and otherwise says SKIPPED and exits 0.
//
//   node build/run-dotnet-tests.mjs [test project folder name ...]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dotnetDir = path.join(root, 'clients', 'dotnet');
const say = (line) => console.log(`run-dotnet-tests: ${line}`);
const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1', GATEWAY_APIKEYS_REPO: root, GATEWAY_TEST_NODE: process.execPath };
// tap's loader in NODE_OPTIONS is for tap's own children, not for the daemons these tests start.
delete env.NODE_OPTIONS;

/** Why the suites cannot run here, or undefined. */
function sdkMissing() {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8', env });
  if (probe.error) return `the .NET SDK is not installed (${probe.error.code})`;
  const major = Number(probe.stdout.trim().split('.')[0]);
  return major >= 10 ? undefined : `the .NET SDK is ${probe.stdout.trim()}; the tests target net10.0`;
}

const missing = sdkMissing();
if (missing) {
  if (process.env.CI) {
    console.error(`run-dotnet-tests: FAILED: the .NET client's tests must run under CI, and they cannot: ${missing}.`);
    process.exit(1);
  }
  say(`SKIPPED: ${missing}.`);
  process.exit(0);
}
if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) {
  console.error('run-dotnet-tests: dist/cli.js is missing: run `npm run build` first (the tests start the daemon from it).');
  process.exit(1);
}

const testsDir = path.join(dotnetDir, 'tests');
const projects = (process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync(testsDir).sort())
  .map((name) => path.join(testsDir, name, `${name}.csproj`))
  .filter((project) => fs.existsSync(project) && fs.readFileSync(project, 'utf8').includes('<IsTestProject>true</IsTestProject>'));

const build = spawnSync('dotnet', ['build', path.join(dotnetDir, 'GatewayApiKeys.slnx'), '-nologo', '-v', 'q', '-clp:ErrorsOnly'], { cwd: dotnetDir, env, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('run-dotnet-tests: the .NET solution did not build.');
  process.exit(1);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let broken = false;
for (const project of projects) {
  const started = performance.now();
  // Minimal console verbosity still prints each failure with its message and stack trace.
  const run = spawnSync('dotnet', ['test', project, '--no-build', '-nologo', '-v', 'q', '--logger', 'console;verbosity=minimal'], { cwd: dotnetDir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const summary = /(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)/.exec(output);
  if (run.status !== 0 || !summary) {
    broken = true;
    process.stdout.write(output);
  }
  if (summary) {
    totals.failed += Number(summary[2]);
    totals.passed += Number(summary[3]);
    totals.skipped += Number(summary[4]);
  }
  say(`${path.basename(project, '.csproj')}: ${summary ? `${summary[3]} passed, ${summary[2]} failed, ${summary[4]} skipped` : 'no summary'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
// The closing line; a run that ran no test fails.
console.log(`dotnet: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(broken || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
