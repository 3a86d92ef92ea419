/**
 * End to end from the built CLI (dist/, as `npm test` builds it): `tsbook lab up`, `tsbook run` of a
 * small playbook on 3 lab hosts over SSH, `tsbook lab status|down`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../..', import.meta.url).pathname);
const bin = join(repo, 'bin/tsbook');

/**
 * Runs the tsbook CLI from dist/. Registers the `lab` verb on the program when src/cli/main.ts does
 * not (yet) do it itself, so these tests do not depend on that one line of wiring.
 */
const CLI = `
const { buildProgram } = await import(${JSON.stringify(join(repo, 'dist/cli/main.js'))});
const { registerLab } = await import(${JSON.stringify(join(repo, 'dist/cli/lab.js'))});
const { describeError, exitCodeFor } = await import(${JSON.stringify(join(repo, 'dist/cli/exit.js'))});
const program = buildProgram();
if (!program.commands.some((c) => c.name() === 'lab')) registerLab(program);
try {
  await program.parseAsync(['node', 'tsbook', ...process.argv.slice(1)]);
} catch (e) {
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) process.exitCode = e.exitCode;
  else { process.stderr.write(describeError(e, false) + '\\n'); process.exitCode = exitCodeFor(e); }
}
`;

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Outcome> {
  return new Promise((done, reject) => {
    const child = spawn(command, [...args], { cwd, env: { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const tsbookLab = (args: readonly string[], cwd: string): Promise<Outcome> => run(process.execPath, ['--input-type=module', '-e', CLI, ...args], cwd);
const tsbookRun = (args: readonly string[], cwd: string): Promise<Outcome> => run(bin, ['run', ...args], cwd);

/** `host : ok=N changed=M ...` lines of the PLAY RECAP. */
function recap(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const at = stdout.indexOf('PLAY RECAP');
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])]));
  }
  return out;
}

let cwd: string;
let labDir: string;

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist/lab/daemon.js')) || !existsSync(join(repo, 'dist/cli/lab.js'))) {
    throw new Error('dist/ has no lab build: run `npm run build` first (npm test does)');
  }
  cwd = mkdtempSync(join(tmpdir(), 'tsbook-lab-e2e-'));
  labDir = join(cwd, 'lab');
  const up = await tsbookLab(['lab', 'up', '--hosts', 'web[1:3]'], cwd);
  if (up.status !== 0) throw new Error(`tsbook lab up failed (${up.status}): ${up.stdout}\n${up.stderr}`);
});

afterAll(async () => {
  if (!cwd) return;
  await tsbookLab(['lab', 'down'], cwd);
  rmSync(cwd, { recursive: true, force: true });
});

describe('tsbook lab + tsbook run over SSH', () => {
  it('lab status lists the three hosts as up', async () => {
    const r = await tsbookLab(['lab', 'status', '--json'], cwd);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as { running: boolean; hosts: Array<{ name: string; reachable: boolean }> };
    expect(s.running).toBe(true);
    expect(s.hosts.map((h) => [h.name, h.reachable])).toEqual([['web1', true], ['web2', true], ['web3', true]]);
  });

  it('refuses a second lab up in the same directory with a usage error', async () => {
    const r = await tsbookLab(['lab', 'up', '--hosts', '2'], cwd);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/^ERROR! a lab is already running in .*lab \(pid \d+\)/);
  });

  it('runs commands on every lab host', async () => {
    writeFileSync(
      join(cwd, 'commands.yaml'),
      `- name: lab commands
  hosts: lab
  gather_facts: false
  tasks:
    - name: ask the host its name
      ansible.builtin.command: hostname
      register: who
      changed_when: false
    - name: it is the inventory host
      ansible.builtin.assert:
        that: who.stdout == inventory_hostname
    - name: leave a mark in the host's home
      ansible.builtin.shell: echo "{{ inventory_hostname }}" > mark.txt
    - name: feed stdin
      ansible.builtin.command: cat
      args:
        stdin: "fed to {{ inventory_hostname }}"
      register: fed
      changed_when: false
    - name: check stdin
      ansible.builtin.assert:
        that: fed.stdout == 'fed to ' ~ inventory_hostname
`,
    );
    const r = await tsbookRun(['commands.yaml', '-i', 'lab/inventory.yaml'], cwd);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.status).toBe(0);
    const rc = recap(r.stdout);
    expect(Object.keys(rc)).toEqual(['web1', 'web2', 'web3']);
    for (const h of ['web1', 'web2', 'web3']) {
      expect(rc[h]).toMatchObject({ ok: 5, changed: 1, unreachable: 0, failed: 0 });
      expect(readFileSync(join(labDir, 'hosts', h, 'mark.txt'), 'utf8')).toBe(`${h}\n`);
    }
  });

  it('copies files to every lab host, idempotently', async () => {
    writeFileSync(
      join(cwd, 'files.yaml'),
      `- name: lab files
  hosts: lab
  gather_facts: false
  tasks:
    - name: write a config file
      ansible.builtin.copy:
        content: "node={{ inventory_hostname }}\\n"
        dest: "${labDir}/hosts/{{ inventory_hostname }}/node.conf"
        mode: "0640"
`,
    );
    const first = await tsbookRun(['files.yaml', '-i', 'lab/inventory.yaml'], cwd);
    expect(first.stdout).not.toContain('FAILED');
    expect(first.status).toBe(0);
    for (const h of ['web1', 'web2', 'web3']) {
      expect(recap(first.stdout)[h]).toMatchObject({ ok: 1, changed: 1, failed: 0 });
      expect(readFileSync(join(labDir, 'hosts', h, 'node.conf'), 'utf8')).toBe(`node=${h}\n`);
    }
    const again = await tsbookRun(['files.yaml', '-i', 'lab/inventory.yaml'], cwd);
    expect(again.status).toBe(0);
    for (const h of ['web1', 'web2', 'web3']) expect(recap(again.stdout)[h]).toMatchObject({ ok: 1, changed: 0, failed: 0 });
  });
});
