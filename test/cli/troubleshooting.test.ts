import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/tsbook`;
const DOC = readFileSync(`${ROOT}docs/troubleshooting.md`, 'utf8');

interface Example {
  readonly section: string;
  readonly args: readonly string[];
  readonly output: string;
  readonly exitCode: number;
}

/** The ```console blocks of the doc: `$ tsbook ARGS`, the output, then `$ echo $?` and the exit code. */
function examples(doc: string): Example[] {
  const found: Example[] = [];
  let section = '';
  const lines = doc.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('## ')) section = lines[i]!.slice(3);
    if (lines[i] !== '```console') continue;
    const end = lines.indexOf('```', i + 1);
    const block = lines.slice(i + 1, end);
    const command = block[0]!;
    const echo = block.lastIndexOf('$ echo $?');
    expect(command.startsWith('$ tsbook '), `a console block in "${section}" must start with "$ tsbook"`).toBe(true);
    expect(echo, `the console block in "${section}" must end with "$ echo $?" and the exit code`).toBe(block.length - 2);
    found.push({ section, args: command.slice('$ tsbook '.length).split(' '), output: block.slice(1, echo).join('\n'), exitCode: Number(block[echo + 1]) });
    i = end;
  }
  return found;
}

/** Trailing blanks are not significant (editors strip them; the recap line has some). */
const normalize = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();

function run(args: readonly string[]): Promise<{ output: string; code: number }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')));
  return new Promise((resolve) => {
    execFile(BIN, [...args], { cwd: ROOT, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : 0;
      resolve({ output: `${stdout}${stdout && !stdout.endsWith('\n') ? '\n' : ''}${stderr}`, code });
    });
  });
}

const REQUIRED = [
  'yaml-syntax.yml',
  'schema.yml',
  'unknown-module.yml',
  'unknown-keyword.yml',
  'undefined-var.yml',
  'template-syntax.yml',
  'vault.yml',
  'role-not-found.yml',
];

describe('docs/troubleshooting.md', () => {
  const all = examples(DOC);

  it('shows a runnable example for every error class that needs no SSH server', () => {
    const fixtures = all.flatMap((e) => e.args.filter((a) => a.startsWith('test/fixtures/troubleshooting/')).map((a) => a.slice('test/fixtures/troubleshooting/'.length)));
    for (const name of REQUIRED) expect(fixtures).toContain(name);
    expect(DOC).toContain('--vault-password-file test/fixtures/troubleshooting/wrong-pass.txt');
  });

  it('has a section for each error class', () => {
    const sections = [...DOC.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase());
    for (const word of ['yaml', 'schema', 'module', 'keyword', 'undefined', 'template', 'pattern', 'unreachable', 'host key', 'authentication', 'vault', 'role', 'become', 'timeout', 'interrupt']) {
      expect(sections.some((s) => s.includes(word)), `no section about ${word}`).toBe(true);
    }
  });

  it('prints exactly what the doc shows, with the same exit code', async () => {
    const results = await Promise.all(all.map((e) => run(e.args)));
    all.forEach((example, i) => {
      const { output, code } = results[i]!;
      expect(normalize(output), `${example.section}: tsbook ${example.args.join(' ')}`).toContain(normalize(example.output));
      expect(code, `${example.section}: exit code`).toBe(example.exitCode);
    });
  }, 120_000);
});
