/**
 * Load and determinism on the OpenSSH fleet: 100 inventory hosts (aliases spread over 4 sshd's, one
 * SSH connection per inventory host, as tsbook opens them) x 50 tasks with forks 100 lose no result,
 * keep every registered value on its own host, and the recap sums are consistent. Then 20 runs of
 * 100 hosts x 10 tasks give identical recaps and the same result sequence: 2 over SSH and 18 over an
 * in-memory connection that answers after a random delay (100 SSH handshakes cost ~4.5 s of sshd CPU
 * on a 2-core machine, too slow for 20 runs; the random delays shuffle completion order harder).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';
import { hostLine, inventoryText, runEngine } from './support.js';
import type { HostStats } from '../../src/events/types.js';
import type { Connection } from '../../src/connection/types.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

const support = fleetSupport();
const HOSTS = 100;
const SSHDS = 4;

let scratch: string;
let fleet: Fleet;
let inventory: string;

const alias = (i: number) => `n${String(i).padStart(3, '0')}`;

/**
 * `count` tasks in a repeating pattern of five: a remote echo (registered), debug, set_fact, a remote
 * command only on even-numbered hosts (else skipped), and an assert that the registered echo is this
 * host's own output.
 */
function playbook(count: number): string {
  const tasks: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = i - (i % 5);
    switch (i % 5) {
      case 0:
        tasks.push(`    - name: echo ${i}\n      command: echo {{ inventory_hostname }} ${i}\n      register: r${i}`);
        break;
      case 1:
        tasks.push(`    - name: debug ${i}\n      debug: {msg: "{{ r${base}.stdout }}"}`);
        break;
      case 2:
        tasks.push(`    - name: fact ${i}\n      set_fact: {f${i}: "{{ inventory_hostname }}-${i}"}`);
        break;
      case 3:
        tasks.push(`    - name: even ${i}\n      command: "true"\n      changed_when: false\n      when: inventory_hostname[-1] | int is even`);
        break;
      default:
        tasks.push(`    - name: check ${i}\n      assert:\n        that:\n          - r${base}.stdout == inventory_hostname ~ ' ${base}'\n          - f${base + 2} == inventory_hostname ~ '-${base + 2}'\n        quiet: true`);
    }
  }
  return `- hosts: targets\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`;
}

/** What the recap of `playbook(count)` must be for host number `i`. */
function expectedStats(count: number, i: number): HostStats {
  const cycles = count / 5;
  const even = i % 2 === 0;
  return { ok: cycles * (even ? 5 : 4), changed: cycles, unreachable: 0, failed: 0, skipped: even ? 0 : cycles, rescued: 0, ignored: 0 };
}

/** Answers the command module's `exec echo WORDS` and `exec true` like a shell would, after 0-15 ms. */
function jitteryConnection(host: string): Connection {
  const later = <T>(value: T) => new Promise<T>((r) => setTimeout(() => r(value), Math.floor(Math.random() * 16)));
  return new ScriptedConnection(host)
    .on(/^exec echo [\w ]+$/, (command) => later({ stdout: `${command.slice('exec echo '.length)}\n` }))
    .on(/^exec true$/, () => later({}));
}

beforeAll(async () => {
  if (!support.available) throw new Error(support.reason);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-load-'));
  fleet = await startFleet({ hosts: SSHDS });
  const lines = Array.from({ length: HOSTS }, (_, k) => hostLine(fleet, fleet.hosts[k % SSHDS]!.name, alias(k + 1)));
  inventory = join(scratch, 'hosts.ini');
  writeFileSync(inventory, inventoryText(fleet, lines));
});

afterAll(async () => {
  await fleet?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!support.available)('load', () => {
  it(`${HOSTS} hosts x 50 tasks, forks 100: no result lost, recap sums consistent`, async () => {
    const tasks = 50;
    const file = join(scratch, 'load.yml');
    writeFileSync(file, playbook(tasks));
    const started = Date.now();
    const r = await runEngine(file, inventory, { forks: 100 });
    const seconds = (Date.now() - started) / 1000;
    const failures = r.events.filter((e) => e.event === 'task_result' && (e.result.status === 'failed' || e.result.status === 'unreachable'));
    expect(failures.slice(0, 3)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.events.filter((e) => e.event === 'task_result')).toHaveLength(HOSTS * tasks);
    expect(Object.keys(r.recap ?? {})).toHaveLength(HOSTS);
    for (let i = 1; i <= HOSTS; i++) {
      const s = r.recap?.[alias(i)];
      expect(s, alias(i)).toEqual(expectedStats(tasks, i));
      expect(s!.ok + s!.skipped + s!.failed + s!.unreachable).toBe(tasks);
    }
    console.log(`load: ${HOSTS} hosts x ${tasks} tasks in ${seconds.toFixed(1)}s`);
  }, 120_000);

  it(`20 runs of ${HOSTS} hosts x 10 tasks give identical recaps and result sequences`, async () => {
    const tasks = 10;
    const file = join(scratch, 'repeat.yml');
    writeFileSync(file, playbook(tasks));
    const recaps = new Set<string>();
    const sequences = new Set<string>();
    const started = Date.now();
    for (let run = 0; run < 20; run++) {
      const r = await runEngine(file, inventory, { forks: 100, ...(run < 2 ? {} : { connect: (host: string) => jitteryConnection(host) }) });
      expect(r.exitCode).toBe(0);
      recaps.add(JSON.stringify(r.recap));
      sequences.add(r.events.flatMap((e) => (e.event === 'task_result' ? [`${e.task.name}/${e.result.host}/${e.result.status}`] : [])).join('\n'));
    }
    expect(recaps.size).toBe(1);
    expect(sequences.size).toBe(1);
    const recap = JSON.parse([...recaps][0]!) as Record<string, HostStats>;
    expect(Object.keys(recap)).toEqual(Array.from({ length: HOSTS }, (_, k) => alias(k + 1)));
    for (let i = 1; i <= HOSTS; i++) expect(recap[alias(i)]).toEqual(expectedStats(tasks, i));
    console.log(`repeat: 20 runs in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }, 60_000);
});
