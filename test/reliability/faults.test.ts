/**
 * Faults on the OpenSSH fleet, through the engine with its real SSH connections: a host that dies
 * mid-task, connections that drop between tasks (one reconnect), a hung command with the task
 * `timeout:` keyword (its remote process group is killed), and hosts that accept TCP but never speak
 * (the connection timeout applies, the other hosts carry on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fleetSupport, settleConnectionLogs, startFleet, type Fleet } from '../support/fleet.js';
import { hostLine, inventoryText, killHost, killSessions, remoteProcesses, runEngine, waitFor } from './support.js';

const support = fleetSupport();

let scratch: string;
let fleet: Fleet;

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

function fleetInventory(name: string, f: Fleet, extraLines: readonly string[] = []): string {
  return file(name, inventoryText(f, [...f.hosts.map((h) => hostLine(f, h.name)), ...extraLines]));
}

beforeAll(async () => {
  if (!support.available) throw new Error(support.reason);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-faults-'));
  fleet = await startFleet({ hosts: 3 });
});

afterAll(async () => {
  await fleet?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!support.available)('a host that dies', () => {
  it('mid-task: that host is unreachable with a reason, the others finish, exit code 4', async () => {
    const f = await startFleet({ hosts: 3 });
    try {
      const playbook = file('die.yml', `- hosts: targets
  gather_facts: false
  tasks:
    - name: warm up
      command: echo up
    - name: long
      command: sleep 2.71{{ inventory_hostname[-1] }}
    - name: after
      command: echo after
`);
      const run = runEngine(playbook, fleetInventory('die.ini', f));
      // host2's sleep runs: now its sshd and sessions are killed
      await waitFor('the sleep on host2', () => remoteProcesses(f, 'host2', /^sleep 2\.712$/).length > 0);
      killHost(f, 'host2');
      const r = await run;
      expect(r.exitCode).toBe(4);
      expect(r.recap).toEqual({
        host1: expect.objectContaining({ ok: 3, changed: 3, unreachable: 0, failed: 0 }),
        host2: expect.objectContaining({ ok: 1, changed: 1, unreachable: 1, failed: 0 }),
        host3: expect.objectContaining({ ok: 3, changed: 3, unreachable: 0, failed: 0 }),
      });
      const lost = r.results('host2').find((x) => x.status === 'unreachable');
      const h2 = f.host('host2');
      // a FIN ("connection closed") as a rule; an RST if the kernel had unread data
      expect([`ssh: connection to ${f.user}@${h2.address}:${h2.port} lost: connection closed`, `ssh: connection to ${f.user}@${h2.address}:${h2.port} lost: read ECONNRESET`]).toContain(lost?.msg);
      const unreachable = r.events.filter((e) => e.event === 'host_unreachable');
      expect(unreachable.map((e) => e.event === 'host_unreachable' && [e.host, e.task.name])).toEqual([['host2', 'long']]);
      // host2 never ran "after"
      expect(r.results('host2').map((x) => x.status)).toEqual(['changed', 'unreachable']);
    } finally {
      await f.stop();
    }
  }, 60_000);
});

describe.skipIf(!support.available)('a connection that drops between tasks', () => {
  it('is reopened once (one new TCP connection) and the run carries on', async () => {
    const f = await startFleet({ hosts: 2 });
    try {
      await settleConnectionLogs(f);
      const before = f.hosts.map((h) => f.connectionCount(h.name));
      const playbook = file('drop.yml', `- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - pause: {seconds: 1}
    - command: echo two
    - command: echo three
`);
      let dropped = 0;
      const r = await runEngine(playbook, fleetInventory('drop.ini', f), {
        // right after host1's first result: the connection is idle, its sessions die
        onEvent: (e) => {
          if (e.event === 'task_result' && e.result.host === 'host1' && e.task.action === 'command' && dropped === 0) dropped = killSessions(f, 'host1');
        },
      });
      expect(dropped).toBeGreaterThan(0);
      expect(r.exitCode).toBe(0);
      expect(r.recap?.host1).toMatchObject({ ok: 4, changed: 3, unreachable: 0, failed: 0 });
      await waitFor('sshd logs', () => f.connectionCount('host1') >= before[0]! + 2, 5000).catch(() => undefined);
      expect(f.connectionCount('host1') - before[0]!).toBe(2);
      expect(f.connectionCount('host2') - before[1]!).toBe(1);
    } finally {
      await f.stop();
    }
  }, 60_000);

  it('is reopened at once even when the next task starts before the drop was noticed', async () => {
    const f = await startFleet({ hosts: 1 });
    try {
      const playbook = file('drop-race.yml', `- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - command: echo two
    - command: echo three
`);
      let dropped = 0;
      const r = await runEngine(playbook, fleetInventory('drop-race.ini', f), {
        onEvent: (e) => {
          if (e.event === 'task_result' && dropped === 0) dropped = killSessions(f, 'host1');
        },
      });
      expect(dropped).toBeGreaterThan(0);
      expect(r.exitCode).toBe(0);
      expect(r.recap?.host1).toMatchObject({ ok: 3, changed: 3, unreachable: 0 });
    } finally {
      await f.stop();
    }
  }, 60_000);

  it('counts as unreachable when the one reconnect fails; the other hosts finish', async () => {
    const f = await startFleet({ hosts: 2 });
    try {
      const playbook = file('drop-dead.yml', `- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - pause: {seconds: 1}
    - command: echo two
    - command: echo three
`);
      let killed = false;
      const r = await runEngine(playbook, fleetInventory('drop-dead.ini', f), {
        onEvent: (e) => {
          if (e.event === 'task_result' && e.result.host === 'host1' && !killed) {
            killed = true;
            killHost(f, 'host1');
          }
        },
      });
      expect(r.exitCode).toBe(4);
      expect(r.recap?.host1).toMatchObject({ ok: 2, changed: 1, unreachable: 1, failed: 0 });
      // pause runs once, on the first host (host1)
      expect(r.recap?.host2).toMatchObject({ ok: 3, changed: 3, unreachable: 0, failed: 0 });
      const fatal = r.results('host1').find((x) => x.status === 'unreachable');
      const h1 = f.host('host1');
      const endpoint = `${h1.address}:${h1.port}`;
      expect(fatal?.msg).toMatch(/^ssh: connection to \S+ was lost \((connection closed|read ECONNRESET)\) and reconnecting failed: connection to \S+ refused$/);
      expect(fatal?.msg).toContain(`connection to ${f.user}@${endpoint} was lost`);
      expect(fatal?.msg).toContain(`reconnecting failed: connection to ${endpoint} refused`);
    } finally {
      await f.stop();
    }
  }, 60_000);
});

describe.skipIf(!support.available)('the task timeout keyword', () => {
  it("fails a hung command with Ansible's message and kills its remote process group", async () => {
    const playbook = file('timeout.yml', `- hosts: targets
  gather_facts: false
  tasks:
    - name: hangs
      command: sleep 3617
      timeout: 1
      ignore_errors: true
    - name: hangs with children that left the group
      shell: (setsid sleep 3618 &) ; sleep 3619 & sleep 3620; echo never
      timeout: 2
      register: out
      ignore_errors: true
    - name: next
      command: echo next
`);
    const seen: Record<string, string[]> = {};
    const started = Date.now();
    const r = await runEngine(playbook, fleetInventory('timeout.ini', fleet), {
      onEvent: (e) => {
        // the processes are gone when the task reports, before the next task starts
        if (e.event === 'task_result' && e.result.host === 'host1') seen[e.task.name] = remoteProcesses(fleet, 'host1', /^sleep 36(1[7-9]|20)$/);
      },
    });
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(r.exitCode).toBe(0);
    for (const h of fleet.hosts) {
      const results = r.results(h.name);
      expect(results.map((x) => [x.status, x.ignored ?? false])).toEqual([['failed', true], ['failed', true], ['changed', false]]);
      expect(results[0]!.msg).toBe('The command action failed to execute in the expected time frame (1) and was terminated');
      expect(results[0]!.error?.message).toBe('timed out after 1s');
      expect(results[1]!.msg).toBe('The shell action failed to execute in the expected time frame (2) and was terminated');
      expect(r.recap?.[h.name]).toMatchObject({ ok: 3, changed: 1, failed: 0, ignored: 2 });
    }
    expect(seen).toEqual({ hangs: [], 'hangs with children that left the group': [], next: [] });
    for (const h of fleet.hosts) expect(remoteProcesses(fleet, h.name, /^sleep 36(1[7-9]|20)$/)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!support.available)('hosts that never answer', () => {
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];

  beforeAll(async () => {
    // accepts TCP connections and never sends an SSH greeting
    silent = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
  });

  afterAll(() => {
    for (const s of held) s.destroy();
    silent?.close();
  });

  const tasks = `  gather_facts: false
  tasks:
    - command: echo one
    - command: echo two
    - debug: {msg: three}
`;

  it('a silent listener is unreachable after the connection timeout; the others run every task', async () => {
    const playbook = file('silent.yml', `- hosts: targets\n${tasks}`);
    const inv = fleetInventory('silent.ini', fleet, [`mute ansible_host=127.0.0.1 ansible_port=${silentPort}`]);
    const started = Date.now();
    const r = await runEngine(playbook, inv, { connectionTimeout: 2 });
    const elapsed = Date.now() - started;
    expect(r.exitCode).toBe(4);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(12_000);
    for (const h of fleet.hosts) expect(r.recap?.[h.name]).toMatchObject({ ok: 3, changed: 2, unreachable: 0 });
    expect(r.recap?.mute).toMatchObject({ ok: 0, unreachable: 1 });
    expect(r.results('mute')[0]?.msg).toBe(`ssh: 127.0.0.1:${silentPort} accepted the connection but sent no SSH greeting within 2s`);
  }, 30_000);

  it('with the free strategy the other hosts finish before the timeout; a SYN blackhole times out too', async () => {
    // a listening socket whose accept queue is full drops SYNs: the TCP connect itself hangs
    const py = spawn('/usr/bin/python3', ['-c', [
      'import socket, time',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0); port = s.getsockname()[1]",
      'fill = []',
      'for i in range(4):',
      '    c = socket.socket(); c.setblocking(False)',
      '    try: c.connect(("127.0.0.1", port))',
      '    except BlockingIOError: pass',
      '    fill.append(c)',
      'time.sleep(0.3); print(port, flush=True); time.sleep(60)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const holePort = await new Promise<number>((resolve) => createInterface({ input: py.stdout! }).once('line', (l) => resolve(Number(l))));
      const playbook = file('silent-free.yml', `- hosts: targets\n  strategy: free\n${tasks}`);
      const inv = fleetInventory('silent-free.ini', fleet, [
        `mute ansible_host=127.0.0.1 ansible_port=${silentPort}`,
        `hole ansible_host=127.0.0.1 ansible_port=${holePort}`,
      ]);
      const doneAt = new Map<string, number>();
      const started = Date.now();
      const r = await runEngine(playbook, inv, {
        connectionTimeout: 4,
        onEvent: (e) => {
          if (e.event === 'task_result') doneAt.set(e.result.host, Date.now() - started);
        },
      });
      expect(r.exitCode).toBe(4);
      // the reachable hosts are done before either silent host's connection timeout runs out
      const firstSilent = Math.min(doneAt.get('mute')!, doneAt.get('hole')!);
      for (const h of fleet.hosts) {
        expect(r.recap?.[h.name]).toMatchObject({ ok: 3, changed: 2, unreachable: 0 });
        expect(doneAt.get(h.name)).toBeLessThan(firstSilent);
      }
      expect(r.recap?.mute).toMatchObject({ unreachable: 1 });
      expect(r.recap?.hole).toMatchObject({ unreachable: 1 });
      expect(r.results('hole')[0]?.msg).toBe(`ssh: connection to 127.0.0.1:${holePort} timed out after 4s`);
      expect(firstSilent).toBeGreaterThanOrEqual(3900);
    } finally {
      py.kill('SIGKILL');
    }
  }, 30_000);
});
