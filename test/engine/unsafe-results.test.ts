import { describe, expect, it } from 'vitest';
import { makeInventory, run } from './helpers.js';

// ansible-core 2.14 wraps registered results with wrap_var: text that looks like a template stays text.
describe('registered results are unsafe', () => {
  it('a registered "{{ ... }}" is shown as it is, by var=, msg=, hostvars and loops', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: "{{ '{{' }} nope }}"}
      register: out
    - debug: {var: out.msg}
    - debug: {msg: "{{ out.msg }}"}
    - debug: {msg: "{{ hostvars[inventory_hostname].out.msg }}"}
    - debug: {msg: "{{ item.msg }}"}
      loop: "{{ [out] }}"
    - set_fact: {copied: "{{ out }}"}
    - debug: {msg: "{{ copied.msg }}"}
`,
      makeInventory({ h1: {} }),
    );
    expect(r.exitCode).toBe(0);
    expect(r.msgs('h1')).toEqual(['{{ nope }}', undefined, '{{ nope }}', '{{ nope }}', 'All items completed', '{{ nope }}']);
    expect(r.events.filter((e) => e.event === 'task_result').map((e) => e.result.values)[1]).toEqual({ 'out.msg': '{{ nope }}', changed: false, failed: false });
  });

  it('a failure from a template error registers only failed and msg (no changed), as the executor does', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: "{{ nope }}"}
      register: bad
      ignore_errors: true
    - debug: {msg: "{{ bad.keys() | sort }}"}
`,
      makeInventory({ h1: {} }),
    );
    expect(r.msgs('h1').at(-1)).toEqual(['failed', 'msg']);
  });
});
