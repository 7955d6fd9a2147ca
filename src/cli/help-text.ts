import { type Command, type OptionSpec, SESSION_OPTIONS } from './command.js';
import { choicesOf } from './option-values.js';

/**
 * The help, rendered from the command table (command-table.ts): what each command takes is said
 * once, where it is parsed. `invokedAs` starts every command line shown, so that it runs as shown.
 */

const GROUP_TITLES: Record<Command['group'], string> = {
  Daemon: 'Daemon',
  Keys: 'Keys (a thin client of the running daemon)',
  'Backups and passphrases': 'Backups and passphrases (backup talks to the daemon; restore and rekey work offline, with no daemon on the data dir)',
  Farm: 'Farm (several gateway hosts sharing one vault through PostgreSQL; docs/farm.md)',
  'Windows install': 'Windows install (elevated; the single executable)',
};

function optionUsage(name: string, option: OptionSpec): string {
  const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : '';
  return `[--${name}${value}]${option.multiple ? '...' : ''}`;
}

/** `<invokedAs> new NAME [--description TEXT] …`: the command's synopsis. */
export function synopsis(command: Command, invokedAs: string): string {
  const operand = command.operand === undefined ? [] : [command.operand.required ? command.operand.name : `[${command.operand.name}]`];
  return [`${invokedAs} ${command.name}`, ...operand, ...Object.entries(command.options).map(([name, option]) => optionUsage(name, option))].join(' ');
}

export function renderUsage(commands: readonly Command[], invokedAs: string): string {
  const lines = ['gateway-apikeys: the API key vault of the integration gateway.'];
  for (const group of Object.keys(GROUP_TITLES) as Command['group'][]) {
    lines.push('', `${GROUP_TITLES[group]}:`);
    for (const command of commands.filter((c) => c.group === group)) lines.push(`  ${synopsis(command, invokedAs)}`, `      ${command.summary}`);
  }
  lines.push(
    '',
    "Changing a key's value without downtime: 'rotate NAME --grace 24h' gives the key a new value at once while",
    "  the old one keeps working for 24 hours; give the new value to each connector 'usage NAME' lists, then let",
    "  the grace run out. A second rotation ends the first one's grace at once.",
    '',
    `Client options (every Keys command, and backup, before or after the command): ${Object.entries(SESSION_OPTIONS).map(([name, o]) => optionUsage(name, o)).join(' ')}`,
    '  DURATION: a number and d, w, m or y (7d, 30d, 60d, 90d, 180d, 1y), or ISO 8601 (P6M). DATE: YYYY-MM-DD.',
    `  STATUS: ${choicesOf('apiKey.list', 'status').join(', ')} (any case). COLUMN: ${choicesOf('apiKey.list', 'sortBy').join(', ')}.`,
    '  HOURS: whole hours from 0 to 168, bare or with h (24, 24h), or whole days with d (2d); 0 ends the old value at once.',
    '  WHEN: YYYY-MM-DD (its first instant in UTC) or an RFC 3339 instant.',
    `  '${invokedAs} help COMMAND' (or COMMAND --help) says what each option of a command does.`,
    '',
    'Environment: GATEWAY_APIKEYS_DATA_DIR, GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN, GATEWAY_APIKEYS_PASSPHRASE, GATEWAY_APIKEYS_NEW_PASSPHRASE,',
    '  GATEWAY_APIKEYS_BACKUP_PASSPHRASE, GATEWAY_APIKEYS_NOW (test aid: start the daemon\'s clock at an RFC 3339 instant).',
    '  Secrets (passphrases, tokens, key values) are never arguments: others could read them in the process list and shell history.',
    '',
    'Exit codes: 0 done; 1 the daemon refused or cannot be reached, or a backup is invalid (BackupInvalid) or its passphrase wrong (PassphraseWrong);',
    '  2 bad command line; 3 verify: the key is not valid, or audit --verify: the trail is broken.',
  );
  return `${lines.join('\n')}\n`;
}

/** `help COMMAND`: its synopsis, what it does, and each option's help. */
export function renderCommandHelp(command: Command, invokedAs: string): string {
  const options = Object.entries(command.options).map(([name, o]) => [`--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}${o.short ? `, -${o.short}` : ''}`, o.help]);
  const width = Math.max(0, ...options.map(([left]) => left!.length));
  return [
    synopsis(command, invokedAs),
    `  ${command.summary}`,
    ...(options.length ? ['', 'Options:', ...options.map(([left, help]) => `  ${left!.padEnd(width)}  ${help}`)] : []),
    ...(command.session ? ['', `Client options: ${Object.keys(SESSION_OPTIONS).map((n) => `--${n}`).join(', ')} ('${invokedAs} help' says what they do).`] : []),
  ].join('\n') + '\n';
}
