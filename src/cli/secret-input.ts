import fs from 'node:fs';
import { promptHidden } from './prompt.js';
import { UsageError } from './usage-error.js';

/**
 * A passphrase for an offline command or a backup (docs/security.md): from a file when one is
 * named, else its environment variable, else typed at a prompt that does not echo, never from an
 * argument. `confirm` asks twice for a new one. Undefined when there is neither a variable nor a
 * terminal and `required` is false.
 */
export async function readPassphrase(options: {
  /** A file holding it (--passphrase-file): first choice when given. */
  file?: string;
  variable: string;
  prompt: string;
  confirm?: boolean;
  required: boolean;
  env?: Record<string, string | undefined>;
  stdin?: NodeJS.ReadStream;
}): Promise<Buffer | undefined> {
  if (options.file !== undefined) return passphraseFromFile(options.file);
  const env = options.env ?? process.env;
  const stdin = options.stdin ?? process.stdin;
  const fromEnv = env[options.variable];
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  if (!stdin.isTTY) {
    if (!options.required) return undefined;
    throw new UsageError(`No passphrase: set ${options.variable}, or run this on a terminal to type it. A passphrase is never taken as an argument.`);
  }
  const typed = await promptHidden(options.prompt, stdin);
  if (options.confirm && (await promptHidden('Again, to be sure: ', stdin)) !== typed) throw new UsageError('The two passphrases differ; nothing was changed.');
  if (typed.length === 0) throw new UsageError('An empty passphrase protects nothing; nothing was changed.');
  return Buffer.from(typed, 'utf8');
}

/** A passphrase kept in a file (its one line, without the line break), for services and scripts. */
export function passphraseFromFile(file: string): Buffer {
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').replace(/\r?\n$/, ''), 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the passphrase file ${file} (${(error as NodeJS.ErrnoException).code}).`);
  }
}

/**
 * The passphrase that seals a vault's master.key, for a command that never prompts (serve, restore):
 * from `file` when one is named, else GATEWAY_APIKEYS_PASSPHRASE; undefined for a key-file vault.
 */
export function vaultPassphrase(file?: string): Buffer | undefined {
  if (file !== undefined) return passphraseFromFile(file);
  const fromEnv = process.env.GATEWAY_APIKEYS_PASSPHRASE;
  return fromEnv ? Buffer.from(fromEnv, 'utf8') : undefined;
}
