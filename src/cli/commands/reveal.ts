import { print, type SessionCommand } from '../command.js';

export const revealCommand: SessionCommand = {
  name: 'reveal',
  group: 'Keys',
  summary: "shows a key's value (the View screen; the audit trail records it)",
  operand: { name: 'NAME', required: true },
  session: true,
  options: {},
  async run(client, invocation) {
    const shown = await client.request('apiKey.reveal', { name: invocation.operand! });
    print(invocation, shown, () =>
      [`Name:        ${shown.name}`, `Description: ${shown.description}`, `Expires:     ${shown.expiresOn}`, `Key:         ${shown.key}`].join('\n'));
    return 0;
  },
};
