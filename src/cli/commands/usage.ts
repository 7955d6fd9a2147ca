import { print, type SessionCommand } from '../command.js';
import { usageTable } from '../output.js';

export const usageCommand: SessionCommand = {
  name: 'usage',
  group: 'Keys',
  summary: 'which connectors use the key: first and last use, how often',
  operand: { name: 'NAME', required: true },
  session: true,
  options: {},
  async run(client, invocation) {
    const usage = await client.request('apiKey.usage', { name: invocation.operand! });
    print(invocation, usage, () => usageTable(usage));
    return 0;
  },
};
