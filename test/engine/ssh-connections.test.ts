/**
 * tsbook run over real OpenSSH servers (test/support/fleet.ts): connection reuse and servers that limit
 * sessions per connection. Runs the built CLI (`node bin/tsbook run`), so `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fleetSupport, settleConnectionLogs, startFleet, type Fleet } from '../support/fleet.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const support = fleetSupport();

interface CliRun {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tsbook(args: readonly string[], cwd: string): Promise<CliRun> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1' };
    delete env['ANSIBLE_HOST_KEY_CHECKING'];
    const child = spawn(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => done({ rc: code ?? 1, stdout, stderr }));
  });
}

type Json = Record<string, unknown>;

function events(stdout: string): Json[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Json);
}

function recap(stdout: string): Record<string, Record<string, number>> {
  const ev = events(stdout).find((e) => e['event'] === 'recap');
  return (ev?.['hosts'] ?? {}) as Record<string, Record<string, number>>;
}

/** Registered/debug values per host for the task named `name`. */
function resultsOf(stdout: string, name: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const e of events(stdout)) {
    const task = e['task'] as Json | undefined;
    const result = e['result'] as Json | undefined;
    if (e['event'] === 'task_result' && task?.['name'] === name && result) out.set(String(result['host']), result);
  }
  return out;
}

/** One line per failed or unreachable result, for assertion messages. */
function failures(run: CliRun): string {
  const lines = events(run.stdout)
    .filter((e) => e['event'] === 'task_result' || e['event'] === 'host_unreachable')
    .filter((e) => e['event'] === 'host_unreachable' || ['failed', 'unreachable'].includes(String((e['result'] as Json)['status'])))
    .map((e) => {
      const task = (e['task'] as Json | undefined)?.['name'];
      if (e['event'] === 'host_unreachable') return `${String(e['host'])} [${String(task)}] unreachable: ${String(e['reason'])}`;
      const result = e['result'] as Json;
      const values = result['values'] as Json;
      return `${String(result['host'])} [${String(task)}] ${String(result['status'])}: ${String(result['msg'] ?? '')} rc=${String(values['rc'])} stderr=${JSON.stringify(values['stderr'] ?? '')}`;
    });
  return `${lines.join('\n')}\n--- stderr ---\n${run.stderr}`;
}

function connections(f: Fleet): Map<string, number> {
  return new Map(f.hosts.map((h) => [h.name, f.connectionCount(h.name)]));
}

function delta(f: Fleet, before: Map<string, number>): Record<string, number> {
  return Object.fromEntries(f.hosts.map((h) => [h.name, f.connectionCount(h.name) - (before.get(h.name) ?? 0)]));
}

const TASKS = 20;

/** 20 tasks that all need the host: commands, shell, copy, stat, slurp, file; the last reads /etc/hostname. */
function twentyTaskPlaybook(scratch: string): string {
  const tasks: string[] = [];
  for (let i = 1; i <= 10; i++) tasks.push(`    - name: command ${i}\n      command: echo step-${i}\n      changed_when: false`);
  for (let i = 1; i <= 3; i++) tasks.push(`    - name: shell ${i}\n      shell: test -d /tmp && echo shell-${i} | tr a-z A-Z\n      changed_when: false`);
  tasks.push(`    - name: copy\n      copy:\n        content: "from {{ inventory_hostname }}\\n"\n        dest: "${scratch}/{{ inventory_hostname }}.txt"`);
  tasks.push(`    - name: copy again\n      copy:\n        content: "from {{ inventory_hostname }}\\n"\n        dest: "${scratch}/{{ inventory_hostname }}.txt"`);
  tasks.push(`    - name: stat\n      stat:\n        path: "${scratch}/{{ inventory_hostname }}.txt"\n      register: st`);
  tasks.push(`    - name: slurp\n      slurp:\n        src: "${scratch}/{{ inventory_hostname }}.txt"\n      register: sl`);
  tasks.push(`    - name: file absent\n      file:\n        path: "${scratch}/{{ inventory_hostname }}.txt"\n        state: absent`);
  tasks.push(`    - name: hostname\n      command: cat /etc/hostname\n      register: hn\n      changed_when: false`);
  tasks.push(`    - name: show\n      debug:\n        msg: "{{ hn.stdout }} {{ st.stat.size }} {{ sl.content | b64decode | trim }}"`);
  if (tasks.length !== TASKS) throw new Error(`playbook has ${tasks.length} tasks`);
  return `- hosts: fleet\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`;
}

describe.skipIf(!support.available)(`tsbook run over the OpenSSH fleet${support.available ? '' : ` [SKIPPED: ${support.reason}]`}`, () => {
  let fleet: Fleet;
  let limited: Fleet;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tsbook-ssh-conn-'));
    [fleet, limited] = await Promise.all([startFleet({ hosts: 5 }), startFleet({ hosts: ['lim1', 'lim2'], maxSessions: 2 })]);
    await Promise.all([settleConnectionLogs(fleet), settleConnectionLogs(limited)]);
  });

  afterAll(async () => {
    await Promise.all([fleet?.stop(), limited?.stop()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('a 20-task play over 5 hosts opens exactly one TCP connection per host', async () => {
    const playbook = join(scratch, 'twenty.yml');
    writeFileSync(playbook, twentyTaskPlaybook(scratch));
    const before = connections(fleet);
    const r = await tsbook(['-i', fleet.inventoryFile, playbook, '--json'], scratch);
    expect(r.rc, failures(r)).toBe(0);
    const rc = recap(r.stdout);
    for (const h of fleet.hosts) {
      expect(rc[h.name], h.name).toMatchObject({ ok: TASKS, changed: 2, failed: 0, unreachable: 0 });
    }
    // Each host really ran the commands itself: it reports its own (namespaced) hostname.
    const shown = resultsOf(r.stdout, 'show');
    for (const h of fleet.hosts) {
      const hostname = fleet.privileged ? h.name : fleet.run(h.name, 'cat /etc/hostname').stdout.trim();
      expect((shown.get(h.name)?.['values'] as Json | undefined)?.['msg']).toBe(`${hostname} ${`from ${h.name}\n`.length} from ${h.name}`);
    }
    const opened = delta(fleet, before);
    console.log(`[ssh-connections] TCP connections per host for ${TASKS} tasks: ${JSON.stringify(opened)}`);
    expect(opened).toEqual(Object.fromEntries(fleet.hosts.map((h) => [h.name, 1])));
  }, 120_000);

  it('hosts with MaxSessions 2 run a 10-item loop (no throttle) and a free-strategy play with forks 10', async () => {
    const playbook = join(scratch, 'limited.yml');
    writeFileSync(
      playbook,
      [
        '- hosts: fleet',
        '  gather_facts: false',
        '  tasks:',
        '    - name: loop',
        '      command: "echo item-{{ item }}"',
        '      loop: "{{ range(10) | list }}"',
        '      register: looped',
        '      changed_when: false',
        '    - name: loop outputs',
        '      debug:',
        '        msg: "{{ looped.results | map(attribute=\'stdout\') | list }}"',
        '- hosts: fleet',
        '  gather_facts: false',
        '  strategy: free',
        '  tasks:',
        ...Array.from({ length: 6 }, (_, i) => [`    - name: free ${i + 1}`, `      shell: echo free-${i + 1} $(cat /etc/hostname)`, '      changed_when: false', `      register: free${i + 1}`]).flat(),
        '    - name: free outputs',
        '      debug:',
        '        msg: "{{ [free1, free2, free3, free4, free5, free6] | map(attribute=\'stdout\') | list }}"',
        '',
      ].join('\n'),
    );
    const before = connections(limited);
    const r = await tsbook(['-i', limited.inventoryFile, playbook, '-f', '10', '--json'], scratch);
    expect(r.rc, failures(r)).toBe(0);
    const rc = recap(r.stdout);
    for (const h of limited.hosts) expect(rc[h.name], h.name).toMatchObject({ ok: 2 + 7, failed: 0, unreachable: 0 });
    const loopOut = resultsOf(r.stdout, 'loop outputs');
    const freeOut = resultsOf(r.stdout, 'free outputs');
    for (const h of limited.hosts) {
      const hostname = limited.run(h.name, 'cat /etc/hostname').stdout.trim();
      expect((loopOut.get(h.name)?.['values'] as Json | undefined)?.['msg']).toEqual(Array.from({ length: 10 }, (_, i) => `item-${i}`));
      expect((freeOut.get(h.name)?.['values'] as Json | undefined)?.['msg']).toEqual(Array.from({ length: 6 }, (_, i) => `free-${i + 1} ${hostname}`));
    }
    console.log(`[ssh-connections] MaxSessions 2 hosts, TCP connections per host: ${JSON.stringify(delta(limited, before))}`);
  }, 120_000);
});
