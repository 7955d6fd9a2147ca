// Types of build/install-powershell-tools.mjs for the TypeScript tests (test/windows/wine-powershell.test.ts).
export const POWERSHELL_VERSION: string;
export const PESTER_VERSION: string;
export function ensurePowerShellTools(log?: (line: string) => void): { pwsh: string; pester: string };
