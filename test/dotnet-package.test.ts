import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { DOTNET_PACKAGES, packDotnet } from '../build/pack-dotnet.mjs';
import { ROOT, startDaemon } from './helpers/daemon.js';

// The .NET client's packages (build/pack-dotnet.mjs, which npm run package calls): reproducible, with the README and
// XML docs inside; and the README's sample, built against the package from a local feed as a gateway developer
// would (`dotnet add package`), validates a key of the real daemon.
const run = promisify(execFile);
const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } as NodeJS.ProcessEnv;
delete env.NODE_OPTIONS;

function sdkMissing(): string | undefined {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8', env });
  if (probe.error) return `the .NET SDK is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  return Number(probe.stdout.trim().split('.')[0]) >= 10 ? undefined : `the .NET SDK is ${probe.stdout.trim()}; 10 or later is needed`;
}
const missing = sdkMissing();
const skip = missing && !process.env.CI ? missing : false;
if (missing && process.env.CI) t.fail(`The .NET packages must be checked under CI, and they cannot: ${missing}.`);
if (skip) t.comment(`SKIP the .NET packages: ${skip}`);

/** The names of the entries of a zip file, from its central directory. */
function zipEntries(file: string): string[] {
  const zip = fs.readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  const names: string[] = [];
  for (let offset = zip.readUInt32LE(end + 16), i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return names;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-dotnet-package-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
let first: string[] = [];

t.test('pack twice: the same bytes, with the README and the XML docs inside and no PDB', { skip }, async (t) => {
  first = await packDotnet(path.join(work, 'first'));
  const second = await packDotnet(path.join(work, 'second'));
  t.same(first.map((f) => path.basename(f)), second.map((f) => path.basename(f)), 'the same files');
  t.equal(first.length, DOTNET_PACKAGES.length, 'one package per library');
  for (const [i, file] of first.entries()) {
    t.ok(fs.readFileSync(file).equals(fs.readFileSync(second[i]!)), `${path.basename(file)} is the same bytes both times`);
    const entries = zipEntries(file);
    const name = DOTNET_PACKAGES[i]!;
    t.ok(entries.includes('README.md'), `${name}: README.md inside`);
    const frameworks = name === 'GatewayApiKeys.Client' ? ['netstandard2.0', 'net8.0'] : ['net8.0'];
    for (const framework of frameworks) {
      t.ok(entries.includes(`lib/${framework}/${name}.dll`), `${name}: the ${framework} assembly`);
      t.ok(entries.includes(`lib/${framework}/${name}.xml`), `${name}: the ${framework} XML docs`);
    }
    t.notOk(entries.some((entry) => entry.endsWith('.pdb')), `${name}: no PDB`);
  }
});

t.test("the README's sample, from `dotnet add package` to a validated key", { skip }, async (t) => {
  t.ok(first.length > 0, 'the packages were made');
  const readme = fs.readFileSync(path.join(ROOT, 'clients', 'dotnet', 'README.md'), 'utf8');
  const sample = /<!-- readme-sample[^>]*-->\n```csharp\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!sample) throw new Error('clients/dotnet/README.md has no csharp block after its readme-sample marker');
  t.ok(sample.trimEnd().split('\n').length < 10, `the sample is under ten lines (${sample.trimEnd().split('\n').length})`);
  const project = path.join(work, 'readme-sample');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'Program.cs'), sample);
  fs.writeFileSync(path.join(project, 'ReadmeSample.csproj'),
    '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>' +
    '<ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup></Project>\n');
  // The local feed beside the configured ones, and a packages folder of its own, so no package cached by an earlier run stands in.
  fs.writeFileSync(path.join(project, 'nuget.config'), `<configuration><packageSources><add key="local" value="${path.dirname(first[0]!)}" /></packageSources></configuration>\n`);
  const sampleEnv = { ...env, NUGET_PACKAGES: path.join(work, 'packages') };
  const version = path.basename(first[0]!).replace(/^GatewayApiKeys\.Client\.(.*)\.nupkg$/, '$1');
  await run('dotnet', ['add', 'package', 'GatewayApiKeys.Client', '--version', version], { cwd: project, env: sampleEnv, maxBuffer: 16 << 20 });
  await run('dotnet', ['build', '-nologo', '-v', 'q', '-o', path.join(project, 'out')], { cwd: project, env: sampleEnv, maxBuffer: 16 << 20 });

  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const created = await admin.request('apiKey.create', { name: 'readme-sample' });
  const { stdout } = await run('dotnet', [path.join(project, 'out', 'ReadmeSample.dll'), created.key], {
    env: { ...env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe },
  });
  t.equal(stdout.trim(), 'readme-sample: Active', 'the sample validated the key');
  const refused = await run('dotnet', [path.join(project, 'out', 'ReadmeSample.dll'), created.key.slice(0, -1) + (created.key.endsWith('0') ? '1' : '0')], {
    env: { ...env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe },
  });
  t.equal(refused.stdout.trim(), 'refused: Malformed', 'and refuses a mistyped one');
});
