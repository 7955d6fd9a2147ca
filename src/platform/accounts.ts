import fs from 'node:fs';

/**
 * How an operating-system account is written where the audit trail and the logs name who acted
 * (docs/security.md, "Who acted"): the name the system gives it and the number or SID that it is,
 * so an entry still says who it was after the account is renamed or removed.
 */

/** "alice (uid 1000)"; "uid 1000" when no name is known for the uid. */
export function unixAccount(uid: number, name: string | undefined): string {
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** "CONTOSO\\alice (S-1-5-21-…)"; the SID alone when Windows knows no name for it. */
export function windowsAccount(sid: string, name: string | undefined): string {
  return name ? `${name} (${sid})` : sid;
}

/**
 * The user names of a passwd file by uid (`name:password:uid:gid:gecos:home:shell`). Lines that are
 * not of that form are skipped; of two lines with one uid the first names it, as getpwuid answers.
 */
export function passwdNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid)) continue;
    if (!names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

/**
 * The names of uids in a passwd file, read again only once the file has changed (its inode, size
 * or modification time), so naming each connection's peer costs one stat. Accounts that only a
 * directory service knows (LDAP, sssd) are not in the file: those are named by uid alone.
 */
export class PasswdFile {
  private version: string | undefined;
  private names = new Map<number, string>();

  constructor(private readonly file = '/etc/passwd') {}

  nameOf(uid: number): string | undefined {
    try {
      const stat = fs.statSync(this.file);
      const version = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (version !== this.version) {
        this.names = passwdNames(fs.readFileSync(this.file, 'utf8'));
        this.version = version;
      }
    } catch {
      // No readable passwd file: every uid is named by its number.
      this.names = new Map();
      this.version = undefined;
    }
    return this.names.get(uid);
  }
}

/**
 * The gid of a group named in a group file (`name:password:gid:members`), or of a number given as
 * it is; undefined when the file names no such group. Of two lines with one name the first counts.
 */
export function groupIdIn(text: string, group: string): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
