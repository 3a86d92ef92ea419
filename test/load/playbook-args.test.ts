import { describe, expect, it } from 'vitest';
import { parseKv, splitArgs } from '../../src/load/module-args.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { closest, levenshtein } from '../../src/load/suggest.js';
import { testModules } from '../fixtures/playbooks/modules.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** [input, split_args, parse_kv, parse_kv(check_raw=True)] as printed by ansible-core 2.14. */
const ANSIBLE_KV: ReadonlyArray<readonly [string, string[], Record<string, string>, Record<string, string>]> = [
  ["a=b c=\"foo bar\"", ["a=b", "c=\"foo bar\""], {"a": "b", "c": "foo bar"}, {"_raw_params": "a=b c=\"foo bar\""}],
  ["echo hi chdir=/tmp creates=/x", ["echo", "hi", "chdir=/tmp", "creates=/x"], {"chdir": "/tmp", "creates": "/x", "_raw_params": "echo hi"}, {"chdir": "/tmp", "creates": "/x", "_raw_params": "echo hi"}],
  ["msg=\"{{ a | default('x y') }}\" b={{ c }}", ["msg=\"{{ a | default('x y') }}\"", "b={{ c }}"], {"msg": "{{ a | default('x y') }}", "b": "{{ c }}"}, {"_raw_params": "msg=\"{{ a | default('x y') }}\" b={{ c }}"}],
  ["x='a b' y=\"q\\\"z\"", ["x='a b'", "y=\"q\\\"z\""], {"x": "a b", "y": "q\"z"}, {"_raw_params": "x='a b' y=\"q\\\"z\""}],
  ["echo {{ item }} > /tmp/{{ a }} b", ["echo", "{{ item }}", ">", "/tmp/{{ a }}", "b"], {"_raw_params": "echo {{ item }} > /tmp/{{ a }} b"}, {"_raw_params": "echo {{ item }} > /tmp/{{ a }} b"}],
  ["a=1\nb=2", ["a=1\n", "b=2"], {"a": "1", "b": "2"}, {"_raw_params": "a=1\nb=2"}],
  ["k=v=w", ["k=v=w"], {"k": "v=w"}, {"_raw_params": "k=v=w"}],
  ["free \\= text", ["free", "\\=", "text"], {"_raw_params": "free = text"}, {"_raw_params": "free = text"}],
  ["a=\"x\\ny\"", ["a=\"x\\ny\""], {"a": "x\ny"}, {"_raw_params": "a=\"x\\ny\""}],
];

function fromAnsible(options: Record<string, string>): { options: Record<string, string>; raw?: string } {
  const { _raw_params: raw, ...rest } = options;
  return raw === undefined ? { options: rest } : { options: rest, raw };
}

describe('splitArgs / parseKv match ansible.parsing.splitter', () => {
  for (const [input, split, kv, kvRaw] of ANSIBLE_KV) {
    it(JSON.stringify(input), () => {
      expect(splitArgs(input)).toEqual(split);
      expect(parseKv(input)).toEqual(fromAnsible(kv));
      // check_raw keeps only command options (chdir, creates...) out of the free-form text
      const raw = fromAnsible(kvRaw);
      const ours = parseKv(input, true);
      expect(ours.raw).toBe(raw.raw);
      expect(ours.options).toEqual(raw.options);
    });
  }

  it('rejects unbalanced quotes and Jinja2 blocks', () => {
    expect(() => splitArgs('a="b')).toThrow('unbalanced');
    expect(() => splitArgs('a={{ b')).toThrow('unbalanced');
  });
});

describe('suggestions', () => {
  it('levenshtein and closest', () => {
    expect(levenshtein('copyy', 'copy')).toBe(1);
    expect(closest('taks', ['tags', 'tasks'])).toBe('tasks');
    expect(closest('zzzzzz', ['copy', 'file'])).toBeUndefined();
  });
});

async function loadText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-args-'));
  const path = join(dir, 'pb.yaml');
  writeFileSync(path, text);
  return loadPlaybook(path, { modules: testModules });
}

describe('module argument validation', () => {
  it('templated values match any type, convertible k=v strings are accepted', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - copy: src=a dest=b force=yes\n    - copy:\n        src: a\n        dest: "{{ d }}"\n        force: "{{ f }}"\n    - debug:\n        verbosity: "2"\n');
    expect(pb.plays[0]!.tasks).toHaveLength(3);
  });

  it('free form goes to the module free-form argument for validation', async () => {
    const pb = await loadText('- hosts: all\n  tasks:\n    - shell: echo hi | cat chdir=/tmp\n    - command:\n        argv: [echo, hi]\n');
    const [shell, command] = pb.plays[0]!.tasks as { freeForm?: string; args: object }[];
    expect(shell!.freeForm).toBe('echo hi | cat');
    expect(shell!.args).toEqual({ chdir: '/tmp' });
    expect(command!.freeForm).toBeUndefined();
  });

  it('reports the unknown argument inside a nested value at its key', async () => {
    await expect(loadText('- hosts: all\n  tasks:\n    - command: ls\n      args:\n        chdri: /tmp\n')).rejects.toThrow(
      "Unsupported parameters for (command) module: chdri. Did you mean 'chdir'?",
    );
  });
});
