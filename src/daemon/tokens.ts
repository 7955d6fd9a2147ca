import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import type { Role } from '../generated/schemas.js';
import { TOKEN_FILES } from '../locations.js';
import { clientProof, proofKey, sameProof, serverProof } from '../session-proof.js';
import { randomBytes } from '../shared/random.js';
import { encodeSecret, KEY_SECRET_BYTES } from '../shared/secret-format.js';
import { replaceFileAtomically } from '../shared/file-system.js';
import { nodeFileSystem } from '../vault/storage/node-file-system.js';

/**
 * The two role tokens, one file each in the data dir (mode 0600): clients read `admin.token` (or
 * get it through GATEWAY_APIKEYS_TOKEN); the gateway is given `gateway.token`. A missing file is
 * made anew at start, which is also how a token is rotated: delete the file and restart.
 *
 * No token crosses the pipe (docs/protocol.md, "Sessions"): the daemon proves it knows the role's
 * token, then checks the client's proof. So it keeps each token as an HMAC key object, outside the
 * JS heap; the bytes read from the file are wiped.
 */
const TOKEN_PREFIX = 'gwt_';
const TOKEN_LENGTH = TOKEN_PREFIX.length + 49;
const WHITE_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BASE62 = /^[0-9A-Za-z]$/;

/** `gwt_` and 49 base62 characters, checked on the bytes so that no string copy of the token is made. */
function isToken(bytes: Buffer): boolean {
  if (bytes.length !== TOKEN_LENGTH || bytes.toString('latin1', 0, TOKEN_PREFIX.length) !== TOKEN_PREFIX) return false;
  for (let i = TOKEN_PREFIX.length; i < bytes.length; i++) if (!BASE62.test(String.fromCharCode(bytes[i]!))) return false;
  return true;
}

/** The file's bytes without surrounding white space, as clients trim them: a view, not a copy. */
function trimmed(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && WHITE_SPACE.has(bytes[start]!)) start++;
  while (end > start && WHITE_SPACE.has(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

export class RoleTokens {
  private constructor(private readonly keys: Readonly<Record<Role, KeyObject>>) {}

  /** Reads the token files of `dataDir`, creating any that is missing. */
  static async ensure(dataDir: string): Promise<RoleTokens> {
    const keys = {} as Record<Role, KeyObject>;
    for (const [role, file] of Object.entries(TOKEN_FILES) as [Role, string][]) {
      const location = path.join(dataDir, file);
      let bytes = await nodeFileSystem.readFile(location);
      if (bytes === null) {
        bytes = Buffer.from(`${encodeSecret(TOKEN_PREFIX, randomBytes(KEY_SECRET_BYTES))}\n`, 'latin1');
        await replaceFileAtomically(nodeFileSystem, location, bytes);
      }
      const token = trimmed(bytes);
      const wellFormed = isToken(token);
      if (wellFormed) keys[role] = proofKey(token);
      bytes.fill(0);
      if (!wellFormed) throw new Error(`${location} does not hold a gateway-apikeys token. Delete it and restart to have a new one made.`);
    }
    return new RoleTokens(keys);
  }

  /** The daemon's answer to a challenge for `role` on a connection whose ends `binding` names (session-proof.ts). */
  serverProof(role: Role, clientNonce: string, serverNonce: string, binding: string): string {
    return serverProof(this.keys[role], clientNonce, serverNonce, binding);
  }

  /** Whether a client's proof for `role` is right for this connection's `binding`, compared in constant time. */
  acceptsClientProof(role: Role, serverNonce: string, clientNonce: string, binding: string, presented: string): boolean {
    return sameProof(clientProof(this.keys[role], serverNonce, clientNonce, binding), presented);
  }
}
