import { given, type SessionCommand } from '../command.js';
import { impactOf } from '../impact.js';
import { graceHours } from '../option-values.js';
import { paint, when } from '../output.js';

export const rotateCommand: SessionCommand = {
  name: 'rotate',
  group: 'Keys',
  summary: 'a new value now; the old one keeps working for the grace (24 hours by default)',
  operand: { name: 'NAME', required: true },
  session: true,
  options: { grace: { type: 'string', value: 'HOURS', help: 'how long the old value keeps working: whole hours from 0 to 168 (24, 24h) or days (2d); 0 ends it at once', field: 'graceHours', parse: graceHours } },
  async run(client, invocation) {
    const grace = given<number>(invocation.flags, 'grace');
    const rotated = await client.request('apiKey.rotate', { name: invocation.operand!, ...(grace !== undefined && { graceHours: grace }) });
    const { io } = invocation;
    if (invocation.flags.json) {
      io.out(JSON.stringify(rotated, null, 2));
      return 0;
    }
    const impact = await impactOf(client, rotated.name);
    const previous = rotated.previousValidUntil === rotated.rotatedAt
      ? 'The previous value stopped working now.'
      : `The previous value keeps working until ${when(rotated.previousValidUntil)}.`;
    io.out(`Gave API key '${rotated.name}' a new value (${paint(rotated.status, rotated.color, invocation.color)}, expires ${rotated.expiresOn}). ${previous}\n` +
      `Key: ${rotated.key}\n` +
      `Give it to every connector that uses this key (${impact}); '${io.invokedAs} usage ${JSON.stringify(rotated.name)}' lists them.`);
    return 0;
  },
};
