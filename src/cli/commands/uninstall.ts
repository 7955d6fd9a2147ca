import { type OfflineCommand } from '../command.js';

export const uninstallCommand: OfflineCommand = {
  name: 'uninstall',
  group: 'Windows install',
  summary: 'the task and the event source go; the executable and the keys stay',
  session: false,
  options: {},
  async run(invocation) {
    return (await import('../install-command.js')).uninstall(invocation);
  },
};
