import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import {
  EVENT_MESSAGE_FILE, EVENT_SOURCE_KEY, installedExecutable, installSteps, quoteWindowsArgument, RunAsError, taskFile, taskPrincipal, taskXml, uninstallSteps,
} from '../src/cli/windows-install.js';
import { CLI } from './helpers/daemon.js';

// The Windows install of one command (README, "Install"), as pure functions: the task definition
// and each command. test/windows/wine-sea.test.ts runs `install` itself under Wine.
const run = promisify(execFile);

/** How the C runtime splits a command line into arguments (the rules quoteWindowsArgument writes for). */
function splitWindowsArguments(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (!quoted && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let n = 0;
        while (line[i] === '\\') (n++, i++);
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i--;
        }
        continue;
      }
      if (c === '"') quoted = !quoted;
      else arg += c;
    }
    args.push(arg);
  }
  return args;
}

t.test('arguments survive the command line whatever they hold', async (t) => {
  t.equal(quoteWindowsArgument('serve'), 'serve');
  t.equal(quoteWindowsArgument('NT SERVICE\\Nintex Gateway'), '"NT SERVICE\\Nintex Gateway"');
  t.equal(quoteWindowsArgument('C:\\data dir\\'), '"C:\\data dir\\\\"', 'a trailing backslash before the closing quote is doubled');
  t.equal(quoteWindowsArgument(''), '""');
  fc.assert(fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '\\', '"', '\t', 'é', 'S', '-') }), { minLength: 1, maxLength: 5 }),
    (args) => JSON.stringify(splitWindowsArguments(args.map(quoteWindowsArgument).join(' '))) === JSON.stringify(args)), { numRuns: 3000 });
});

t.test('the scheduled task: SYSTEM at start-up, restarted on failure, no time limit, serve with its arguments', async (t) => {
  const xml = taskXml({ executable: 'C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe', serveArguments: ['--pipe-allow', 'S-1-5-80-1-2', '--data-dir', 'D:\\Vault & Co'] });
  t.match(xml, '<UserId>S-1-5-18</UserId>', 'SYSTEM, by SID: no password, any language');
  t.match(xml, /<BootTrigger>\s*<Enabled>true<\/Enabled>/);
  t.match(xml, '<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>', 'no time limit (the default stops a task after 72 hours)');
  t.match(xml, /<RestartOnFailure>\s*<Interval>PT1M<\/Interval>\s*<Count>999<\/Count>/);
  t.match(xml, '<Priority>4</Priority>', 'normal priority, not a task\'s below-normal default');
  t.match(xml, '<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>');
  t.match(xml, '<Command>C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe</Command>');
  t.match(xml, '<Arguments>serve --pipe-allow S-1-5-80-1-2 --data-dir &quot;D:\\Vault &amp; Co&quot;</Arguments>', 'quoted, then escaped for XML');
  const file = taskFile(xml);
  t.same([...file.subarray(0, 2)], [0xff, 0xfe], 'UTF-16 with its byte order mark, as schtasks /XML reads it');
  t.equal(file.subarray(2).toString('utf16le'), xml);
});

t.test('--run-as: a gMSA or an account made for the daemon, at the least privilege and with no password stored; SYSTEM stays the default', async (t) => {
  const executable = 'C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe';
  const principalOf = (xml: string) => /<Principal id="Author">([\s\S]*?)<\/Principal>/.exec(xml)![1]!.trim().split(/\s*\n\s*/);
  t.same(principalOf(taskXml({ executable, serveArguments: [] })), ['<UserId>S-1-5-18</UserId>', '<RunLevel>HighestAvailable</RunLevel>'], 'no --run-as: SYSTEM, as before');
  t.same(principalOf(taskXml({ executable, serveArguments: [], runAs: { name: 'NT AUTHORITY\\SYSTEM', sid: 's-1-5-18' } })),
    ['<UserId>S-1-5-18</UserId>', '<RunLevel>HighestAvailable</RunLevel>'], 'SYSTEM by name: the default');
  const gmsa = taskXml({ executable, serveArguments: [], runAs: { name: 'CONTOSO\\gw-vault$', sid: 'S-1-5-21-1004336348-1177238915-682003330-4121' } });
  t.same(principalOf(gmsa), ['<UserId>CONTOSO\\gw-vault$</UserId>', '<LogonType>Password</LogonType>', '<RunLevel>LeastPrivilege</RunLevel>'],
    'a gMSA: the logon type Task Scheduler fetches its managed password with, nothing stored');
  const local = taskXml({ executable, serveArguments: [], runAs: { name: 'GW01\\gateway-apikeys & co', sid: 'S-1-5-21-1-2-3-1001' } });
  t.same(principalOf(local), ['<UserId>GW01\\gateway-apikeys &amp; co</UserId>', '<LogonType>S4U</LogonType>', '<RunLevel>LeastPrivilege</RunLevel>'],
    'another account: S4U, no password stored; its name escaped for XML');
  t.notMatch(gmsa + local, /HighestAvailable|S-1-5-18/, 'neither SYSTEM nor elevation anywhere');

  const refused = (name: string, sid: string) => {
    try {
      taskPrincipal({ name, sid });
    } catch (error) {
      t.ok(error instanceof RunAsError, name);
      return (error as Error).message;
    }
    return undefined;
  };
  t.match(refused('NT SERVICE\\gateway-apikeys', 'S-1-5-80-1-2-3-4-5'), /NT SERVICE\\gateway-apikeys \(S-1-5-80-1-2-3-4-5\): a service's virtual account .* Task Scheduler cannot log on as one\. Give a group managed service account/);
  t.match(refused('NT AUTHORITY\\LOCAL SERVICE', 'S-1-5-19'), /many services run as this account, and each of them could read the vault/);
  t.match(refused('NT AUTHORITY\\NETWORK SERVICE', 'S-1-5-20'), /many services run as this account/);
  for (const [name, sid] of [['BUILTIN\\Users', 'S-1-5-32-545'], ['Everyone', 'S-1-1-0'], ['NT AUTHORITY\\Authenticated Users', 'S-1-5-11'], ['CONTOSO\\x', 'S-1-5-21-1-2-3']] as const) {
    t.match(refused(name, sid), /not an account of this machine or its domain that a task can log on as/, `${name}: refused`);
  }
  t.throws(() => taskXml({ executable, serveArguments: [], runAs: { name: 'NT SERVICE\\x', sid: 'S-1-5-80-1' } }), RunAsError, 'no task definition for a refused account');
});

t.test('the steps: the event source with .NET\'s message file, the task, then its start; uninstall undoes them and keeps the keys', async (t) => {
  const env = { SystemRoot: 'C:\\Windows', ProgramFiles: 'C:\\Program Files' };
  t.equal(installedExecutable(env), 'C:\\Program Files\\gateway-apikeys\\gateway-apikeys.exe');
  const steps = installSteps(env, 'C:\\Temp\\task.xml', true);
  t.same(steps.map((s) => [s.file, ...s.args]), [
    ['C:\\Windows\\System32\\reg.exe', 'add', EVENT_SOURCE_KEY, '/v', 'EventMessageFile', '/t', 'REG_EXPAND_SZ', '/d', EVENT_MESSAGE_FILE, '/f'],
    ['C:\\Windows\\System32\\reg.exe', 'add', EVENT_SOURCE_KEY, '/v', 'TypesSupported', '/t', 'REG_DWORD', '/d', '7', '/f'],
    ['C:\\Windows\\System32\\schtasks.exe', '/Create', '/TN', 'gateway-apikeys', '/XML', 'C:\\Temp\\task.xml', '/F'],
    ['C:\\Windows\\System32\\schtasks.exe', '/Run', '/TN', 'gateway-apikeys'],
  ], 'the system\'s own tools by full path, never a shell');
  t.equal(installSteps(env, 'x', false).length, 3, '--no-start: registered only');
  t.match(EVENT_MESSAGE_FILE, /^%SystemRoot%\\/, 'expanded by the event viewer: REG_EXPAND_SZ');
  t.same(uninstallSteps(env).map((s) => [s.args[0], s.optional ?? false]), [['/End', true], ['/Delete', false], ['delete', false]]);
});

t.test('install and uninstall are for Windows: elsewhere they say so and change nothing', async (t) => {
  for (const command of ['install', 'uninstall']) {
    const failed = await run(process.execPath, [CLI, command]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    t.equal(failed?.code, 2, command);
    t.match(failed?.stderr, /sets up the Windows scheduled task\. On Linux, install the systemd unit/);
  }
  const extra = await run(process.execPath, [CLI, 'uninstall', 'now']).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.match(extra?.stderr, /'uninstall' takes no NAME or FILE, but got 'now'/);
  const help = await run(process.execPath, [CLI, 'install', '--help']).then((r) => r.stdout, (e: { stdout: string }) => e.stdout);
  t.match(help, /--run-as ACCOUNT\s+run serve as this account, least privilege, not SYSTEM: a gMSA/, 'install --help tells of --run-as');
  const unknown = await run(process.execPath, [CLI, 'install', '--pipe-allow']).then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(unknown?.code, 2, 'a flag without its value');
});
