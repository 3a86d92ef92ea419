import { describe, expect, it } from 'vitest';
import type { HostStats } from '../../src/events/types.js';
import { serializeBatches, serialToInt } from '../../src/engine/play.js';
import { shouldRunTags } from '../../src/engine/tags.js';
import { makeInventory, run, stats } from './helpers.js';

const hosts = (n: number) => makeInventory(Object.fromEntries(Array.from({ length: n }, (_, i) => [`h${i + 1}`, {}])));

describe('serial batches', () => {
  it('splits by numbers, percentages and lists (last value repeats)', () => {
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(serializeBatches(all, [])).toEqual([all]);
    expect(serializeBatches(all, [3])).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    expect(serializeBatches(all, ['30%'])).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f'], ['g']]);
    expect(serializeBatches(all, [1, 2])).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f', 'g']]);
    expect(serialToInt('10%', 3)).toBe(1);
  });

  it('runs each batch through the whole play before the next', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  serial: 2
  tasks:
    - debug: {msg: one}
    - debug: {msg: "{{ ansible_play_batch }}"}
`,
      hosts(3),
    );
    expect(r.lines).toEqual(['debug h1 ok', 'debug h2 ok', 'debug h1 ok', 'debug h2 ok', 'debug h3 ok', 'debug h3 ok']);
    expect(r.msgs('h3')).toEqual(['one', ['h3']]);
    expect(r.events.filter((e) => e.event === 'play_start').length).toBe(2);
  });
});

describe('tags', () => {
  it('follows Taggable.evaluate_tags', () => {
    expect(shouldRunTags([], [], [])).toBe(true);
    expect(shouldRunTags(['never'], [], [])).toBe(false);
    expect(shouldRunTags(['never', 'x'], ['x'], [])).toBe(true);
    expect(shouldRunTags(['always'], ['x'], [])).toBe(true);
    expect(shouldRunTags(['always'], [], ['always'])).toBe(false);
    expect(shouldRunTags(['a'], ['tagged'], [])).toBe(true);
    expect(shouldRunTags([], ['tagged'], [])).toBe(false);
    expect(shouldRunTags([], ['untagged'], [])).toBe(true);
    expect(shouldRunTags(['a'], [], ['all'])).toBe(false);
    expect(shouldRunTags(['always'], [], ['all'])).toBe(true);
  });

  it('inherits tags from plays, roles and blocks but not into include_tasks', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  roles:
    - {role: r, tags: [rt]}
  tasks:
    - block:
        - debug: {msg: in-block}
      tags: [bt]
    - include_tasks: inc.yml
      tags: [it]
    - debug: {msg: untagged}
`,
      hosts(1),
      { tags: ['rt', 'bt', 'it'] },
      { 'roles/r/tasks/main.yml': '- debug: {msg: in-role}\n', 'inc.yml': '- debug: {msg: included}\n' },
    );
    expect(r.msgs('h1')).toEqual(['in-role', 'in-block']);
  });

  it('starts at a task with --start-at-task', async () => {
    const r = await run(
      `
- hosts: h1
  tasks:
    - {name: first, debug: {msg: first}}
    - {name: second, debug: {msg: second}}
    - {name: third, debug: {msg: third}}
`,
      hosts(1),
      { startAtTask: 'sec*' },
    );
    expect(r.msgs('h1')).toEqual(['second', 'third']);
  });

  it('asks before each task with --step', async () => {
    const asked: string[] = [];
    const answers = ['no', 'yes', 'continue'] as const;
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - {name: a, debug: {msg: a}}
    - {name: b, debug: {msg: b}}
    - {name: c, debug: {msg: c}}
    - {name: d, debug: {msg: d}}
`,
      hosts(1),
      {
        step: async (task) => {
          asked.push(task.name);
          return answers[asked.length - 1] ?? 'yes';
        },
      },
    );
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(r.msgs('h1')).toEqual(['b', 'c', 'd']);
  });
});

describe('meta tasks', () => {
  it('end_host stops one host, end_play all, without failing them', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == 'h1'
    - debug: {msg: after-end-host}
    - meta: end_play
    - debug: {msg: unreachable-code}
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: next-play}
`,
      hosts(2),
    );
    expect(r.msgs('h1')).toEqual(['next-play']);
    expect(r.msgs('h2')).toEqual(['after-end-host', 'next-play']);
    expect(r.exitCode).toBe(0);
  });

  it('end_batch moves on to the next batch; clear_host_errors forgives failures', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - debug: {msg: before}
    - meta: end_batch
      when: inventory_hostname == 'h1'
    - debug: {msg: after}
- hosts: all
  gather_facts: false
  tasks:
    - fail: {msg: x}
      when: inventory_hostname == 'h1'
    - meta: clear_host_errors
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: third}
`,
      hosts(2),
    );
    expect(r.msgs('h1')).toEqual(['before', 'third']);
    expect(r.msgs('h2')).toEqual(['before', 'after', 'third']);
    expect(r.exitCode).toBe(0);
  });
});

describe('includes', () => {
  it('include_tasks per item with loop vars, counted ok once per included file', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: "{{ item }}.yml"
      loop: [a, b]
      vars: {v: from-include}
    - include_tasks: a.yml
      when: false
`,
      hosts(2),
      {},
      { 'a.yml': '- debug: {msg: "a {{ item }} {{ v }}"}\n', 'b.yml': '- debug: {msg: "b {{ item }}"}\n' },
    );
    expect(r.msgs('h1')).toEqual(['a a from-include', 'b b']);
    const includes = r.events.filter((e) => e.event === 'include');
    expect(includes.map((e) => (e.event === 'include' ? e.hosts : []))).toEqual([
      ['h1', 'h2'],
      ['h1', 'h2'],
    ]);
    expect(r.stats.h1).toEqual(stats({ ok: 4, skipped: 1 }));
  });

  it('include_role runs the role with its defaults and handlers', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - include_role: {name: web}
      vars: {port: 8080}
    - debug: {msg: "{{ web_default | default('private') }}"}
`,
      hosts(1),
      {},
      {
        'roles/web/defaults/main.yml': 'web_default: dflt\nport: 80\n',
        'roles/web/tasks/main.yml': '- command: "echo {{ port }} {{ web_default }} {{ role_name }}"\n  register: o\n  notify: restart\n- debug: {msg: "{{ o.stdout }}"}\n',
        'roles/web/handlers/main.yml': '- name: restart\n  debug: {msg: restarted}\n',
      },
    );
    expect(r.msgs('h1')).toEqual(['8080 dflt web', 'private', 'restarted']);
  });

  it('fails the hosts when an included file does not exist', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - include_tasks: missing.yml
    - debug: {msg: not-reached}
`,
      hosts(1),
    );
    expect(r.exitCode).toBe(2);
    expect(r.stats.h1).toEqual(stats({ failed: 1 }));
  });
});

describe('failure limits', () => {
  it('max_fail_percentage is per batch and strictly exceeded', async () => {
    const yaml = (pct: number) => `
- hosts: all
  gather_facts: false
  max_fail_percentage: ${pct}
  tasks:
    - fail: {msg: x}
      when: inventory_hostname == 'h1'
    - debug: {msg: survived}
`;
    const at = await run(yaml(50), hosts(2));
    expect(at.msgs('h2')).toEqual(['survived']);
    const below = await run(yaml(49), hosts(2));
    expect(below.msgs('h2')).toEqual([]);
    expect(below.events.some((e) => e.event === 'no_hosts_remaining')).toBe(true);
  });

  it('stops the run when every host of a batch failed', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - fail: {msg: x}
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: never}
`,
      hosts(2),
    );
    expect(r.msgs('h1')).toEqual([]);
    expect(r.events.filter((e) => e.event === 'play_start').length).toBe(1);
  });
});

describe('inventory changes', () => {
  it('add_host and group_by add hosts and groups for later plays', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - add_host: {name: newbie, groups: [fresh], ansible_connection: local, color: blue}
    - group_by: {key: "kind_{{ kind }}"}
- hosts: fresh
  gather_facts: false
  tasks:
    - debug: {msg: "{{ inventory_hostname }} {{ color }}"}
- hosts: kind_a
  gather_facts: false
  tasks:
    - debug: {msg: "{{ group_names }}"}
`,
      makeInventory({ h1: { kind: 'a' } }),
    );
    expect(r.msgs('newbie')).toEqual(['newbie blue']);
    expect(r.msgs('h1')).toEqual([['kind_a']]);
    expect(r.stats.h1).toEqual(stats({ ok: 3, changed: 2 }));
  });
});

describe('scale', () => {
  it('runs 5 hosts x 50 tasks with consistent recap sums', async () => {
    const tasks = Array.from({ length: 50 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return `    - command: "true"`;
        case 1:
          return `    - debug: {msg: "${i} {{ inventory_hostname }}"}`;
        case 2:
          return `    - debug: {msg: skip}\n      when: inventory_hostname == 'h3'`;
        case 3:
          return `    - command: "false"\n      ignore_errors: true\n      changed_when: false`;
        default:
          return `    - set_fact: {f${i}: "{{ inventory_hostname }}"}`;
      }
    }).join('\n');
    const r = await run(`- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}\n`, hosts(5), { forks: 3 });
    expect(r.exitCode).toBe(0);
    const sum = (s: HostStats) => s.ok + s.skipped + s.failed + s.unreachable;
    for (const host of ['h1', 'h2', 'h4', 'h5']) {
      expect(r.stats[host]).toEqual(stats({ ok: 40, changed: 10, skipped: 10, ignored: 10 }));
      expect(sum(r.stats[host]!)).toBe(50);
    }
    expect(r.stats.h3).toEqual(stats({ ok: 50, changed: 10, ignored: 10 }));
    expect(r.lines.length).toBe(250);
    // linear: every host finishes a task before any host starts the next
    const order = r.lines.map((l) => l.split(' ')[1]);
    for (let t = 0; t < 50; t++) expect(order.slice(t * 5, t * 5 + 5)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
  }, 60_000);
});

describe('interruption', () => {
  it('stops scheduling when the signal aborts and exits 99, still reporting the recap', async () => {
    const controller = new AbortController();
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: one}
    - pause: {seconds: 0}
    - debug: {msg: two}
`,
      hosts(1),
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.event === 'task_result') controller.abort();
        },
      },
    );
    expect(r.exitCode).toBe(99);
    expect(r.msgs('h1')).toEqual(['one']);
    const recap = r.events.find((e) => e.event === 'recap');
    expect(recap && recap.event === 'recap' ? recap.hosts.h1 : undefined).toMatchObject({ ok: 1, failed: 0 });
  });
});
