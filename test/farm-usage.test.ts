import t from 'tap';
import { combineHostUsage } from '../src/vault/farm-usage.js';
import { MAX_CONNECTORS_PER_KEY, type PersistedConnectorUse } from '../src/vault/key-usage.js';
import { deriveClusterKeys, newClusterKey } from '../src/vault/storage/cluster-key.js';
import { openUsage, sealUsage } from '../src/vault/storage/farm-records.js';
import { randomBytes } from '../src/shared/random.js';

/** A key's uses across a farm's hosts (src/vault/farm-usage.ts; sealed per host by farm-records.ts). */

t.test('the hosts\' uses add up: one connector seen on two hosts is one connector', async (t) => {
  t.equal(combineHostUsage([]), null);
  t.same(combineHostUsage([
    [2, [['orders', 100, 500, 3], ['billing', 200, 200, 1]]],
    [5, [['orders', 50, 400, 4]]],
  ]), [7, [['orders', 50, 500, 7], ['billing', 200, 200, 1]]]);
});

t.test('the 64 of highest rank are kept, whichever host saw them', async (t) => {
  const day = 24 * 60 * 60 * 1000;
  const busy: PersistedConnectorUse = ['busy', 0, 0, 1024]; // ten doublings: ranks as if used ten days later
  const oneOffs = (host: string): PersistedConnectorUse[] => Array.from({ length: 40 }, (_, i) => [`${host}-${i}`, day + i, day + i, 1]);
  const [unattributed, kept] = combineHostUsage([[0, [busy, ...oneOffs('a')]], [0, oneOffs('b')]])!;
  t.equal(unattributed, 0);
  t.equal(kept.length, MAX_CONNECTORS_PER_KEY);
  t.same(kept[0], busy, 'a connector in real use is not pushed out by a spray of one-off ids on other hosts');
  t.notOk(kept.some(([id]) => id === 'a-0' || id === 'b-0'), 'the lowest ranked go');
});

t.test('a host\'s uses are sealed, bound to the key and the host', async (t) => {
  const keys = deriveClusterKeys(newClusterKey());
  const [keyId, hostId] = [randomBytes(16), randomBytes(16)];
  const sealed = sealUsage(keys, keyId, hostId, [1, [['orders-connector', 1, 2, 3]]]);
  t.notOk(sealed.includes(Buffer.from('orders-connector')), 'no connectorId in clear');
  t.same(openUsage(keys, keyId, hostId, sealed), [1, [['orders-connector', 1, 2, 3]]]);
  t.equal(openUsage(keys, keyId, randomBytes(16), sealed), undefined, 'moved to another host');
  t.equal(openUsage(keys, randomBytes(16), hostId, sealed), undefined, 'moved to another key');
});
