// Types of build/package.mjs for the TypeScript tests (test/helpers/wine.ts, test/windows/).
export interface Target {
  target: 'linux-x64' | 'win-x64';
  file: string;
  useCodeCache: boolean;
  prepare(file: string): unknown;
}
export const TARGETS: Target[];
export function bundle(outfile: string, entry?: string, addons?: string[]): Promise<void>;
export function packageTarget(target: Target, where: { bundleFile: string; work: string; outDir: string; linuxNode: string; baseBinary?: string }): Promise<string>;
export function packageAll(outDir?: string): Promise<string[]>;
