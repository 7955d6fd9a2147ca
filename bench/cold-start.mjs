// Cold start of the single executable against the bare Node binary it is made from:
//   `dist/gateway-apikeys-linux-x64 --version`  vs  `<pinned Node 24> -e 0`,
// run alternately (so both see the same machine load), the median of each. Prints one JSON object:
//   { "exeMs": …, "nodeMs": …, "ratio": … }      (target: ratio ≤ 1.5)
// Usage: npm run package && node bench/cold-start.mjs [--runs N] [--exe FILE]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBaseBinary, ROOT } from '../build/base-node.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    exe: { type: 'string', default: path.join(ROOT, 'dist', 'gateway-apikeys-linux-x64') },
  },
});
const runs = Math.max(9, Number(values.runs));
const node = ensureBaseBinary('linux-x64');

function timeMs(file, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// One warm-up each: the first run pays for reading the files into the page cache.
timeMs(values.exe, ['--version']);
timeMs(node, ['-e', '0']);
const exe = [];
const bare = [];
for (let i = 0; i < runs; i++) {
  exe.push(timeMs(values.exe, ['--version']));
  bare.push(timeMs(node, ['-e', '0']));
}
const exeMs = median(exe);
const nodeMs = median(bare);
console.log(JSON.stringify({ exeMs: Number(exeMs.toFixed(1)), nodeMs: Number(nodeMs.toFixed(1)), ratio: Number((exeMs / nodeMs).toFixed(2)), runs }));
