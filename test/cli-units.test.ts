import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { graceHoursFromText } from '../src/cli/grace.js';
import { ago, describeImpact } from '../src/cli/impact.js';
import { counted } from '../src/cli/output.js';
import { runCommandLine } from '../src/cli/command-line.js';
import { COMMANDS } from '../src/cli/command-table.js';
import { renderCommandHelp, renderUsage, synopsis } from '../src/cli/help-text.js';
import { exportLine, invokedAs, shellQuote } from '../src/cli/shell-text.js';
import { closest } from '../src/cli/suggest.js';
import { storeProblem } from '../src/cli/commands/status.js';

const USAGE = renderUsage(COMMANDS, 'gateway-apikeys');

const impact = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/impact-cases.json'), 'utf8')) as {
  now: string;
  cases: { connectors: number; unattributedCount: number; lastUsedAt: string | null; text: string }[];
};

t.test('the impact a confirmation names, as test/fixtures/impact-cases.json has it (the PowerShell module runs the same table)', async (t) => {
  for (const c of impact.cases) {
    const connectors = Array.from({ length: c.connectors }, (_, i) => ({ connectorId: `c${i}`, firstUsedAt: impact.now, lastUsedAt: impact.now, count: 1 }));
    t.equal(describeImpact({ connectors, unattributedCount: c.unattributedCount }, c.lastUsedAt, Date.parse(impact.now)), c.text, c.text);
  }
  t.equal(ago(0, 90 * 60_000), '1 hour ago');
});

t.test('counts read as sentences: one key, two keys, no entries', async (t) => {
  t.equal(counted(1, 'key'), '1 key');
  t.equal(counted(0, 'key'), '0 keys');
  t.equal(counted(10000, 'key'), '10000 keys');
  t.equal(counted(1, 'entry', 'entries'), '1 entry');
  t.equal(counted(3, 'entry', 'entries'), '3 entries');
});

t.test('--grace: whole hours bare or with h, whole days with d; anything else is no grace (the bounds are the daemon\'s)', async (t) => {
  const cases: [string, number | undefined][] = [['24', 24], ['24h', 24], ['24H', 24], ['0', 0], ['2d', 48], ['7D', 168], ['8d', 192], ['1.5', undefined], ['90m', undefined], ['-1', undefined], ['', undefined]];
  for (const [typed, sent] of cases) t.equal(graceHoursFromText(typed), sent, `'${typed}'`);
});

t.test('the help shows rotation with a grace as the way to change a value without downtime', async (t) => {
  t.match(USAGE, /gateway-apikeys rotate NAME \[--grace HOURS\]/);
  t.match(USAGE, /Changing a key's value without downtime: 'rotate NAME --grace 24h'/);
  for (const command of ['disable NAME [--reason TEXT]', 'enable NAME', 'usage NAME']) t.ok(USAGE.includes(`gateway-apikeys ${command}`), command);
  t.match(USAGE, /STATUS: Active, Expiring, ExpiresSoon, Expired, Disabled \(any case\)/);
});

/** Runs a command line in this process, with nothing behind it: what it prints and its exit code. */
async function commandLine(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommandLine(argv, { out: (x) => out.push(x), err: (x) => err.push(x), stdin: process.stdin, stdoutIsTty: false, invokedAs: 'gwk' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('the help is rendered from the command table: every command and every option, as invoked', async (t) => {
  for (const command of COMMANDS) {
    t.ok(USAGE.includes(synopsis(command, 'gateway-apikeys')), command.name);
    const help = renderCommandHelp(command, 'node dist/cli.js');
    t.ok(help.startsWith(`node dist/cli.js ${command.name}`), `${command.name}: its help starts as invoked`);
    for (const [name, option] of Object.entries(command.options)) t.ok(help.includes(`--${name}`) && help.includes(option.help), `${command.name} --${name}`);
  }
  t.match((await commandLine('help', 'rotate')).out, /^gwk rotate NAME \[--grace HOURS\]\n.*\n\nOptions:\n  --grace HOURS  how long the old value/);
  t.match((await commandLine('rotate', '--help')).out, /^gwk rotate NAME/);
  t.match((await commandLine('help', 'farm', 'status')).out, /^gwk farm status \[--store URL\]/, 'the help of a two-word command, as its errors point to it');
  t.match((await commandLine('farm', 'join', '--help')).out, /^gwk farm join \[--store URL\]/);
  t.match((await commandLine('farm')).err, /'farm' takes one of: init, join, status/);
  const none = await commandLine();
  t.equal(none.code, 2, 'no command: the help, exit 2');
  t.match(none.out, /^gateway-apikeys: the API key vault/);
});

t.test('mistakes of the command line are said in its words, exit 2, and suggest what was meant', async (t) => {
  const cases: [string[], RegExp][] = [
    [['lsit'], /^error: There is no command 'lsit'\. Did you mean 'list'\?\nRun 'gwk --help' for the commands\.$/],
    [['new', 'x y z', '--vaild-for', '6m'], /'new' has no option --vaild-for\. Did you mean --valid-for\?\nRun 'gwk help new' for what 'new' takes\./],
    [['new', 'Orders', '--valid-for', '6 months'], /--valid-for takes a number and d, w, m or y \(90d, 2w, 6m, 1y\), or an ISO 8601 date duration \(P6M\), not '6 months'\. \(ExpiryInvalid, --valid-for\)/],
    [['new', 'Orders', '--valid-for', '6', 'months'], /'months' is left over after --valid-for 6: a value with spaces needs quotes \(--valid-for "6 months"\)/],
    [['new', 'Orders', 'connector'], /'new' takes one NAME, and got 'Orders' and 'connector': a NAME with spaces needs quotes \("Orders connector"\)/],
    [['new'], /'new' needs a NAME: gwk new NAME \[--description TEXT\]/],
    [['new', 'Orders', '--expires-on', 'next year'], /--expires-on takes a date written YYYY-MM-DD, not 'next year'\. \(ExpiryInvalid, --expires-on\)/],
    [['rotate', 'Orders', '--grace', '90m'], /--grace takes whole hours \(24 or 24h\) or whole days \(2d\), from 0 to a week, not '90m'\. \(GraceInvalid, --grace\)/],
    [['backup', '--out', 'x.gwkbak', '--passphrase', 'hunter2'], /A passphrase is never an argument.*Use --passphrase-file FILE or GATEWAY_APIKEYS_BACKUP_PASSPHRASE, or type it when asked\./],
    [['restore', 'x.gwkbak', '--passphrase=hunter2'], /A passphrase is never an argument.*Use --passphrase-file FILE or GATEWAY_APIKEYS_BACKUP_PASSPHRASE/],
    [['list', '--token', 'gwt_x'], /A token is never an argument: use --token-file FILE or GATEWAY_APIKEYS_TOKEN\./],
    [['list', '--status', 'soon'], /--status takes Active, Expiring, ExpiresSoon, Expired or Disabled, not 'soon'\. \(InvalidParams, --status\)/],
    [['list', '--sort-by', 'expiry'], /--sort-by takes name, expiresOn, lastUsedAt, status or createdAt, not 'expiry'\./],
    [['list', '--limit', 'ten'], /--limit takes a whole number, not 'ten'\./],
    [['list', 'Orders'], /'list' takes no NAME or FILE, but got 'Orders'\./],
    [['remove', 'Orders', '--yes=no'], /--yes takes no value/],
    [['new', 'Orders', '--valid-for'], /--valid-for needs a value: --valid-for DURATION \(how long from today/],
    [['audit', '--since', 'last week'], /--since takes a date \(YYYY-MM-DD\) or an RFC 3339 instant/],
    [['serve', '--log-level', 'loud'], /--log-level takes error, warn, info/],
    // Options every client command takes may come before the command; the command still checks its own.
    [['--data-dir', '/nowhere', 'list', '--status', 'soon'], /--status takes Active/],
    [['--json', 'serve', '--time-zone', 'UTC'], /'serve' has no option --json\./],
  ];
  for (const [argv, expected] of cases) {
    const result = await commandLine(...argv);
    t.equal(result.code, 2, argv.join(' '));
    t.match(result.err, expected, argv.join(' '));
    t.notMatch(result.err, /hunter2|gwt_x|positional argument|ERR_PARSE/, 'no secret echoed, nothing of Node\'s parser');
  }
});

t.test('choices match whatever the case, dashes or not: the value sent is the schema\'s', async (t) => {
  const { choice, choices, choicesOf } = await import('../src/cli/option-values.js');
  t.same(choices('expiring, EXPIRESSOON', 'status', choicesOf('apiKey.list', 'status')), ['Expiring', 'ExpiresSoon']);
  t.equal(choice('expires-on', 'sort-by', choicesOf('apiKey.list', 'sortBy')), 'expiresOn');
  t.equal(choice('APIKEY.REVEALED', 'event', choicesOf('audit.list', 'event')), 'apiKey.revealed');
  t.throws(() => choice('Expird', 'status', choicesOf('apiKey.list', 'status')), /Did you mean Expired\?/);
});

t.test('suggestions: the closest known word, when it is close enough to be the one meant', async (t) => {
  t.equal(closest('lsit', ['list', 'get', 'new']), 'list');
  t.equal(closest('vaild-for', ['valid-for', 'expires-on']), 'valid-for');
  t.equal(closest('rotat', ['rotate', 'remove']), 'rotate');
  t.equal(closest('frobnicate', ['list', 'get']), undefined, 'nothing far off');
});

t.test('the next command is shown as the user invoked this one, and pastes into their shell', async (t) => {
  const base = { execPath: '/usr/bin/node', isSea: false, cwd: '/home/me/gateway-apikeys', pathVariable: '/usr/local/bin:/usr/bin', platform: 'linux' as const };
  t.equal(invokedAs({ ...base, script: '/home/me/gateway-apikeys/dist/cli.js' }), 'node dist/cli.js', 'a checkout: node and the script, relative');
  t.equal(invokedAs({ ...base, cwd: '/tmp', script: '/home/me/gateway-apikeys/dist/cli.js' }), 'node /home/me/gateway-apikeys/dist/cli.js', 'from elsewhere: the script in full');
  t.equal(invokedAs({ ...base, script: '/usr/local/bin/gateway-apikeys' }), 'gateway-apikeys', 'installed on the PATH: its name');
  t.equal(invokedAs({ ...base, isSea: true, script: '/opt/gw/gateway-apikeys', execPath: '/opt/gw/gateway-apikeys' }), '/opt/gw/gateway-apikeys', 'a single executable off the PATH: its path');
  t.equal(invokedAs({ ...base, platform: 'win32', isSea: true, script: undefined, execPath: 'C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe', pathVariable: 'C:\\Program Files\\gateway-apikeys;C:\\Windows' }), 'gateway-apikeys');
  t.equal(exportLine('GATEWAY_APIKEYS_DATA_DIR', '/home/me/gw/.data', 'linux'), 'export GATEWAY_APIKEYS_DATA_DIR=/home/me/gw/.data');
  t.equal(exportLine('GATEWAY_APIKEYS_DATA_DIR', "/home/me/it's here", 'linux'), "export GATEWAY_APIKEYS_DATA_DIR='/home/me/it'\\''s here'");
  t.equal(exportLine('GATEWAY_APIKEYS_DATA_DIR', "C:\\Gw's", 'win32'), "$env:GATEWAY_APIKEYS_DATA_DIR = 'C:\\Gw''s'");
  t.equal(shellQuote('plain/path-1.x'), 'plain/path-1.x');
});

t.test('status --health: in step, or stale past --stale-after, its store answering or not (storeProblem)', async (t) => {
  const farmHost = { kind: 'postgres' as const, reachable: true, lastSyncAt: '2026-12-07T12:00:00.000Z', lagSeconds: 60, hosts: 3 };
  t.equal(storeProblem({ kind: 'files', reachable: true, lastSyncAt: null, lagSeconds: 0, hosts: 1 }, 1), undefined, 'a single host');
  t.equal(storeProblem(farmHost, 60), undefined, 'exactly at the threshold: still in step');
  t.match(storeProblem({ ...farmHost, lagSeconds: 60.6 }, 60), /last read the store's changes 61 s ago \(stale after 60 s\)/);
  t.equal(storeProblem({ ...farmHost, reachable: false, lagSeconds: 5 }, 60), undefined,
    'a store that stopped answering a moment ago: not stale, the host serves from memory (every host may lose it at once)');
  t.match(storeProblem({ ...farmHost, reachable: false, lagSeconds: 61 }, 60), /the postgres store does not answer, and this host last read the store's changes 61 s ago/);
});
