import path from 'node:path';

/**
 * The Windows install of README's "Install" in one command (`gateway-apikeys install`, elevated):
 * what it does, as pure functions of its inputs so that the task definition and every command are
 * tested on Linux; src/cli/install-command.ts runs them. The executable is a console program, not a
 * service binary (the Service Control Manager would wait for a service that never reports: error
 * 1053), so the daemon runs as a scheduled task: as SYSTEM or the account of --run-as, at start-up, restarted when it fails,
 * without a time limit. The data dir's access list is the daemon's to make at its first start
 * (docs/security.md, "Windows: the data dir"), not the installer's.
 */

export const TASK_NAME = 'gateway-apikeys';
export const EVENT_SOURCE_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\gateway-apikeys';
/**
 * The .NET Framework's message file: one message, "%1", for every event id, so the event log shows
 * each entry's one string whole (what New-EventLog registers). .NET Framework 4 is part of every
 * Windows this runs on; the path is expanded by the event viewer, so it stays REG_EXPAND_SZ.
 */
export const EVENT_MESSAGE_FILE = '%SystemRoot%\\Microsoft.NET\\Framework64\\v4.0.30319\\EventLogMessages.dll';

/** Where the executable is installed: %ProgramFiles%\gateway-apikeys\gateway-apikeys.exe. */
export function installedExecutable(env: Record<string, string | undefined>): string {
  return path.win32.join(env.ProgramFiles ?? 'C:\\Program Files', 'gateway-apikeys', 'gateway-apikeys.exe');
}

/**
 * One argument as the C runtime's and CommandLineToArgvW's parsing gives it back: bare when it
 * has no space, tab or quote; else quoted, with the backslashes before a quote (and at the end)
 * doubled and each quote escaped.
 */
export function quoteWindowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  let quoted = '"';
  let backslashes = 0;
  for (const character of argument) {
    if (character === '\\') {
      backslashes++;
      continue;
    }
    quoted += character === '"' ? `${'\\'.repeat(backslashes * 2 + 1)}"` : `${'\\'.repeat(backslashes)}${character}`;
    backslashes = 0;
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

const xml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export interface InstallOptions {
  /** The installed executable. */
  executable: string;
  /** `serve`'s arguments: --pipe-allow SIDs, and --data-dir / --pipe when not the defaults. */
  serveArguments: readonly string[];
  /** `install --run-as`: the account the task runs `serve` as, resolved; SYSTEM when absent. */
  runAs?: RunAsAccount;
}

/** An account as Windows names it (DOMAIN\name) and its SID. */
export interface RunAsAccount {
  name: string;
  sid: string;
}

/** `--run-as` names an account the task cannot, or should not, run the daemon as: nothing was installed. */
export class RunAsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunAsError';
  }
}

/** The task's principal (Task Scheduler schema 1.2's principalType): who, how Windows logs it on, and at which run level. */
export interface TaskPrincipal {
  userId: string;
  /** Absent for SYSTEM, which Task Scheduler logs on itself. */
  logonType?: 'Password' | 'S4U';
  runLevel: 'HighestAvailable' | 'LeastPrivilege';
}

const SYSTEM_SID = 'S-1-5-18';
const RUN_AS_ALTERNATIVES = "Give a group managed service account (DOMAIN\\name$) or an account made for the daemon (for example .\\gateway-apikeys), or leave --run-as out to run as SYSTEM.";

/**
 * Who the task runs `serve` as (docs/security.md, "Windows: the account"). By default SYSTEM at the
 * highest run level: it needs no account to be made or granted anything, owns and may repair any
 * data dir, and is what the daemon's Windows checks were measured with. With --run-as, the account
 * at the least privilege (a filtered token, no elevation), and no password stored:
 * - a group managed service account (DOMAIN\name$): logon type Password, the form Task Scheduler
 *   documents for them: it fetches the managed password from Active Directory at each start;
 * - any other account of this machine or domain: logon type S4U, no password stored, no network or
 *   EFS access, neither of which the daemon needs.
 * Refused: NT SERVICE\… (Task Scheduler logs on only accounts it can log on by S4U or password, or
 * LocalSystem, LocalService and NetworkService; a service's virtual account exists only in a
 * process the Service Control Manager starts, and the daemon is no service); LOCAL SERVICE and
 * NETWORK SERVICE (shared by many services, each of which could then read the vault: its data dir
 * grants the daemon's account); and groups or other well-known SIDs (not accounts one logs on as).
 */
export function taskPrincipal(runAs?: RunAsAccount): TaskPrincipal {
  if (!runAs || runAs.sid.toUpperCase() === SYSTEM_SID) return { userId: SYSTEM_SID, runLevel: 'HighestAvailable' };
  const sid = runAs.sid.toUpperCase();
  const who = `${runAs.name} (${runAs.sid})`;
  if (sid.startsWith('S-1-5-80-')) {
    throw new RunAsError(`--run-as ${who}: a service's virtual account (NT SERVICE\\…) exists only for a service the Service Control Manager starts, ` +
      `and the daemon runs as a scheduled task, which Task Scheduler cannot log on as one. ${RUN_AS_ALTERNATIVES}`);
  }
  if (sid === 'S-1-5-19' || sid === 'S-1-5-20') {
    throw new RunAsError(`--run-as ${who}: many services run as this account, and each of them could read the vault, whose data dir grants the daemon's account. ${RUN_AS_ALTERNATIVES}`);
  }
  if (!/^S-1-5-21-\d+-\d+-\d+-\d+$/.test(sid)) {
    throw new RunAsError(`--run-as ${who}: not an account of this machine or its domain that a task can log on as (a group, or a well-known SID). ${RUN_AS_ALTERNATIVES}`);
  }
  return { userId: runAs.name, logonType: runAs.name.endsWith('$') ? 'Password' : 'S4U', runLevel: 'LeastPrivilege' };
}

/**
 * The scheduled task (Task Scheduler schema 1.2): SYSTEM (S-1-5-18, so no password is stored) or
 * the account of --run-as at the least privilege (taskPrincipal), at start-up and as soon as possible after a missed start, one instance, no time limit, normal
 * priority (a task's default, 7, is below normal for CPU and I/O), restarted every minute when it fails.
 */
export function taskXml({ executable, serveArguments, runAs }: InstallOptions): string {
  const argumentsLine = ['serve', ...serveArguments].map(quoteWindowsArgument).join(' ');
  const principal = taskPrincipal(runAs);
  const logonType = principal.logonType ? `\n      <LogonType>${principal.logonType}</LogonType>` : '';
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>gateway-apikeys: the API key vault of the integration gateway. Stop it cleanly with 'gateway-apikeys stop'.</Description>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
    </BootTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>${xml(principal.userId)}</UserId>${logonType}
      <RunLevel>${principal.runLevel}</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>4</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xml(executable)}</Command>
      <Arguments>${xml(argumentsLine)}</Arguments>
    </Exec>
  </Actions>
</Task>
`;
}

/** The task definition as schtasks /XML reads it: UTF-16 with its byte order mark. */
export function taskFile(definition: string): Buffer {
  return Buffer.from(`\ufeff${definition}`, 'utf16le');
}

/** A Windows program and its arguments, run without a shell; an optional step may fail (nothing to stop). */
export type Step = { what: string; file: string; args: string[]; optional?: boolean };

/** The system's own tools, by full path: a program named schtasks.exe earlier on PATH must not answer. */
export const systemTool = (env: Record<string, string | undefined>, name: string) =>
  path.win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', name);

/** Registering the event source and the task, then (unless told not to) starting it. */
export function installSteps(env: Record<string, string | undefined>, taskFilePath: string, start: boolean): Step[] {
  const reg = systemTool(env, 'reg.exe');
  const schtasks = systemTool(env, 'schtasks.exe');
  return [
    { what: 'register the event source gateway-apikeys', file: reg, args: ['add', EVENT_SOURCE_KEY, '/v', 'EventMessageFile', '/t', 'REG_EXPAND_SZ', '/d', EVENT_MESSAGE_FILE, '/f'] },
    { what: 'say which event types it writes', file: reg, args: ['add', EVENT_SOURCE_KEY, '/v', 'TypesSupported', '/t', 'REG_DWORD', '/d', '7', '/f'] },
    { what: `register the scheduled task ${TASK_NAME}`, file: schtasks, args: ['/Create', '/TN', TASK_NAME, '/XML', taskFilePath, '/F'] },
    ...(start ? [{ what: `start the scheduled task ${TASK_NAME}`, file: schtasks, args: ['/Run', '/TN', TASK_NAME] }] : []),
  ];
}

/** Undoing install, the data dir and the executable left in place: the task stopped and removed, the event source removed. */
export function uninstallSteps(env: Record<string, string | undefined>): Step[] {
  const schtasks = systemTool(env, 'schtasks.exe');
  return [
    { what: `stop the scheduled task ${TASK_NAME}`, file: schtasks, args: ['/End', '/TN', TASK_NAME], optional: true },
    { what: `remove the scheduled task ${TASK_NAME}`, file: schtasks, args: ['/Delete', '/TN', TASK_NAME, '/F'] },
    { what: 'remove the event source gateway-apikeys', file: systemTool(env, 'reg.exe'), args: ['delete', EVENT_SOURCE_KEY, '/f'] },
  ];
}
