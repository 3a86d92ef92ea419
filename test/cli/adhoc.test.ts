import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/tsbook');
const hasAnsible = spawnSync('ansible', ['--version']).status === 0;
if (!hasAnsible && process.env.CI) throw new Error('ansible is required in CI for the ad-hoc differential tests');

const dir = mkdtempSync(join(tmpdir(), 'tsbook-adhoc-'));
const inventory = join(dir, 'hosts.ini');
writeFileSync(inventory, 'h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nh2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
const env = { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' };

function tsbook(args: string[]) {
  return spawnSync(bin, args, { encoding: 'utf8', env, cwd: dir });
}
function ansible(args: string[]) {
  return spawnSync('ansible', args, { encoding: 'utf8', env, cwd: dir });
}
/** Ad-hoc output per host, sorted, since hosts finish in any order. */
function blocks(stdout: string): string[] {
  return stdout.split(/\n(?=h\d \| )/).map((b) => b.trimEnd()).sort();
}

describe.runIf(hasAnsible)('tsbook adhoc against ansible', () => {
  const cases: [string, string[]][] = [
    ['command', ['all', '-i', inventory, '-a', 'echo hello']],
    ['shell failing', ['all', '-i', inventory, '-m', 'shell', '-a', 'echo out; echo err >&2; exit 3']],
    ['debug msg', ['h1', '-i', inventory, '-m', 'debug', '-a', 'msg={{ inventory_hostname }}']],
    ['set_fact', ['h2', '-i', inventory, '-m', 'set_fact', '-a', 'x=1']],
  ];
  for (const [name, args] of cases) {
    it(`matches ansible: ${name}`, () => {
      const ours = tsbook(['adhoc', ...args]);
      const theirs = ansible(args);
      expect(ours.status).toBe(theirs.status);
      expect(blocks(ours.stdout)).toEqual(blocks(theirs.stdout));
    });
  }

  it('runs `command` as a shell shorthand with Ansible exit codes', () => {
    const r = tsbook(['command', 'h1', '-i', inventory, 'echo a && exit 2']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('h1 | FAILED | rc=2 >>\nanon-zero return code\n');
  });
});

describe('tsbook adhoc errors', () => {
  it('rejects an unknown module with exit 5', () => {
    const r = tsbook(['adhoc', 'all', '-i', inventory, '-m', 'no_such_module']);
    expect(r.status).toBe(5);
    expect(r.stderr).toContain("couldn't resolve module/action 'no_such_module'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
