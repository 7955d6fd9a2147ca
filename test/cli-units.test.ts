import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { graceHoursFromText } from '../src/cli/grace.js';
import { ago, describeImpact } from '../src/cli/impact.js';
import { counted } from '../src/cli/output.js';
import { USAGE } from '../src/cli/usage.js';

const impact = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/impact-cases.json'), 'utf8')) as {
  now: string;
  cases: { connectors: number; unattributedCount: number; lastUsedAt: string | null; text: string }[];
};

t.test('the impact a confirmation names, as test/fixtures/impact-cases.json has it (the PowerShell module runs the same table)', async (t) => {
  for (const c of impact.cases) {
    const connectors = Array.from({ length: c.connectors }, (_, i) => ({ connectorId: `c${i}`, firstUsedAt: impact.now, lastUsedAt: impact.now, count: 1 }));
    t.equal(describeImpact({ connectors, unattributedCount: c.unattributedCount }, c.lastUsedAt, Date.parse(impact.now)), c.text, c.text);
  }
  t.equal(ago(0, 90 * 60_000), '1 hour ago');
});

t.test('counts read as sentences: one key, two keys, no entries', async (t) => {
  t.equal(counted(1, 'key'), '1 key');
  t.equal(counted(0, 'key'), '0 keys');
  t.equal(counted(10000, 'key'), '10000 keys');
  t.equal(counted(1, 'entry', 'entries'), '1 entry');
  t.equal(counted(3, 'entry', 'entries'), '3 entries');
});

t.test('--grace: whole hours bare or with h, whole days with d; anything else goes to the daemon as typed', async (t) => {
  const cases: [string, number | string][] = [['24', 24], ['24h', 24], ['24H', 24], ['0', 0], ['2d', 48], ['7D', 168], ['8d', 192], ['1.5', '1.5'], ['90m', '90m'], ['-1', '-1'], ['', '']];
  for (const [typed, sent] of cases) t.equal(graceHoursFromText(typed), sent, `'${typed}'`);
});

t.test('the help shows rotation with a grace as the way to change a value without downtime', async (t) => {
  t.match(USAGE, /gateway-apikeys rotate NAME \[--grace HOURS\]/);
  t.match(USAGE, /Changing a key's value without downtime: 'rotate NAME --grace 24h'/);
  for (const command of ['disable NAME [--reason TEXT]', 'enable NAME', 'usage  NAME']) t.ok(USAGE.includes(`gateway-apikeys ${command}`), command);
  t.match(USAGE, /STATUS: Active, Expiring, ExpiresSoon, Expired, Disabled/);
});
