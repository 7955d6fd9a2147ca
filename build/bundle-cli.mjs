// npm run build's second step: replaces tsc's dist/cli.js with one ES module holding the CLI and
// everything it loads but the native addons (sodium-native, koffi), which load from node_modules.
// A start then reads and links one file, not some 350 modules (120 of ours, the rest from 30 packages): resolving and
// loading them was most of a small vault's start (docs/architecture.md, "Start and stop").
// The other files of dist/ stay as tsc made them, for the `gateway-apikeys/client` export.
import path from 'node:path';
import esbuild from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');

await esbuild.build({
  entryPoints: [path.join(ROOT, 'src', 'cli.ts')],
  outfile: path.join(ROOT, 'dist', 'cli.js'),
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['sodium-native', 'koffi'],
  // Bundled CommonJS packages (winston, ajv…) call require(): an ES module has none of its own.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
