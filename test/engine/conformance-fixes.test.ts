import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent, TaskResult } from '../../src/events/types.js';
import { makeInventory, run } from './helpers.js';

const two = () => makeInventory({ h1: {}, h2: {} });
const five = () => makeInventory({ h1: {}, h2: {}, h3: {}, h4: {}, h5: {} });

function failedResults(events: RunEvent[]): TaskResult[] {
  return events.flatMap((e) => (e.event === 'task_result' && e.result.status === 'failed' ? [e.result] : []));
}

describe('loop_control extended', () => {
  it('gives ansible_loop.allitems along with loop_var and index_var', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ fruit }} {{ idx }} {{ ansible_index_var }} {{ ansible_loop.allitems }}"}
      loop: [apple, pear]
      loop_control: {loop_var: fruit, index_var: idx, extended: true}
`,
      makeInventory({ h1: {} }),
    );
    const items = r.events.flatMap((e) => (e.event === 'item_result' ? [e.result.values.msg] : []));
    expect(items).toEqual(["apple 0 idx ['apple', 'pear']", "pear 1 idx ['apple', 'pear']"]);
  });
});

describe('delegate_facts', () => {
  it('puts set_fact facts on the delegated host only', async () => {
    const r = await run(
      `
- hosts: h1:h2
  gather_facts: false
  tasks:
    - set_fact: {given_by: "{{ inventory_hostname }}"}
      delegate_to: h4
      delegate_facts: true
    - set_fact: {own: "{{ inventory_hostname }}"}
      delegate_to: h5
    - debug: {msg: "{{ hostvars['h4'].given_by | default('unset') }} {{ given_by | default('unset') }} {{ own }} {{ hostvars['h5'].own | default('unset') }}"}
- hosts: h4
  gather_facts: false
  tasks:
    - debug: {msg: "{{ given_by }}"}
`,
      five(),
    );
    expect(r.msgs('h1')).toEqual(['h2 unset h1 unset']);
    expect(r.msgs('h2')).toEqual(['h2 unset h2 unset']);
    expect(r.msgs('h4')).toEqual(['h2']);
  });
});

describe('BYPASS_HOST_LOOP actions', () => {
  it('runs pause once and registers its result on the first host only', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - pause: {seconds: 0}
      register: p0
    - debug: {msg: "{{ p0 is defined }}"}
`,
      two(),
    );
    expect(r.msgs('h1')).toEqual([true]);
    expect(r.msgs('h2')).toEqual([false]);
    expect(r.stats.h1!.ok).toBe(2);
    expect(r.stats.h2!.ok).toBe(1);
  });
});

describe('role vars are play-wide (DEFAULT_PRIVATE_ROLE_VARS=False)', () => {
  const files = {
    'roles/greeter/defaults/main.yml': 'word: hello\ntarget: world\n',
    'roles/greeter/tasks/main.yml': '- debug: {msg: "{{ word }} {{ target }}"}\n',
    'roles/greeter/tasks/other.yml': '- debug: {msg: "other {{ word }}"}\n',
    'roles/pub/vars/main.yml': 'pubvar: from-pub\n',
    'roles/pub/tasks/main.yml': '- debug: {msg: "pub"}\n',
  };

  it('leaks vars: of roles entries and import_role into the whole play', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  roles:
    - greeter
    - role: greeter
      vars: {target: params}
  tasks:
    - import_role: {name: greeter}
      vars: {word: imported}
    - include_role: {name: greeter}
      vars: {target: "{{ item }}"}
      loop: [one]
    - debug: {msg: "{{ word }} {{ target }}"}
`,
      makeInventory({ h1: {} }),
      {},
      files,
    );
    expect(r.msgs('h1')).toEqual(['imported params', 'imported params', 'imported params', 'imported one', 'imported params']);
  });

  it('adds a public include_role to the play roles once it ran, not before', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ pubvar | default('none') }}"}
    - include_role: {name: pub}
    - debug: {msg: "{{ pubvar | default('none') }}"}
    - include_role: {name: pub, public: true}
    - debug: {msg: "{{ pubvar | default('none') }}"}
`,
      makeInventory({ h1: {} }),
      {},
      files,
    );
    expect(r.msgs('h1')).toEqual(['none', 'pub', 'none', 'pub', 'from-pub']);
  });
});

describe('playbook_dir', () => {
  it('is absolute, and so is role_path', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  roles: [paths]
`,
      makeInventory({ h1: {} }),
      {},
      { 'roles/paths/tasks/main.yml': '- debug: {msg: ["{{ playbook_dir }}", "{{ role_path }}"]}\n' },
    );
    const [msg] = r.msgs('h1') as string[][];
    expect(isAbsolute(msg![0]!)).toBe(true);
    expect(msg![1]).toBe(`${msg![0]}/roles/paths`);
  });
});

describe('TaskResult.error: the short templating error', () => {
  it('is set for an undefined variable in args, keeping Ansible msg', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ nope }}"}
`,
      makeInventory({ h1: {} }),
    );
    const [result] = failedResults(r.events);
    expect(result!.msg).toMatch(/^The task includes an option with an undefined variable. The error was: 'nope' is undefined/);
    expect(result!.error?.message).toBe(`undefined variable 'nope' in "{{ nope }}"`);
    expect(result!.error?.source).toMatchObject({ line: 5, col: 7 });
    expect(result!.error?.source?.file).toMatch(/site\.yml$/);
  });

  it('names the conditional for a when, changed_when or failed_when on an undefined variable', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: hi}
      when: missing == 1
      ignore_errors: true
    - debug: {msg: hi}
      failed_when: other.x
      ignore_errors: true
    - debug: {msg: "{{ item }}"}
      loop: "{{ absent }}"
`,
      makeInventory({ h1: {} }),
    );
    const errors = failedResults(r.events).map((res) => res.error?.message);
    expect(errors).toEqual([`undefined variable 'missing' in "missing == 1"`, `undefined variable 'other' in "other.x"`, `undefined variable 'absent' in "{{ absent }}"`]);
  });

  it('is absent for module failures', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - fail: {msg: boom}
`,
      makeInventory({ h1: {} }),
    );
    const [result] = failedResults(r.events);
    expect(result!.msg).toBe('boom');
    expect(result!.error).toBeUndefined();
  });
});

describe('registered diff', () => {
  it('keeps a diff the module registers itself over the display diff', async () => {
    const { moduleResultDict } = await import('../../src/engine/results.js');
    const shown = [{ before: 'a', after: 'b' }];
    expect(moduleResultDict({ changed: true, values: { diff: [] }, diff: shown }).diff).toEqual([]);
    expect(moduleResultDict({ changed: true, diff: shown }).diff).toEqual({ before: 'a', after: 'b' });
  });
});

describe('with_<lookup> loops and ansible_search_path', () => {
  it('runs with_fileglob, with_first_found and with_lines through the lookups, searching files/ of the play dir', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ item | basename }}"}
      with_fileglob: ["*.conf"]
    - debug: {msg: "{{ item | basename }}"}
      with_first_found: [nope.txt, b.conf]
    - debug: {msg: "{{ item }}"}
      with_lines: printf 'x\\ny\\n'
    - debug: {msg: "{{ ansible_search_path == [playbook_dir] }}"}
`,
      makeInventory({ h1: {} }),
      {},
      { 'files/a.conf': 'a\n', 'files/b.conf': 'b\n' },
    );
    const items = r.events.flatMap((e) => (e.event === 'item_result' ? [e.result.values.msg] : []));
    expect(items).toEqual(['a.conf', 'b.conf', 'b.conf', 'x', 'y']);
    expect(r.msgs('h1').at(-1)).toBe(true);
  });
});
