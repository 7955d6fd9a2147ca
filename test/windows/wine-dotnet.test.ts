import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/daemon.js';
import { buildWindowsBundle, drivePath, skipWithoutWine, WINE_DIR, type WineHarness, wineHarness, winPath } from '../helpers/wine.js';
import { skipWhenMissing } from '../helpers/skip.js';

// The .NET client's Windows path, for real (docs/architecture.md, "The Windows suite"): a small console app on the
// client (clients/dotnet/tests/GatewayApiKeys.WindowsSmoke), published self-contained for win-x64, runs under Wine
// beside the daemon on node.exe in the same prefix, over a real named pipe: opened with CreateFileW at the
// Identification level with a client's rights only, bound to the daemon's pid by GetNamedPipeServerProcessId
// (protocol 3). What Wine cannot show (the impersonation level it ignores) is said in docs/security.md.
const SMOKE = path.join(ROOT, 'clients', 'dotnet', 'tests', 'GatewayApiKeys.WindowsSmoke');
const CLIENT = path.join(ROOT, 'clients', 'dotnet', 'src', 'GatewayApiKeys.Client');

function dotnetMissing(): string | undefined {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `the .NET SDK is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  return Number(probe.stdout.trim().split('.')[0]) >= 10 ? undefined : `the .NET SDK is ${probe.stdout.trim()}; 10 or later is needed`;
}

const skip = skipWithoutWine(t) || skipWhenMissing(t, 'The .NET client\'s Windows test', dotnetMissing());

/** Every source the published app is made of, for the cache key. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(cs|csproj|props)$/.test(name) && !/(^|\/)(bin|obj)\//.test(name)).sort().map((name) => path.join(dir, name));
}

/** The published app, made once per version of its sources and the client's (kept in .tools/wine, as the PowerShell host is). */
function ensureSmokeApp(say: (line: string) => void): string {
  const hash = crypto.createHash('sha256');
  for (const file of [...sources(SMOKE), ...sources(CLIENT), ...['Directory.Build.props', 'Directory.Packages.props', 'src/Directory.Build.props'].map((f) => path.join(ROOT, 'clients', 'dotnet', f))]) {
    hash.update(path.relative(ROOT, file)).update(fs.readFileSync(file));
  }
  const out = path.join(WINE_DIR, `dotnet-smoke-${hash.digest('hex').slice(0, 16)}`);
  const exe = path.join(out, 'GatewayApiKeys.WindowsSmoke.exe');
  if (fs.existsSync(exe)) return exe;
  const started = performance.now();
  const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-dotnet-smoke-'));
  fs.rmSync(`${out}.tmp`, { recursive: true, force: true });
  try {
    const published = spawnSync('dotnet', ['publish', SMOKE, '-c', 'Release', '-r', 'win-x64', '--self-contained', 'true', '--artifacts-path', artifacts, '-o', `${out}.tmp`, '-nologo', '-v', 'q', '-clp:ErrorsOnly'], {
      encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' }, timeout: 600_000,
    });
    if (published.status !== 0) throw new Error(`dotnet publish of the Windows smoke app failed:\n${published.stdout}\n${published.stderr}`);
    for (const old of fs.readdirSync(WINE_DIR).filter((name) => /^dotnet-smoke-[0-9a-f]+$/.test(name))) fs.rmSync(path.join(WINE_DIR, old), { recursive: true, force: true });
    fs.renameSync(`${out}.tmp`, out);
  } finally {
    fs.rmSync(artifacts, { recursive: true, force: true });
  }
  say(`published the .NET smoke app for win-x64 in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exe;
}

let wine: WineHarness;
let cli: string;
let app: string;
const run = `gwk-dotnet-${process.pid}`;

t.before(async () => {
  if (skip) return;
  wine = await wineHarness(t);
  cli = winPath((await buildWindowsBundle(path.join(wine.runDir, 'bundle'))).cli);
  app = ensureSmokeApp((line) => t.comment(line));
});
t.teardown(() => fs.rmSync(drivePath(`C:\\${run}`), { recursive: true, force: true }));

t.test('the .NET client over a named pipe under Wine: protocol 3 with the pid binding, pipelining, codes', { skip }, async (t) => {
  const dataDir = `C:\\${run}\\data`;
  const pipe = `\\\\.\\pipe\\${run}`;
  const daemon = wine.start(wine.nodeExe, [cli, 'serve', '--time-zone', 'UTC', '--data-dir', dataDir, '--pipe', pipe], { timeoutMs: 150_000 });
  await wine.waitFor(daemon, (out) => out.includes('is serving'), 60_000);
  const result = await wine.run(app, [pipe, `${dataDir}\\admin.token`, `${dataDir}\\gateway.token`], {
    env: { DOTNET_EnableWriteXorExecute: '0', DOTNET_CLI_TELEMETRY_OPTOUT: '1' }, // else the CLR dies under Wine (TOOLCHAIN-NOTES)
    timeoutMs: 120_000,
  });
  daemon.child.kill('SIGINT');
  await daemon.exited;
  t.comment(`the smoke app ran in ${(result.ms / 1000).toFixed(1)} s`);
  const answer = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  t.equal(answer.ok, true, `the tour ran to its end${answer.error ? `: ${String(answer.error)}` : ''}\n${result.stderr.slice(-2000)}`);
  t.equal(answer.create, 'windows-smoke', 'an admin created a key');
  t.equal(answer.authenticate, 'True windows-smoke Active', 'the gateway authenticated it');
  t.equal(answer.pipelined, 400, 'every one of 400 calls in flight got its own answer');
  t.equal(answer.status, 1, 'daemon.status');
  t.equal(answer.forbidden, 'Forbidden', "the daemon's code");
  t.equal(answer.wrongToken, 'DaemonImpostor', 'a wrong token cannot tell the daemon from an impostor');
  t.equal(answer.noPipe, 'DaemonUnreachable', 'no pipe: unreachable after the connect timeout');
});
