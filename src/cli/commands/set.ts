import { print, type SessionCommand, text } from '../command.js';
import { KEY_OPTIONS, keyParams } from '../key-options.js';
import { keyDetails } from '../output.js';

export const setCommand: SessionCommand = {
  name: 'set',
  group: 'Keys',
  summary: "changes a key's name, description or expiry (an expired key given a valid date works again at once)",
  operand: { name: 'NAME', required: true },
  session: true,
  options: { 'new-name': { type: 'string', value: 'NAME', help: 'its new name', field: 'newName' }, ...KEY_OPTIONS },
  async run(client, invocation) {
    const newName = text(invocation.flags, 'new-name');
    const updated = await client.request('apiKey.update', {
      name: invocation.operand!, ...(newName !== undefined && { newName }), ...keyParams(invocation.flags),
    });
    print(invocation, updated, () => keyDetails(updated, invocation.color));
    return 0;
  },
};
