import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { skipWithoutWine, type WineHarness, winPath, type WineSuite, wineSuite } from '../helpers/wine.js';

// `serve --gateway-account` under Wine (docs/security.md, "The gateway's account"): the account is
// resolved, the pipe opened to it, gateway.token given its read entry (SetNamedSecurityInfoW runs),
// and the next start accepts what it reads back. Wine keeps no DACL it is given (it reads back one
// derived from the Unix mode), so the entry itself is checked on SDDL in test/windows-security.test.ts
// and test/windows-units.test.ts, not here: this runs the Windows code path end to end.
const skip = skipWithoutWine(t);
let wine: WineHarness;
let cli: string;
let driverFile: string;

t.before(async () => {
  if (skip) return;
  ({ wine, cli, driverFile } = await wineSuite(t));
});

t.test('Wine: serve --gateway-account NETWORK SERVICE shares gateway.token, restarts on it, and the gateway role works', { skip }, async (t) => {
  const dataDir = path.join(wine.runDir, 'shared');
  const pipe = `\\\\.\\pipe\\gwk-${process.pid}-gateway-account`;
  const args = [cli, 'serve', '--data-dir', winPath(dataDir), '--pipe', pipe, '--time-zone', 'UTC', '--gateway-account', 'NT AUTHORITY\\NETWORK SERVICE', '--pipe-allow', 'S-1-5-19'];
  for (const round of ['first start', 'restart on the shared token']) {
    const daemon = wine.start(wine.nodeExe, args, { timeoutMs: 120_000 });
    await wine.waitFor(daemon, (out) => out.includes('is serving'), 90_000);
    const shared = daemon.stderr().split('\n').find((line) => line.includes('"event":"gatewayToken.shared"'));
    t.match(shared, /"account":\{"name":"NT AUTHORITY\\\\NETWORK SERVICE","sid":"S-1-5-20"\}/, `${round}: the account resolved by name, and the token shared`);
    const secured = daemon.stderr().split('\n').find((line) => line.includes('"event":"pipe.secured"'));
    t.match(secured, /S-1-5-20/, `${round}: the pipe opened to it beside --pipe-allow's account`);
    const result = await wine.run(wine.nodeExe, [driverFile, 'authenticate', pipe, winPath(path.join(dataDir, 'gateway.token')), 'gwk_not-a-key']);
    t.match(result.stdout, /"ok":true.*"authenticated":false/, `${round}: the gateway's token, read in place, opens a gateway session`);
    daemon.child.kill('SIGINT');
    t.equal(await daemon.exited, 0, `${round}: a clean stop`);
  }
  const unknown = await wine.run(wine.nodeExe, [cli, 'serve', '--data-dir', winPath(dataDir), '--pipe', pipe, '--gateway-account', 'NO SUCH\\account'], { timeoutMs: 60_000 });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, "--gateway-account: Windows knows no account named 'NO SUCH\\account'");
  t.ok(fs.existsSync(path.join(dataDir, 'gateway.token')));
});
