import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PasswdFile, passwdNames, unixAccount, windowsAccount } from '../src/platform/accounts.js';
import { processAccount } from '../src/platform/system.js';
import { ownAccount } from './helpers/daemon.js';

/** How the audit trail and the logs name an operating-system account (docs/security.md, "Who acted"). */

t.test('an account is its name and its number or SID, or the number or SID alone', async (t) => {
  t.equal(unixAccount(1000, 'alice'), 'alice (uid 1000)');
  t.equal(unixAccount(1000, undefined), 'uid 1000');
  t.equal(unixAccount(0, ''), 'uid 0', 'an empty name is no name');
  t.equal(windowsAccount('S-1-5-21-1-2-3-1001', 'CONTOSO\\alice'), 'CONTOSO\\alice (S-1-5-21-1-2-3-1001)');
  t.equal(windowsAccount('S-1-5-21-1-2-3-1001', undefined), 'S-1-5-21-1-2-3-1001');
});

t.test('a passwd file names uids: malformed lines are skipped, the first line of a uid names it', async (t) => {
  const names = passwdNames([
    'root:x:0:0:root:/root:/bin/bash',
    '# a comment',
    '',
    'alice:x:1000:1000:Alice:/home/alice:/bin/bash',
    'alias:x:1000:1000::/home/alice:/bin/bash',
    'broken:x:notanumber:0::/:/bin/false',
    'short',
    ':x:1001:1001::/:/bin/false',
    'bob:x:1002:1002::/home/bob:/bin/sh\r',
  ].join('\n'));
  t.same([...names], [[0, 'root'], [1000, 'alice'], [1002, 'bob']]);
});

t.test('the file is read again once it changed, and a missing one names nobody', async (t) => {
  const file = path.join(t.testdir(), 'passwd');
  fs.writeFileSync(file, 'alice:x:1000:1000::/home/alice:/bin/sh\n');
  const passwd = new PasswdFile(file);
  t.equal(passwd.nameOf(1000), 'alice');
  t.equal(passwd.nameOf(1001), undefined);
  fs.writeFileSync(file, 'alice:x:1000:1000::/home/alice:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\n');
  t.equal(passwd.nameOf(1001), 'carol', 'an account added while the daemon runs');
  fs.rmSync(file);
  t.equal(passwd.nameOf(1000), undefined);
});

t.test('this process\'s account, as offline commands record it', { skip: process.platform !== 'linux' && 'Linux names uids here; Windows is run by the Wine suite' }, async (t) => {
  t.equal(processAccount(), ownAccount);
});
