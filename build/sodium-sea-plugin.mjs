// An esbuild plugin for the single executable: sodium-native finds its prebuilt addon through
// require-addon, which looks for files beside the package and so cannot work from a bundle. The
// plugin replaces sodium-native's `./binding` module with one that loads the addon embedded in the
// executable as the SEA asset SODIUM_ASSET (build/sea-addon.ts).
import path from 'node:path';

export const SODIUM_ASSET = 'sodium-native.node';

/** The prebuilt addon of sodium-native for a Node platform-arch such as 'linux-x64' or 'win32-x64'. */
export function sodiumPrebuild(root, platformArch) {
  return path.join(root, 'node_modules', 'sodium-native', 'prebuilds', platformArch, 'sodium-native.node');
}

export function sodiumSeaPlugin() {
  const loader = path.join(import.meta.dirname, 'sea-addon.ts');
  let redirected = false;
  return {
    name: 'sodium-native-sea-asset',
    setup(build) {
      build.onResolve({ filter: /^\.\/binding(\.js)?$/ }, (args) => {
        if (path.basename(args.resolveDir) !== 'sodium-native') return undefined;
        redirected = true;
        return { path: 'sodium-native-binding', namespace: 'sea-addon' };
      });
      build.onLoad({ filter: /.*/, namespace: 'sea-addon' }, () => ({
        contents: `module.exports = require(${JSON.stringify(loader)}).loadEmbeddedAddon(${JSON.stringify(SODIUM_ASSET)});\n`,
        loader: 'js',
        resolveDir: import.meta.dirname,
      }));
      build.onEnd((result) => {
        if (result.errors.length === 0 && !redirected) {
          return { errors: [{ text: "sodium-native's ./binding was not found: the addon would not load from the executable." }] };
        }
        return undefined;
      });
    },
  };
}
