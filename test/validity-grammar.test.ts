import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { validForFromText } from '../src/cli/validity-text.js';
import { CLI, callError, ROOT, startDaemon } from './helpers/daemon.js';

const run = promisify(execFile);

/**
 * One validity grammar (docs/architecture.md): each text of test/fixtures/validity-cases.json goes
 * through the command line and through the daemon, and both must accept it with the table's expiry
 * or refuse it with the table's code. The PowerShell module runs the same table in
 * powershell/tests/New-GatewayApiKey.Tests.ps1.
 */
interface Case {
  text: string;
  sends?: string;
  expiresOn?: string;
  refused?: string;
}
const table = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/validity-cases.json'), 'utf8')) as { today: string; cases: Case[] };

t.test('the CLI and the daemon accept and refuse the same validities', async (t) => {
  const daemon = await startDaemon(t, { now: `${table.today}T12:00:00Z` });
  const admin = await daemon.client('admin');
  const env = { ...process.env, GATEWAY_APIKEYS_TOKEN: daemon.adminToken() };
  let n = 0;
  for (const c of table.cases) {
    n++;
    const viaCli = await run(process.execPath, [CLI, 'new', `cli-${n}`, `--valid-for=${c.text}`, '--json', '--pipe', daemon.pipe], { env }).then(
      ({ stdout }) => ({ expiresOn: (JSON.parse(stdout) as { expiresOn: string }).expiresOn }),
      (error: { code: number; stderr: string }) => ({ exit: error.code, code: /\((\w+)(, [-\w]+)?\)$/m.exec(error.stderr)?.[1] }),
    );
    // The CLI refuses what is no validity itself (a mistake of the command line: exit 2); the daemon gets it as typed.
    const sent = validForFromText(c.text) ?? c.text;
    const cliExit = validForFromText(c.text) === undefined ? 2 : 1;
    const viaDaemon = await admin.request('apiKey.create', { name: `daemon-${n}`, validFor: sent }).then(
      (created) => ({ expiresOn: created.expiresOn }),
      async (error: unknown) => ({ exit: 1, code: (await callError(Promise.reject(error))).code }),
    );
    if (c.refused) {
      t.same(viaCli, { exit: cliExit, code: c.refused }, `CLI refuses ${JSON.stringify(c.text)} with ${c.refused} (exit ${cliExit})`);
      t.same(viaDaemon, { exit: 1, code: c.refused }, `daemon refuses ${JSON.stringify(sent)} with ${c.refused}`);
    } else {
      t.equal(sent, c.sends, `${JSON.stringify(c.text)} is sent as ${c.sends}`);
      t.same(viaCli, { expiresOn: c.expiresOn }, `CLI: ${JSON.stringify(c.text)} expires on ${c.expiresOn}`);
      t.same(viaDaemon, { expiresOn: c.expiresOn }, `daemon: ${c.sends} expires on ${c.expiresOn}`);
    }
  }
  t.equal(n, table.cases.length);
});
