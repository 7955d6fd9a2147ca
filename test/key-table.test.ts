import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { populate } from '../bench/lib/populate.mjs';
import { SNAPSHOT_FILE } from '../src/vault/storage/file-format.js';
import { startDaemon } from './helpers/daemon.js';
import { MEMORY_PROBE_NODE_ARGS, retainedMemory } from './helpers/process-memory.js';
import { freshDataDir } from './helpers/vault.js';

/**
 * What the daemon keeps of a large vault besides its keys (docs/architecture.md, "The key table"):
 * nothing of the files it read at start, and nothing per key from a list. Buffers are what either
 * would be, so the daemon's memory in Buffers, after full collections, is what is measured.
 */
t.test('a daemon keeps no buffer of its snapshot after start, and none per key after lists of all', async (t) => {
  const dataDir = freshDataDir(t);
  await populate(dataDir, 5000);
  const snapshotBytes = fs.statSync(path.join(dataDir, SNAPSHOT_FILE)).size;
  const daemon = await startDaemon(t, { dataDir, nodeArgs: MEMORY_PROBE_NODE_ARGS });
  const admin = await daemon.client('admin');
  t.equal((await admin.request('apiKey.list', { limit: 1 })).total, 5000, 'the keys are there');
  const atStart = await retainedMemory(daemon);
  t.ok(atStart.arrayBuffers < snapshotBytes / 2, `after start, ${atStart.arrayBuffers} bytes of buffers, against a snapshot of ${snapshotBytes}`);
  for (let i = 0; i < 2; i++) t.equal((await admin.request('apiKey.list', {})).items.length, 5000);
  const afterLists = await retainedMemory(daemon);
  const grown = afterLists.arrayBuffers - atStart.arrayBuffers;
  t.ok(grown < snapshotBytes / 4, `after two lists of all, buffers grew by ${grown} bytes (${(grown / 5000).toFixed(1)} a key)`);
});
