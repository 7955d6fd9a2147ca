import { print, type SessionCommand } from '../command.js';
import { paint } from '../output.js';

export const enableCommand: SessionCommand = {
  name: 'enable',
  group: 'Keys',
  summary: 'a disabled key authenticates again',
  operand: { name: 'NAME', required: true },
  session: true,
  options: {},
  async run(client, invocation) {
    const enabled = await client.request('apiKey.enable', { name: invocation.operand! });
    print(invocation, enabled, () => `Enabled API key '${enabled.name}': ${paint(enabled.status, enabled.color, invocation.color)}, expires ${enabled.expiresOn}.`);
    return 0;
  },
};
