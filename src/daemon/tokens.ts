import path from 'node:path';
import type { Role } from '../generated/schemas.js';
import { TOKEN_FILES } from '../locations.js';
import { equalConstantTime, keyedHash, randomBytes, SecretKey } from '../vault/crypto.js';
import { encodeSecret, KEY_SECRET_BYTES } from '../vault/key-value.js';
import { nodeFileSystem, replaceFileAtomically } from '../vault/storage/file-system.js';

/**
 * The two role tokens, one file each in the data dir (mode 0600): clients read `admin.token` (or
 * get it through GATEWAY_APIKEYS_TOKEN); the gateway is given `gateway.token`. A missing file is
 * made anew at start, which is also how a token is rotated: delete the file and restart.
 */
const TOKEN_PREFIX = 'gwt_';
const TOKEN_SHAPE = /^gwt_[0-9A-Za-z]{49}$/;

export class RoleTokens {
  private constructor(
    /** Tokens are compared as keyed hashes: equal lengths, constant time, and no token kept in memory. */
    private readonly hashKey: SecretKey,
    private readonly hashes: readonly { role: Role; hash: Buffer }[],
  ) {}

  /** Reads the token files of `dataDir`, creating any that is missing. */
  static async ensure(dataDir: string): Promise<RoleTokens> {
    const hashKey = SecretKey.generate();
    const hashes = [];
    for (const [role, file] of Object.entries(TOKEN_FILES) as [Role, string][]) {
      const location = path.join(dataDir, file);
      let token = (await nodeFileSystem.readFile(location))?.toString('utf8').trim();
      if (token === undefined) {
        token = encodeSecret(TOKEN_PREFIX, randomBytes(KEY_SECRET_BYTES));
        await replaceFileAtomically(nodeFileSystem, location, Buffer.from(`${token}\n`, 'utf8'));
      } else if (!TOKEN_SHAPE.test(token)) {
        throw new Error(`${location} does not hold a gateway-apikeys token. Delete it and restart to have a new one made.`);
      }
      hashes.push({ role, hash: keyedHash(hashKey, Buffer.from(token, 'utf8')) });
    }
    return new RoleTokens(hashKey, hashes);
  }

  /** The role a presented token grants, or undefined. Every role is compared, whatever matches. */
  roleOf(presented: string): Role | undefined {
    const hash = keyedHash(this.hashKey, Buffer.from(presented, 'utf8'));
    let role: Role | undefined;
    for (const entry of this.hashes) if (equalConstantTime(entry.hash, hash)) role = entry.role;
    return role;
  }

  dispose(): void {
    this.hashKey.dispose();
  }
}
