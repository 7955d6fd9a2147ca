import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/daemon.js';

t.test('npm start runs the daemon with the V8 flags the executable has built in', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { daemonNodeFlags: string[]; scripts: Record<string, string> };
  t.ok(pkg.daemonNodeFlags.length > 0);
  for (const flag of pkg.daemonNodeFlags) t.match(pkg.scripts.start!, ` ${flag} `, flag);
});
