import { describe, expect, it } from 'vitest';
import { RunError } from '../../src/model/errors.js';
import { makeInventory, run, stats } from './helpers.js';

const two = () => makeInventory({ h1: {}, h2: {} });

describe('handlers', () => {
  it('run once per flush, in definition order, only for notified hosts, at the end of each section', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  handlers:
    - name: second
      debug: {msg: handler-second}
    - name: first
      debug: {msg: handler-first}
  pre_tasks:
    - command: "true"
      notify: first
      when: inventory_hostname == 'h1'
  tasks:
    - command: "true"
      notify: [first, second]
    - command: "true"
      notify: first
    - debug: {msg: task-end}
  post_tasks:
    - debug: {msg: post}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['handler-first', 'task-end', 'handler-second', 'handler-first', 'post']);
    expect(r.msgs('h2')).toEqual(['task-end', 'handler-second', 'handler-first', 'post']);
    const notified = r.events.filter((e) => e.event === 'handler_notified');
    expect(notified.length).toBe(5);
  });

  it('are notified by listen topics and from loops, not when unchanged', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  handlers:
    - name: restart a
      debug: {msg: a}
      listen: restart all
    - name: restart b
      debug: {msg: b}
      listen: restart all
    - name: never
      debug: {msg: never}
  tasks:
    - command: "echo {{ item }}"
      loop: [1, 2]
      notify: restart all
    - command: "true"
      changed_when: false
      notify: never
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['a', 'b']);
  });

  it('run on meta: flush_handlers and can notify later handlers', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  handlers:
    - name: one
      command: "true"
      notify: two
    - name: two
      debug: {msg: two}
  tasks:
    - command: "true"
      notify: one
    - meta: flush_handlers
    - debug: {msg: after-flush}
`,
      two(),
    );
    expect(r.lines).toEqual(['command h1 changed', 'one h1 changed', 'two h1 ok', 'debug h1 ok']);
    expect(r.events.filter((e) => e.event === 'task_start' && e.task.isHandler).length).toBe(2);
  });

  it('do not run on failed hosts unless force_handlers', async () => {
    const yaml = (force: boolean) => `
- hosts: all
  gather_facts: false
  force_handlers: ${force}
  handlers:
    - name: h
      debug: {msg: handler}
  tasks:
    - command: "true"
      notify: h
    - fail: {msg: x}
      when: inventory_hostname == 'h1'
`;
    const plain = await run(yaml(false), two());
    expect(plain.msgs('h1')).toEqual([]);
    expect(plain.msgs('h2')).toEqual(['handler']);
    const forced = await run(yaml(true), two());
    expect(forced.msgs('h1')).toEqual(['handler']);
    expect(forced.msgs('h2')).toEqual(['handler']);
    expect(forced.stats.h1).toEqual(stats({ ok: 2, changed: 1, failed: 1 }));
  });

  it('stops the run when a notified handler does not exist', async () => {
    await expect(
      run(
        `
- hosts: h1
  gather_facts: false
  tasks:
    - command: "true"
      notify: missing
`,
        two(),
      ),
    ).rejects.toThrow(new RunError("The requested handler 'missing' was not found in either the main handlers list nor in the listening handlers list"));
  });

  it('can be addressed as "role : name"', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  roles: [r]
  tasks:
    - command: "true"
      notify: "r : restart"
`,
      two(),
      {},
      { 'roles/r/tasks/main.yml': '- debug: {msg: role-task}\n', 'roles/r/handlers/main.yml': '- name: restart\n  debug: {msg: role-handler}\n' },
    );
    expect(r.msgs('h1')).toEqual(['role-task', 'role-handler']);
  });
});
