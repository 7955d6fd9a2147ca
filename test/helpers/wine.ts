import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { ensureBaseBinary, WINE_NODE_VERSION } from '../../build/base-node.mjs';
import { addonFiles } from '../../build/native-addons-plugin.mjs';
import { bundle } from '../../build/package.mjs';
import { ROOT } from './daemon.js';
import { skipWhenMissing } from './skip.js';

/**
 * The Windows suite's harness (docs/architecture.md, "The Windows suite"): Windows processes under
 * Debian's Wine, in a prefix of this repository's own (.tools/wine/prefix, made on first use), on
 * node.exe 22 (the newest that starts there; build/base-node.mjs pins it), running the very bundle
 * that goes into the .exe. What Wine needs, measured: stdout and stderr must be files (a pipe makes
 * node.exe's first console.log fail with EBADF); a new prefix must say Windows 10 or node.exe
 * refuses to start; SIGINT to node.exe's Linux pid is Ctrl+C; a Linux process cannot open a Wine
 * named pipe, so every client runs inside Wine too. Every Wine process runs under umask 077 (withUmask):
 * Wine makes files with the Unix mode of that umask and derives their access lists from the mode,
 * so what the daemon makes is private to it as under the protected DACL Windows gives it, and the
 * daemon's refusal of a data dir others may read runs on what Wine reports (test/fixtures/wine-sddl.json).
 */

export const WINE_DIR = path.join(ROOT, '.tools', 'wine');
const PREFIX = path.join(WINE_DIR, 'prefix');
// Named for the umask: a prefix made under another (readable by others, so every directory made in it would be) is made again.
const READY = path.join(PREFIX, '.gateway-apikeys-ready-umask077');

/** Why the suite cannot run here, or undefined when Wine is there. */
export function wineMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the Windows suite runs Wine on linux-x64 (this is ${process.platform}-${process.arch})`;
  const probe = spawnSync('wine', ['--version'], { encoding: 'utf8', env: { ...env, WINEDEBUG: '-all' } });
  if (probe.error) return `Wine is not installed (${(probe.error as NodeJS.ErrnoException).code}): apt-get install wine64, or run .ci/run, which installs it`;
  if (probe.status !== 0) return `'wine --version' failed: ${probe.stderr.trim()}`;
  return undefined;
}

/**
 * Skips a Windows test file with the reason printed, or fails it when CI is set: CI installs Wine
 * (.ci/run), so a missing Wine there is a broken set-up, not a reason.
 */
export function skipWithoutWine(t: Test): string | false {
  return skipWhenMissing(t, 'The Windows suite', wineMissing());
}

/** A Unix path as Wine's Windows processes see it (Z: is /). */
export const winPath = (unix: string) => `Z:${path.resolve(unix).replaceAll('/', '\\')}`;

/** A Windows path of drive C: of the prefix, as a Unix path. */
export const drivePath = (windows: string) => path.join(PREFIX, 'drive_c', ...windows.replace(/^C:\\/i, '').split('\\'));

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // Only what Wine needs: not NODE_OPTIONS and the like of the test runner, which node.exe would try to load.
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR'];
  const env: NodeJS.ProcessEnv = { LANG: 'C.UTF-8', WINEPREFIX: PREFIX, WINEDEBUG: '-all' };
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** `command args` run by sh under `umask` (077 unless told), exec'd: one pid throughout. */
const withUmask = (command: string, args: string[], umask = '077') => ['sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', command, ...args]] as const;

function runQuiet(args: string[], env: NodeJS.ProcessEnv, log: string): void {
  const fd = fs.openSync(log, 'a');
  try {
    const result = spawnSync(...withUmask('wine', args), { env, stdio: ['ignore', fd, fd], timeout: 120_000 });
    if (result.status !== 0) throw new Error(`wine ${args.join(' ')} failed (${result.status ?? result.signal}): see ${log}`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The prefix, made once: wineboot without Mono and Gecko (nothing here needs them), then Windows 10
 * (node.exe 22 refuses Wine's default Windows 7) and no crash dialog waiting for a click. Test
 * files that run at the same time wait for the one that makes it.
 */
async function ensurePrefix(say: (line: string) => void): Promise<void> {
  const lock = `${PREFIX}.lock`;
  fs.mkdirSync(WINE_DIR, { recursive: true });
  for (const started = Date.now(); !fs.existsSync(READY);) {
    try {
      fs.mkdirSync(lock);
    } catch {
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 300_000) throw new Error(`Waited 5 minutes for another test file to make ${PREFIX}.`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (fs.existsSync(READY)) break;
      const startedAt = Date.now();
      fs.rmSync(PREFIX, { recursive: true, force: true });
      const log = path.join(WINE_DIR, 'prefix-setup.log');
      runQuiet(['wineboot', '-i'], baseEnv({ WINEDLLOVERRIDES: 'mscoree,mshtml=' }), log);
      runQuiet(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], baseEnv(), log);
      runQuiet(['reg', 'add', 'HKCU\\Software\\Wine\\WineDbg', '/v', 'ShowCrashDialog', '/t', 'REG_DWORD', '/d', '0', '/f'], baseEnv(), log);
      spawnSync(...withUmask('wineserver', ['-w']), { env: baseEnv(), stdio: 'ignore', timeout: 60_000 }); // the registry is on disk once it exits
      fs.writeFileSync(READY, `${new Date().toISOString()}\n`);
      say(`made the Wine prefix ${path.relative(ROOT, PREFIX)} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** A Windows process under Wine, its stdout and stderr in files. */
export interface WineProcess {
  child: ChildProcess;
  /** node.exe's own Linux pid (wine execs it): SIGINT there is Ctrl+C, SIGKILL a crash. */
  pid: number;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

export interface WineRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface WineOptions {
  env?: Record<string, string | undefined>;
  /** Kill after this long (a test that hangs must not hang the suite); default 120 s, for a program under Wine on a loaded machine. */
  timeoutMs?: number;
  /** The process's umask, 077 unless told: under 022 what Wine makes without an explicit descriptor, Everyone may read. */
  umask?: '077' | '022';
}

export interface WineHarness {
  nodeExe: string;
  /** Where this run's files go (outputs, bundles): under the prefix's Z: like everything else. */
  runDir: string;
  /** Starts `exe args` under Wine. */
  start(exe: string, args: string[], options?: WineOptions): WineProcess;
  /** Runs `exe args` under Wine to its end. */
  run(exe: string, args: string[], options?: WineOptions): Promise<WineRunResult>;
  /** Waits until `test` of the process's stdout holds, or it exits (then throws with its output). */
  waitFor(process: WineProcess, test: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
}

let outputs = 0;

/** Readies Wine, its prefix and node.exe 22 (each once, then cached in .tools/), and a run directory removed at teardown. */
export async function wineHarness(t: Test, say: (line: string) => void = (line) => t.comment(line)): Promise<WineHarness> {
  const started = Date.now();
  await ensurePrefix(say);
  const nodeExe = ensureBaseBinary('win-x64', WINE_NODE_VERSION);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-wine-'));
  const running = new Set<WineProcess>();
  t.teardown(async () => {
    for (const process of running) process.child.kill('SIGKILL');
    await Promise.all([...running].map((process) => process.exited));
    fs.rmSync(runDir, { recursive: true, force: true });
  });
  say(`Wine ready in ${((Date.now() - started) / 1000).toFixed(1)} s: node.exe ${WINE_NODE_VERSION}, prefix ${path.relative(ROOT, PREFIX)}`);

  const start = (exe: string, args: string[], options: WineOptions = {}): WineProcess => {
    const base = path.join(runDir, `out-${++outputs}`);
    const out = fs.openSync(`${base}.stdout`, 'w');
    const err = fs.openSync(`${base}.stderr`, 'w');
    // tap adds its loader to NODE_OPTIONS of every child it sees spawned; env(1) takes it out again, for
    // node.exe would try to load that Linux path. sh execs env, which execs wine, which execs the program: one pid throughout.
    const child = spawn(...withUmask('env', ['-u', 'NODE_OPTIONS', 'wine', exe, ...args], options.umask), { env: baseEnv(options.env), stdio: ['ignore', out, err] });
    fs.closeSync(out);
    fs.closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(process);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null));
    }));
    const read = (file: string) => () => fs.readFileSync(file, 'utf8').replace(/^.*FS volume label and serial are not available\.\n/gm, '');
    const process: WineProcess = { child, pid: child.pid!, exited, stdout: read(`${base}.stdout`), stderr: read(`${base}.stderr`) };
    running.add(process);
    return process;
  };

  return {
    nodeExe,
    runDir,
    start,
    async run(exe, args, options) {
      const begun = performance.now();
      const process = start(exe, args, options);
      const code = await process.exited;
      return { code, stdout: process.stdout(), stderr: process.stderr(), ms: Math.round(performance.now() - begun) };
    },
    async waitFor(process, test, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void process.exited.then(() => { done = true; });
      while (!test(process.stdout())) {
        if (done) throw new Error(`the process exited (${await process.exited}) before it was ready:\n${process.stdout()}\n${process.stderr()}`);
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms:\n${process.stdout()}\n${process.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/**
 * The bundle of the executable (build/package.mjs's own esbuild output) and the suite's driver,
 * with the win32-x64 addons of sodium-native and koffi beside them, as the bundle loads them
 * when it does not run as a single executable.
 */
export async function buildWindowsBundle(dir: string): Promise<{ cli: string; driver: string; hash: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const cli = path.join(dir, 'gateway-apikeys.cjs');
  const driver = path.join(dir, 'driver.cjs');
  await bundle(cli);
  await bundle(driver, path.join(ROOT, 'test', 'helpers', 'wine-driver.ts'), ['koffi']);
  for (const [name, file] of Object.entries(addonFiles(ROOT, 'win-x64'))) fs.copyFileSync(file, path.join(dir, name));
  const hash = crypto.createHash('sha256').update(fs.readFileSync(cli)).digest('hex').slice(0, 16);
  return { cli, driver, hash };
}

/** What the driver (test/helpers/wine-driver.ts) answers: JSON of many shapes, which each test says what it must hold. */
export type DriverAnswer = Record<string, any>;

/** The driver's answer: the last line of its output, as JSON. */
export function driverAnswer(stdout: string): DriverAnswer {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as DriverAnswer;
}

/** A suite that runs the CLI's bundle and the driver under Wine: the harness, both files as Windows paths, and the driver to call. */
export interface WineSuite {
  wine: WineHarness;
  cli: string;
  driverFile: string;
  /** Runs the driver with `args`; throws with its output unless it answers ok. `ms`: how long it ran. */
  driver(...args: string[]): Promise<DriverAnswer>;
}

/** Readies Wine (wineHarness) and builds the bundle into its run directory, saying how long the bundle took. */
export async function wineSuite(t: Test): Promise<WineSuite> {
  const wine = await wineHarness(t);
  const started = performance.now();
  const built = await buildWindowsBundle(path.join(wine.runDir, 'bundle'));
  t.comment(`bundled src/cli.ts (the .exe's bundle) and the driver in ${Math.round(performance.now() - started)} ms`);
  const driverFile = winPath(built.driver);
  return {
    wine, cli: winPath(built.cli), driverFile,
    async driver(...args) {
      const result = await wine.run(wine.nodeExe, [driverFile, ...args]);
      const answer = driverAnswer(result.stdout);
      if (!answer.ok) throw new Error(`driver ${args[0]} failed: ${answer.error}\n${answer.stack}\n${result.stderr}`);
      return { ...answer, ms: result.ms };
    },
  };
}
