import path from 'node:path';

/**
 * Commands as the user will paste them back: the line that sets a variable in their shell, and the
 * executable named as they invoked it, so that every next step a message suggests runs as shown
 * (a checkout has no `gateway-apikeys` on its PATH: there it is `node dist/cli.js`).
 */

/** A word for a POSIX shell: as it is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The line that sets an environment variable: POSIX sh off Windows, PowerShell on Windows. */
export function exportLine(name: string, value: string, platform = process.platform): string {
  return platform === 'win32' ? `$env:${name} = '${value.replace(/'/g, "''")}'` : `export ${name}=${shellQuote(value)}`;
}

export interface Invoked {
  /** The script node ran (process.argv[1]); for a single executable, the executable itself. */
  script: string | undefined;
  /** The executable (process.execPath). */
  execPath: string;
  isSea: boolean;
  cwd: string;
  pathVariable: string | undefined;
  platform: NodeJS.Platform;
}

/** The executable as the user typed it, to start the commands a message suggests. */
export function invokedAs(invoked: Invoked): string {
  const p = invoked.platform === 'win32' ? path.win32 : path.posix;
  const onPath = (file: string) => (invoked.pathVariable ?? '').split(invoked.platform === 'win32' ? ';' : ':')
    .some((dir) => dir !== '' && p.resolve(dir).toLowerCase() === p.dirname(file).toLowerCase());
  const quote = (word: string) => (invoked.platform === 'win32' ? (/\s/.test(word) ? `"${word}"` : word) : shellQuote(word));
  const program = invoked.isSea ? invoked.execPath : invoked.script;
  if (program === undefined) return 'gateway-apikeys';
  if (!invoked.isSea && /\.[cm]?js$/.test(program)) {
    const relative = p.relative(invoked.cwd, program);
    return `node ${quote(relative.startsWith('..') || p.isAbsolute(relative) ? program : relative)}`;
  }
  return onPath(program) ? p.basename(program).replace(/\.exe$/i, '') : quote(program);
}
