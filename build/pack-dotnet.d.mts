// Types of build/pack-dotnet.mjs for the TypeScript tests (test/dotnet-package.test.ts).
export const DOTNET_PACKAGES: string[];
export function packDotnet(outDir?: string): Promise<string[]>;
