/**
 * Windows security decisions as pure functions of security descriptors in SDDL, the form Windows
 * itself prints them in (docs/security.md, "Windows"). Who may read the data dir, what the pipe's
 * access list is, which account a `--pipe-allow` names: all decided here, on strings, so they are
 * tested on Linux against descriptors recorded on real Windows folders. src/platform/windows.ts
 * only reads and writes descriptors through Win32 and hands the strings here; it never decides.
 *
 * Accounts are compared by SID, never by name: names are localized ("VORDEFINIERT\Benutzer" is
 * BUILTIN\Users) and icacls prints them in the system's language.
 */

export const SID = {
  everyone: 'S-1-1-0',
  creatorOwner: 'S-1-3-0',
  ownerRights: 'S-1-3-4',
  network: 'S-1-5-2',
  anonymous: 'S-1-5-7',
  authenticatedUsers: 'S-1-5-11',
  system: 'S-1-5-18',
  administrators: 'S-1-5-32-544',
  users: 'S-1-5-32-545',
  guests: 'S-1-5-32-546',
  nullSid: 'S-1-0-0',
} as const;

/** SDDL's two-letter account aliases that stand for one SID on every machine, and the English name of each. */
const ALIASES: Record<string, { sid: string; name: string }> = {
  AC: { sid: 'S-1-15-2-1', name: 'APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES' },
  AN: { sid: SID.anonymous, name: 'NT AUTHORITY\\ANONYMOUS LOGON' },
  AO: { sid: 'S-1-5-32-548', name: 'BUILTIN\\Account Operators' },
  AU: { sid: SID.authenticatedUsers, name: 'NT AUTHORITY\\Authenticated Users' },
  BA: { sid: SID.administrators, name: 'BUILTIN\\Administrators' },
  BG: { sid: SID.guests, name: 'BUILTIN\\Guests' },
  BO: { sid: 'S-1-5-32-551', name: 'BUILTIN\\Backup Operators' },
  BU: { sid: SID.users, name: 'BUILTIN\\Users' },
  CG: { sid: 'S-1-3-1', name: 'CREATOR GROUP' },
  CO: { sid: SID.creatorOwner, name: 'CREATOR OWNER' },
  ED: { sid: 'S-1-5-9', name: 'NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS' },
  IU: { sid: 'S-1-5-4', name: 'NT AUTHORITY\\INTERACTIVE' },
  LS: { sid: 'S-1-5-19', name: 'NT AUTHORITY\\LOCAL SERVICE' },
  LU: { sid: 'S-1-5-32-559', name: 'BUILTIN\\Performance Log Users' },
  MU: { sid: 'S-1-5-32-558', name: 'BUILTIN\\Performance Monitor Users' },
  NO: { sid: 'S-1-5-32-556', name: 'BUILTIN\\Network Configuration Operators' },
  NS: { sid: 'S-1-5-20', name: 'NT AUTHORITY\\NETWORK SERVICE' },
  NU: { sid: SID.network, name: 'NT AUTHORITY\\NETWORK' },
  OW: { sid: SID.ownerRights, name: 'OWNER RIGHTS' },
  PS: { sid: 'S-1-5-10', name: 'NT AUTHORITY\\SELF' },
  PU: { sid: 'S-1-5-32-547', name: 'BUILTIN\\Power Users' },
  RC: { sid: 'S-1-5-12', name: 'NT AUTHORITY\\RESTRICTED' },
  RD: { sid: 'S-1-5-32-555', name: 'BUILTIN\\Remote Desktop Users' },
  RE: { sid: 'S-1-5-32-552', name: 'BUILTIN\\Replicator' },
  RU: { sid: 'S-1-5-32-554', name: 'BUILTIN\\Pre-Windows 2000 Compatible Access' },
  SO: { sid: 'S-1-5-32-549', name: 'BUILTIN\\Server Operators' },
  SU: { sid: 'S-1-5-6', name: 'NT AUTHORITY\\SERVICE' },
  SY: { sid: SID.system, name: 'NT AUTHORITY\\SYSTEM' },
  WD: { sid: SID.everyone, name: 'Everyone' },
  WR: { sid: 'S-1-5-33', name: 'NT AUTHORITY\\WRITE RESTRICTED' },
};

const NAME_OF_SID = new Map(Object.values(ALIASES).map(({ sid, name }) => [sid, name]));
NAME_OF_SID.set(SID.nullSid, 'NULL SID');
const TRUSTED_INSTALLER = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';
NAME_OF_SID.set(TRUSTED_INSTALLER, 'NT SERVICE\\TrustedInstaller');

const SID_PATTERN = /^S-1-\d+(-\d+)+$/i;

/** The SID an SDDL account string stands for: itself when it is a SID, or the SID of its alias; else the alias (a domain-relative one such as DU). */
export function sidOf(account: string): string {
  if (SID_PATTERN.test(account)) return account.toUpperCase();
  return ALIASES[account]?.sid ?? account;
}

/** A readable name for a SID without asking Windows (English, for well-known SIDs only); the SID itself otherwise. */
export function wellKnownName(sid: string): string | undefined {
  return NAME_OF_SID.get(sid);
}

// Access rights (winnt.h): the generic ones, and what each maps to for files, directories and pipes.
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const GENERIC_EXECUTE = 0x20000000;
const GENERIC_ALL = 0x10000000;
const MAXIMUM_ALLOWED = 0x02000000;
const ACCESS_SYSTEM_SECURITY = 0x01000000;
const FILE_ALL_ACCESS = 0x1f01ff;
const FILE_GENERIC_READ = 0x120089;
const FILE_GENERIC_WRITE = 0x120116;
const FILE_GENERIC_EXECUTE = 0x1200a0;

/** SDDL's rights strings (sddl.h); the directory-service ones are the same bits as the file rights they share. */
const RIGHTS: Record<string, number> = {
  GA: GENERIC_ALL, GR: GENERIC_READ, GW: GENERIC_WRITE, GX: GENERIC_EXECUTE,
  RC: 0x20000, SD: 0x10000, WD: 0x40000, WO: 0x80000,
  CC: 0x1, DC: 0x2, LC: 0x4, SW: 0x8, RP: 0x10, WP: 0x20, DT: 0x40, LO: 0x80, CR: 0x100,
  FA: FILE_ALL_ACCESS, FR: FILE_GENERIC_READ, FW: FILE_GENERIC_WRITE, FX: FILE_GENERIC_EXECUTE,
  KA: 0xf003f, KR: 0x20019, KW: 0x20006, KX: 0x20019,
  NR: 0x1, NW: 0x2, NX: 0x4,
};

/** What others must not have on the data dir or a file in it: reading its content (or listing it), or any way to change it. */
const READ_BITS = 0x1 /* read data, list directory */ | 0x8 /* read extended attributes */;
const WRITE_BITS = 0x2 /* write data, add file */ | 0x4 /* append, add subdirectory */ | 0x10 /* write EAs */ | 0x40 /* delete child */ |
  0x100 /* write attributes */ | 0x10000 /* delete */ | 0x40000 /* write DAC */ | 0x80000 /* write owner */;

interface Ace {
  /** A, D, OA, OD, XA, XD…: allowed, denied, and their object and callback forms. */
  type: string;
  /** Two-letter flags: OI, CI, IO, NP, ID, SA, FA. */
  flags: string[];
  /** The access mask, generic bits as written. */
  mask: number;
  /** The trustee's SID (a domain-relative alias such as DU stays as written). */
  sid: string;
}

interface SecurityDescriptor {
  owner?: string;
  group?: string;
  /** Undefined: no DACL at all (every access is granted, like a NULL DACL). */
  dacl?: { flags: string[]; aces: Ace[]; nullAcl: boolean };
}

export class SddlError extends Error {
  constructor(sddl: string, problem: string) {
    super(`Cannot read the security descriptor '${sddl.slice(0, 300)}': ${problem}.`);
    this.name = 'SddlError';
  }
}

function parseMask(text: string, sddl: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16) >>> 0;
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  if (text.length % 2 !== 0) throw new SddlError(sddl, `the rights '${text}' are not pairs of letters`);
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const bits = RIGHTS[text.slice(i, i + 2)];
    if (bits === undefined) throw new SddlError(sddl, `unknown right '${text.slice(i, i + 2)}'`);
    mask = (mask | bits) >>> 0;
  }
  return mask;
}

function parseAce(body: string, sddl: string): Ace {
  const fields = body.split(';');
  if (fields.length < 6) throw new SddlError(sddl, `the entry (${body}) has ${fields.length} fields, not 6`);
  const [type, flags, rights, , , account] = fields as [string, string, string, string, string, string];
  if (flags.length % 2 !== 0) throw new SddlError(sddl, `the flags '${flags}' are not pairs of letters`);
  return { type, flags: flags.match(/../g) ?? [], mask: parseMask(rights, sddl), sid: sidOf(account) };
}

/** An account at `at` of `text`: a SID string, or a two-letter alias. */
function readAccount(text: string, at: number, sddl: string): [string, number] {
  const sid = /^S-1-\d+(-\d+)+/i.exec(text.slice(at));
  if (sid) return [sid[0].toUpperCase(), at + sid[0].length];
  const alias = text.slice(at, at + 2);
  if (!/^[A-Z]{2}$/.test(alias)) throw new SddlError(sddl, `no account at position ${at}`);
  return [sidOf(alias), at + 2];
}

/** Parses the owner, group and DACL of an SDDL string (a SACL, if any, is skipped). */
export function parseSddl(sddl: string): SecurityDescriptor {
  const text = sddl.trim();
  const descriptor: SecurityDescriptor = {};
  let at = 0;
  while (at < text.length) {
    const tag = text.slice(at, at + 2);
    at += 2;
    if (tag === 'O:' || tag === 'G:') {
      const [sid, next] = readAccount(text, at, sddl);
      if (tag === 'O:') descriptor.owner = sid;
      else descriptor.group = sid;
      at = next;
    } else if (tag === 'D:' || tag === 'S:') {
      const flagsEnd = text.indexOf('(', at) < 0 ? text.length : text.indexOf('(', at);
      let flagText = text.slice(at, flagsEnd);
      // A SACL may follow a DACL that has no entries: "D:PAIS:…".
      const sacl = flagText.indexOf('S:');
      if (tag === 'D:' && sacl >= 0) flagText = flagText.slice(0, sacl);
      at += flagText.length;
      const nullAcl = flagText.includes('NO_ACCESS_CONTROL');
      const flags = flagText.replace('NO_ACCESS_CONTROL', '').match(/AI|AR|P/g) ?? [];
      const aces: Ace[] = [];
      while (text[at] === '(') {
        // Conditional entries carry parentheses of their own: find the one that closes this entry.
        let depth = 0;
        let end = at;
        for (; end < text.length; end++) {
          if (text[end] === '(') depth++;
          else if (text[end] === ')' && --depth === 0) break;
        }
        if (end >= text.length) throw new SddlError(sddl, 'an entry is not closed');
        aces.push(parseAce(text.slice(at + 1, end), sddl));
        at = end + 1;
      }
      if (tag === 'D:') descriptor.dacl = { flags, aces, nullAcl };
      if (tag === 'S:') break; // nothing after a SACL concerns us
    } else {
      throw new SddlError(sddl, `unexpected '${tag}' at position ${at - 2}`);
    }
  }
  return descriptor;
}

/** The mask with its generic bits mapped to what they mean for a file or directory. */
function fileRights(mask: number): number {
  let rights = mask & 0x00ffffff;
  if (mask & (GENERIC_ALL | MAXIMUM_ALLOWED)) rights |= FILE_ALL_ACCESS;
  if (mask & GENERIC_READ) rights |= FILE_GENERIC_READ;
  if (mask & GENERIC_WRITE) rights |= FILE_GENERIC_WRITE;
  if (mask & GENERIC_EXECUTE) rights |= FILE_GENERIC_EXECUTE;
  if (mask & ACCESS_SYSTEM_SECURITY) rights |= 0x40000;
  return rights >>> 0;
}

const isAllow = (ace: Ace) => /^(A|OA|XA|ZA)$/.test(ace.type);

/** What an account other than the trusted ones could do to the data dir or a file in it. */
export interface AccessFinding {
  sid: string;
  /** 'read' and/or 'write'; 'own' when it is the owner (who may always rewrite the access list). */
  can: ('read' | 'write' | 'own')[];
  /** The entry is inherited from a parent folder (the ID flag): removing inheritance removes it. */
  inherited: boolean;
}

interface PrivacyVerdict {
  findings: AccessFinding[];
  /** Whether the DACL is protected from its parent's inheritable entries (the P flag). */
  protectedDacl: boolean;
}

/**
 * The accounts the data dir is private to: SYSTEM, Administrators and the daemon's own account.
 * CREATOR OWNER and OWNER RIGHTS stand for the owner of each file, checked on its own.
 */
function trustedSids(ownSid: string): Set<string> {
  return new Set([SID.system, SID.administrators, ownSid.toUpperCase(), SID.creatorOwner, SID.ownerRights]);
}

/**
 * Who else may read or change a directory or file, by its descriptor (docs/security.md, "Windows"):
 * every allow entry to another account that grants reading its content or changing it, whether it
 * applies to the object itself or is inherited by what is created in it; an owner who is not
 * trusted (an owner may always rewrite the access list); no DACL at all (everyone may do anything).
 * Deny entries only take rights away, so they never make an object private on their own.
 * `reader`: the one account `serve --gateway-account` lets read gateway.token, by the one entry
 * gatewayTokenSddl gives it (isReadGrant); anything broader for it is still found.
 */
export function privacyOf(sddl: string, ownSid: string, reader?: string): PrivacyVerdict {
  const descriptor = parseSddl(sddl);
  const trusted = trustedSids(ownSid);
  const found = new Map<string, AccessFinding>();
  const add = (sid: string, can: AccessFinding['can'][number], inherited: boolean) => {
    const finding = found.get(sid) ?? { sid, can: [], inherited: true };
    if (!finding.can.includes(can)) finding.can.push(can);
    finding.inherited &&= inherited;
    found.set(sid, finding);
  };
  if (descriptor.owner !== undefined && !trusted.has(descriptor.owner)) add(descriptor.owner, 'own', false);
  const dacl = descriptor.dacl;
  if (!dacl || dacl.nullAcl) {
    add(SID.everyone, 'read', false);
    add(SID.everyone, 'write', false);
  } else {
    for (const ace of dacl.aces) {
      if (!isAllow(ace) || trusted.has(ace.sid)) continue;
      const rights = fileRights(ace.mask);
      if (reader !== undefined && isReadGrant(ace, rights, reader)) continue;
      const inherited = ace.flags.includes('ID');
      if (rights & READ_BITS) add(ace.sid, 'read', inherited);
      if (rights & WRITE_BITS) add(ace.sid, 'write', inherited);
    }
  }
  for (const finding of found.values()) finding.can.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return { findings: [...found.values()], protectedDacl: dacl?.flags.includes('P') ?? false };
}
const ORDER = ['read', 'write', 'own'] as const;

/** The entry gatewayTokenSddl gives the gateway's account: its own (neither inherited nor inheritable), reading and nothing more. */
function isReadGrant(ace: Ace, rights: number, reader: string): boolean {
  return ace.type === 'A' && ace.sid === reader.toUpperCase() && ace.flags.length === 0 && (rights & ~FILE_GENERIC_READ) === 0;
}

/**
 * The descriptor of a file the daemon makes in its data dir (docs/security.md, "Windows: the data
 * dir"): given when the file is created, not inherited from the directory, so it is private even
 * if the directory's access list were not; protected, full control to SYSTEM, Administrators and the
 * daemon's own account. No owner: Windows makes the creating account (or Administrators) its owner.
 */
export function privateFileSddl(ownSid: string): string {
  return `D:P${[...new Set([SID.system, SID.administrators, ownSid.toUpperCase()])].map((sid) => `(A;;FA;;;${aliasOf(sid)})`).join('')}`;
}

/** gateway.token's descriptor with `serve --gateway-account`: privateFileSddl and reading (FILE_GENERIC_READ) for that one account. */
export function gatewayTokenSddl(ownSid: string, gatewaySid: string): string {
  return `${privateFileSddl(ownSid)}(A;;FR;;;${aliasOf(gatewaySid.toUpperCase())})`;
}

/** The owner's SID of a descriptor in SDDL; undefined when it names none. */
export function ownerOf(sddl: string): string | undefined {
  return parseSddl(sddl).owner;
}

/**
 * Whether `owner` may own what the daemon trusts (docs/security.md, "Windows: the data dir"): an
 * entry of the data dir, SYSTEM, Administrators or the daemon's own account (any other owner may
 * rewrite its access list, and a file someone made before the daemon would be taken for its own);
 * a directory on the way to it, those or TrustedInstaller, which owns C:\\ on current Windows
 * (an owner of a directory on the way could rename the data dir and put another in its place).
 */
export function isTrustedOwner(owner: string | undefined, ownSid: string, what: 'entry' | 'ancestor'): boolean {
  if (owner === undefined) return false;
  const trusted: string[] = [SID.system, SID.administrators, ownSid.toUpperCase(), ...(what === 'ancestor' ? [TRUSTED_INSTALLER] : [])];
  return trusted.includes(owner.toUpperCase());
}

/**
 * The DACL the daemon gives its data dir (docs/security.md, "Windows"): protected (nothing
 * inherited from %ProgramData%), full control to SYSTEM, Administrators and the daemon's own
 * account, inherited by every file and folder made in it; nothing to anyone else.
 */
export function privateDirectorySddl(ownSid: string): string {
  const sids = [...new Set([SID.system, SID.administrators, ownSid.toUpperCase()])];
  return `D:P${sids.map((sid) => `(A;OICI;FA;;;${aliasOf(sid)})`).join('')}`;
}

/** The short form Windows itself prints for a well-known SID. */
function aliasOf(sid: string): string {
  for (const [alias, known] of Object.entries(ALIASES)) if (known.sid === sid) return alias;
  return sid;
}

/** Describes one finding in words: "BUILTIN\Users (S-1-5-32-545) may read it". */
export function describeFinding(finding: AccessFinding, nameOf: (sid: string) => string | undefined): string {
  const name = nameOf(finding.sid) ?? wellKnownName(finding.sid);
  const who = name ? `${name} (${finding.sid})` : finding.sid;
  const what = finding.can.map((can) => (can === 'own' ? 'owns it' : can === 'read' ? 'may read it' : 'may change it'));
  return `${who} ${what.join(' and ')}`;
}

/**
 * The commands that make `dir` private as the daemon would have made it, with SIDs (icacls takes
 * `*SID` in any language): drop inherited entries and grant the three trusted accounts, remove
 * the other accounts' own entries, and give the directory to Administrators when someone else owns it.
 */
export function privateDirectoryFix(dir: string, ownSid: string, findings: AccessFinding[]): string[] {
  const quoted = `"${dir}"`;
  const grants = [...new Set([SID.system, SID.administrators, ownSid.toUpperCase()])].map((sid) => `"*${sid}:(OI)(CI)F"`);
  const commands = [`icacls ${quoted} /inheritance:r /grant:r ${grants.join(' ')}`];
  const explicit = findings.filter((f) => !f.inherited && f.can.some((can) => can !== 'own')).map((f) => `"*${f.sid}"`);
  if (explicit.length > 0) commands.push(`icacls ${quoted} /remove:g ${explicit.join(' ')}`);
  if (findings.some((f) => f.can.includes('own'))) commands.push(`icacls ${quoted} /setowner "*${SID.administrators}"`);
  return commands;
}

/** Accounts the pipe is never opened to, whatever --pipe-allow says: they are not one account, or not local. */
const NEVER_ON_PIPE = new Map<string, string>([
  [SID.everyone, 'Everyone includes anonymous and guest logons'],
  [SID.anonymous, 'anonymous logons have no account'],
  [SID.network, 'the pipe serves this machine only'],
  [SID.guests, 'guests have no account of their own'],
  [SID.nullSid, 'the NULL SID is no account'],
]);

export class PipeAllowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipeAllowError';
  }
}

/**
 * The pipe's DACL (docs/security.md, "Windows: the pipe"). SYSTEM, Administrators and the daemon's
 * own account get full control (the daemon's account must keep FILE_CREATE_PIPE_INSTANCE, or it
 * cannot make the next instance). Who may connect: by default every authenticated local account,
 * since a gateway service runs under an account of its own and protocol 3 makes a connection
 * without a token worthless; with `allow`, only those accounts. Connecting is read and write without
 * FILE_CREATE_PIPE_INSTANCE (PIPE_CONNECT_MASK, 0x12019b): a connector cannot make an instance that
 * would take the next client. Never Everyone or anonymous logons, and the NETWORK logon is denied
 * first: the pipe is for this machine (its instances also reject remote clients).
 * Specific rights, not GA/GR/GW, so the DACL reads back the same once Windows has mapped it.
 */
export function pipeSddl(ownSid: string, allow: readonly string[] = []): string {
  const owners = [...new Set([SID.system, SID.administrators, ownSid.toUpperCase()])];
  const connectors = allow.length === 0 ? [SID.authenticatedUsers] : [...new Set(allow.map((sid) => sid.toUpperCase()))];
  for (const sid of connectors) {
    const never = NEVER_ON_PIPE.get(sid);
    if (never) throw new PipeAllowError(`The pipe is never opened to ${wellKnownName(sid)} (${sid}): ${never}. Name the gateway's own account.`);
  }
  return `D:P(D;;FA;;;NU)${owners.map((sid) => `(A;;FA;;;${aliasOf(sid)})`).join('')}` +
    connectors.filter((sid) => !owners.includes(sid)).map((sid) => `(A;;${PIPE_CONNECT};;;${aliasOf(sid)})`).join('');
}

/**
 * What a connecting account may do on the pipe: FILE_GENERIC_READ | FILE_GENERIC_WRITE without
 * FILE_CREATE_PIPE_INSTANCE (0x4, which is FILE_APPEND_DATA on a file): read and write, but never
 * make an instance of the name that could take the next client (docs/security.md, "Relayed handshakes").
 */
export const PIPE_CONNECT_MASK = 0x12019b;
const PIPE_CONNECT = `0x${PIPE_CONNECT_MASK.toString(16)}`;

// winnt.h: the rights and quality-of-service flags of this project's client ends of a pipe.
const FILE_READ_DATA = 0x1;
const FILE_WRITE_DATA = 0x2;
const FILE_READ_ATTRIBUTES = 0x80;
const FILE_WRITE_ATTRIBUTES = 0x100;
const SYNCHRONIZE = 0x100000;
export const FILE_CREATE_PIPE_INSTANCE = 0x4;
export const SECURITY_SQOS_PRESENT = 0x00100000;
export const SECURITY_ANONYMOUS = 0;
export const SECURITY_IDENTIFICATION = 0x00010000;

/**
 * The access a client asks for when it opens the pipe: only what reading, writing and libuv's set-up
 * (SetNamedPipeHandleState: FILE_WRITE_ATTRIBUTES) take. Never GENERIC_WRITE, which includes
 * FILE_APPEND_DATA = FILE_CREATE_PIPE_INSTANCE and would be refused by the pipe's DACL on Windows.
 */
export const PIPE_CLIENT_ACCESS = FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE;
/**
 * CreateFileW flags of a client end that talks to what answers: the server may identify this
 * process's account, never act as it. Without SECURITY_SQOS_PRESENT Windows lets the server
 * impersonate fully (docs/security.md, "Windows: the pipe").
 */
export const PIPE_CLIENT_IDENTIFY = SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
/** …of a client end that only asks Windows about the pipe (its holder, its DACL): no identity at all. */
export const PIPE_CLIENT_ANONYMOUS = SECURITY_SQOS_PRESENT | SECURITY_ANONYMOUS;

/**
 * Whether a pipe's DACL, as read back, is the one `pipeSddl` made: the same entries in the same
 * order, generic rights mapped (Windows may also drop the P flag when it reads one back).
 */
export function samePipeDacl(readBack: string, wanted: string): boolean {
  const entries = (sddl: string) => parseSddl(sddl).dacl?.aces.map((ace) => `${ace.type};${fileRights(ace.mask)};${ace.sid}`) ?? [];
  const back = entries(readBack);
  const want = entries(wanted);
  return back.length === want.length && back.every((entry, i) => entry === want[i]);
}

/** An account named on the command line: a SID (S-1-5-…, or icacls' *S-1-5-…) as it is, anything else a name to look up. */
type AccountSpec = { kind: 'sid'; sid: string; text: string } | { kind: 'name'; name: string; text: string };

export function parseAccountSpec(text: string): AccountSpec {
  const trimmed = text.trim();
  const bare = trimmed.startsWith('*') ? trimmed.slice(1) : trimmed;
  if (SID_PATTERN.test(bare)) return { kind: 'sid', sid: bare.toUpperCase(), text };
  if (trimmed.length === 0 || /[\u0000-\u001f"/[\]:;|=,+*?<>]/.test(trimmed.replace(/^[^\\]*\\/, ''))) {
    throw new PipeAllowError(`'${text}' is not an account: give a name such as 'NT SERVICE\\NintexGateway' or 'CONTOSO\\svc-gateway', or a SID such as S-1-5-20.`);
  }
  return { kind: 'name', name: trimmed, text };
}
