// The .NET client's packages (clients/dotnet, docs/architecture.md "The .NET client"): `dotnet pack` of
// GatewayApiKeys.Client and GatewayApiKeys.AspNetCore, reproducible (clients/dotnet/src/Directory.Build.props), with
// the README and XML docs inside. Built in a temporary artifacts folder, so that only the .nupkg files land in outDir.
// npm run package calls it; test/dotnet-package.test.ts packs twice and compares.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
export const DOTNET_PACKAGES = ['GatewayApiKeys.Client', 'GatewayApiKeys.AspNetCore'];

/** Packs both libraries into outDir; resolves with the paths of the .nupkg files. */
export async function packDotnet(outDir = path.join(ROOT, 'dist')) {
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-apikeys-pack-'));
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
  try {
    const files = [];
    for (const name of DOTNET_PACKAGES) {
      const project = path.join(ROOT, 'clients', 'dotnet', 'src', name, `${name}.csproj`);
      const out = path.join(work, 'out');
      try {
        await run('dotnet', ['pack', project, '-c', 'Release', '--artifacts-path', path.join(work, 'artifacts'), '-o', out, '-nologo', '-v', 'q', '-clp:ErrorsOnly'], { env, maxBuffer: 16 << 20 });
      } catch (error) {
        if (error.code === 'ENOENT') throw new Error('dotnet pack needs the .NET SDK (10 or later), which is not installed.');
        throw new Error(`dotnet pack of ${name} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      }
      const nupkg = fs.readdirSync(out).find((file) => file.startsWith(`${name}.`) && /^\d/.test(file.slice(name.length + 1)) && file.endsWith('.nupkg'));
      if (!nupkg) throw new Error(`dotnet pack of ${name} made no package`);
      const destination = path.join(outDir, nupkg);
      fs.copyFileSync(path.join(out, nupkg), `${destination}.tmp`);
      fs.renameSync(`${destination}.tmp`, destination);
      files.push(destination);
    }
    return files;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
