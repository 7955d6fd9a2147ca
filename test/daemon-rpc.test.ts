import t from 'tap';
import { rpcMethods } from '../src/generated/schemas.js';
import { encodeKeyValue } from '../src/shared/secret-format.js';
import { randomBytes } from '../src/shared/random.js';
import { clientProof, newNonce, proofKey, serverProof } from '../src/session-proof.js';
import { callError, checkResult, startDaemon } from './helpers/daemon.js';
import { handshake } from './helpers/handshake.js';

const NOW = '2026-11-27T12:00:00Z';

t.test('protocol 3: the daemon proves itself, the client proves its role; before that, every method is Unauthenticated', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const client = await daemon.client();
  for (const method of rpcMethods.filter((m) => !m.startsWith('session.'))) {
    t.match(await callError(client.request(method, {})), { code: 'Unauthenticated', rpcCode: -32001 }, method);
  }
  const clientNonce = newNonce();
  const challenge = await client.request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce });
  checkResult(t, 'session.challenge', challenge);
  t.equal(challenge.serverProof, serverProof(proofKey(Buffer.from(daemon.adminToken())), clientNonce, challenge.serverNonce, ''),
    "the daemon's proof is HMAC(admin token, label, clientNonce, serverNonce, the empty binding of a Unix socket)");
  const admin = await client.request('session.hello', { role: 'admin', clientProof: clientProof(proofKey(Buffer.from(daemon.adminToken())), challenge.serverNonce, clientNonce, '') });
  t.same(admin, { role: 'admin', serverVersion: '0.1.0', protocolVersion: 3, today: '2026-11-27', timeZone: 'UTC' });
  checkResult(t, 'session.hello', admin);
  t.match(await handshake(client, 'gateway', daemon.gatewayToken()), { role: 'gateway' }, 'the same connection can change role');
  t.match(await callError(handshake(client, 'admin', daemon.gatewayToken())), { code: 'Unauthenticated', message: /proof is not valid/ }, 'the gateway token does not prove admin');
  t.match(await callError(client.request('daemon.status', {})), { code: 'Unauthenticated' }, 'a failed hello drops the role');
  t.match(await callError(client.request('session.hello', { role: 'admin', clientProof: 'A'.repeat(43) })), { code: 'Unauthenticated', message: /session.challenge first/ });
  t.match(await callError(client.request('session.hello', { token: daemon.adminToken() })), { code: 'InvalidParams' }, 'protocol 1 is gone');
  t.match(await handshake(client, 'admin', daemon.adminToken()), { role: 'admin' }, 'the connection stays usable');
});

t.test('a challenge answers one hello; a hello for another role than its challenge fails', async (t) => {
  const daemon = await startDaemon(t);
  const client = await daemon.client();
  const key = proofKey(Buffer.from(daemon.adminToken()));
  const clientNonce = newNonce();
  const { serverNonce } = await client.request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce });
  const proof = clientProof(key, serverNonce, clientNonce, '');
  t.match(await callError(client.request('session.hello', { role: 'gateway', clientProof: proof })), { code: 'Unauthenticated' }, 'role must match the challenge');
  t.match(await callError(client.request('session.hello', { role: 'admin', clientProof: proof })), { code: 'Unauthenticated' }, 'the challenge was used up');
  const again = newNonce();
  const second = await client.request('session.challenge', { protocolVersion: 3, role: 'admin', clientNonce: again });
  t.not(second.serverNonce, serverNonce, 'a new server nonce each time');
  t.match(await callError(client.request('session.hello', { role: 'admin', clientProof: proof })), { code: 'Unauthenticated' }, 'an old proof does not answer a new challenge');
});

t.test('a client of protocol 2 is told, at its challenge, to speak protocol 3; nothing is proved to it', async (t) => {
  const daemon = await startDaemon(t);
  const client = await daemon.client();
  const protocol2 = await callError(client.request('session.challenge', { role: 'admin', clientNonce: newNonce() }));
  t.match(protocol2, { code: 'InvalidParams', field: 'protocolVersion', message: /^This daemon speaks protocol 3 of the session handshake, and the client an older one.*update the client/ },
    'the challenge of protocol 2 (no protocolVersion) is refused, naming the version');
  t.notOk('serverProof' in (protocol2 as object), 'no proof was made for it');
  t.match(await callError(client.request('session.challenge', { protocolVersion: 2, role: 'admin', clientNonce: newNonce() })),
    { code: 'InvalidParams', field: 'protocolVersion', message: /speaks protocol 3.*update the client/ }, 'a version other than 3 likewise');
  t.match(await callError(client.request('session.hello', { role: 'admin', clientProof: 'A'.repeat(43) })), { code: 'Unauthenticated', message: /session.challenge first/ },
    'a refused challenge issued nothing to answer');
  t.match(await handshake(client, 'admin', daemon.adminToken()), { role: 'admin', protocolVersion: 3 }, 'the connection stays usable for protocol 3');
});

t.test('on a Unix socket the binding is empty: a proof bound to any other ends is refused', async (t) => {
  const daemon = await startDaemon(t);
  const client = await daemon.client();
  t.match(await callError(handshake(client, 'admin', daemon.adminToken(), '4242:5151')), { code: 'Unauthenticated', message: /proof is not valid/ });
  t.match(await handshake(client, 'admin', daemon.adminToken(), ''), { role: 'admin' });
});

t.test('unknown methods are -32601, for anyone', async (t) => {
  const daemon = await startDaemon(t);
  const client = await daemon.client();
  t.match(await callError(client.request('apiKey.explode', {})), { rpcCode: -32601, message: /Unknown method 'apiKey.explode'/ });
  const admin = await daemon.client('admin');
  t.match(await callError(admin.request('rpc.discover')), { rpcCode: -32601 });
});

t.test('the gateway role may only authenticate and read the status', async (t) => {
  const daemon = await startDaemon(t);
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const { key } = await admin.request('apiKey.create', { name: 'shared' });
  const params: Record<string, object> = {
    'apiKey.list': {}, 'apiKey.get': { name: 'shared' }, 'apiKey.create': { name: 'other' }, 'apiKey.update': { name: 'shared', description: 'x' },
    'apiKey.reveal': { name: 'shared' }, 'apiKey.delete': { name: 'shared' }, 'apiKey.verify': { key },
  };
  for (const [method, p] of Object.entries(params)) {
    t.match(await callError(gateway.request(method, p)), { code: 'Forbidden', rpcCode: -32003, message: `The gateway role cannot call ${method}.` }, method);
  }
  t.match(await gateway.request('connector.authenticate', { key }), { authenticated: true, name: 'shared' });
  checkResult(t, 'daemon.status', await gateway.request('daemon.status', {}));
  t.match(await admin.request('connector.authenticate', { key }), { authenticated: true }, 'admin may too');
  t.equal((await admin.request('apiKey.list', {})).total, 1, 'nothing changed');
});

t.test('every admin method, answering its result schema', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const created = await admin.request('apiKey.create', { name: 'Orders', description: 'Orders in NAC', validFor: 'P30D' });
  checkResult(t, 'apiKey.create', created);
  t.match(created, { name: 'Orders', expiresOn: '2026-12-27', status: 'Active', color: 'Green', daysLeft: 30, hint: created.key.slice(0, 8) });
  checkResult(t, 'apiKey.get', await admin.request('apiKey.get', { name: 'orders' }));
  const listed = await admin.request('apiKey.list', { name: 'ord*', sortBy: 'expiresOn', descending: true, limit: 5 });
  checkResult(t, 'apiKey.list', listed);
  t.equal(listed.total, 1);
  const updated = await admin.request('apiKey.update', { name: 'Orders', newName: 'Orders v2', expiresOn: '2027-06-30' });
  checkResult(t, 'apiKey.update', updated);
  t.match(updated, { name: 'Orders v2', expiresOn: '2027-06-30' });
  const revealed = await admin.request('apiKey.reveal', { name: 'orders V2' });
  checkResult(t, 'apiKey.reveal', revealed);
  t.same(revealed, { name: 'Orders v2', description: 'Orders in NAC', expiresOn: '2027-06-30', key: created.key });
  const verified = await admin.request('apiKey.verify', { key: created.key });
  checkResult(t, 'apiKey.verify', verified);
  t.same(verified, { authenticated: true, name: 'Orders v2', expiresOn: '2027-06-30', status: 'Active' });
  t.equal((await admin.request('apiKey.get', { name: 'Orders v2' })).lastUsedAt, null, 'verify records no use');
  const authenticated = await admin.request('connector.authenticate', { key: created.key, connectorId: 'nac-orders' });
  checkResult(t, 'connector.authenticate', authenticated);
  t.match((await admin.request('apiKey.get', { name: 'Orders v2' })).lastUsedAt, /^2026-11-27T12:00:\d\d\.\d{3}Z$/, 'authenticate records the use at once');
  const status = await admin.request('daemon.status', {});
  checkResult(t, 'daemon.status', status);
  t.same(status.keys, { total: 1, Active: 1, Expiring: 0, ExpiresSoon: 0, Expired: 0, Disabled: 0 });
  t.same(status.store, { kind: 'files', reachable: true, lastSyncAt: null, lagSeconds: 0, hosts: 1 }, 'a single host: its own data dir, in step');
  const deleted = await admin.request('apiKey.delete', { name: 'Orders v2' });
  checkResult(t, 'apiKey.delete', deleted);
  t.same(await admin.request('connector.authenticate', { key: created.key }), { authenticated: false, reason: 'Unknown' }, 'deleted: Unknown at once');
});

t.test('every error code of docs/protocol.md the RPC surface can produce, with its field', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  await admin.request('apiKey.create', { name: 'taken' });
  const cases: [string, object, string, string | undefined][] = [
    ['apiKey.create', { name: 'x\u0001y' }, 'NameInvalid', 'name'],
    ['apiKey.create', { name: 'ab' }, 'NameTooShort', 'name'],
    ['apiKey.create', { name: 'n'.repeat(101) }, 'NameTooLong', 'name'],
    ['apiKey.create', { name: 'abc', description: 'd'.repeat(4001) }, 'DescriptionTooLong', 'description'],
    ['apiKey.create', { name: 'abc', expiresOn: '2027-02-30' }, 'ExpiryInvalid', 'expiresOn'],
    ['apiKey.create', { name: 'abc', validFor: 'P1H' }, 'ExpiryInvalid', 'validFor'],
    ['apiKey.create', { name: 'abc', expiresOn: '2026-11-26' }, 'ExpiryInPast', 'expiresOn'],
    ['apiKey.create', { name: 'abc', expiresOn: '2031-11-28' }, 'ExpiryTooFar', 'expiresOn'],
    ['apiKey.create', { name: 'TAKEN' }, 'NameTaken', 'name'],
    ['apiKey.update', { name: 'ghost', description: 'x' }, 'KeyNotFound', 'name'],
    ['apiKey.get', { name: 'ghost' }, 'KeyNotFound', 'name'],
    ['apiKey.reveal', { name: 'ghost' }, 'KeyNotFound', 'name'],
    ['apiKey.delete', { name: 'ghost' }, 'KeyNotFound', 'name'],
    ['apiKey.create', { name: 'abc', validFor: 'P1D', expiresOn: '2027-01-01' }, 'InvalidParams', 'validFor'],
    ['apiKey.create', { name: 'abc', unknown: true }, 'InvalidParams', 'unknown'],
    ['apiKey.list', { asOf: 'yesterday' }, 'InvalidParams', 'asOf'],
    ['apiKey.list', { offset: -1 }, 'InvalidParams', 'offset'],
    ['apiKey.list', { limit: 'ten' }, 'InvalidParams', 'limit'],
    ['connector.authenticate', { key: 42 }, 'InvalidParams', 'key'],
  ];
  for (const [method, params, code, field] of cases) {
    const error = await callError(admin.request(method, params));
    t.equal(error.code, code, `${method} ${JSON.stringify(params).slice(0, 60)}`);
    t.equal(error.field, field);
    t.ok(error.message.length > 10 && !/at .*\.js:\d+/.test(error.message), 'a plain message, no stack');
  }
  t.match(await callError(admin.request('apiKey.create', ['positional', 'params'])), { code: 'InvalidParams', message: /object of named fields/ });
  t.same((await admin.request('apiKey.list', {})).items.map((k) => k.name), ['taken'], 'no bad request changed anything');
});

t.test('apiKey.list literalName: a name with * and ? found exactly; with name too, InvalidParams and nothing changes', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  for (const name of ['Orders * (all regions)', 'Orders EU (all regions)', 'Orders ? (all regions)', 'Billing?', 'Billing1']) {
    await admin.request('apiKey.create', { name });
  }
  const exact = await admin.request('apiKey.list', { literalName: 'orders * (ALL REGIONS)' });
  checkResult(t, 'apiKey.list', exact);
  t.same(exact.items.map((k) => k.name), ['Orders * (all regions)']);
  t.equal(exact.total, 1);
  t.same((await admin.request('apiKey.list', { literalName: 'billing?' })).items.map((k) => k.name), ['Billing?']);
  t.same(await admin.request('apiKey.list', { literalName: 'Billing*' }), { items: [], total: 0 }, 'no key of that name: an empty list');
  t.equal((await admin.request('apiKey.list', { name: 'Orders * (all regions)' })).total, 3, 'as a pattern, * matches the others');

  const before = await admin.request('apiKey.list', {});
  const statusBefore = await admin.request('daemon.status', {});
  const both = await callError(admin.request('apiKey.list', { name: 'Orders*', literalName: 'Orders * (all regions)' }));
  t.match(both, { code: 'InvalidParams', field: 'literalName', message: /not both/ });
  t.same(await admin.request('apiKey.list', {}), before, 'no key changed');
  t.same((await admin.request('daemon.status', {})).keys, statusBefore.keys);
});

t.test('authenticate: Malformed, Unknown, Expired, and no lookup for a bad checksum', async (t) => {
  const daemon = await startDaemon(t, { now: NOW });
  const admin = await daemon.client('admin');
  const gateway = await daemon.client('gateway');
  const expired = await admin.request('apiKey.create', { name: 'expires-today', expiresOn: '2026-11-27' });
  t.same(await gateway.request('connector.authenticate', { key: 'not-a-key' }), { authenticated: false, reason: 'Malformed' });
  t.same(await gateway.request('connector.authenticate', { key: expired.key.slice(0, -1) + (expired.key.endsWith('0') ? '1' : '0') }), { authenticated: false, reason: 'Malformed' });
  t.same(await gateway.request('connector.authenticate', { key: encodeKeyValue(randomBytes(32)) }), { authenticated: false, reason: 'Unknown' });
  t.same(await gateway.request('connector.authenticate', { key: expired.key }), { authenticated: true, name: 'expires-today', expiresOn: '2026-11-27', status: 'ExpiresSoon' });
});
