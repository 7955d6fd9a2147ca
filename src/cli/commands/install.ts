import { type OfflineCommand } from '../command.js';

export const installCommand: OfflineCommand = {
  name: 'install',
  group: 'Windows install',
  summary: 'elevated, the single executable: to %ProgramFiles%, a scheduled task running serve as SYSTEM at start-up, the event source',
  session: false,
  options: {
    'pipe-allow': { type: 'string', multiple: true, value: 'ACCOUNT', help: 'only these accounts (names or SIDs) may open the pipe; may be repeated' },
    'gateway-account': { type: 'string', value: 'ACCOUNT', help: "the gateway's account: it may read gateway.token in place and open the pipe (serve --gateway-account)" },
    'data-dir': { type: 'string', value: 'DIR', help: "the vault (%ProgramData%\\Nintex\\Gateway by default)" },
    pipe: { type: 'string', value: 'PIPE', help: 'the pipe (\\\\.\\pipe\\gateway-apikeys by default)' },
    'run-as': { type: 'string', value: 'ACCOUNT', help: 'run serve as this account, least privilege, not SYSTEM: a gMSA (DOMAIN\\name$) or one made for it' },
    'no-start': { type: 'boolean', help: 'register the task without starting it' },
  },
  async run(invocation) {
    return (await import('../install-command.js')).install(invocation);
  },
};
