import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TOKEN_FILES } from '../locations.js';
import * as system from '../platform/system.js';
import { gatewayTokenSddl } from '../platform/windows-security.js';
import { type Account, resolvePipeAllow } from './pipe-access.js';

/**
 * `serve --gateway-account` (Windows) and `--gateway-group` (Unix): the gateway's own account reads
 * `gateway.token` where it is, so no copy goes stale at the next rotation (docs/security.md, "The
 * gateway's account"). Windows: one entry on gateway.token alone, reading for that account, and the
 * pipe opened to it as --pipe-allow would; Unix: gateway.token group-readable by that group (0640),
 * the data dir traversable by it (0710: it may open a name it knows, never list), and the socket's
 * group. Set again at every start, after the token files are made: a token deleted to rotate it is
 * made private, then given the grant.
 */

export type GatewayReader = { kind: 'windows'; account: Account } | { kind: 'unix'; gid: number; group: string };

export class GatewayReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayReaderError';
  }
}

/** The reader a flag names, resolved before anything is touched; undefined without the flag. */
export function resolveGatewayReader(options: { gatewayAccount?: string; gatewayGroup?: string }, windows: boolean): GatewayReader | undefined {
  if (windows && options.gatewayAccount !== undefined) {
    return { kind: 'windows', account: resolvePipeAllow([options.gatewayAccount], undefined, '--gateway-account')[0]! };
  }
  if (!windows && options.gatewayGroup !== undefined) {
    const gid = system.groupId(options.gatewayGroup);
    if (gid === undefined) throw new GatewayReaderError(`--gateway-group: the system knows no group named '${options.gatewayGroup}'. Give a group name of /etc/group, or a gid.`);
    return { kind: 'unix', gid, group: options.gatewayGroup };
  }
  return undefined;
}

/** Gives the reader its access to gateway.token (and on Unix the way to it): what the claim at the next start accepts, and nothing more. */
export async function shareGatewayToken(dataDir: string, reader: GatewayReader): Promise<void> {
  const token = path.join(dataDir, TOKEN_FILES.gateway);
  if (reader.kind === 'windows') {
    system.setPathSecurity(token, gatewayTokenSddl(system.ownSid(), reader.account.sid));
    return;
  }
  try {
    await fsp.chown(token, -1, reader.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    throw new GatewayReaderError(`--gateway-group: the daemon's user is not a member of the group '${reader.group}', and only a member may give it a file. ` +
      `Add it (usermod -aG ${reader.group} <daemon user>) and restart, or name a group it is in.`);
  }
  await fsp.chmod(token, 0o640);
  await fsp.chown(dataDir, -1, reader.gid);
  await fsp.chmod(dataDir, 0o710);
}

/** Unix: the socket's group becomes the gateway's, so that its 0660 lets the gateway connect. */
export async function shareSocket(pipe: string, reader: GatewayReader | undefined): Promise<void> {
  if (reader?.kind === 'unix') await fsp.chown(pipe, -1, reader.gid);
}
