import { print, type SessionCommand } from '../command.js';
import { when } from '../output.js';
import { promptHidden, readAll } from '../prompt.js';
import { UsageError } from '../usage-error.js';

export const verifyCommand: SessionCommand = {
  name: 'verify',
  group: 'Keys',
  summary: 'whether a key value is valid, and whose (the value from standard input or a hidden prompt: never an argument)',
  session: true,
  options: {},
  check({ operand, io }) {
    if (operand !== undefined && operand !== '-') {
      throw new UsageError('A key on the command line can be read by every user of this machine (ps, /proc) and stays in shell history. ' +
        `Pipe it in (... | ${io.invokedAs} verify) or type it at the prompt (${io.invokedAs} verify).`);
    }
  },
  operand: { name: '-', required: false },
  async run(client, invocation) {
    const { io } = invocation;
    const presented = io.stdin.isTTY ? await promptHidden('API key (not shown): ', io.stdin) : await readAll(io.stdin);
    const result = await client.request('apiKey.verify', { key: presented });
    if (!result.authenticated) {
      print(invocation, result, () => `Not valid: ${result.reason}.`);
      return 3;
    }
    // The previous value of a rotation works only until its grace ends: say until when.
    const until = result.previousValue ? (await client.request('apiKey.get', { name: result.name })).previousValidUntil : null;
    print(invocation, { ...result, ...(result.previousValue && { previousValidUntil: until }) }, () => result.previousValue
      ? `Valid, as the previous value of API key '${result.name}' (expires ${result.expiresOn}, ${result.status}): it was replaced by a rotation ` +
        `and stops working at ${when(until)}. Give the connector the key's current value.`
      : `Valid: API key '${result.name}', expires ${result.expiresOn} (${result.status}).`);
    return 0;
  },
};
