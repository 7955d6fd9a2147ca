import { print, type SessionCommand } from '../command.js';
import { keyDetails } from '../output.js';

export const getCommand: SessionCommand = {
  name: 'get',
  group: 'Keys',
  summary: 'one key in full (never its value)',
  operand: { name: 'NAME', required: true },
  session: true,
  options: {},
  async run(client, invocation) {
    const key = await client.request('apiKey.get', { name: invocation.operand! });
    print(invocation, key, () => keyDetails(key, invocation.color));
    return 0;
  },
};
