import * as system from '../platform/system.js';
import { parseAccountSpec, PipeAllowError, pipeSddl, samePipeDacl, wellKnownName } from '../platform/windows-security.js';

/**
 * Who may open the daemon's Windows named pipe, and who holds its name (docs/security.md,
 * "Windows: the pipe"). The DACL itself is pipeSddl's (a pure function); here the accounts named by
 * `serve --pipe-allow` are resolved to SIDs, the DACL the pipe's instances are made with is chosen
 * and what Windows reads back is checked, and a name already taken is refused naming its process. The Win32 calls come in as `PipeSystem` so tests can give
 * recorded answers.
 */

export interface PipeSystem {
  ownSid(): string;
  lookupAccount(name: string): { sid: string; name: string } | undefined;
  accountNameOf(sid: string): string | undefined;
  pipeHolder(pipe: string): { pid?: number; image?: string } | undefined;
}

export const systemPipe: PipeSystem = {
  ownSid: system.ownSid,
  lookupAccount: system.lookupAccount,
  accountNameOf: system.accountNameOf,
  pipeHolder: system.pipeHolder,
};

export interface Account {
  sid: string;
  name: string;
}

/**
 * The accounts of `--pipe-allow`, by name or SID, as SIDs. A name Windows does not know is refused
 * (a typo would leave the gateway locked out); a SID is taken as given, named when Windows knows it.
 */
export function resolvePipeAllow(texts: readonly string[], windows: Pick<PipeSystem, 'lookupAccount' | 'accountNameOf'> = systemPipe, flag = '--pipe-allow'): Account[] {
  return texts.map((text) => {
    const spec = parseAccountSpec(text);
    if (spec.kind === 'sid') return { sid: spec.sid, name: windows.accountNameOf(spec.sid) ?? wellKnownName(spec.sid) ?? spec.sid };
    const found = windows.lookupAccount(spec.name);
    if (!found) {
      throw new PipeAllowError(`${flag}: Windows knows no account named '${spec.name}'. Give it as DOMAIN\\name (for a service: ` +
        "'NT SERVICE\\<service name>'), or by its SID.");
    }
    return found;
  });
}

/** The process that holds a pipe's name, in words, or what Windows would not say. */
export function describeHolder(holder: { pid?: number; image?: string }): string {
  if (holder.pid === undefined) return 'Windows does not say which process holds it';
  return `it is held by process ${holder.pid}${holder.image ? ` (${holder.image})` : ''}`;
}

/** A Windows pipe name that some process already serves: the daemon must not start beside it. */
export function takenPipe(pipe: string, windows: Pick<PipeSystem, 'pipeHolder'> = systemPipe): string | undefined {
  const holder = windows.pipeHolder(pipe);
  return holder === undefined ? undefined : describeHolder(holder);
}

interface PipeAccess {
  sddl: string;
  /** Who may connect besides SYSTEM, Administrators and the daemon's account: their names. */
  connectors: string[];
}

export class PipeSecurityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipeSecurityError';
  }
}

/**
 * The DACL the pipe's instances are made with (windows.listenPipe): without --pipe-allow, every
 * authenticated local account may connect; with it, only the accounts named (and SYSTEM,
 * Administrators, the daemon's own account). No connector may create an instance.
 */
export function pipeAccess(allow: readonly Account[], windows: Pick<PipeSystem, 'ownSid'> = systemPipe): PipeAccess {
  return {
    sddl: pipeSddl(windows.ownSid(), allow.map((account) => account.sid)),
    connectors: allow.length === 0 ? ['NT AUTHORITY\\Authenticated Users (local logons)'] : allow.map((a) => `${a.name} (${a.sid})`),
  };
}

/** Throws when what Windows reads back of the listening pipe's DACL is not what it was made with. */
export function checkPipeAccess(pipe: string, access: PipeAccess, readBack: string): void {
  if (!samePipeDacl(readBack, access.sddl)) {
    throw new PipeSecurityError(`The access list of ${pipe} did not take: Windows reads back ${readBack || 'nothing'} instead of ${access.sddl}.`);
  }
}
