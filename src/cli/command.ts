import type { GatewayClient } from '../client/gateway-client.js';
import { seconds } from './option-values.js';

/**
 * What a command of the one executable is (docs/architecture.md, "The command line"): its name,
 * its line of help, its options with their help, whether it talks to the running daemon, and what
 * it runs. The table of them (command-table.ts) is the single source of parsing, usage and errors.
 */

/** One option: how it parses, what the help says of it, and the params field it sets. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once. */
  multiple?: boolean;
  /** The placeholder of its value in the help: DURATION, FILE. */
  value?: string;
  help: string;
  /** The RPC params field it sets: the daemon's messages about that field name this option instead. */
  field?: string;
  /** Turns the typed text into the value sent (or a UsageError), when the command line is parsed: before anything is asked of the daemon. */
  parse?(typed: string, option: string): unknown;
}

/** The options given: a string option's text, or what its `parse` made of it; true for a boolean one. */
export type Flags = Record<string, unknown>;

/** Where a command reads and writes, and how the executable was invoked (for the commands it suggests). */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin: NodeJS.ReadStream;
  stdoutIsTty: boolean;
  /** The executable as the user typed it (`gateway-apikeys`, `node dist/cli.js`): the next command a message suggests starts with it. */
  invokedAs: string;
}

/** A parsed command line, as a command's run gets it. */
export interface Invocation {
  flags: Flags;
  /** The NAME or FILE operand, when the command takes one. */
  operand: string | undefined;
  io: Io;
  /** Whether to colour the output (a terminal, no --json, no NO_COLOR). */
  color: boolean;
}

interface CommandBase {
  name: string;
  group: 'Daemon' | 'Keys' | 'Backups and passphrases' | 'Farm' | 'Windows install';
  /** What it does, in one line of the help. */
  summary: string;
  /** Its operand: a key's NAME or a FILE, required or optional; none when absent. */
  operand?: { name: string; required: boolean };
  options: Record<string, OptionSpec>;
  /** The environment variable a passphrase of this command comes from (never an argument). */
  passphraseVariable?: string;
  /** Refuses a command line before anything is done, beyond what parsing checks. */
  check?(invocation: Invocation): void;
}

/** A thin client command: runs on a session with the daemon, opened with the admin token. */
export interface SessionCommand extends CommandBase {
  session: true;
  run(client: GatewayClient, invocation: Invocation): Promise<number>;
}

/** A command that runs on its own: the daemon itself, and what works offline on a data dir. */
export interface OfflineCommand extends CommandBase {
  session: false;
  run(invocation: Invocation): Promise<number>;
}

export type Command = SessionCommand | OfflineCommand;

/** The options every session command takes. */
export const SESSION_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'machine-readable output' },
  'data-dir': { type: 'string', value: 'DIR', help: "the daemon's data directory, where the pipe and admin.token are (GATEWAY_APIKEYS_DATA_DIR)" },
  pipe: { type: 'string', value: 'PATH', help: "the daemon's pipe, when not the data directory's (GATEWAY_APIKEYS_PIPE)" },
  'token-file': { type: 'string', value: 'FILE', help: 'the admin token, when not the data directory\'s (or GATEWAY_APIKEYS_TOKEN)' },
  timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for each answer of the daemon (60; the handshake\'s 10 at most)', parse: seconds },
};

/** Writes `value` as JSON for --json, else what `human` says. */
export function print(invocation: Invocation, value: unknown, human: () => string): void {
  invocation.io.out(invocation.flags.json ? JSON.stringify(value, null, 2) : human());
}

/** A string option's text, or undefined when not given. */
export function text(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return value === undefined ? undefined : String(value);
}

/** What an option's `parse` made of its text, or undefined when not given. */
export function given<T>(flags: Flags, name: string): T | undefined {
  return flags[name] as T | undefined;
}
