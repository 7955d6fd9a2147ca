import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import t from 'tap';
import { runCommandLine } from '../src/cli/command-line.js';
import { callError, checkResult, CLI, startDaemon } from './helpers/daemon.js';
import { copyOfFixture, freshDataDir } from './helpers/vault.js';

/**
 * Rotation with a grace, disable and enable, and uses per connector, against the real daemon
 * (docs/protocol.md, "Methods"). Its clock starts at GATEWAY_APIKEYS_NOW and then runs in real time,
 * so the end of a grace is reached by starting the daemon again just before it.
 */
const NOW = '2026-11-27T12:00:00Z';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The daemon's log lines (JSON) with this event. */
function logged(dataDir: string, event: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(dataDir, 'logs', 'gateway-apikeys.log'), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === event);
}

t.test('the new methods answer their result schemas; only admin may call them', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const created = await admin.request('apiKey.create', { name: 'Orders' });
  checkResult(t, 'apiKey.get', await admin.request('apiKey.get', { name: 'Orders' }));
  const rotated = await admin.request('apiKey.rotate', { name: 'Orders', graceHours: 2 });
  checkResult(t, 'apiKey.rotate', rotated);
  t.match(rotated, { name: 'Orders', rotatedAt: /^2026-11-27T12:00/, previousValidUntil: /^2026-11-27T14:00/, enabled: true });
  const previous = await gateway.request('connector.authenticate', { key: created.key, connectorId: 'nac-orders' });
  checkResult(t, 'connector.authenticate', previous);
  t.same(previous, { authenticated: true, name: 'Orders', expiresOn: '2027-11-27', status: 'Active', previousValue: true });
  const disabled = await admin.request('apiKey.disable', { name: 'orders', reason: 'suspected misuse' });
  checkResult(t, 'apiKey.disable', disabled);
  t.match(disabled, { status: 'Disabled', color: 'Gray', enabled: false });
  const refused = await gateway.request('connector.authenticate', { key: rotated.key });
  checkResult(t, 'connector.authenticate', refused);
  t.same(refused, { authenticated: false, reason: 'Disabled' });
  const status = await gateway.request('daemon.status', {});
  checkResult(t, 'daemon.status', status);
  t.same(status.keys, { total: 1, Active: 0, Expiring: 0, ExpiresSoon: 0, Expired: 0, Disabled: 1 });
  t.same((await admin.request('apiKey.list', { status: ['Disabled'] })).items.map((k) => k.name), ['Orders']);
  const enabled = await admin.request('apiKey.enable', { name: 'Orders' });
  checkResult(t, 'apiKey.enable', enabled);
  t.match(enabled, { status: 'Active', color: 'Green', enabled: true });
  const usage = await admin.request('apiKey.usage', { name: 'ORDERS' });
  checkResult(t, 'apiKey.usage', usage);
  t.match(usage, { name: 'Orders', connectors: [{ connectorId: 'nac-orders', count: 1 }], unattributedCount: 0 });

  const params: Record<string, object> = {
    'apiKey.rotate': { name: 'Orders' }, 'apiKey.disable': { name: 'Orders' }, 'apiKey.enable': { name: 'Orders' }, 'apiKey.usage': { name: 'Orders' },
  };
  for (const [method, p] of Object.entries(params)) {
    t.match(await callError(gateway.request(method, p)), { code: 'Forbidden', rpcCode: -32003 }, method);
  }
  t.equal((await admin.request('apiKey.get', { name: 'Orders' })).hint, rotated.hint, 'nothing changed');
});

t.test('the error codes of the lifecycle, with their fields; a refused request changes nothing', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const { key } = await admin.request('apiKey.create', { name: 'held' });
  await admin.request('apiKey.create', { name: 'off' });
  await admin.request('apiKey.disable', { name: 'off' });
  const cases: [string, object, string, string | undefined, number][] = [
    ['apiKey.rotate', { name: 'off' }, 'KeyDisabled', 'name', -32010],
    ['apiKey.rotate', { name: 'held', graceHours: 169 }, 'GraceInvalid', 'graceHours', -32602],
    ['apiKey.rotate', { name: 'held', graceHours: -1 }, 'GraceInvalid', 'graceHours', -32602],
    ['apiKey.rotate', { name: 'held', graceHours: 0.5 }, 'GraceInvalid', 'graceHours', -32602],
    ['apiKey.rotate', { name: 'held', graceHours: '24h' }, 'GraceInvalid', 'graceHours', -32602],
    ['apiKey.rotate', { name: 'ghost' }, 'KeyNotFound', 'name', -32004],
    ['apiKey.rotate', { name: 'held', grace: 1 }, 'InvalidParams', 'grace', -32602],
    ['apiKey.disable', { name: 'ghost' }, 'KeyNotFound', 'name', -32004],
    ['apiKey.disable', { name: 'held', reason: 'r'.repeat(201) }, 'InvalidParams', 'reason', -32602],
    ['apiKey.enable', { name: 'ghost' }, 'KeyNotFound', 'name', -32004],
    ['apiKey.usage', { name: 'ghost' }, 'KeyNotFound', 'name', -32004],
    ['apiKey.usage', { name: 'x' }, 'NameTooShort', 'name', -32602],
    ['connector.authenticate', { key, connectorId: 'c'.repeat(257) }, 'InvalidParams', 'connectorId', -32602],
  ];
  for (const [method, params, code, field, rpcCode] of cases) {
    const error = await callError(admin.request(method, params));
    t.match(error, { code, field, rpcCode }, `${method} ${JSON.stringify(params).slice(0, 60)}`);
    t.ok(error.message.length > 10 && !/at .*\.js:\d+/.test(error.message), `a plain message: ${error.message}`);
  }
  t.equal((await admin.request('apiKey.reveal', { name: 'held' })).key, key, 'no refused rotation changed the value');
  t.same((await admin.request('apiKey.usage', { name: 'held' })).connectors, [], 'no refused authentication counted');
});

t.test('the previous value works during its grace and fails one second after it', async (t) => {
  const dataDir = freshDataDir(t);
  let daemon = await startDaemon(t, { dataDir, now: NOW });
  let admin = await daemon.client('admin');
  const created = await admin.request('apiKey.create', { name: 'rotating' });
  const rotated = await admin.request('apiKey.rotate', { name: 'rotating', graceHours: 1 });
  const until = Date.parse(rotated.previousValidUntil);
  await daemon.stop();

  // The same vault with its clock shortly before the grace ends: the old value still works.
  daemon = await startDaemon(t, { dataDir, now: new Date(until - 8000).toISOString() });
  const gateway = await daemon.client('gateway');
  admin = await daemon.client('admin');
  let probe = 0;
  /** The daemon's own clock: the instant it gives a key it makes. */
  const daemonNow = async () => Date.parse((await admin.request('apiKey.create', { name: `clock probe ${probe++}` })).createdAt);
  t.ok(await daemonNow() < until - 1000, 'the daemon serves before the end of the grace');
  t.match(await gateway.request('connector.authenticate', { key: created.key, connectorId: 'late' }), { authenticated: true, previousValue: true });
  t.equal((await admin.request('apiKey.get', { name: 'rotating' })).previousValidUntil, rotated.previousValidUntil);
  await sleep(until + 1000 - (await daemonNow()));
  t.ok(await daemonNow() >= until + 1000, 'the daemon\'s clock is a second past the end');
  t.same(await gateway.request('connector.authenticate', { key: created.key, connectorId: 'late' }), { authenticated: false, reason: 'Unknown' });
  t.match(await gateway.request('connector.authenticate', { key: rotated.key }), { authenticated: true, name: 'rotating' });
  t.match(await admin.request('apiKey.get', { name: 'rotating' }), { previousValidUntil: null, rotatedAt: rotated.rotatedAt });
  await daemon.stop();

  // Started after the end, it never takes the old value.
  daemon = await startDaemon(t, { dataDir, now: new Date(until + 1000).toISOString() });
  t.same(await (await daemon.client('gateway')).request('connector.authenticate', { key: created.key }), { authenticated: false, reason: 'Unknown' });
});

t.test('a second rotation ends the first grace at once; graceHours 0 ends it with the rotation', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const v1 = await admin.request('apiKey.create', { name: 'twice' });
  const v2 = await admin.request('apiKey.rotate', { name: 'twice', graceHours: 24 });
  t.match(await gateway.request('connector.authenticate', { key: v1.key }), { authenticated: true, previousValue: true });
  const v3 = await admin.request('apiKey.rotate', { name: 'twice', graceHours: 24 });
  t.same(await gateway.request('connector.authenticate', { key: v1.key }), { authenticated: false, reason: 'Unknown' });
  t.match(await gateway.request('connector.authenticate', { key: v2.key }), { authenticated: true, previousValue: true });
  const v4 = await admin.request('apiKey.rotate', { name: 'twice', graceHours: 0 });
  t.same(await gateway.request('connector.authenticate', { key: v3.key }), { authenticated: false, reason: 'Unknown' });
  t.same(await gateway.request('connector.authenticate', { key: v2.key }), { authenticated: false, reason: 'Unknown' });
  t.same(await gateway.request('connector.authenticate', { key: v4.key }), { authenticated: true, name: 'twice', expiresOn: '2027-11-27', status: 'Active' });
  t.equal(v4.previousValidUntil, v4.rotatedAt);
});

t.test('uses of the previous value are logged as a warning naming the key and the connector; rotations and disables are audited', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const { key } = await admin.request('apiKey.create', { name: 'Billing' });
  await admin.request('apiKey.rotate', { name: 'Billing', graceHours: 12 });
  for (let i = 0; i < 5; i++) await gateway.request('connector.authenticate', { key, connectorId: 'nac-billing-eu' });
  await gateway.request('connector.authenticate', { key, connectorId: 'nac-billing-us' });
  await admin.request('apiKey.verify', { key });
  await admin.request('apiKey.disable', { name: 'Billing', reason: 'suspected misuse' });
  await admin.request('apiKey.disable', { name: 'Billing' });
  await gateway.request('connector.authenticate', { key, connectorId: 'nac-billing-eu' });
  await admin.request('apiKey.enable', { name: 'Billing' });
  await daemon.stop();
  const warnings = logged(daemon.dataDir, 'auth.previousValue');
  t.same(warnings.map((w) => [w.level, w.keyName, w.connectorId]), [['warn', 'Billing', 'nac-billing-eu'], ['warn', 'Billing', 'nac-billing-us']],
    'one warning per key and connector within ten minutes; none for verify');
  t.match(warnings[0], { previousValidUntil: /^2026-11-28T00:00:0\d/, message: /previous value of a rotated API key/ });
  t.match(logged(daemon.dataDir, 'apiKey.rotated'), [{ keyName: 'Billing', graceHours: 12, role: 'admin', previousValidUntil: /^2026-11-28T00:00:0\d/ }]);
  t.match(logged(daemon.dataDir, 'apiKey.disabled'), [{ keyName: 'Billing', reason: 'suspected misuse', role: 'admin' }], 'the second disable changed nothing and says nothing');
  t.match(logged(daemon.dataDir, 'auth.disabledKey'), [{ keyName: 'Billing', connectorId: 'nac-billing-eu' }]);
  t.match(logged(daemon.dataDir, 'apiKey.enabled'), [{ keyName: 'Billing' }]);
});

t.test('disable takes effect before its answer: no authentication sent after it succeeds', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const { key } = await admin.request('apiKey.create', { name: 'hot' });
  let answeredAt = Infinity;
  let stop = false;
  const lateSuccesses: number[] = [];
  let sentAfter = 0;
  // A gateway authenticating without pause while the admin disables the key.
  const stream = (async () => {
    while (!stop) {
      const sentAt = performance.now();
      const result = await gateway.request('connector.authenticate', { key, connectorId: 'busy' });
      if (sentAt > answeredAt) {
        sentAfter++;
        if (result.authenticated) lateSuccesses.push(sentAt - answeredAt);
      }
    }
  })();
  await sleep(50);
  await admin.request('apiKey.disable', { name: 'hot' });
  answeredAt = performance.now();
  await sleep(100);
  stop = true;
  await stream;
  t.ok(sentAfter > 5, `${sentAfter} authentications were sent after the disable answered`);
  t.same(lateSuccesses, [], 'none of them succeeded');
  t.same(await gateway.request('connector.authenticate', { key }), { authenticated: false, reason: 'Disabled' });
});

t.test('uses per connector survive a clean restart; kill -9 loses at most the last flush interval', async (t) => {
  const dataDir = freshDataDir(t);
  let daemon = await startDaemon(t, { dataDir, now: NOW });
  let admin = await daemon.client('admin');
  let gateway = await daemon.client('gateway');
  const { key } = await admin.request('apiKey.create', { name: 'counted' });
  for (let i = 0; i < 7; i++) await gateway.request('connector.authenticate', { key, connectorId: 'orders' });
  for (let i = 0; i < 3; i++) await gateway.request('connector.authenticate', { key, connectorId: 'billing' });
  await gateway.request('connector.authenticate', { key });
  await admin.request('apiKey.verify', { key });
  const before = await admin.request('apiKey.usage', { name: 'counted' });
  t.same(before.connectors.map((c) => [c.connectorId, c.count]), [['billing', 3], ['orders', 7]]);
  t.equal(before.unattributedCount, 1, 'verify recorded nothing');
  t.equal(await daemon.stop(), 0);

  daemon = await startDaemon(t, { dataDir });
  admin = await daemon.client('admin');
  gateway = await daemon.client('gateway');
  t.same(await admin.request('apiKey.usage', { name: 'counted' }), before, 'a clean restart keeps every count');

  // Uses for about 4.5 s, then kill -9: the daemon persists uses every 3 s, so what was recorded up
  // to 3 s (and a little) before the kill is there after the restart.
  const sent: number[] = [];
  const started = performance.now();
  while (performance.now() - started < 4500) {
    await gateway.request('connector.authenticate', { key, connectorId: 'orders' });
    sent.push(performance.now());
    await sleep(20);
  }
  daemon.child.kill('SIGKILL');
  const killedAt = performance.now();
  await daemon.exited;
  daemon = await startDaemon(t, { dataDir });
  const after = await (await daemon.client('admin')).request('apiKey.usage', { name: 'counted' });
  const orders = after.connectors.find((c) => c.connectorId === 'orders')!.count - 7;
  const surely = sent.filter((at) => at < killedAt - 3000 - 300).length;
  t.ok(orders >= surely, `${orders} of ${sent.length} uses survived the kill; at least the ${surely} older than the flush interval must`);
  t.ok(orders <= sent.length, 'and never more than were made');
  t.ok(orders > 0, 'the flush did run during the stream');
  t.same(after.connectors.find((c) => c.connectorId === 'billing')!.count, 3);
});

t.test('get says when and why a key was disabled, after a restart too; enable clears it; a key an earlier version disabled says where to look', async (t) => {
  const dataDir = copyOfFixture(t, 'vault-v3-early');
  let daemon = await startDaemon(t, { dataDir, now: NOW });
  let admin = await daemon.client('admin');
  const disabled = await admin.request('apiKey.disable', { name: 'orders', reason: 'rotating the connector\'s host' });
  checkResult(t, 'apiKey.disable', disabled);
  const why = { status: 'Disabled', disabledAt: /^2026-11-27T12:00:/, disabledReason: 'rotating the connector\'s host' };
  t.match(disabled, why);
  await daemon.stop();
  daemon = await startDaemon(t, { dataDir, now: NOW });
  admin = await daemon.client('admin');
  const orders = await admin.request('apiKey.get', { name: 'Orders' });
  checkResult(t, 'apiKey.get', orders);
  t.match(orders, why, 'kept across a restart');
  t.match((await admin.request('apiKey.list', { status: ['Disabled'] })).items, [{ name: 'Billing', disabledAt: null, disabledReason: null }, { name: 'Orders', ...why }],
    'Billing was disabled by the version that kept no reason on the key');
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe, NO_COLOR: '1' };
  const get = async (name: string) => (await run(process.execPath, [CLI, 'get', name], { env })).stdout;
  t.match(await get('Orders'), /\nDisabled:\s+2026-11-27 12:00:\d\dZ — rotating the connector's host\n/);
  t.match(await get('Billing'), /\nDisabled:\s+by an earlier version, which kept when and why in the audit trail only: gateway-apikeys audit --key-name 'Billing'\n/);
  const enabled = await admin.request('apiKey.enable', { name: 'Orders' });
  checkResult(t, 'apiKey.enable', enabled);
  t.match(enabled, { status: 'Active', disabledAt: null, disabledReason: null });
  await admin.request('apiKey.disable', { name: 'Orders' });
  t.match(await get('Orders'), /\nDisabled:\s+2026-11-27 12:0\d:\d\dZ — no reason given\n/);
});

t.test('the command line: rotate with a grace, disable, enable, usage, status, and a remove prompt that names the impact', async (t) => {
  const daemon = await startDaemon(t, { now: new Date().toISOString() });
  const env = { ...process.env, GATEWAY_APIKEYS_DATA_DIR: daemon.dataDir, GATEWAY_APIKEYS_PIPE: daemon.pipe, NO_COLOR: '1' };
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const { key } = await admin.request('apiKey.create', { name: 'CLI rotated' });
  for (const connectorId of ['nac-orders', 'nac-billing']) await gateway.request('connector.authenticate', { key, connectorId });

  const rotated = await cli('rotate', 'CLI rotated', '--grace', '2h');
  t.equal(rotated.code, 0, rotated.stderr);
  t.match(rotated.stdout, /Gave API key 'CLI rotated' a new value \(Active, expires \d{4}-\d\d-\d\d\)\. The previous value keeps working until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\./);
  t.match(rotated.stdout, /Key: gwk_[0-9A-Za-z]{49}\n/);
  // The next step as this CLI was invoked (tap runs it as node dist/cli.js from the checkout).
  t.match(rotated.stdout, /used by 2 connectors, last less than a minute ago.*'node dist\/cli\.js usage "CLI rotated"' lists them/);
  const newKey = /Key: (gwk_\w+)/.exec(rotated.stdout)![1]!;
  const verifyPrevious = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const child = execFile(process.execPath, [CLI, 'verify'], { env }, (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }));
    child.stdin!.end(`${key}\n`);
  });
  t.equal(verifyPrevious.code, 0, 'the previous value is still valid in its grace');
  t.match(verifyPrevious.stdout, /^Valid, as the previous value of API key 'CLI rotated' \(expires \d{4}-\d\d-\d\d, Active\): it was replaced by a rotation and stops working at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\./);
  t.match(await gateway.request('connector.authenticate', { key }), { authenticated: true, previousValue: true });
  const json = JSON.parse((await cli('rotate', 'CLI rotated', '--grace', '1d', '--json')).stdout) as { previousValidUntil: string; rotatedAt: string; key: string };
  t.equal(Date.parse(json.previousValidUntil) - Date.parse(json.rotatedAt), 24 * 3_600_000, '--grace 1d is 24 hours');
  t.same(await gateway.request('connector.authenticate', { key }), { authenticated: false, reason: 'Unknown' }, 'the second rotation ended the first grace');
  t.match(await gateway.request('connector.authenticate', { key: newKey }), { previousValue: true });
  const abrupt = await cli('rotate', 'CLI rotated', '--grace', '0');
  t.match(abrupt.stdout, /The previous value stopped working now\./);
  const tooLong = await cli('rotate', 'CLI rotated', '--grace', '8d');
  t.equal(tooLong.code, 1);
  t.match(tooLong.stderr, /--grace can be at most 168 \(one week\)\. \(GraceInvalid, --grace\)/);
  const soon = await cli('rotate', 'CLI rotated', '--grace', 'soon');
  t.equal(soon.code, 2, 'a --grace that is no duration is a mistake of the command line');
  t.match(soon.stderr, /--grace takes whole hours .* not 'soon'\. \(GraceInvalid, --grace\)/);

  const disabled = await cli('disable', 'CLI rotated', '--reason', 'testing the CLI');
  t.equal(disabled.code, 0, disabled.stderr);
  // The two uses of the old values above named no connector.
  t.match(disabled.stdout, /Disabled API key 'CLI rotated' \(used by 2 connectors and 2 times without a connectorId, last less than a minute ago\): its value fails authentication from now on/);
  t.match((await cli('rotate', 'CLI rotated')).stderr, /is disabled: enable it.*\(KeyDisabled, name\)/);
  t.match((await cli('get', 'CLI rotated')).stdout, /Status:\s+Disabled.*\nDisabled:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ — testing the CLI\n/);
  t.match((await cli('list', '--status', 'Disabled')).stdout, /CLI rotated\s+Disabled/);
  t.match((await cli('status')).stdout, /KEYS\s+ACTIVE\s+EXPIRING\s+EXPIRES SOON\s+EXPIRED\s+DISABLED\n[- ]+\n1\s+0\s+0\s+0\s+0\s+1/);
  t.match((await cli('enable', 'CLI rotated')).stdout, /Enabled API key 'CLI rotated': Active/);
  t.notMatch((await cli('get', 'CLI rotated')).stdout, /Disabled:/, 'an enabled key has no such line');

  const usage = await cli('usage', 'CLI rotated');
  t.match(usage.stdout, /CONNECTOR\s+FIRST USED\s+LAST USED\s+USES/);
  t.match(usage.stdout, /nac-billing\s+\S+ \S+\s+\S+ \S+\s+1\n/);
  t.match(usage.stdout, /nac-orders\s+\S+ \S+\s+\S+ \S+\s+1/);
  t.match((await cli('usage', 'CLI rotated', '--json')).stdout, /"unattributedCount": 2/);
  t.match(usage.stdout, /Uses without a connectorId: 2/);
  await admin.request('apiKey.create', { name: 'CLI unused' });
  t.match((await cli('usage', 'CLI unused')).stdout, /API key 'CLI unused' was never used\./);

  // The remove prompt, at a terminal: it names what will break, and 'n' keeps the key.
  for (const [name, impact] of [['CLI rotated', 'used by 2 connectors and 2 times without a connectorId, last less than a minute ago'], ['CLI unused', 'never used']] as const) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    const prompts: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { prompts.push(String(chunk)); return true; }) as typeof process.stderr.write;
    const errors: string[] = [];
    try {
      setTimeout(() => stdin.write('n\n'), 300);
      const code = await runCommandLine(['remove', name, '--data-dir', daemon.dataDir, '--pipe', daemon.pipe], {
        out: () => undefined, err: (text) => errors.push(text), stdin, stdoutIsTty: true, invokedAs: 'gateway-apikeys',
      });
      t.equal(code, 1, 'answered no');
    } finally {
      process.stderr.write = write;
    }
    t.match(prompts.join(''), `Delete API key '${name}' (${impact})? Connectors using it will fail; this cannot be undone. [y/N] `);
    t.same(errors, ['Nothing was deleted.']);
  }
  t.equal((await admin.request('apiKey.list', {})).total, 2, 'both keys are still there');
});
