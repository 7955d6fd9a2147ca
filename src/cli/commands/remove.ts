import { print, type SessionCommand } from '../command.js';
import { impactOf } from '../impact.js';
import { askYesNo } from '../prompt.js';
import { UsageError } from '../usage-error.js';

export const removeCommand: SessionCommand = {
  name: 'remove',
  group: 'Keys',
  summary: 'deletes a key, irreversibly (the prompt says what uses it)',
  operand: { name: 'NAME', required: true },
  session: true,
  options: { yes: { type: 'boolean', short: 'y', help: 'delete without a prompt (scripts)' } },
  async run(client, invocation) {
    const name = invocation.operand!;
    const { io } = invocation;
    if (invocation.flags.yes !== true) {
      if (!io.stdin.isTTY) throw new UsageError('Deleting a key cannot be undone, and there is no terminal to ask on: add --yes to delete without a prompt.');
      const impact = await impactOf(client, name);
      if (!(await askYesNo(`Delete API key '${name}' (${impact})? Connectors using it will fail; this cannot be undone. [y/N] `, io.stdin))) {
        io.err('Nothing was deleted.');
        return 1;
      }
    }
    const result = await client.request('apiKey.delete', { name });
    print(invocation, result, () => `Deleted API key '${name}'.`);
    return 0;
  },
};
