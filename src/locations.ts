import fs from 'node:fs';
import path from 'node:path';
import { LOCATIONS } from './generated/locations.js';
import type { Role } from './generated/schemas.js';

/**
 * Where things are (docs/architecture.md, "Locations"), from flags, then environment, then the
 * platform's default. One place for the daemon and its clients, so both find the same data dir,
 * pipe and token files; the names come from schemas/locations.json, which the PowerShell module
 * reads too (its generated Private/GatewayRules.generated.ps1).
 */
interface Locations {
  dataDir: string;
  pipe: string;
}

type Env = Record<string, string | undefined>;

const { environment: VARIABLE } = LOCATIONS;

export function defaultDataDir(env: Env = process.env, platform = process.platform): string {
  const fromEnv = env[VARIABLE.dataDir];
  if (fromEnv) return path.resolve(fromEnv);
  const { windows, unix } = LOCATIONS.dataDir;
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? windows.programDataFallback, ...windows.underProgramData);
  return unix;
}

export function defaultPipe(dataDir: string, env: Env = process.env, platform = process.platform): string {
  const fromEnv = env[VARIABLE.pipe];
  if (fromEnv) return fromEnv;
  if (platform === 'win32') return LOCATIONS.pipe.windows;
  return path.join(dataDir, LOCATIONS.pipe.unixSocketInDataDir);
}

/** Unix socket paths are limited to 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** The data dir alone, for the commands that work on it offline: the flag, else the environment, else the default. */
export function resolveDataDir(flag: string | undefined, env: Env = process.env, platform = process.platform): string {
  return flag ? path.resolve(flag) : defaultDataDir(env, platform);
}

export function resolveLocations(flags: { dataDir?: string; pipe?: string }, env: Env = process.env, platform = process.platform): Locations {
  const dataDir = resolveDataDir(flags.dataDir, env, platform);
  const pipe = flags.pipe ?? defaultPipe(dataDir, env, platform);
  if (platform !== 'win32' && Buffer.byteLength(pipe) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`The pipe path ${pipe} is ${Buffer.byteLength(pipe)} bytes; Unix sockets allow ${MAX_SOCKET_PATH_BYTES}. Give a shorter one with --pipe.`);
  }
  return { dataDir, pipe };
}

/** The role token files in the data dir (mode 0600): the daemon makes them, clients read them. */
export const TOKEN_FILES: Record<Role, string> = LOCATIONS.tokenFiles;

/** The admin token for a client: GATEWAY_APIKEYS_TOKEN, else the token file named, else admin.token in the data dir. */
export function readClientToken(dataDir: string, tokenFile?: string, env: Env = process.env): string {
  const fromEnv = env[VARIABLE.token];
  if (!tokenFile && fromEnv) return fromEnv.trim();
  const file = tokenFile ?? path.join(dataDir, TOKEN_FILES.admin);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `Cannot read the admin token at ${file} (${code}). Run as the daemon's user or an administrator, ` +
        'or set GATEWAY_APIKEYS_TOKEN, or point --data-dir at the daemon\'s data directory.',
    );
  }
}
