// Types of build/base-node.mjs for the TypeScript tests (test/helpers/wine.ts).
export const NODE_VERSION: string;
export const WINE_NODE_VERSION: string;
export const ROOT: string;
export function ensureBaseBinary(target: 'linux-x64' | 'win-x64', version?: string): string;
