import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { openSession } from '../client/connect.js';
import type { ApiKeyInfo, ApiKeyListParams, AuditEvent, AuditListParams, RpcMethods, Status } from '../generated/schemas.js';
import { readClientToken, resolveLocations } from '../locations.js';
import { PipeUnreachableError, type RpcClient } from '../rpc/client.js';
import { validForFromText } from '../vault/validity-text.js';
import { graceHoursFromText } from './grace.js';
import { describeImpact } from './impact.js';
import { counted, keyDetails, keyTable, paint, table, usageTable, wantsColor, when } from './output.js';
import { promptHidden, readAll } from './prompt.js';
import { backupCommand } from './backup-command.js';
import { stopCommand } from './stop-command.js';
import { UsageError } from './usage.js';

const COMMON = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  pipe: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

const EXPIRY = { description: { type: 'string' }, 'expires-on': { type: 'string' }, 'valid-for': { type: 'string' } } as const;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin: NodeJS.ReadStream;
  stdoutIsTty: boolean;
}

type Flags = Record<string, string | boolean | undefined>;

function expiryParams(flags: Flags): { expiresOn?: string; validFor?: string } {
  return {
    ...(flags['expires-on'] !== undefined && { expiresOn: String(flags['expires-on']) }),
    ...(flags['valid-for'] !== undefined && { validFor: validForFromText(String(flags['valid-for'])) }),
  };
}

function integer(flags: Flags, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(String(value))) throw new UsageError(`--${name} takes a whole number, not '${String(value)}'.`);
  return Number(value);
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: io.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export interface Command {
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  /** How many positionals it takes: none, exactly one, or at most one. */
  positional: 'none' | 'one' | 'optional';
  /** Refuses a command line before anything is sent (beyond what parsing checks). */
  check?(flags: Flags, name: string | undefined): void;
  run(client: RpcClient<RpcMethods>, flags: Flags, name: string | undefined, io: Io, color: boolean): Promise<number>;
}

const print = (io: Io, flags: Flags, value: unknown, human: () => string) => io.out(flags.json ? JSON.stringify(value, null, 2) : human());

/** What removing, disabling or rotating the key will break, in the words of its confirmation ("used by 3 connectors, last 2 hours ago"). */
async function impactOf(client: RpcClient<RpcMethods>, name: string): Promise<string> {
  const [usage, key] = await Promise.all([client.request('apiKey.usage', { name }), client.request('apiKey.get', { name })]);
  return describeImpact(usage, key.lastUsedAt, Date.now());
}

export const CLIENT_COMMANDS: Record<string, Command> = {
  list: {
    options: {
      name: { type: 'string' }, status: { type: 'string' }, 'sort-by': { type: 'string' }, descending: { type: 'boolean' },
      'as-of': { type: 'string' }, offset: { type: 'string' }, limit: { type: 'string' },
    },
    positional: 'none',
    async run(client, flags, _name, io, color) {
      const params: ApiKeyListParams = {
        ...(flags.name !== undefined && { name: String(flags.name) }),
        ...(flags.status !== undefined && { status: String(flags.status).split(',').map((s) => s.trim()) as Status[] }),
        ...(flags['sort-by'] !== undefined && { sortBy: String(flags['sort-by']) as ApiKeyListParams['sortBy'] }),
        ...(flags.descending && { descending: true }),
        ...(flags['as-of'] !== undefined && { asOf: String(flags['as-of']) }),
        ...(integer(flags, 'offset') !== undefined && { offset: integer(flags, 'offset') }),
        ...(integer(flags, 'limit') !== undefined && { limit: integer(flags, 'limit') }),
      };
      const result = await client.request('apiKey.list', params);
      print(io, flags, result, () =>
        result.total === 0 ? 'No API keys match.' : `${keyTable(result.items, color)}\n${result.items.length} of ${result.total} keys`);
      return 0;
    },
  },
  get: {
    options: {},
    positional: 'one',
    async run(client, flags, name, io, color) {
      const key = await client.request('apiKey.get', { name: name! });
      print(io, flags, key, () => keyDetails(key, color));
      return 0;
    },
  },
  new: {
    options: EXPIRY,
    positional: 'one',
    async run(client, flags, name, io, color) {
      const created = await client.request('apiKey.create', {
        name: name!, ...(flags.description !== undefined && { description: String(flags.description) }), ...expiryParams(flags),
      });
      print(io, flags, created, () =>
        `Created API key '${created.name}', expires ${created.expiresOn} (${paint(created.status, created.color, color)}).\n` +
        `Key: ${created.key}\nGive it to the connector now; 'gateway-apikeys reveal ${JSON.stringify(created.name)}' shows it again.`);
      return 0;
    },
  },
  set: {
    options: { ...EXPIRY, 'new-name': { type: 'string' } },
    positional: 'one',
    async run(client, flags, name, io, color) {
      const updated = await client.request('apiKey.update', {
        name: name!,
        ...(flags['new-name'] !== undefined && { newName: String(flags['new-name']) }),
        ...(flags.description !== undefined && { description: String(flags.description) }),
        ...expiryParams(flags),
      });
      print(io, flags, updated, () => keyDetails(updated, color));
      return 0;
    },
  },
  reveal: {
    options: {},
    positional: 'one',
    async run(client, flags, name, io) {
      const shown = await client.request('apiKey.reveal', { name: name! });
      print(io, flags, shown, () => [`Name:        ${shown.name}`, `Description: ${shown.description}`, `Expires:     ${shown.expiresOn}`, `Key:         ${shown.key}`].join('\n'));
      return 0;
    },
  },
  remove: {
    options: { yes: { type: 'boolean', short: 'y' } },
    positional: 'one',
    async run(client, flags, name, io) {
      if (!flags.yes) {
        if (!io.stdin.isTTY) throw new UsageError('Deleting a key cannot be undone: add --yes to delete without a prompt.');
        const impact = await impactOf(client, name!);
        if (!(await confirm(io, `Delete API key '${name}' (${impact})? Connectors using it will fail; this cannot be undone. [y/N] `))) {
          io.err('Nothing was deleted.');
          return 1;
        }
      }
      const result = await client.request('apiKey.delete', { name: name! });
      print(io, flags, result, () => `Deleted API key '${name}'.`);
      return 0;
    },
  },
  rotate: {
    options: { grace: { type: 'string' } },
    positional: 'one',
    async run(client, flags, name, io, color) {
      // A --grace the grammar does not know goes as it is: the daemon refuses it with GraceInvalid.
      const params = { name: name!, ...(flags.grace !== undefined && { graceHours: graceHoursFromText(String(flags.grace)) as number }) };
      const rotated = await client.request('apiKey.rotate', params);
      if (flags.json) {
        io.out(JSON.stringify(rotated, null, 2));
        return 0;
      }
      const impact = await impactOf(client, rotated.name);
      const previous = rotated.previousValidUntil === rotated.rotatedAt
        ? 'The previous value stopped working now.'
        : `The previous value keeps working until ${when(rotated.previousValidUntil)}.`;
      io.out(`Gave API key '${rotated.name}' a new value (${paint(rotated.status, rotated.color, color)}, expires ${rotated.expiresOn}). ${previous}\n` +
        `Key: ${rotated.key}\n` +
        `Give it to every connector that uses this key (${impact}); 'gateway-apikeys usage ${JSON.stringify(rotated.name)}' lists them.`);
      return 0;
    },
  },
  disable: {
    options: { reason: { type: 'string' } },
    positional: 'one',
    async run(client, flags, name, io) {
      const disabled = await client.request('apiKey.disable', { name: name!, ...(flags.reason !== undefined && { reason: String(flags.reason) }) });
      if (flags.json) {
        io.out(JSON.stringify(disabled, null, 2));
        return 0;
      }
      const impact = await impactOf(client, disabled.name);
      io.out(`Disabled API key '${disabled.name}' (${impact}): its value fails authentication from now on, and is kept. ` +
        `'gateway-apikeys enable ${JSON.stringify(disabled.name)}' undoes it.`);
      return 0;
    },
  },
  enable: {
    options: {},
    positional: 'one',
    async run(client, flags, name, io, color) {
      const enabled = await client.request('apiKey.enable', { name: name! });
      print(io, flags, enabled, () => `Enabled API key '${enabled.name}': ${paint(enabled.status, enabled.color, color)}, expires ${enabled.expiresOn}.`);
      return 0;
    },
  },
  usage: {
    options: {},
    positional: 'one',
    async run(client, flags, name, io) {
      const usage = await client.request('apiKey.usage', { name: name! });
      print(io, flags, usage, () => usageTable(usage));
      return 0;
    },
  },
  verify: {
    options: {},
    positional: 'optional',
    check(_flags, key) {
      if (key !== undefined && key !== '-') {
        throw new UsageError('A key on the command line can be read by every user of this machine (ps, /proc) and stays in shell history. ' +
          "Pipe it in (... | gateway-apikeys verify) or type it at the prompt (gateway-apikeys verify).");
      }
    },
    async run(client, flags, _key, io) {
      const presented = io.stdin.isTTY ? await promptHidden('API key (not shown): ', io.stdin) : await readAll(io.stdin);
      const result = await client.request('apiKey.verify', { key: presented });
      print(io, flags, result, () =>
        result.authenticated ? `Valid: API key '${result.name}', expires ${result.expiresOn} (${result.status}).` : `Not valid: ${result.reason}.`);
      return result.authenticated ? 0 : 3;
    },
  },
  stop: stopCommand,
  backup: backupCommand,
  status: {
    options: {},
    positional: 'none',
    async run(client, flags, _name, io) {
      const status = await client.request('daemon.status', {});
      const { keys } = status;
      print(io, flags, status, () =>
        `gateway-apikeys ${status.serverVersion}, up ${status.uptimeSeconds} s\n` +
        table(['KEYS', 'ACTIVE', 'EXPIRING', 'EXPIRES SOON', 'EXPIRED', 'DISABLED'],
          [[keys.total, keys.Active, keys.Expiring, keys.ExpiresSoon, keys.Expired, keys.Disabled].map(String)]));
      return 0;
    },
  },
  audit: {
    options: {
      since: { type: 'string' }, until: { type: 'string' }, 'key-name': { type: 'string' }, event: { type: 'string' },
      limit: { type: 'string' }, verify: { type: 'boolean' },
    },
    positional: 'none',
    async run(client, flags, _name, io) {
      if (flags.verify) {
        const check = await client.request('audit.verify', {});
        print(io, flags, check, () => check.intact
          ? `The audit trail is intact: ${counted(check.entries, 'entry', 'entries')}, each linked to the one before.`
          : `The audit trail is broken at entry ${check.brokenAt}: ${check.reason}`);
        return check.intact ? 0 : 3;
      }
      const params: AuditListParams = {
        ...(flags.since !== undefined && { since: instant(String(flags.since), 'since') }),
        ...(flags.until !== undefined && { until: instant(String(flags.until), 'until') }),
        ...(flags['key-name'] !== undefined && { keyName: String(flags['key-name']) }),
        ...(flags.event !== undefined && { event: String(flags.event) as AuditEvent }),
        ...(integer(flags, 'limit') !== undefined && { limit: integer(flags, 'limit') }),
      };
      const result = await client.request('audit.list', params);
      print(io, flags, result, () => result.total === 0 ? 'No audit entries match.' : `${table(['SEQ', 'AT', 'EVENT', 'ROLE', 'KEY', 'DETAIL'],
        result.items.map((e) => [String(e.seq), e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.event, e.role ?? '-', e.keyName ?? '-',
          Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : '']))}\n${result.items.length} of ${result.total} entries`);
      return 0;
    },
  },
};

/** An instant for --since/--until: RFC 3339, or a date meaning its first instant in UTC. */
function instant(text: string, flag: string): string {
  if (/^\d{4}-\d\d-\d\d$/.test(text)) return `${text}T00:00:00Z`;
  if (Number.isNaN(Date.parse(text)) || !/T/.test(text)) throw new UsageError(`--${flag} takes a date (YYYY-MM-DD) or an RFC 3339 instant, not '${text}'.`);
  return text;
}

/** Runs one client command against the daemon: connect, hello with the admin token, call, print. */
export async function runClientCommand(command: string, args: string[], io: Io): Promise<number> {
  const spec = CLIENT_COMMANDS[command]!;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...spec.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: flags, positionals } = parsed;
  const wanted = spec.positional === 'none' ? 0 : 1;
  if (positionals.length > wanted || (spec.positional === 'one' && positionals.length === 0)) {
    throw new UsageError(spec.positional === 'none' ? `'${command}' takes no NAME.` : `'${command}' takes one NAME (quote it if it has spaces).`);
  }
  spec.check?.(flags as Flags, positionals[0]);
  const { dataDir, pipe } = resolveLocations({ dataDir: flags['data-dir'] as string | undefined, pipe: flags.pipe as string | undefined });
  const token = readClientToken(dataDir, flags['token-file'] as string | undefined);
  const { client } = await openSession({ pipe, token }).catch((error: unknown) => {
    throw error instanceof PipeUnreachableError ? new Error(unreachableAdvice(error)) : error;
  });
  try {
    return await spec.run(client, flags as Flags, positionals[0], io, !flags.json && io.stdoutIsTty && wantsColor());
  } finally {
    client.close();
  }
}

/** What an admin should do when the daemon's pipe cannot be reached, by the reason the system gave. */
function unreachableAdvice(error: PipeUnreachableError): string {
  if (error.reason === 'EACCES' || error.reason === 'EPERM') {
    return `Permission denied on ${error.pipe}: run as the daemon's user, or as a member of the group that owns the socket.`;
  }
  return `The gateway-apikeys daemon is not running at ${error.pipe} (${error.reason}). Start it with: gateway-apikeys serve`;
}

export type { ApiKeyInfo };
