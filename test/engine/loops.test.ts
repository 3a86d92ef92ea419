import { describe, expect, it } from 'vitest';
import { LoopError, loopItems, sequenceItems } from '../../src/engine/loops.js';
import type { VarsObject } from '../../src/engine/vars.js';
import { makeInventory, run } from './helpers.js';

const identity = { template: (v: unknown) => v };

describe('loop items (with_* lookups)', () => {
  it('flattens one level for with_items, not for with_list or loop', () => {
    expect(loopItems('with_items', [[1, 2], [3, [4]], 5], identity)).toEqual([1, 2, 3, [4], 5]);
    expect(loopItems('with_list', [[1, 2], 3], identity)).toEqual([[1, 2], 3]);
    expect(loopItems('loop', [[1, 2], 3], identity)).toEqual([[1, 2], 3]);
    expect(loopItems('with_flattened', [[1, [2, [3]]], 4], identity)).toEqual([1, 2, 3, 4]);
  });

  it('rejects a non-list loop', () => {
    expect(() => loopItems('loop', 'abc', identity)).toThrow(LoopError);
    expect(() => loopItems('loop', 'abc', identity)).toThrow(/Invalid data passed to 'loop', it requires a list, got this instead: abc/);
  });

  it('expands with_dict, with_indexed_items, with_together and with_nested', () => {
    expect(loopItems('with_dict', { a: 1, b: 2 }, identity)).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(loopItems('with_indexed_items', ['a', 'b'], identity)).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(loopItems('with_together', [['a', 'b', 'c'], [1, 2]], identity)).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', null],
    ]);
    expect(loopItems('with_nested', [['a', 'b'], [1, 2]], identity)).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['b', 2],
    ]);
  });

  it('expands with_sequence in both syntaxes', () => {
    expect(sequenceItems('start=1 end=5')).toEqual(['1', '2', '3', '4', '5']);
    expect(sequenceItems('start=0 end=10 stride=5 format=host%02d')).toEqual(['host00', 'host05', 'host10']);
    expect(sequenceItems('count=3')).toEqual(['1', '2', '3']);
    expect(sequenceItems('4-8/2')).toEqual(['4', '6', '8']);
    expect(sequenceItems('5:x%d')).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(sequenceItems('start=5 end=1 stride=-2')).toEqual(['5', '3', '1']);
    expect(() => sequenceItems('start=5 end=1')).toThrow('to count backwards make stride negative');
    expect(() => sequenceItems('start=1')).toThrow('must specify count or end in with_sequence');
  });

  it('expands with_subelements, popping the subkey and honouring skip_missing', () => {
    const users: VarsObject[] = [
      { name: 'a', keys: ['k1', 'k2'] },
      { name: 'b', keys: ['k3'] },
      { name: 'c' },
    ];
    expect(loopItems('with_subelements', [users, 'keys', { skip_missing: true }], identity)).toEqual([
      [{ name: 'a' }, 'k1'],
      [{ name: 'a' }, 'k2'],
      [{ name: 'b' }, 'k3'],
    ]);
    expect(() => loopItems('with_subelements', [users, 'keys'], identity)).toThrow("could not find 'keys' key in iterated item");
  });
});

describe('loops in tasks', () => {
  const one = () => makeInventory({ h1: {} });

  it('registers results with item, ansible_loop_var and per-item status, and aggregates changed/skipped', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - command: "echo {{ item }}"
      loop: [a, b, c]
      when: item != 'b'
      register: out
    - debug: {msg: "{{ out.changed }} {{ out.msg }} {{ out.results | map(attribute='item') | list }} {{ out.results[1].skipped }} {{ out.results[0].ansible_loop_var }} {{ out.results[2].stdout }}"}
    - debug: {msg: x}
      loop: [1]
      when: false
      register: skipped_all
    - debug: {msg: "{{ skipped_all.skipped }} {{ skipped_all.msg }}"}
`,
      one(),
    );
    expect(r.msgs('h1')).toEqual(["True All items completed ['a', 'b', 'c'] True item c", 'True All items skipped']);
    const items = r.events.filter((e) => e.event === 'item_result');
    expect(items.map((e) => (e.event === 'item_result' ? `${e.result.itemLabel}:${e.result.status}` : ''))).toEqual(['a:changed', 'b:skipped', 'c:changed', '1:skipped']);
    expect(r.stats.h1).toMatchObject({ ok: 3, changed: 1, skipped: 1 });
  });

  it('supports loop_control loop_var, index_var, label and extended', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ idx }}:{{ thing.n }}:{{ ansible_loop.first }}:{{ ansible_loop.last }}:{{ ansible_loop.revindex }}:{{ ansible_loop.previtem.n | default('-') }}:{{ ansible_loop.nextitem.n | default('-') }}"}
      loop: [{n: x}, {n: y}]
      loop_control: {loop_var: thing, index_var: idx, label: "{{ thing.n }}", extended: true}
`,
      one(),
    );
    const items = r.events.filter((e) => e.event === 'item_result').map((e) => (e.event === 'item_result' ? [e.result.itemLabel, e.result.values.msg] : []));
    expect(items).toEqual([
      ['x', '0:x:True:False:2:-:y'],
      ['y', '1:y:False:True:1:x:-'],
    ]);
  });

  it('fails the task when the loop variable is undefined, unless when is false', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ item }}"}
      loop: "{{ nope }}"
      when: false
    - name: undefined loop
      debug: {msg: "{{ item }}"}
      loop: "{{ nope }}"
`,
      one(),
    );
    expect(r.lines).toEqual(['debug h1 skipped', 'undefined loop h1 failed']);
    expect(r.results('undefined loop')[0]!.msg).toBe("'nope' is undefined. 'nope' is undefined");
    expect(r.exitCode).toBe(2);
  });

  it('makes set_fact from an item visible to the next item', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - set_fact: {acc: "{{ (acc | default([])) + [item] }}"}
      loop: [1, 2, 3]
    - debug: {msg: "{{ acc }}"}
`,
      one(),
    );
    expect(r.msgs('h1')).toEqual([[1, 2, 3]]);
  });

  it('reports "One or more items failed" and honours ignore_errors', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - command: "{{ item }}"
      loop: ["true", "false"]
      register: out
      ignore_errors: true
    - debug: {msg: "{{ out.failed }} {{ out.msg }} {{ out.results[0].failed }}"}
`,
      one(),
    );
    expect(r.msgs('h1')).toEqual(['True One or more items failed False']);
    expect(r.stats.h1).toMatchObject({ ok: 2, ignored: 1, changed: 1, failed: 0 });
  });
});
