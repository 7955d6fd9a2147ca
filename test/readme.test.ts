import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/daemon.js';
import { shellBlocks } from './helpers/readme.js';

/**
 * The README's shell blocks, run as shown and in order, as a new user pastes them (README,
 * first screen and "The command line"): in a folder laid out like a fresh checkout, with
 * `npm start` serving there and `gateway-apikeys` on the PATH as `npm link` puts it. A block under
 * `<!-- readme-test: skip: why -->` is not run, and the test says why. The set-up and test commands
 * of the first block are .ci/run's own, which runs them on a clean clone.
 */
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

t.test('the README runs as shown: npm start, then every shell block in order', { timeout: 120_000 }, async (t) => {
  const [setup, ...rest] = shellBlocks(readme);
  t.match(setup?.text, /^npm ci && npm start .*\nnpm test /, 'the first screen: set up and run, then test');
  const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
  t.ok(/^npm ci$/m.test(ci) && /^npm test$/m.test(ci), '.ci/run runs the first screen\'s npm ci and npm test on a clean clone');

  // A checkout as a new user has it after `npm ci`: the built dist/ and node_modules/, nothing else of ours.
  const home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gwk-readme-')));
  const checkout = path.join(home, 'gateway-apikeys');
  fs.mkdirSync(checkout);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(checkout, 'package.json'));
  for (const linked of ['dist', 'node_modules']) fs.symlinkSync(path.join(ROOT, linked), path.join(checkout, linked));
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'gateway-apikeys'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist', 'cli.js')}" "$@"\n`, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, NO_COLOR: '1' };
  for (const name of Object.keys(env)) if (name.startsWith('GATEWAY_APIKEYS_') || name === 'NODE_OPTIONS') delete env[name];

  const daemon = spawn('npm', ['start'], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stopped = new Promise((resolve) => daemon.once('exit', resolve));
  // The daemon writes its logs into the folder until it has stopped: stop it, then remove the folder.
  t.teardown(async () => {
    try {
      process.kill(-daemon.pid!, 'SIGTERM');
      await stopped;
    } catch { /* already stopped */ }
    // npm may exit before its daemon child has finished its clean stop, which ends by removing the socket.
    const socket = path.join(checkout, '.data', 'gateway-apikeys.sock');
    for (let waited = 0; fs.existsSync(socket) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    fs.rmSync(home, { recursive: true, force: true });
  });
  let served = '';
  await new Promise<void>((resolve, reject) => {
    daemon.stdout!.on('data', (chunk: Buffer) => {
      served += chunk.toString();
      if (served.includes('Stop with Ctrl+C')) resolve();
    });
    daemon.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving:\n${served}`)));
  });
  t.match(served, `export GATEWAY_APIKEYS_DATA_DIR=${path.join(checkout, '.data')}\n`, 'npm start says the line the next command needs');
  t.match(served, '  node dist/cli.js list\n', 'and the next command as it runs from the checkout');

  // Before the README's export line: the CLI looks at the default data dir, finds no token, and points at npm start's vault.
  const defaultToken = '/var/lib/gateway-apikeys/admin.token';
  if (fs.existsSync(defaultToken)) {
    t.comment(`not checked: the hint to npm start's vault (this machine has ${defaultToken}, so the CLI finds a token there)`);
  } else {
    const lost = spawnSync(process.execPath, ['dist/cli.js', 'list'], { cwd: checkout, env, encoding: 'utf8' });
    t.equal(lost.status, 1);
    t.match(lost.stderr, `A vault that 'npm start' made is at ${path.join(checkout, '.data')}; for it, run first:\n  export GATEWAY_APIKEYS_DATA_DIR=${path.join(checkout, '.data')}`);
  }

  // One shell for all the blocks, as a user pastes them into one terminal: what a block exports holds for the next.
  let script = 'set -e\n';
  for (const block of rest) {
    if (block.skip) {
      t.comment(`README line ${block.line} not run: ${block.skip}`);
      continue;
    }
    script += `echo "### README line ${block.line}" >&2\n${block.text}\n`;
  }
  const run = spawnSync('bash', ['-c', script], { cwd: checkout, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
  const failedAt = /### README line (\d+)\n(?![\s\S]*### README line)/.exec(run.stderr)?.[1];
  t.equal(run.status, 0, `every block ran; the last one started was README line ${failedAt}:\n${run.stderr}`);
  t.match(run.stdout, /Created API key 'Orders connector'/);
  t.match(run.stdout, /Gave API key 'Orders connector' a new value/);
  t.match(run.stdout, /Restored 1 key of vault/);
  t.ok(fs.existsSync(path.join(checkout, 'restored', 'master.key')), 'the restore made a vault where the README says');
  t.ok(rest.some((b) => b.skip), 'a skipped block says why');
});

t.test('the block reader finds the blocks, and the skips with their reason (the test above can fail)', async (t) => {
  const blocks = shellBlocks('a\n```sh\necho one\n```\n<!-- readme-test: skip: needs root -->\n```sh\nrm -rf /\n```\n```powershell\nGet-Item\n```\n');
  t.same(blocks, [{ line: 2, text: 'echo one' }, { line: 6, text: 'rm -rf /', skip: 'needs root' }]);
});
