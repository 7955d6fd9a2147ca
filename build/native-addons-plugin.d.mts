// Types of build/native-addons-plugin.mjs for the TypeScript tests (test/helpers/wine.ts).
export function addonFiles(root: string, target: 'linux-x64' | 'win-x64'): Record<string, string>;
export function nativeAddonsPlugin(expected?: string[]): unknown;
