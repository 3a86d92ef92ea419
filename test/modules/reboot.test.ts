import { describe, expect, it } from 'vitest';
import { runPlaybook } from '../../src/engine/run.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { rebootModule, runReboot, type RebootClock } from '../../src/modules/reboot.js';
import { findModule } from '../../src/modules/registry.js';
import type { ModuleContext } from '../../src/modules/types.js';
import { makeInventory, writeTree } from '../engine/helpers.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';
import type { TaskResult } from '../../src/events/types.js';
import { join } from 'node:path';

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';
const FIND = (bin: string) => `for p in /sbin/${bin} /bin/${bin} /usr/sbin/${bin} /usr/bin/${bin} /usr/local/sbin/${bin}; do`;

/** A clock whose sleeps only move time forward. */
function fakeClock(): RebootClock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    random: () => 0.5,
  };
}

/**
 * A host that reboots: boot id `old` until `shutdown` ran, then one more `old` (still going down),
 * then a lost connection (it is down), then `new` once the module has reconnected.
 */
function rebootingHost(): { conn: ScriptedConnection; ctx: ModuleContext; reconnects: () => number } {
  let phase: 'up' | 'going-down' | 'down' | 'back' = 'up';
  let reconnects = 0;
  const conn = new ScriptedConnection('web1')
    .on(FIND('shutdown'), { stdout: '/usr/sbin/shutdown\n' })
    .on('/usr/sbin/shutdown -r', () => {
      phase = 'going-down';
      return { rc: 0 };
    })
    .on('whoami', { stdout: 'root\n' })
    .on(BOOT_ID, () => {
      if (phase === 'up') return { stdout: 'aaaa-old\n' };
      if (phase === 'going-down') {
        phase = 'down';
        return { stdout: 'aaaa-old\n' };
      }
      if (phase === 'down') throw new Error('connection to root@web1 lost: connection closed');
      return { stdout: 'bbbb-new\n' };
    });
  const base = createModuleContext({ connection: conn });
  const ctx: ModuleContext = {
    ...base,
    transport: async () => 'ssh',
    reconnect: async () => {
      reconnects++;
      if (phase === 'down') phase = 'back';
    },
  };
  return { conn, ctx, reconnects: () => reconnects };
}

describe('reboot over a scripted connection', () => {
  it('reboots, waits for a new boot id through a lost connection, reconnects and runs the test command', async () => {
    const { conn, ctx, reconnects } = rebootingHost();
    const clock = fakeClock();
    const result = await runReboot({}, ctx, clock);
    expect(result).toEqual({ changed: true, values: { rebooted: true, elapsed: 4 } });
    expect(conn.commands.map((c) => c.split(';')[0])).toEqual([
      BOOT_ID,
      FIND('shutdown').replace(/; do$/, ''),
      '/usr/sbin/shutdown -r 0 "Reboot initiated by Ansible"',
      BOOT_ID, // same id: still going down
      BOOT_ID, // connection lost
      BOOT_ID, // after reconnecting: new id
      'whoami',
    ]);
    expect(reconnects()).toBe(1);
    // Ansible's backoff: 2**n seconds plus jitter
    expect(clock.slept).toEqual([1500, 2500]);
  });

  it('passes msg and pre_reboot_delay (in whole minutes) to shutdown, waits post_reboot_delay', async () => {
    const { conn, ctx } = rebootingHost();
    const clock = fakeClock();
    await runReboot({ msg: 'kernel update', pre_reboot_delay: 150, post_reboot_delay: 7, test_command: 'whoami' }, ctx, clock);
    expect(conn.commands).toContain('/usr/sbin/shutdown -r 2 "kernel update"');
    expect(clock.slept[0]).toBe(7000);
  });

  it('uses reboot_command as given (an absolute path needs no search)', async () => {
    const conn = new ScriptedConnection()
      .on('/usr/bin/systemctl reboot', { rc: 0 })
      .once(BOOT_ID, { stdout: 'one' })
      .on(BOOT_ID, { stdout: 'two' })
      .on('uptime', { stdout: 'up 0 min' });
    const result = await runReboot({ reboot_command: '/usr/bin/systemctl reboot', test_command: 'uptime' }, createModuleContext({ connection: conn }), fakeClock());
    expect(conn.commands).toEqual([BOOT_ID, '/usr/bin/systemctl reboot', BOOT_ID, 'uptime']);
    expect(result.values).toEqual({ rebooted: true, elapsed: 0 });
  });

  it("times out with Ansible's message when the boot id never changes", async () => {
    const conn = new ScriptedConnection().on(FIND('shutdown'), { stdout: '/sbin/shutdown\n' }).on('/sbin/shutdown', { rc: 0 }).on(BOOT_ID, { stdout: 'same' });
    const result = await runReboot({ reboot_timeout: 20 }, createModuleContext({ connection: conn }), fakeClock());
    expect(result.failed).toBe(true);
    expect(result.msg).toBe('Timed out waiting for last boot time check (timeout=20)');
    expect(result.values).toMatchObject({ rebooted: true });
  });

  it('reports a failing reboot command and a missing shutdown binary', async () => {
    const failing = new ScriptedConnection()
      .on(BOOT_ID, { stdout: 'x' })
      .on(FIND('shutdown'), { stdout: '/sbin/shutdown\n' })
      .on('/sbin/shutdown', { rc: 1, stdout: 'no ', stderr: 'Failed to talk to init daemon.\n' });
    const r = await runReboot({}, createModuleContext({ connection: failing }), fakeClock());
    expect(r).toMatchObject({ failed: true, msg: "Reboot command failed. Error was: 'no, Failed to talk to init daemon.'", values: { rebooted: false } });

    const missing = new ScriptedConnection().on(BOOT_ID, { stdout: 'x' }).on(FIND('shutdown'), { rc: 1 });
    await expect(runReboot({}, createModuleContext({ connection: missing }), fakeClock())).rejects.toThrow(
      `Unable to find command "shutdown" in search paths: ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin']`,
    );
  });

  it('fails when the boot id cannot be read', async () => {
    const conn = new ScriptedConnection().on(BOOT_ID, { rc: 1, stderr: 'No such file' });
    const r = await runReboot({}, createModuleContext({ connection: conn }), fakeClock());
    expect(r).toEqual({ changed: false, failed: true, msg: 'reboot: failed to get host boot time info, rc: 1, stdout: , stderr: No such file', values: { reboot: false } });
  });

  it('in check mode reports a reboot without running anything (as Ansible)', async () => {
    const conn = new ScriptedConnection();
    const r = await rebootModule.run({}, createModuleContext({ connection: conn, check: true }));
    expect(r).toEqual({ changed: true, values: { elapsed: 0, rebooted: true } });
    expect(conn.calls).toEqual([]);
  });

  it('refuses to run over a local connection', async () => {
    const conn = new ScriptedConnection();
    const r = await rebootModule.run({}, { ...createModuleContext({ connection: conn }), transport: async () => 'local' });
    expect(r).toEqual({ changed: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.', values: { elapsed: 0, rebooted: false } });
    expect(conn.calls).toEqual([]);
  });

  it('is registered with its FQCN', () => {
    expect(findModule('ansible.builtin.reboot')).toBe(rebootModule);
  });
});

/** A scripted connection that claims to be local: the engine must pass that on to the module. */
class FakeLocal extends ScriptedConnection {
  readonly transport = 'local' as const;
  closes = 0;
  override async close(): Promise<void> {
    this.closes++;
  }
}

describe('reboot through the engine', () => {
  async function runOn(conn: ScriptedConnection, check = false): Promise<TaskResult> {
    const dir = await writeTree({ 'site.yml': '- hosts: web1\n  gather_facts: false\n  tasks:\n    - name: restart it\n      ansible.builtin.reboot:\n        reboot_timeout: 60\n' });
    const playbook = await loadPlaybook(join(dir, 'site.yml'));
    const results: TaskResult[] = [];
    await runPlaybook({
      playbooks: [playbook],
      inventory: makeInventory({ web1: { ansible_connection: 'ssh' } }),
      check,
      connect: () => conn,
      onEvent: (e) => {
        if (e.event === 'task_result') results.push(e.result);
      },
    });
    return results[0]!;
  }

  it('refuses when the connection is local, without running a command', async () => {
    const conn = new FakeLocal('web1');
    const result = await runOn(conn);
    expect(result.status).toBe('failed');
    expect(result.msg).toBe('Running reboot with local connection would reboot the control node.');
    expect(conn.calls).toEqual([]);
  });

  it('closes the connection when the host drops it, so the next command reconnects', async () => {
    let down = false;
    let back = false;
    const conn = new (class extends ScriptedConnection {
      closes = 0;
      override async close(): Promise<void> {
        this.closes++;
        if (down) back = true;
      }
    })('web1');
    conn
      .on(FIND('shutdown'), { stdout: '/sbin/shutdown\n' })
      .on('/sbin/shutdown', () => {
        down = true;
        throw new Error('connection lost');
      })
      .on('whoami', { stdout: 'root' })
      .on(BOOT_ID, () => {
        if (!down) return { stdout: 'old' };
        if (!back) throw new Error('connection refused');
        return { stdout: 'new' };
      });
    const result = await runOn(conn);
    expect(result.status).toBe('changed');
    expect(conn.closes).toBeGreaterThanOrEqual(1);
    expect(conn.commands.filter((c) => c === BOOT_ID)).toEqual([BOOT_ID, BOOT_ID]);
  });
});
