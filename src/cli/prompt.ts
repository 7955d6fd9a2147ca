import readline from 'node:readline/promises';
/**
 * Asks a person at a terminal for a secret (a key value, a passphrase) without echoing it: it never
 * appears on the screen, in the shell's history or in the process list, as an argument would.
 */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let typed = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    const finish = (error?: Error) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new Error('Cancelled.'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') typed += char;
      }
    };
    input.on('data', onData);
  });
}

/** Reads all of standard input, trimmed: a secret piped in (`... | gateway-apikeys verify`). */
export async function readAll(input: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of input) text += chunk;
  return text.trim();
}

/** Asks a yes/no question on standard error; only "y" or "yes" (any case) is a yes. */
export async function askYesNo(question: string, input: NodeJS.ReadStream = process.stdin): Promise<boolean> {
  const rl = readline.createInterface({ input, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
