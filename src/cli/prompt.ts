import { UsageError } from '../model/errors.js';

/** Reads a secret from the terminal without echoing it. Refuses when there is no terminal. */
export async function promptSecret(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new UsageError(`${question.trim()} cannot be prompted for: stdin is not a terminal`);
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(new UsageError('interrupted at the password prompt'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    };
    input.on('data', onData);
  });
}

/** `--step`: ansible-playbook's "Perform task: TASK: name (N)o/(y)es/(c)ontinue:" prompt, one reader per run. */
export function stepPrompter(): { ask(taskName: string): Promise<'yes' | 'no' | 'continue'>; close(): void } {
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let ended = false;
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  };
  const onEnd = () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  };
  process.stdin.on('data', onData);
  process.stdin.on('end', onEnd);
  const readLine = () =>
    new Promise<string | undefined>((resolve) => {
      if (lines.length > 0) resolve(lines.shift());
      else if (ended) resolve(undefined);
      else waiting.push(resolve);
    });
  return {
    async ask(taskName) {
      process.stderr.write(`Perform task: TASK: ${taskName} (N)o/(y)es/(c)ontinue: `);
      const answer = ((await readLine()) ?? '').trim().toLowerCase();
      process.stderr.write('\n');
      if (answer === 'y' || answer === 'yes') return 'yes';
      if (answer === 'c' || answer === 'continue') return 'continue';
      return 'no';
    },
    close() {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
    },
  };
}
