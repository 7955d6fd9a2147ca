import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sea from 'node:sea';
import { resolvePipeAllow } from '../daemon/pipe-access.js';
import { LOCATIONS } from '../generated/locations.js';
import { defaultDataDir } from '../locations.js';
import { pipeHolder } from '../platform/system.js';
import { pipeSddl, SID } from '../platform/windows-security.js';
import { type Invocation, text } from './command.js';
import { UsageError } from './usage-error.js';
import { installedExecutable, installSteps, RunAsError, type Step, TASK_NAME, taskFile, taskPrincipal, taskXml, uninstallSteps } from './windows-install.js';

/**
 * `gateway-apikeys install` and `uninstall` on Windows (README, "Install"): the one command that puts
 * the executable in %ProgramFiles%, registers the event source and the scheduled task that runs
 * `serve` as SYSTEM (or the account of --run-as) at start-up, and starts it. What each step is, and the task's definition, are
 * src/cli/windows-install.ts's pure functions; this file runs them. It decides no access list: the
 * daemon makes its data dir private itself (docs/security.md, "Windows: the data dir").
 */

function refuseOffWindows(command: string): void {
  if (process.platform !== 'win32') {
    throw new UsageError(`'${command}' sets up the Windows scheduled task. On Linux, install the systemd unit build/gateway-apikeys.service (README, "Install").`);
  }
}

/* c8 ignore start -- runs Windows tools: the Windows suite runs it under Wine (test/windows/wine-sea.test.ts) */
function runSteps(steps: Step[], out: (text: string) => void): void {
  for (const step of steps) {
    try {
      execFileSync(step.file, step.args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, encoding: 'utf8' });
      out(`  done: ${step.what}`);
    } catch (error) {
      if (step.optional) continue;
      const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`Could not ${step.what}: ${(stderr || stdout || message).trim()}. Run it from an elevated prompt (Run as administrator).`);
    }
  }
}

async function waitForPipe(pipe: string, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (pipeHolder(pipe)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
/* c8 ignore stop */

/** `install [--pipe-allow ACCOUNT]... [--gateway-account ACCOUNT] [--data-dir DIR] [--pipe PIPE] [--run-as ACCOUNT] [--no-start]` (commands/install.ts). */
export async function install({ flags, io }: Invocation): Promise<number> {
  const out = io.out;
  const values = { 'pipe-allow': flags['pipe-allow'] as string[] | undefined, 'data-dir': text(flags, 'data-dir'), pipe: text(flags, 'pipe'), 'run-as': text(flags, 'run-as'), 'no-start': flags['no-start'] === true,
    'gateway-account': text(flags, 'gateway-account') };
  refuseOffWindows('install');
  /* c8 ignore start -- Windows only: the Windows suite runs it under Wine */
  if (!sea.isSea()) throw new UsageError("'install' puts the single executable in place: run it as gateway-apikeys-win-x64.exe install, from an elevated prompt.");
  // Accounts are checked now, and kept as SIDs: a typo fails here, not at the next boot, and a renamed account keeps its access.
  const allowed = resolvePipeAllow(values['pipe-allow'] ?? []);
  const gateway = values['gateway-account'] ? resolvePipeAllow([values['gateway-account']], undefined, '--gateway-account')[0] : undefined;
  // --run-as is resolved and judged now too, before anything is copied or registered (docs/security.md, "Windows: the account").
  const runAs = values['run-as'] ? resolvePipeAllow([values['run-as']], undefined, '--run-as')[0] : undefined;
  try {
    taskPrincipal(runAs);
  } catch (error) {
    if (error instanceof RunAsError) throw new UsageError(error.message);
    throw error;
  }
  pipeSddl(runAs?.sid ?? SID.system, allowed.map((account) => account.sid)); // refuses Everyone and the like now, too
  const serveArguments = [
    ...allowed.flatMap((account) => ['--pipe-allow', account.sid]),
    ...(gateway ? ['--gateway-account', gateway.sid] : []),
    ...(values['data-dir'] ? ['--data-dir', path.win32.resolve(values['data-dir'])] : []),
    ...(values.pipe ? ['--pipe', values.pipe] : []),
  ];
  const executable = installedExecutable(process.env);
  if (path.win32.resolve(process.execPath).toLowerCase() !== executable.toLowerCase()) {
    fs.mkdirSync(path.win32.dirname(executable), { recursive: true });
    try {
      fs.copyFileSync(process.execPath, executable);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`Could not copy the executable to ${executable} (${code}). ` +
        (code === 'EBUSY' || code === 'EPERM' ? `If the daemon runs from there, stop it first ('${io.invokedAs} stop'); ` : '') +
        'run install from an elevated prompt (Run as administrator).');
    }
  }
  out(`Installing gateway-apikeys as ${executable}:`);
  // The task's definition stays beside the executable: what was registered, for the admin to read or import again.
  const definition = path.win32.join(path.win32.dirname(executable), `${TASK_NAME}.task.xml`);
  fs.writeFileSync(definition, taskFile(taskXml({ executable, serveArguments, runAs })));
  runSteps(installSteps(process.env, definition, !values['no-start']), out);
  // The task's environment is not this shell's: its default data dir is the platform's, whatever GATEWAY_APIKEYS_DATA_DIR says here.
  const dataDir = values['data-dir'] ? path.win32.resolve(values['data-dir']) : defaultDataDir({ ProgramData: process.env.ProgramData }, 'win32');
  const pipe = values.pipe ?? LOCATIONS.pipe.windows;
  const who = allowed.length === 0 ? 'every authenticated local account (protocol 2: none can do anything without a token)'
    : `${allowed.map((account) => `${account.name} (${account.sid})`).join(', ')}, SYSTEM and Administrators`;
  out(`The scheduled task ${TASK_NAME} runs 'serve' as ${runAs ? `${runAs.name}, least privilege,` : 'SYSTEM'} at start-up.\n  data dir:    ${dataDir} (the daemon makes it private at its first start)\n` +
    `  pipe:        ${pipe}, open to ${who}\n  event log:   Application, source gateway-apikeys (warnings and errors)`);
  if (runAs) {
    out(`${runAs.name} must be able to make the data dir, or have full control of it: if it is not there yet, make it empty for it (elevated):\n` +
      `  mkdir "${dataDir}" ; icacls "${dataDir}" /grant *${runAs.sid}:(OI)(CI)F\n  The daemon then makes it private to ${runAs.name}, SYSTEM and Administrators at its first start.`);
  }
  if (values['no-start']) {
    out(`Not started: it starts at the next boot, or now with: schtasks /Run /TN ${TASK_NAME}`);
    return 0;
  }
  if (!(await waitForPipe(pipe, 30_000))) {
    out(`The task was started but nothing serves ${pipe} after 30 s: see the Application event log (source gateway-apikeys) and ${dataDir}\\logs.`);
    return 1;
  }
  out(gateway
    ? `Running. ${gateway.name} reads ${dataDir}\\gateway.token where it is, after every rotation too; admins' tools read admin.token there (run them elevated).`
    : `Running. Give the gateway the content of ${dataDir}\\gateway.token (or install with --gateway-account, so that its account reads it in place); admins' tools read admin.token there (run them elevated).`);
  return 0;
  /* c8 ignore stop */
}

/** `uninstall`: the task and the event source go; the executable and the data dir (the keys) stay. */
export async function uninstall({ io }: Invocation): Promise<number> {
  const out = io.out;
  refuseOffWindows('uninstall');
  /* c8 ignore start -- Windows only: the Windows suite runs it under Wine */
  runSteps(uninstallSteps(process.env), out);
  out(`Uninstalled. Left in place: ${path.win32.dirname(installedExecutable(process.env))} and the data dir with the keys (delete it to destroy them).`);
  return 0;
  /* c8 ignore stop */
}
