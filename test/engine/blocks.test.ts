import { describe, expect, it } from 'vitest';
import { makeInventory, run, stats } from './helpers.js';

const two = () => makeInventory({ h1: {}, h2: {} });

describe('block / rescue / always', () => {
  it('rescues a failure, exposes ansible_failed_task/result and counts rescued, not failed', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: boom
          fail: {msg: "bad {{ inventory_hostname }}"}
          when: inventory_hostname == 'h1'
        - debug: {msg: in-block}
      rescue:
        - debug: {msg: "rescue {{ ansible_failed_task.name }} {{ ansible_failed_result.msg }}"}
      always:
        - debug: {msg: always}
    - debug: {msg: after}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['rescue boom bad h1', 'always', 'after']);
    expect(r.msgs('h2')).toEqual(['in-block', 'always', 'after']);
    expect(r.stats.h1).toEqual(stats({ ok: 3, rescued: 1 }));
    expect(r.exitCode).toBe(0);
    // the event says the failure is rescued, so renderers need not guess
    expect(r.results('boom').map((x) => [x.host, x.status, x.rescued])).toEqual([['h1', 'failed', true], ['h2', 'skipped', undefined]]);
  });

  it('a failure outside any rescue, or ignored, is not marked rescued', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - {name: ignored, fail: {msg: x}, ignore_errors: true}
      rescue:
        - debug: {msg: r}
    - block:
        - {name: plain, fail: {msg: x}}
      always:
        - debug: {msg: a}
`,
      makeInventory({ h1: {} }),
    );
    expect(r.results('ignored')[0].rescued).toBeUndefined();
    expect(r.results('plain')[0].rescued).toBeUndefined();
    expect(r.stats.h1).toEqual(stats({ ok: 2, failed: 1, ignored: 1 }));
  });

  it('fails the host when the rescue fails, still running always', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - fail: {msg: one}
      rescue:
        - fail: {msg: two}
        - debug: {msg: not-reached}
      always:
        - debug: {msg: always}
    - debug: {msg: after}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['always']);
    expect(r.stats.h1).toEqual(stats({ ok: 1, rescued: 1, failed: 1 }));
    expect(r.exitCode).toBe(2);
  });

  it('fails the host when always fails after a successful rescue', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - fail: {msg: one}
      rescue:
        - debug: {msg: rescued}
      always:
        - fail: {msg: in-always}
    - debug: {msg: after}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['rescued']);
    expect(r.stats.h1).toEqual(stats({ ok: 1, rescued: 1, failed: 1 }));
    expect(r.exitCode).toBe(2);
  });

  it('lets an outer rescue catch a failure in an inner block without rescue', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - block:
            - fail: {msg: inner}
            - debug: {msg: not-reached}
          always:
            - debug: {msg: inner-always}
        - debug: {msg: not-reached-either}
      rescue:
        - debug: {msg: outer-rescue}
    - debug: {msg: after}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['inner-always', 'outer-rescue', 'after']);
    expect(r.stats.h1).toEqual(stats({ ok: 3, rescued: 1 }));
  });

  it('applies the block when to every task, evaluated per task', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - set_fact: {flag: false}
        - debug: {msg: second}
      when: flag | default(true)
`,
      two(),
    );
    expect(r.lines).toEqual(['set_fact h1 ok', 'debug h1 skipped']);
  });

  it('inherits block vars, environment and ignore_errors', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - command: "false"
        - shell: echo "$GREETING {{ bv }}"
          register: out
        - debug: {msg: "{{ out.stdout }}"}
      vars: {bv: from-block}
      environment: {GREETING: hello}
      ignore_errors: true
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual(['hello from-block']);
    expect(r.stats.h1).toEqual(stats({ ok: 3, changed: 2, ignored: 1 }));
  });

  it('drops a failed host from the rest of the play and the following plays', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - fail: {msg: x}
      when: inventory_hostname == 'h1'
    - debug: {msg: "{{ ansible_play_hosts }}"}
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: second}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual([]);
    expect(r.msgs('h2')).toEqual([['h2'], 'second']);
    expect(r.exitCode).toBe(2);
  });
});
