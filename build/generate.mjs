// `npm run generate [-- --check]`: every generator of the project, each given the same arguments, so
// that --check checks them all (npm would hand it to the last command of a `a && b` script only):
// - generate-schema-module.mjs: src/generated/ and the PowerShell rules, from schemas/;
// - assemble-module.mjs: the PowerShell root module, from its parts.
// Exit code 1 when any of them failed (with --check: when any file is out of date).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let failed = false;
for (const script of ['generate-schema-module.mjs', 'assemble-module.mjs']) {
  const run = spawnSync(process.execPath, [path.join(here, script), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
