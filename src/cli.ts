#!/usr/bin/env node
import { UsageError, USAGE } from './cli/usage.js';
import { serverVersion } from './generated/version.js';
import { RpcCallError } from './rpc/client.js';
import { maskSecrets } from './vault/secret-text.js';

/**
 * A reader of our output that went away (`serve | head -1`, a parent that exited) is not a reason to
 * stop: the daemon goes on, its logs go on to the log files (docs/security.md).
 */
function outliveClosedOutput(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EBADF' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

/** The one executable: `serve` runs the daemon; every other command is a thin client of it. */
async function main(argv: string[]): Promise<number> {
  outliveClosedOutput(process.stdout);
  outliveClosedOutput(process.stderr);
  const [command, ...args] = argv;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  // Whatever an error repeats of the command line, a key value or token in it is cut to its hint.
  const err = (text: string) => process.stderr.write(`${maskSecrets(text)}\n`);
  try {
    if (command === '--version' || command === '-v' || command === 'version') {
      out(serverVersion);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    // Each command loads only what it needs: --version and the client never load the daemon.
    if (command === 'serve') return await (await import('./cli/serve-command.js')).serveCommand(args, out);
    if (command === 'rekey') return await (await import('./cli/rekey-command.js')).rekeyCommand(args, out);
    if (command === 'restore') return await (await import('./cli/restore-command.js')).restoreCommand(args, out);
    if (command === 'install') return await (await import('./cli/install-command.js')).installCommand(args, out);
    if (command === 'uninstall') return await (await import('./cli/install-command.js')).uninstallCommand(args, out);
    const { CLIENT_COMMANDS, runClientCommand } = await import('./cli/client-commands.js');
    if (command in CLIENT_COMMANDS) {
      return await runClientCommand(command, args, { out, err, stdin: process.stdin, stdoutIsTty: Boolean(process.stdout.isTTY) });
    }
    throw new UsageError(`Unknown command '${command}'.`);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}\nRun 'gateway-apikeys --help' for the commands.`);
      return 2;
    }
    if (error instanceof RpcCallError) {
      err(`error: ${error.message} (${error.code}${error.field ? `, ${error.field}` : ''})`);
      return 1;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && /^[A-Z]\w+$/.test(error.code)) {
      err(`error: ${error.message} (${error.code})`); // a coded failure of ours, such as DaemonImpostor
      return 1;
    }
    err(`error: ${(error as Error).message}`);
    return 1;
  }
}

// No top-level await: the single executable runs this file as a CommonJS bundle.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
