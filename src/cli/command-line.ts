import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HANDSHAKE_TIMEOUT_MS } from '../client/connect.js';
import { DaemonUnavailableError, GatewayApiKeysError } from '../client/errors.js';
import { GatewayClient } from '../client/gateway-client.js';
import { serverVersion } from '../generated/version.js';
import { readClientToken, resolveLocations } from '../locations.js';
import { type Command, type Flags, type Io, type OptionSpec, SESSION_OPTIONS, text } from './command.js';
import { COMMANDS } from './command-table.js';
import { renderCommandHelp, renderUsage, synopsis } from './help-text.js';
import { wantsColor } from './output.js';
import { exportLine } from './shell-text.js';
import { closest } from './suggest.js';
import { UsageError } from './usage-error.js';

/**
 * The command line, from argv to exit code (docs/architecture.md, "The command line"): finds the
 * command in the table, parses its options, refuses a mistake in the user's words (the option
 * they typed, what it takes, the option they probably meant), runs it, and says what went wrong.
 * Exit codes: 0 done, 1 refused or failed, 2 a mistake in the command line, 3 what verify and
 * audit --verify say (the command's own).
 */
export async function runCommandLine(argv: string[], io: Io): Promise<number> {
  let command: Command | undefined;
  try {
    const { name, args } = splitCommand(argv);
    if (name === '--version' || name === '-v' || name === 'version') {
      io.out(serverVersion);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      // `help farm init`: the command named after `help`, of one word or two, as on a command line.
      const asked = name === 'help' ? splitCommand(args).name : undefined;
      const about = asked !== undefined ? findCommand(asked) : undefined;
      io.out(about ? renderCommandHelp(about, io.invokedAs) : renderUsage(COMMANDS, io.invokedAs));
      return name === undefined ? 2 : 0;
    }
    command = findCommand(name);
    const invocation = parseCommand(command, args, io);
    if (invocation.flags.help === true) {
      io.out(renderCommandHelp(command, io.invokedAs));
      return 0;
    }
    command.check?.(invocation);
    if (!command.session) return await command.run(invocation);
    const client = await openClient(invocation.flags, io);
    try {
      return await command.run(client, invocation);
    } finally {
      void client.close();
    }
  } catch (error) {
    return report(error, command, io);
  }
}

/** The options given before the command that every client command takes (`--data-dir X list`) go after it. */
function splitCommand(argv: string[]): { name: string | undefined; args: string[] } {
  const hoisted: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const match = /^--([\w-]+)(=.*)?$/.exec(argv[i]!);
    const option = match ? SESSION_OPTIONS[match[1]!] : undefined;
    if (!option) break;
    hoisted.push(argv[i]!);
    if (option.type === 'string' && match![2] === undefined && i + 1 < argv.length) hoisted.push(argv[++i]!);
  }
  // A command of two words (`farm init`): the second is part of its name, not an operand.
  const twoWords = `${argv[i]} ${argv[i + 1]}`;
  if (COMMANDS.some((c) => c.name === twoWords)) return { name: twoWords, args: [...argv.slice(i + 2), ...hoisted] };
  return { name: argv[i], args: [...argv.slice(i + 1), ...hoisted] };
}

function findCommand(name: string): Command {
  const found = COMMANDS.find((c) => c.name === name);
  if (found) return found;
  const words = COMMANDS.filter((c) => c.name.startsWith(`${name} `)).map((c) => c.name.slice(name.length + 1));
  if (words.length > 0) throw new UsageError(`'${name}' takes one of: ${words.join(', ')} (${name} ${words[0]} --help says more).`);
  const near = closest(name, COMMANDS.map((c) => c.name));
  throw new UsageError(`There is no command '${name}'.${near ? ` Did you mean '${near}'?` : ''}`);
}

/** What the user may not give as an argument, and where it comes from instead. */
function secretArgument(command: Command, option: string): string | undefined {
  if (/^passphrase$/i.test(option)) {
    const sources = [...('passphrase-file' in command.options ? ['--passphrase-file FILE'] : []), ...(command.passphraseVariable ? [command.passphraseVariable] : [])];
    return `A passphrase is never an argument: other users could read it in the process list, and it would stay in the shell's history. ` +
      (sources.length ? `Use ${sources.join(' or ')}, or type it when asked.` : `'${command.name}' takes none.`);
  }
  if (/^token$/i.test(option)) return 'A token is never an argument: use --token-file FILE or GATEWAY_APIKEYS_TOKEN.';
  if (/^key$/i.test(option)) return 'A key value is never an argument: pipe it in, or type it when asked.';
  return undefined;
}

function parseCommand(command: Command, args: string[], io: Io) {
  const options: Record<string, OptionSpec> = { ...(command.session ? SESSION_OPTIONS : {}), ...command.options, help: { type: 'boolean', short: 'h', help: '' } };
  const { values, positionals, tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) {
      const secret = secretArgument(command, token.name);
      if (secret) throw new UsageError(secret);
      const near = closest(token.name, Object.keys(options).filter((n) => n !== 'help'));
      throw new UsageError(`'${command.name}' has no option ${token.rawName}.${near ? ` Did you mean --${near}?` : ` It takes: ${synopsis(command, io.invokedAs)}`}`);
    }
    if (option.type === 'string' && token.value === undefined) {
      throw new UsageError(`${token.rawName} needs a value: ${token.rawName} ${option.value ?? 'VALUE'} (${option.help}).`);
    }
    if (option.type === 'boolean' && token.inlineValue) throw new UsageError(`${token.rawName} takes no value: give it alone to turn it on.`);
  }
  const flags: Flags = values;
  if (flags.help === true) return { flags, operand: positionals[0], io, color: false };
  const operand = command.operand;
  if (positionals.length > (operand ? 1 : 0)) {
    const extraIndex = tokens.filter((t) => t.kind === 'positional')[operand ? 1 : 0]!.index;
    // An option whose value came as the next argument ends two before: `--valid-for 6 months`.
    const before = tokens.find((t) => t.kind === 'option' && t.value !== undefined && !t.inlineValue && t.index === extraIndex - 2);
    const extra = args[extraIndex]!;
    if (before?.kind === 'option') {
      throw new UsageError(`'${extra}' is left over after ${before.rawName} ${before.value}: a value with spaces needs quotes (${before.rawName} "${before.value} ${extra}").`);
    }
    throw new UsageError(operand
      ? `'${command.name}' takes one ${operand.name}, and got ${positionals.map((p) => `'${p}'`).join(' and ')}: a ${operand.name} with spaces needs quotes ("${positionals.join(' ')}").`
      : `'${command.name}' takes no NAME or FILE, but got '${extra}'.`);
  }
  if (operand?.required && positionals.length === 0) throw new UsageError(`'${command.name}' needs a ${operand.name}: ${synopsis(command, io.invokedAs)}`);
  // Values last: a leftover word says more about a value with spaces than the value's own check does.
  for (const [name, option] of Object.entries(options)) {
    if (option.parse && typeof flags[name] === 'string') flags[name] = option.parse(flags[name], name);
  }
  return { flags, operand: positionals[0], io, color: !flags.json && io.stdoutIsTty && wantsColor() };
}

/**
 * Connects to the running daemon: its pipe and the admin token, from the options, the environment
 * or the defaults. One connection, and no waiting for a daemon that is not there: a command is
 * typed by someone who wants to know at once.
 */
async function openClient(flags: Flags, io: Io): Promise<GatewayClient> {
  const given = { dataDir: text(flags, 'data-dir'), pipe: text(flags, 'pipe') };
  const { dataDir, pipe } = resolveLocations(given);
  let token: string;
  try {
    token = readClientToken(dataDir, text(flags, 'token-file'));
  } catch (error) {
    const elsewhere = given.dataDir === undefined && text(flags, 'token-file') === undefined ? checkoutVault(dataDir) : undefined;
    if (!elsewhere) throw error;
    throw new Error(`${(error as Error).message}\nA vault that 'npm start' made is at ${elsewhere}; for it, run first:\n  ${exportLine('GATEWAY_APIKEYS_DATA_DIR', elsewhere)}`);
  }
  // --timeout bounds every answer; the handshake's never past the daemon's own deadline for it.
  const seconds = flags.timeout as number | undefined;
  const timeouts = seconds === undefined ? {} : { requestTimeoutMs: seconds * 1000, handshakeTimeoutMs: Math.min(seconds * 1000, HANDSHAKE_TIMEOUT_MS) };
  return GatewayClient.connect({ pipe, token, maxConnections: 1, connectTimeoutMs: 0, ...timeouts }).catch((error: unknown) => {
    throw error instanceof DaemonUnavailableError ? new Error(unreachableAdvice(error, io.invokedAs)) : error;
  });
}

/** The vault of this checkout (`npm start` serves ./.data), when there is one and it is not `dataDir`. */
function checkoutVault(dataDir: string): string | undefined {
  const script = process.argv[1];
  const candidates = [path.resolve('.data'), ...(script ? [path.resolve(path.dirname(script), '..', '.data')] : [])];
  return candidates.find((dir) => dir !== path.resolve(dataDir) && fs.existsSync(path.join(dir, 'admin.token')));
}

/** What an admin should do when the daemon's pipe cannot be reached, by the reason the system gave. */
function unreachableAdvice(error: DaemonUnavailableError, invokedAs: string): string {
  if (error.code === 'DaemonAccessDenied') {
    return `Permission denied on ${error.pipe}: run as the daemon's user, or as a member of the group that owns the socket.`;
  }
  return `The gateway-apikeys daemon is not running at ${error.pipe} (${error.reason}). Start it with: ${invokedAs} serve`;
}

/** Says what went wrong on standard error, in the command line's words; the exit code. */
function report(error: unknown, command: Command | undefined, io: Io): number {
  if (error instanceof UsageError) {
    const blame = error.blame ? ` (${error.blame.code}, ${error.blame.option})` : '';
    const help = command ? `'${io.invokedAs} help ${command.name}' for what '${command.name}' takes` : `'${io.invokedAs} --help' for the commands`;
    io.err(`error: ${error.message}${blame}\nRun ${help}.`);
    return 2;
  }
  if (error instanceof GatewayApiKeysError) {
    // The daemon names a params field (graceHours); the user typed an option (--grace).
    const entry = command && Object.entries(command.options).find(([, o]) => o.field !== undefined && o.field === error.field);
    const option = entry ? `--${entry[0]}` : error.field;
    const message = entry ? error.message.replace(new RegExp(`\\b${entry[1].field}\\b`, 'g'), option!) : error.message;
    io.err(`error: ${message} (${error.code}${option ? `, ${option}` : ''})`);
    return 1;
  }
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && /^[A-Z]\w+$/.test(error.code)) {
    io.err(`error: ${error.message} (${error.code})`); // a coded failure of ours, such as DaemonImpostor
    return 1;
  }
  io.err(`error: ${(error as Error).message}`);
  return 1;
}
