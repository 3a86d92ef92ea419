/**
 * Ctrl-C and SIGTERM sent to `bin/tsbook run` (needs dist/: `npx tsc -p tsconfig.json`) while tasks
 * run on the OpenSSH fleet: no new task starts, running tasks get the grace period and are then
 * cancelled with their remote processes killed, the recap is printed, the exit code is 99. A second
 * Ctrl-C cancels at once. Every check ends with ps on the hosts: no process of the run is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSupport, startFleet, type Fleet } from '../support/fleet.js';
import { hostLine, inventoryText, plainRecap, remoteProcesses, spawnTsbook, waitFor, type CliChild } from './support.js';
import { resolveGracePeriod, watchInterrupts } from '../../src/cli/interrupt.js';
import { EventEmitter } from 'node:events';

const support = fleetSupport();

let scratch: string;
let fleet: Fleet;
let inventory: string;

function file(name: string, text: string, mode?: number): string {
  const path = join(scratch, name);
  writeFileSync(path, text, mode === undefined ? undefined : { mode });
  return path;
}

function playbook(name: string, longTask: string): string {
  return file(name, `- hosts: targets
  gather_facts: false
  tasks:
    - name: before
      command: echo before
${longTask}
    - name: never
      command: echo never
`);
}

/** Waits until `pattern` runs on every host. */
async function runningEverywhere(pattern: RegExp, cli: CliChild): Promise<void> {
  await waitFor(`${pattern} on every host\n${cli.stdout()}\n${cli.stderr()}`, () => fleet.hosts.every((h) => remoteProcesses(fleet, h.name, pattern).length > 0), 20_000);
}

/** Processes of the run still alive on the hosts (a killed process its parent has not reaped yet is dead: ignored). */
function leftovers(pattern: RegExp): string[] {
  return fleet.hosts.flatMap((h) => remoteProcesses(fleet, h.name, pattern).filter((p) => !p.endsWith('<defunct>')).map((p) => `${h.name}: ${p}`));
}

beforeAll(async () => {
  if (!support.available) throw new Error(support.reason);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-interrupt-'));
  fleet = await startFleet({ hosts: 2 });
  inventory = file('hosts.ini', inventoryText(fleet, fleet.hosts.map((h) => hostLine(fleet, h.name))));
});

afterAll(async () => {
  await fleet?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!support.available)('interrupting tsbook run', () => {
  it('Ctrl-C: the running script gets the grace period, is cancelled, its processes and temp files are removed; recap; exit 99', async () => {
    file('interrupt-3652.sh', '#!/bin/sh\nsleep 3652\necho never\n', 0o755);
    const pb = playbook('ctrl-c.yml', '    - name: long\n      script: interrupt-3652.sh');
    const cli = spawnTsbook(['-i', inventory, pb, '--grace-period', '1'], scratch);
    await runningEverywhere(/^sleep 3652$/, cli);
    const sentAt = Date.now();
    cli.child.kill('SIGINT');
    const rc = await cli.exited;
    const took = Date.now() - sentAt;
    const info = `${cli.stdout()}\n--- stderr ---\n${cli.stderr()}`;
    expect(rc, info).toBe(99);
    expect(took, info).toBeGreaterThanOrEqual(900);
    expect(took, info).toBeLessThan(15_000);
    expect(cli.stderr()).toContain('[tsbook] interrupted: no new tasks will start; running tasks have 1 second to finish');
    expect(cli.stderr()).toContain('[tsbook] grace period over: cancelling running tasks');
    expect(cli.stdout()).not.toContain('TASK [never]');
    const recap = plainRecap(cli.stdout());
    for (const h of fleet.hosts) expect(recap[h.name], info).toEqual({ ok: 1, changed: 1, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
    expect(cli.stdout()).toContain('Interrupted: the task was cancelled and its remote processes were killed');
    expect(leftovers(/sleep 3652|interrupt-3652/)).toEqual([]);
    // the script's temporary directory on the host was removed too
    for (const h of fleet.hosts) expect(fleet.run(h.name, 'ls -d /tmp/tsbook-script-*/interrupt-3652.sh 2>/dev/null').stdout).toBe('');
  }, 60_000);

  it('SIGTERM: a task that ends within the grace period completes, nothing new starts; recap in --json; exit 99', async () => {
    const pb = playbook('sigterm.yml', '    - name: short\n      command: sleep 2.0361');
    const cli = spawnTsbook(['-i', inventory, pb, '--json'], scratch, { TSBOOK_GRACE_PERIOD: '' });
    await runningEverywhere(/^sleep 2\.0361$/, cli);
    cli.child.kill('SIGTERM');
    const rc = await cli.exited;
    const info = `${cli.stdout()}\n--- stderr ---\n${cli.stderr()}`;
    expect(rc, info).toBe(99);
    expect(cli.stderr()).toContain('running tasks have 10 seconds to finish');
    expect(cli.stderr()).not.toContain('cancelling');
    const events = cli.stdout().trim().split('\n').map((l) => JSON.parse(l) as { event: string; hosts?: Record<string, unknown>; task?: { name: string } });
    expect(events.filter((e) => e.event === 'task_start').map((e) => e.task?.name)).toEqual(['before', 'short']);
    const last = events[events.length - 1]!;
    expect(last.event).toBe('recap');
    for (const h of fleet.hosts) expect(last.hosts?.[h.name]).toMatchObject({ ok: 2, changed: 2, failed: 0, unreachable: 0 });
  }, 60_000);

  it('a second Ctrl-C cancels at once, still killing the remote processes; recap; exit 99', async () => {
    const pb = playbook('twice.yml', '    - name: long\n      shell: sleep 3653 & sleep 3654; echo never');
    const cli = spawnTsbook(['-i', inventory, pb], scratch, { TSBOOK_GRACE_PERIOD: '60' });
    await runningEverywhere(/^sleep 3654$/, cli);
    cli.child.kill('SIGINT');
    await waitFor('the first interrupt to be seen', () => cli.stderr().includes('interrupted'), 5000);
    const sentAt = Date.now();
    cli.child.kill('SIGINT');
    const rc = await cli.exited;
    const took = Date.now() - sentAt;
    const info = `${cli.stdout()}\n--- stderr ---\n${cli.stderr()}`;
    expect(rc, info).toBe(99);
    // "at once": far below the 60 s grace period
    expect(took, info).toBeLessThan(10_000);
    expect(cli.stderr()).toContain('running tasks have 60 seconds to finish');
    expect(cli.stderr()).toContain('[tsbook] interrupted again: cancelling running tasks');
    const recap = plainRecap(cli.stdout());
    for (const h of fleet.hosts) expect(recap[h.name], info).toMatchObject({ ok: 1, changed: 1, failed: 1 });
    expect(leftovers(/^sleep 365[34]$/)).toEqual([]);
  }, 60_000);

  it('rejects a bad --grace-period with a usage error (exit 5)', async () => {
    const cli = spawnTsbook(['-i', inventory, playbook('bad.yml', ''), '--grace-period', 'soon'], scratch);
    expect(await cli.exited).toBe(5);
    expect(cli.stderr()).toContain("--grace-period must be a number of seconds (0 or more), got 'soon'");
  }, 30_000);
});

describe('interrupt handling (unit)', () => {
  it('resolves the grace period from the option, then TSBOOK_GRACE_PERIOD, then 10', () => {
    expect(resolveGracePeriod(undefined, {})).toBe(10);
    expect(resolveGracePeriod(undefined, { TSBOOK_GRACE_PERIOD: '2.5' })).toBe(2.5);
    expect(resolveGracePeriod('0', { TSBOOK_GRACE_PERIOD: '7' })).toBe(0);
    expect(() => resolveGracePeriod(undefined, { TSBOOK_GRACE_PERIOD: '-1' })).toThrow(/TSBOOK_GRACE_PERIOD must be a number of seconds/);
  });

  it('stops on the first signal, cancels after the grace period or the second signal, exits on the third', async () => {
    const source = new EventEmitter() as unknown as Pick<NodeJS.Process, 'on' | 'off'>;
    const emit = (s: string) => (source as unknown as EventEmitter).emit(s);
    const exits: number[] = [];
    const lines: string[] = [];
    const a = watchInterrupts({ graceSeconds: 0.05, write: (t) => lines.push(t), source, exit: (c) => exits.push(c), hardDeadlineMs: 30 });
    emit('SIGTERM');
    expect([a.stop.aborted, a.cancel.aborted]).toEqual([true, false]);
    await new Promise((r) => setTimeout(r, 80));
    expect(a.cancel.aborted).toBe(true);
    a.dispose();

    const b = watchInterrupts({ graceSeconds: 60, write: (t) => lines.push(t), source, exit: (c) => exits.push(c), hardDeadlineMs: 30 });
    emit('SIGINT');
    emit('SIGINT');
    expect([b.stop.aborted, b.cancel.aborted]).toEqual([true, true]);
    expect(exits).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(exits).toEqual([99]);
    emit('SIGINT');
    expect(exits).toEqual([99, 99]);
    b.dispose();
    expect((source as unknown as EventEmitter).listenerCount('SIGINT')).toBe(0);
  });
});
