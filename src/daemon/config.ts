import fs from 'node:fs';
import path from 'node:path';

/**
 * Where things are (DESIGN §4), from flags, then environment, then the platform's default. One
 * place for the daemon and its clients, so both find the same pipe and token.
 */
export interface Locations {
  dataDir: string;
  pipe: string;
}

type Env = Record<string, string | undefined>;

export function defaultDataDir(env: Env = process.env, platform = process.platform): string {
  if (env.GATEWAY_APIKEYS_DATA_DIR) return path.resolve(env.GATEWAY_APIKEYS_DATA_DIR);
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Nintex', 'Gateway');
  return '/var/lib/gateway-apikeys';
}

export function defaultPipe(dataDir: string, env: Env = process.env, platform = process.platform): string {
  if (env.GATEWAY_APIKEYS_PIPE) return env.GATEWAY_APIKEYS_PIPE;
  if (platform === 'win32') return '\\\\.\\pipe\\gateway-apikeys';
  return path.join(dataDir, 'gateway-apikeys.sock');
}

/** Unix socket paths are limited to 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export function resolveLocations(flags: { dataDir?: string; pipe?: string }, env: Env = process.env, platform = process.platform): Locations {
  const dataDir = flags.dataDir ? path.resolve(flags.dataDir) : defaultDataDir(env, platform);
  const pipe = flags.pipe ?? defaultPipe(dataDir, env, platform);
  if (platform !== 'win32' && Buffer.byteLength(pipe) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`The pipe path ${pipe} is ${Buffer.byteLength(pipe)} bytes; Unix sockets allow ${MAX_SOCKET_PATH_BYTES}. Give a shorter one with --pipe.`);
  }
  return { dataDir, pipe };
}

/** The admin token for a client: GATEWAY_APIKEYS_TOKEN, else the token file named, else admin.token in the data dir. */
export function readClientToken(dataDir: string, tokenFile?: string, env: Env = process.env): string {
  if (!tokenFile && env.GATEWAY_APIKEYS_TOKEN) return env.GATEWAY_APIKEYS_TOKEN.trim();
  const file = tokenFile ?? path.join(dataDir, 'admin.token');
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
