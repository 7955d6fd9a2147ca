// Loads a native addon of the bundle (sodium-native's, koffi's; build/native-addons-plugin.mjs points
// them here). In the single executable it is a SEA asset: the bytes are written to a private
// directory, checked by SHA-256, and handed to process.dlopen. A bundle run on a plain node takes the
// file of that name beside itself. Only the bundle and its tests use this file; src/ loads the addons
// the ordinary way.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sea from 'node:sea';

export interface PlaceOptions {
  /** Defaults: os.tmpdir(), process.env, process.platform, process.getuid(). Tests change them. */
  tmpDir?: string;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  uid?: number;
}

type Settings = Required<Omit<PlaceOptions, 'uid'>> & { uid: number | undefined };

export interface PlacedAddon {
  file: string;
  /** A file already there with the right hash was used as it is. */
  reused: boolean;
  /** The file sits in a fresh directory of this process only, to remove once loaded. */
  transient: boolean;
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * Why this directory, and when it is not trusted.
 *
 * The hash is checked, then process.dlopen opens the file by its path; that is only safe when no one
 * else can swap the file in between, i.e. when nobody but this user (and root/administrators) can write
 * to the directory.
 * - Unix: `<tmpdir>/gateway-apikeys-addons-<uid>`, made 0700. /tmp is shared, so another user may have made
 *   that name first, or left a symlink there; it is used only when lstat shows a real directory owned
 *   by this uid with no group/other bits. Otherwise the addon goes to a fresh mkdtemp directory (0700,
 *   a random name no one could have prepared) and is unlinked once loaded.
 * - Windows: fs cannot read owners or ACLs, so the check is the location: %LOCALAPPDATA% inherits the
 *   user profile's ACL (the user, SYSTEM, Administrators), so no other user can have made or changed
 *   `%LOCALAPPDATA%\gateway-apikeys\addons`. Without LOCALAPPDATA, a fresh mkdtemp directory; Windows
 *   cannot delete a loaded DLL, so that one stays behind.
 * Either way the file's name carries its hash, it is read through a descriptor that does not follow
 * symlinks, and a wrong one is replaced by writing a new file and renaming it over (atomic).
 */
function sharedDirectory(options: Settings): string | undefined {
  if (options.platform === 'win32') {
    const local = options.env.LOCALAPPDATA;
    if (!local) return undefined;
    const dir = path.join(local, 'gateway-apikeys', 'addons');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
  if (options.uid === undefined) return undefined;
  const dir = path.join(options.tmpDir, `gateway-apikeys-addons-${options.uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = fs.lstatSync(dir);
  const isPrivate = stat.isDirectory() && stat.uid === options.uid && (stat.mode & 0o077) === 0;
  return isPrivate ? dir : undefined;
}

/** True when `file` is a regular file of ours (not a symlink) whose SHA-256 is `hash`. */
function holds(file: string, hash: string, uid: number | undefined): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return false; // missing, or a symlink (ELOOP)
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) return false;
    return sha256(fs.readFileSync(fd)) === hash;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `bytes` as `file` atomically: a new file beside it, then renamed over it. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(temporary, bytes, { flag: 'wx', mode: 0o700 });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Puts the addon's bytes in a private directory (see above) and says where. */
export function placeAddon(name: string, bytes: Uint8Array, options: PlaceOptions = {}): PlacedAddon {
  const platform = options.platform ?? process.platform;
  const settings: Settings = {
    tmpDir: options.tmpDir ?? os.tmpdir(),
    env: options.env ?? process.env,
    platform,
    uid: platform === 'win32' ? undefined : (options.uid ?? process.getuid?.()),
  };
  const hash = sha256(bytes);
  const fileName = `${path.basename(name, '.node')}-${hash.slice(0, 16)}.node`;
  try {
    const dir = sharedDirectory(settings);
    if (dir) {
      const file = path.join(dir, fileName);
      if (holds(file, hash, settings.uid)) return { file, reused: true, transient: false };
      writeAtomically(file, bytes);
      return { file, reused: false, transient: false };
    }
  } catch {
    // The shared directory cannot be used (read-only, a file in use on Windows…): a fresh one can.
  }
  const file = path.join(fs.mkdtempSync(path.join(settings.tmpDir, 'gateway-apikeys-addon-once-')), fileName);
  fs.writeFileSync(file, bytes, { flag: 'wx', mode: 0o700 });
  return { file, reused: false, transient: true };
}

/** Loads addon `name`: the executable's asset of that name, or the file beside the bundle; its exports, as require() would give them. */
export function loadAddon(name: string): unknown {
  if (sea.isSea()) return loadEmbeddedAddon(name);
  const file = path.join(__dirname, name);
  const addon = { exports: {} };
  try {
    process.dlopen(addon, file);
  } catch (error) {
    throw new Error(`Cannot load the addon ${file} (${(error as Error).message}).`, { cause: error });
  }
  return addon.exports;
}

/** Loads the addon the executable carries as asset `asset`; its exports, as require() would give them. */
export function loadEmbeddedAddon(asset: string): unknown {
  if (!sea.isSea()) throw new Error(`The addon ${asset} is embedded only in the single executable.`);
  const placed = placeAddon(asset, new Uint8Array(sea.getRawAsset(asset) as ArrayBuffer));
  const addon = { exports: {} };
  try {
    process.dlopen(addon, placed.file);
  } catch (error) {
    throw new Error(
      `Cannot load ${placed.file} (${(error as Error).message}). If its file system is mounted noexec, ` +
        'point TMPDIR at one that allows executables.',
      { cause: error },
    );
  } finally {
    if (placed.transient && process.platform !== 'win32') {
      fs.rmSync(path.dirname(placed.file), { recursive: true, force: true });
    }
  }
  return addon.exports;
}
