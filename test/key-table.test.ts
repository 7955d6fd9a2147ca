import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { populate } from '../bench/lib/populate.mjs';
import type { ApiKeyRecord } from '../src/vault/api-key.js';
import { KeyTable } from '../src/vault/key-table.js';
import { SNAPSHOT_FILE } from '../src/vault/storage/file-format.js';
import { startDaemon } from './helpers/daemon.js';
import { MEMORY_PROBE_NODE_ARGS, retainedMemory } from './helpers/process-memory.js';
import { freshDataDir } from './helpers/vault.js';

/** The bytes of a key table of `count` keys: the columns and hash tables the daemon keeps in buffers for them. */
function tableBytes(count: number): number {
  const table = new KeyTable(() => 0);
  table.load(Array.from({ length: count }, (_, n): ApiKeyRecord => ({
    id: `id-${n}`, name: `key-${n}`, description: '', key: `value-${n}`, createdAt: 0, updatedAt: 0, expiresOn: '2027-01-01',
    enabled: true, rotatedAt: null, previous: null, lastUsedAt: null, usage: null, disabledAt: null, disabledReason: null,
  })));
  table.tagSome(); // as the daemon does after start
  return table.byteLength;
}

/** Buffers of a daemon that are not its keys': libsodium's, the sockets', the log's. */
const OTHER_BUFFERS = 128 * 1024;

/**
 * What the daemon keeps of a large vault besides its key table (docs/architecture.md, "The key
 * table"): nothing of the files it read at start, and nothing per key from a list. Buffers are
 * what either would be, so the daemon's memory in Buffers, after full collections, is what is
 * measured, against the bytes of the table's own arrays.
 */
t.test('a daemon keeps no buffer of its snapshot after start, and none per key after lists of all', async (t) => {
  const dataDir = freshDataDir(t);
  await populate(dataDir, 5000);
  const snapshotBytes = fs.statSync(path.join(dataDir, SNAPSHOT_FILE)).size;
  const table = tableBytes(5000);
  t.ok(snapshotBytes > OTHER_BUFFERS * 4, 'a snapshot kept would show');
  const daemon = await startDaemon(t, { dataDir, nodeArgs: MEMORY_PROBE_NODE_ARGS });
  const admin = await daemon.client('admin');
  t.equal((await admin.request('apiKey.list', { limit: 1 })).total, 5000, 'the keys are there');
  const atStart = await retainedMemory(daemon);
  t.ok(atStart.arrayBuffers < table + OTHER_BUFFERS,
    `after start, ${atStart.arrayBuffers} bytes of buffers, for a key table of ${table} (a snapshot of ${snapshotBytes})`);
  for (let i = 0; i < 2; i++) t.equal((await admin.request('apiKey.list', {})).items.length, 5000);
  const afterLists = await retainedMemory(daemon);
  const grown = afterLists.arrayBuffers - atStart.arrayBuffers;
  t.ok(grown < OTHER_BUFFERS, `after two lists of all, buffers grew by ${grown} bytes (${(grown / 5000).toFixed(1)} a key)`);
});
