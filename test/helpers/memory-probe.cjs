'use strict';
// Preloaded (node --expose-gc --require) into a daemon under test, never shipped: on SIGUSR2 it runs full
// garbage collections and prints the process's memory as one line on standard output. What a daemon
// retains is then measured without GC timing in it, and without an RPC method for tests.
const fs = require('node:fs');

process.on('SIGUSR2', () => {
  globalThis.gc();
  // Buffers' backing stores and weak entries are released after the collection that finds them dead: collect again.
  setImmediate(() => {
    globalThis.gc();
    const usage = process.memoryUsage();
    fs.writeSync(1, `memory-probe ${JSON.stringify(usage)}\n`);
  });
});
