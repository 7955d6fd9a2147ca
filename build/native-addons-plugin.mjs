// An esbuild plugin for the bundle of the single executable: the native addons the product uses
// (sodium-native's, and koffi's for the system calls Node lacks) find their prebuilt .node files
// beside their packages, which a bundle does not have. The plugin points both at
// build/sea-addon.ts's loadAddon(name): the addon embedded as a SEA asset of that name, or, when the
// bundle runs on a plain node (the Windows suite under Wine), the file of that name beside the bundle.
//   - sodium-native: its `./binding` module (require-addon) is replaced;
//   - koffi 2.16.3: the one block of its index.js that picks the addon is rewritten; the build fails
//     if that block is not there exactly once (another koffi version) or koffi was not bundled.
import fs from 'node:fs';
import path from 'node:path';

/** Each addon's name (the SEA asset, or the file beside a bundle) and where its prebuild is for a target. */
export const ADDONS = {
  'sodium-native.node': (root, target) => path.join(root, 'node_modules', 'sodium-native', 'prebuilds', target.node, 'sodium-native.node'),
  'koffi.node': (root, target) => path.join(root, 'node_modules', 'koffi', 'build', 'koffi', target.koffi, 'koffi.node'),
};

/** The prebuild folders of each target: `node` as Node names platforms, `koffi` as koffi does. */
export const ADDON_TARGETS = {
  'linux-x64': { node: 'linux-x64', koffi: 'linux_x64' },
  'win-x64': { node: 'win32-x64', koffi: 'win32_x64' },
};

/** { asset name: prebuild path } for a target such as 'linux-x64' or 'win-x64'. */
export function addonFiles(root, target) {
  return Object.fromEntries(Object.entries(ADDONS).map(([name, file]) => [name, file(root, ADDON_TARGETS[target])]));
}

const KOFFI_BLOCK = /var native2 = null;\ntry \{[\s\S]*?\n\}\nvar mod2 = init2\(triplet2, native2\);/g;

/** `expected`: the packages whose addon the bundle must carry (a bundle without sodium-native, such as a test driver, says so). */
export function nativeAddonsPlugin(expected = ['sodium-native', 'koffi']) {
  const loader = JSON.stringify(path.join(import.meta.dirname, 'sea-addon.ts'));
  const done = new Set();
  return {
    name: 'native-addons',
    setup(build) {
      build.onResolve({ filter: /^\.\/binding(\.js)?$/ }, (args) => {
        if (path.basename(args.resolveDir) !== 'sodium-native') return undefined;
        done.add('sodium-native');
        return { path: 'sodium-native-binding', namespace: 'native-addon' };
      });
      build.onLoad({ filter: /.*/, namespace: 'native-addon' }, () => ({
        contents: `module.exports = require(${loader}).loadAddon('sodium-native.node');\n`,
        loader: 'js',
        resolveDir: import.meta.dirname,
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]koffi[\\/]index\.js$/ }, (args) => {
        const source = fs.readFileSync(args.path, 'utf8');
        if ((source.match(KOFFI_BLOCK) ?? []).length !== 1) {
          return { errors: [{ text: `koffi's index.js (${args.path}) does not have the block that picks its addon: another koffi version?` }] };
        }
        done.add('koffi');
        return {
          contents: source.replace(KOFFI_BLOCK, `var native2 = require(${loader}).loadAddon('koffi.node');\nvar mod2 = init2(triplet2, native2);`),
          loader: 'js',
          resolveDir: path.dirname(args.path),
        };
      });
      build.onEnd((result) => {
        const missing = expected.filter((name) => !done.has(name));
        if (result.errors.length === 0 && missing.length > 0) {
          return { errors: [{ text: `${missing.join(' and ')} not found in the bundle: its addon would not load from the executable.` }] };
        }
        return undefined;
      });
    },
  };
}
