import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { handshake } from './helpers/handshake.js';
import { callError, CLI, startDaemon } from './helpers/daemon.js';
import { filesUnder, freshDataDir } from './helpers/vault.js';

const run = promisify(execFile);

t.test('first start makes the data dir 0700, token files 0600, the socket 0660', { skip: process.platform === 'win32' && 'POSIX modes' }, async (t) => {
  const daemon = await startDaemon(t);
  t.equal(fs.statSync(daemon.dataDir).mode & 0o777, 0o700);
  for (const file of ['admin.token', 'gateway.token', 'master.key', 'keys.snapshot', 'keys.journal']) {
    t.equal(fs.statSync(path.join(daemon.dataDir, file)).mode & 0o777, 0o600, file);
  }
  t.equal(fs.statSync(daemon.pipe).mode & 0o777, 0o660, 'socket');
  t.match(daemon.adminToken(), /^gwt_[0-9A-Za-z]{49}$/);
  t.not(daemon.adminToken(), daemon.gatewayToken());
  t.match(daemon.stdout(), `pipe:        ${daemon.pipe}`);
  t.match(daemon.stdout(), `admin token: ${path.join(daemon.dataDir, 'admin.token')}`);
});

t.test('SIGTERM and SIGINT stop cleanly: exit 0, socket removed, keys and last-used times kept', async (t) => {
  const dataDir = freshDataDir(t);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const daemon = await startDaemon(t, { dataDir });
    const admin = await daemon.client('admin');
    const { key } = await admin.request('apiKey.create', { name: `stopped-by-${signal}` });
    await (await daemon.client('gateway')).request('connector.authenticate', { key });
    const lastUsed = (await admin.request('apiKey.get', { name: `stopped-by-${signal}` })).lastUsedAt;
    t.equal(await daemon.stop(signal), 0, `${signal}: exit code 0`);
    t.notOk(fs.existsSync(daemon.pipe), 'the socket file is gone');
    const again = await startDaemon(t, { dataDir });
    const kept = await (await again.client('admin')).request('apiKey.get', { name: `stopped-by-${signal}` });
    t.equal(kept.lastUsedAt, lastUsed, 'last-used was flushed at shutdown');
    t.equal(await again.stop(), 0);
  }
});

t.test('gateway-apikeys stop (daemon.shutdown) stops cleanly like a signal; only the admin role may ask', async (t) => {
  const dataDir = freshDataDir(t);
  const daemon = await startDaemon(t, { dataDir });
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'stopped-by-rpc' });
  const gateway = await daemon.client('gateway');
  await gateway.request('connector.authenticate', { key });
  t.match(await callError(gateway.request('daemon.shutdown', {})), { code: 'Forbidden' }, 'the gateway role cannot stop the daemon');
  t.match(await callError(admin.request('daemon.shutdown', { now: true } as never)), { code: 'InvalidParams' });
  const lastUsed = (await admin.request('apiKey.get', { name: 'stopped-by-rpc' })).lastUsedAt;
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe };
  const stopped = await run(process.execPath, [CLI, 'stop'], { env });
  t.match(stopped.stdout, /stopped taking requests/);
  t.equal(await daemon.exited, 0, 'exit code 0');
  t.notOk(fs.existsSync(daemon.pipe), 'the socket file is gone');
  t.match(daemon.stderr(), /"event":"daemon.shutdownRequested"[^\n]*"role":"admin"/, 'who asked is logged');
  t.match(daemon.stderr(), /\{"by":"request","connection":\d+,"event":"daemon.stopping"/);
  const again = await startDaemon(t, { dataDir });
  t.equal((await (await again.client('admin')).request('apiKey.get', { name: 'stopped-by-rpc' })).lastUsedAt, lastUsed, 'last-used was flushed');
});

t.test('--pipe-allow is refused off Windows, with what to do instead', async (t) => {
  const failed = await run(process.execPath, [CLI, 'serve', '--data-dir', freshDataDir(t), '--pipe-allow', 'NT SERVICE\\Gateway'])
    .then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(failed?.code, 2);
  t.match(failed?.stderr, /--pipe-allow names the Windows accounts[\s\S]*\/run\/gateway-apikeys/);
});

t.test('GATEWAY_APIKEYS_NOW: an expired key is re-activated by editing its expiry; it persists across restarts', async (t) => {
  const dataDir = freshDataDir(t);
  let daemon = await startDaemon(t, { dataDir, now: '2026-11-27T09:00:00Z' });
  t.match(daemon.stderr(), /"event":"clock.moved"/, 'the moved clock is logged as a warning');
  let admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'weekly', validFor: 'P7D' });
  await daemon.stop();

  daemon = await startDaemon(t, { dataDir, now: '2026-12-05T09:00:00Z' });
  admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  t.same(await gateway.request('connector.authenticate', { key }), { authenticated: false, reason: 'Expired' });
  t.match(await admin.request('apiKey.get', { name: 'weekly' }), { status: 'Expired', color: 'Red', daysLeft: -1 });
  t.match(await admin.request('apiKey.update', { name: 'weekly', validFor: 'P30D' }), { status: 'Active', expiresOn: '2027-01-04' });
  t.match(await gateway.request('connector.authenticate', { key }), { authenticated: true, status: 'Active' }, 'works again at once');
  await daemon.stop();

  daemon = await startDaemon(t, { dataDir, now: '2026-12-06T09:00:00Z' });
  t.match(await (await daemon.client('gateway')).request('connector.authenticate', { key }), { authenticated: true, name: 'weekly' });
});

t.test('a second daemon on the same data dir exits non-zero and touches nothing', async (t) => {
  const first = await startDaemon(t);
  await (await first.client('admin')).request('apiKey.create', { name: 'exists' });
  // The audit trail's head is the first daemon's to write, on its own timer: left out of the comparison.
  const files = () => new Map([...filesUnder(first.dataDir)].filter(([file]) => !file.endsWith(path.join('audit', 'head'))));
  const before = files();
  const second = await startDaemon(t, { dataDir: first.dataDir }).then(
    () => undefined,
    (error: Error) => error,
  );
  t.match(second?.message, /exited \(1\) before serving:[\s\S]*Another gateway-apikeys daemon is already running on the data directory/);
  t.same(files(), before, 'not a byte changed, logs included');
  t.equal((await (await first.client('admin')).request('apiKey.list', {})).total, 1, 'the first keeps serving');
});

t.test('a pipe another daemon listens on is refused; a stale socket file is replaced', { skip: process.platform === 'win32' && 'Unix sockets' }, async (t) => {
  const first = await startDaemon(t);
  const error = await startDaemon(t, { pipe: first.pipe }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /Another process is already listening on/);
  await first.stop('SIGKILL');
  t.ok(fs.existsSync(first.pipe), 'a killed daemon leaves its socket file');
  const next = await startDaemon(t, { dataDir: first.dataDir, pipe: first.pipe });
  t.equal((await (await next.client('admin')).request('apiKey.list', {})).total, 0, 'a new daemon takes the stale path');
});

t.test('a pipe in a directory that does not exist is refused in words, not with a system error code', async (t) => {
  const error = await startDaemon(t, { pipe: path.join(os.tmpdir(), `gwk-absent-${process.pid}`, 'd.sock') }).then(() => undefined, (e: Error) => e);
  t.match(error?.message, /error: The pipe's directory .*gwk-absent-\d+ does not exist\. Create it first, writable only by the daemon's user/);
  t.notMatch(error?.message, /ENOENT|stat '/);
});

t.test('the command line: new, list, get, set, verify, reveal, remove, status', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-27T12:00:00Z' });
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe, NO_COLOR: '1' };
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  // The key on standard input, as a script pipes it.
  const verify = (key: string) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [CLI, 'verify'], { env }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
    child.stdin!.end(`${key}\n`);
  });
  const created = await cli('new', 'CLI key', '--description', 'made by the CLI', '--valid-for', '90d', '--json');
  t.equal(created.code, 0, created.stderr);
  const key = JSON.parse(created.stdout) as { key: string; expiresOn: string };
  t.equal(key.expiresOn, '2027-02-25');
  const listed = await cli('list');
  t.match(listed.stdout, /NAME\s+STATUS\s+EXPIRES\s+DAYS LEFT\s+LAST USED\s+KEY/);
  t.match(listed.stdout, /CLI key\s+Active\s+2027-02-25\s+90\s+never\s+gwk_/);
  t.notMatch(listed.stdout, key.key.slice(8), 'list shows only the hint');
  t.match((await cli('get', 'cli KEY')).stdout, /Description: made by the CLI/);
  // Client options before the command, and choices in any case, dashes or not.
  const anyCase = await cli('--pipe', daemon.pipe, '--json', 'list', '--status', 'active,EXPIRING', '--sort-by', 'expires-on');
  t.equal(anyCase.code, 0, anyCase.stderr);
  t.match(JSON.parse(anyCase.stdout), { total: 1, items: [{ name: 'CLI key' }] });
  t.match((await cli('set', 'CLI key', '--expires-on', '2027-01-31', '--json')).stdout, /"expiresOn": "2027-01-31"/);
  t.match((await verify(key.key)).stdout, /Valid: API key 'CLI key'/);
  const bad = await verify('gwk_bad');
  t.equal(bad.code, 3);
  t.match(bad.stdout, /Not valid: Malformed/);
  const asArgument = await cli('verify', key.key);
  t.equal(asArgument.code, 2, 'a key given as an argument is refused');
  t.match(asArgument.stderr, /can be read by every user of this machine/);
  t.notMatch(asArgument.stderr, key.key.slice(8), 'and not repeated');
  t.match((await cli('reveal', 'CLI key')).stdout, `Key:         ${key.key}`);
  t.match((await cli('status', '--json')).stdout, /"total": 1/);
  t.match((await cli('status')).stdout, /^store: files \(this host's data dir alone\)$/m);
  const healthy = await cli('status', '--health');
  t.same([healthy.code, healthy.stdout.trim()], [0, 'in step: store: files (this host\'s data dir alone)'], 'a single host is always in step');
  t.equal((await cli('status', '--health', '--stale-after', '0')).code, 2, '--stale-after takes 1 to 3600 seconds');
  const clash = await cli('new', 'cli key');
  t.equal(clash.code, 1);
  t.match(clash.stderr, /error: An API key named 'CLI key' already exists.*\(NameTaken, name\)/);
  const usage = await cli('new');
  t.equal(usage.code, 2);
  t.match(usage.stderr, /'new' needs a NAME: node dist\/cli\.js new NAME \[--description TEXT\]/);
  const refused = await cli('remove', 'CLI key');
  t.equal(refused.code, 2, 'no prompt without a terminal: --yes is required');
  t.equal((await cli('remove', 'CLI key', '--yes')).code, 0);
  t.match((await cli('list')).stdout, /No API keys match/);
  await daemon.stop();
  const down = await cli('list');
  t.equal(down.code, 1);
  t.match(down.stderr, /daemon is not running at .*Start it with: node dist\/cli\.js serve/, 'the next step as this CLI was invoked');
  t.equal((await cli('status', '--health', '--timeout', '1')).code, 1, '--health: a daemon that does not answer is not healthy');
});

t.test('list --literal-name: the key of exactly that name, * and ? as they are; not with --name', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-27T12:00:00Z' });
  const admin = await daemon.client('admin');
  for (const name of ['Orders * (all)', 'Orders EU (all)']) await admin.request('apiKey.create', { name });
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe, NO_COLOR: '1' };
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const exact = await cli('list', '--literal-name', 'orders * (ALL)', '--json');
  t.equal(exact.code, 0, exact.stderr);
  t.match(JSON.parse(exact.stdout), { total: 1, items: [{ name: 'Orders * (all)' }] });
  t.equal(JSON.parse(exact.stdout).items.length, 1);
  t.match((await cli('list', '--name', 'Orders * (all)')).stdout, /2 of 2 keys/, 'as a pattern, * matches both');
  const both = await cli('list', '--name', 'Orders*', '--literal-name', 'Orders * (all)');
  t.equal(both.code, 1);
  t.match(both.stderr, /not both\. \(InvalidParams, --literal-name\)/, 'the daemon refuses, in the option\'s words');
  t.match((await cli('help', 'list')).stdout, /--literal-name NAME\s+the key of exactly this name/);
});

t.test('logs: an audit line for every change, by role and key name', async (t) => {
  const daemon = await startDaemon(t, { now: '2026-11-27T12:00:00Z' });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'audited', validFor: 'P10D' });
  await admin.request('apiKey.create', { name: 'soon', expiresOn: '2026-11-28' });
  await admin.request('apiKey.update', { name: 'audited', description: 'changed' });
  await admin.request('apiKey.reveal', { name: 'audited' });
  await admin.request('apiKey.delete', { name: 'soon' });
  await admin.request('apiKey.create', { name: 'audited' }).catch(() => undefined);
  await handshake(admin, 'admin', 'wrong').catch(() => undefined);
  t.equal(await daemon.stop(), 0);
  const lines = fs.readFileSync(path.join(daemon.dataDir, 'logs', 'gateway-apikeys.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = lines.map((l) => l.event);
  for (const event of ['apiKey.created', 'apiKey.updated', 'apiKey.revealed', 'apiKey.deleted', 'request.refused', 'session.rejected', 'auth.failures']) t.ok(events.includes(event), event);
  t.match(lines.find((l) => l.event === 'apiKey.created'), { role: 'admin', keyName: 'audited', level: 'info', connection: Number });
  t.match(lines.find((l) => l.event === 'apiKey.deleted'), { role: 'admin', keyName: 'soon' });
  t.match(lines.find((l) => l.event === 'apiKey.updated'), { keyName: 'audited', changed: ['description'] });
  t.match(lines.find((l) => l.event === 'request.refused'), { method: 'apiKey.create', code: 'NameTaken', role: 'admin' });
});

t.test('a key entering the Expiring or ExpiresSoon window is logged as a warning', async (t) => {
  const dataDir = freshDataDir(t);
  let daemon = await startDaemon(t, { dataDir, now: '2026-11-01T12:00:00Z' });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'lapsing', expiresOn: '2026-11-30' });
  await admin.request('apiKey.create', { name: 'fine', validFor: 'P1Y' });
  await daemon.stop();
  daemon = await startDaemon(t, { dataDir, now: '2026-11-20T12:00:00Z' });
  await daemon.stop();
  daemon = await startDaemon(t, { dataDir, now: '2026-11-28T12:00:00Z' });
  await daemon.stop();
  const lines = fs.readFileSync(path.join(dataDir, 'logs', 'gateway-apikeys.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const warnings = lines.filter((l) => String(l.event).startsWith('apiKey.expir'));
  t.match(warnings, [
    { event: 'apiKey.expiring', keyName: 'lapsing', level: 'warn', daysLeft: 10 },
    { event: 'apiKey.expiresSoon', keyName: 'lapsing', level: 'warn', daysLeft: 2 },
  ]);
  t.equal(warnings.length, 2, 'nothing about the key that is fine');
});
