#!/usr/bin/env node
import sea from 'node:sea';
import { runCommandLine } from './cli/command-line.js';
import { invokedAs } from './cli/shell-text.js';
import { maskSecrets } from './shared/secret-text.js';

/**
 * A reader of our output that went away (`serve | head -1`, a parent that exited) is not a reason to
 * stop: the daemon goes on, its logs go on to the log files (docs/security.md).
 */
function outliveClosedOutput(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EBADF' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

outliveClosedOutput(process.stdout);
outliveClosedOutput(process.stderr);

// No top-level await: the single executable runs this file as a CommonJS bundle.
void runCommandLine(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  // Whatever an error repeats of the command line, a key value or token in it is cut to its hint.
  err: (text) => process.stderr.write(`${maskSecrets(text)}\n`),
  stdin: process.stdin,
  stdoutIsTty: Boolean(process.stdout.isTTY),
  invokedAs: invokedAs({
    script: process.argv[1], execPath: process.execPath, isSea: sea.isSea(), cwd: process.cwd(), pathVariable: process.env.PATH, platform: process.platform,
  }),
}).then((code) => {
  process.exitCode = code;
});
