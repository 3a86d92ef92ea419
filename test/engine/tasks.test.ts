import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Connection, ExecOptions } from '../../src/connection/types.js';
import { UnreachableError } from '../../src/model/errors.js';
import { fakeModule, loadPb, lookupModule, makeInventory, run, stats, writeTree } from './helpers.js';
import { runPlaybook } from '../../src/engine/run.js';
import type { RunEvent } from '../../src/events/types.js';

const one = () => makeInventory({ h1: {} });

describe('task keywords', () => {
  it('retries until the condition holds, registering attempts', async () => {
    const flaky = fakeModule('flaky', (_a, calls) => ({ changed: false, values: { n: calls } }));
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - flaky: {}
      register: out
      until: out.n >= 3
      retries: 5
      delay: 0
    - debug: {msg: "{{ out.attempts }} {{ out.n }}"}
    - name: never
      flaky: {}
      register: out2
      until: false
      delay: 0
      ignore_errors: true
    - debug: {msg: "{{ out2.attempts }} {{ out2.failed }}"}
`,
      one(),
    );
    expect(r.msgs('h1')).toEqual(['3 3', '3 True']);
    expect(flaky.calls.get('h1')).toBe(3 + 4);
    expect(r.events.filter((e) => e.event === 'task_retry').length).toBe(2 + 3);
  });

  it('evaluates changed_when and failed_when with the registered result', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - command: echo hello
      register: out
      changed_when: "'hello' not in out.stdout"
      failed_when: out.rc != 0
    - command: "false"
      register: f
      failed_when: false
    - name: fails
      command: echo bad
      register: b
      failed_when: "'bad' in b.stdout"
`,
      one(),
    );
    expect(r.lines).toEqual(['command h1 ok', 'command h1 changed', 'fails h1 failed']);
    expect(r.results('fails')[0]!.values.failed_when_result).toBe(true);
  });

  it('fails with Ansible messages for undefined variables in args and conditionals', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - name: args
      debug: {msg: "{{ nope }}"}
      ignore_errors: true
    - name: cond
      debug: {msg: x}
      when: nope == 1
`,
      one(),
    );
    const file = r.events.find((e) => e.event === 'task_start')!;
    const path = file.event === 'task_start' ? file.task.source.file : '';
    expect(r.results('args')[0]!.msg).toBe(
      `The task includes an option with an undefined variable. The error was: 'nope' is undefined. 'nope' is undefined\n\nThe error appears to be in '${path}': line 5, column 7, but may\nbe elsewhere in the file depending on the exact syntax problem.\n\nThe offending line appears to be:\n\n  tasks:\n    - name: args\n      ^ here\n`,
    );
    expect(r.results('cond')[0]!.msg).toMatch(/^The conditional check 'nope == 1' failed\. The error was: error while evaluating conditional \(nope == 1\): 'nope' is undefined\. 'nope' is undefined\n\nThe error appears to be in/);
    expect(r.stats.h1).toEqual(stats({ ok: 1, ignored: 1, failed: 1 }));
  });

  it('removes arguments that template to omit', async () => {
    const echo = fakeModule('echoargs', (args) => ({ changed: false, values: { args } }));
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - echoargs:
        a: "{{ undefined_thing | default(omit) }}"
        b: 1
        nested: {c: "{{ omit }}", d: 2}
`,
      one(),
    );
    expect(echo.calls.get('h1')).toBe(1);
    expect(r.lines).toEqual(['echoargs h1 ok']);
    expect(r.results('echoargs')[0]!.values.args).toEqual({ b: 1, nested: { d: 2 } });
  });

  it('hides results under no_log and masks module secrets', async () => {
    fakeModule('secretive', () => ({ changed: true, values: { token: 'abc123', public: 'ok' } }), { secrets: ['token'] });
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - name: hidden
      debug: {msg: "password is s3cret"}
      no_log: true
    - name: masked
      secretive: {}
      register: s
    - debug: {msg: "{{ s.token }}"}
`,
      one(),
    );
    expect(r.results('hidden')[0]!.values).toEqual({ censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result", changed: false, failed: false });
    expect(JSON.stringify(r.events)).not.toContain('s3cret');
    expect(r.results('masked')[0]!.values.token).toBe('********');
    expect(r.results('masked')[0]!.values.public).toBe('ok');
    // the registered secret is hidden wherever it shows (the run's Redactor learnt it from the result)
    expect(r.msgs('h1')).toEqual([undefined, '********']);
  });

  it('runs run_once tasks on the first host and registers the result for all', async () => {
    const counter = fakeModule('counter', (_a, n, host) => ({ changed: true, values: { host, n } }));
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - counter: {}
      run_once: true
      register: once
    - debug: {msg: "{{ once.host }}"}
`,
      makeInventory({ h1: {}, h2: {}, h3: {} }),
    );
    expect([...counter.calls.keys()]).toEqual(['h1']);
    expect(r.msgs('h2')).toEqual(['h1']);
    expect(r.msgs('h3')).toEqual(['h1']);
    expect(r.stats.h1).toEqual(stats({ ok: 2, changed: 1 }));
    expect(r.stats.h2).toEqual(stats({ ok: 1 }));
  });

  it('skips modules without check support in check mode and records planned commands', async () => {
    fakeModule('nocheck', () => ({ changed: true }), { checkMode: 'skip' });
    const dir = await writeTree({});
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - name: nocheck
      nocheck: {}
    - name: touch
      command: "touch ${dir}/made"
    - name: forced
      command: "touch ${dir}/forced"
      check_mode: false
    - debug: {msg: "{{ ansible_check_mode }}"}
`,
      one(),
      { check: true },
    );
    expect(r.results('nocheck')[0]).toMatchObject({ status: 'skipped', msg: 'remote module (nocheck) does not support check mode' });
    const touch = r.results('touch')[0]!;
    expect(touch.commands?.some((c) => c.command.includes('touch') && !c.executed)).toBe(true);
    const forced = r.results('forced')[0]!;
    expect(forced.status).toBe('changed');
    const { access } = await import('node:fs/promises');
    await expect(access(join(dir, 'made'))).rejects.toThrow();
    await expect(access(join(dir, 'forced'))).resolves.toBeUndefined();
    expect(r.msgs('h1')).toEqual([true]);
  });

  it('delegates to another host: its connection, the original host variables', async () => {
    const opened: string[] = [];
    const pb = await loadPb(`
- hosts: h1
  gather_facts: false
  tasks:
    - command: "echo {{ inventory_hostname }}"
      delegate_to: h2
      register: out
    - debug: {msg: "{{ out.stdout }}"}
`);
    const events: RunEvent[] = [];
    const res = await runPlaybook({
      playbooks: [pb],
      inventory: makeInventory({ h1: {}, h2: {} }),
      modules: lookupModule,
      onEvent: (e) => events.push(e),
      connect: (host) => {
        opened.push(host);
        const { LocalConnection } = require_local();
        return new LocalConnection(host);
      },
    });
    expect(res.exitCode).toBe(0);
    expect(opened).toEqual(['h2']);
    const results = events.filter((e) => e.event === 'task_result');
    expect(results[0]!.event === 'task_result' && results[0]!.result.delegatedTo).toBe('h2');
    expect(results[1]!.event === 'task_result' && results[1]!.result.values.msg).toBe('h1');
  });

  it('reports unreachable hosts, drops them, and exits 4', async () => {
    const pb = await loadPb(`
- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
    - command: "true"
`);
    const events: RunEvent[] = [];
    const broken = (host: string): Connection => ({
      host,
      exec: async (_c: string, _o?: ExecOptions) => {
        throw new UnreachableError(`Failed to connect to the host via ssh: ${host}`);
      },
      put: async () => undefined,
      get: async () => Buffer.alloc(0),
      close: async () => undefined,
    });
    const { LocalConnection } = require_local();
    const res = await runPlaybook({
      playbooks: [pb],
      inventory: makeInventory({ h1: {}, h2: {} }),
      onEvent: (e) => events.push(e),
      connect: (host) => (host === 'h1' ? broken(host) : new LocalConnection(host)),
    });
    expect(res.exitCode).toBe(4);
    expect(res.stats.h1).toEqual(stats({ unreachable: 1 }));
    expect(res.stats.h2).toEqual(stats({ ok: 2, changed: 2 }));
    expect(events.filter((e) => e.event === 'host_unreachable').map((e) => (e.event === 'host_unreachable' ? e.host : ''))).toEqual(['h1']);
  });

  it('applies become settings and environment to module commands', async () => {
    const seen: { become?: unknown; env?: unknown }[] = [];
    fakeModule(
      'spy',
      () => ({ changed: false }),
      {
        controllerOnly: false,
        async run(_args, ctx) {
          seen.push({ become: ctx.become, env: ctx.env });
          return { changed: false };
        },
      },
    );
    await run(
      `
- hosts: h1
  gather_facts: false
  become: true
  environment: {A: play}
  tasks:
    - spy: {}
      become_user: app
      environment: {B: task}
    - spy: {}
      become: false
`,
      makeInventory({ h1: { ansible_become_password: 'pw' } }),
    );
    expect(seen[0]).toEqual({ become: { user: 'app', method: 'sudo', password: 'pw', flags: undefined }, env: { A: 'play', B: 'task' } });
    expect(seen[1]!.become).toBeUndefined();
  });
});

function require_local(): typeof import('../../src/connection/local.js') {
  return localModule;
}
const localModule = await import('../../src/connection/local.js');
void writeFile;
