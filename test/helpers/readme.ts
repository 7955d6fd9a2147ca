/**
 * The README's shell blocks (test/readme.test.ts runs them; test/farm-readme.test.ts the farm's). A
 * block under `<!-- readme-test: skip: why -->` is not run by readme.test.ts, which says why.
 */
export interface Block {
  line: number;
  text: string;
  skip?: string;
}

export function shellBlocks(readme: string): Block[] {
  const lines = readme.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    while (lines[++i] !== '```') body.push(lines[i]!);
    const skip = /^<!-- readme-test: skip: (.+) -->$/.exec(lines[start - 1] ?? '')?.[1];
    blocks.push({ line: start + 1, text: body.join('\n'), ...(skip && { skip }) });
  }
  return blocks;
}
