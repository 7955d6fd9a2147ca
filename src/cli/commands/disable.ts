import { type SessionCommand, text } from '../command.js';
import { impactOf } from '../impact.js';

export const disableCommand: SessionCommand = {
  name: 'disable',
  group: 'Keys',
  summary: 'the key fails authentication (Disabled) until enabled; its value and history are kept',
  operand: { name: 'NAME', required: true },
  session: true,
  options: { reason: { type: 'string', value: 'TEXT', help: 'why, for the audit trail and get', field: 'reason' } },
  async run(client, invocation) {
    const reason = text(invocation.flags, 'reason');
    const disabled = await client.request('apiKey.disable', { name: invocation.operand!, ...(reason !== undefined && { reason }) });
    const { io } = invocation;
    if (invocation.flags.json) {
      io.out(JSON.stringify(disabled, null, 2));
      return 0;
    }
    const impact = await impactOf(client, disabled.name);
    io.out(`Disabled API key '${disabled.name}' (${impact}): its value fails authentication from now on, and is kept. ` +
      `'${io.invokedAs} enable ${JSON.stringify(disabled.name)}' undoes it.`);
    return 0;
  },
};
