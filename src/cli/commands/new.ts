import { print, type SessionCommand } from '../command.js';
import { KEY_OPTIONS, keyParams } from '../key-options.js';
import { paint } from '../output.js';

export const newCommand: SessionCommand = {
  name: 'new',
  group: 'Keys',
  summary: 'makes a key; its value is shown once (reveal shows it again)',
  operand: { name: 'NAME', required: true },
  session: true,
  options: KEY_OPTIONS,
  async run(client, invocation) {
    const created = await client.request('apiKey.create', { name: invocation.operand!, ...keyParams(invocation.flags) });
    print(invocation, created, () =>
      `Created API key '${created.name}', expires ${created.expiresOn} (${paint(created.status, created.color, invocation.color)}).\n` +
      `Key: ${created.key}\nGive it to the connector now; '${invocation.io.invokedAs} reveal ${JSON.stringify(created.name)}' shows it again.`);
    return 0;
  },
};
