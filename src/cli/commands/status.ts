import { print, type SessionCommand } from '../command.js';
import { table } from '../output.js';

export const statusCommand: SessionCommand = {
  name: 'status',
  group: 'Keys',
  summary: "the daemon's version, uptime and the count of keys of each status",
  session: true,
  options: {},
  async run(client, invocation) {
    const status = await client.request('daemon.status', {});
    const { keys } = status;
    print(invocation, status, () =>
      `gateway-apikeys ${status.serverVersion}, up ${status.uptimeSeconds} s\n` +
      table(['KEYS', 'ACTIVE', 'EXPIRING', 'EXPIRES SOON', 'EXPIRED', 'DISABLED'],
        [[keys.total, keys.Active, keys.Expiring, keys.ExpiresSoon, keys.Expired, keys.Disabled].map(String)]));
    return 0;
  },
};
