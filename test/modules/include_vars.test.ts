import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { includeVarsModule } from '../../src/modules/include_vars.js';
import { createModuleContext } from '../support/module-context.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbook-iv-'));
  await mkdir(join(dir, 'vars', 'all', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'vars1.yml'), 'alpha: 1\nbeta: [x, z]\nflag: yes\n');
  await writeFile(join(dir, 'vars', 'list.yml'), '- 1\n- 2\n');
  await writeFile(join(dir, 'vars', 'empty.yml'), '');
  await writeFile(join(dir, 'vars', 'all', 'a.yml'), 'a: 1\nshared: a\n');
  await writeFile(join(dir, 'vars', 'all', 'b.json'), '{"b": 2, "shared": "b"}');
  await writeFile(join(dir, 'vars', 'all', 'notes.txt'), 'x');
  await writeFile(join(dir, 'vars', 'all', 'deeper', 'c.yml'), 'c: 3\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('include_vars', () => {
  it('loads a file into facts with YAML 1.1 types', async () => {
    const result = await includeVarsModule.run({ file: 'vars1.yml' }, createModuleContext({ localDir: dir }));
    const facts = { alpha: 1, beta: ['x', 'z'], flag: true };
    expect(result).toEqual({
      changed: false,
      facts,
      values: { ansible_included_var_files: [join(dir, 'vars1.yml')], ansible_facts: facts },
    });
  });

  it('nests under name and accepts an empty file', async () => {
    const named = await includeVarsModule.run({ file: 'vars1.yml', name: 'myv' }, createModuleContext({ localDir: dir }));
    expect(named.facts).toEqual({ myv: { alpha: 1, beta: ['x', 'z'], flag: true } });
    expect((await includeVarsModule.run({ file: 'empty.yml' }, createModuleContext({ localDir: dir }))).facts).toEqual({});
  });

  it('fails with `message` (not msg) as Ansible does', async () => {
    const missing = await includeVarsModule.run({ file: 'nope.yml' }, createModuleContext({ localDir: dir }));
    expect(missing.failed).toBe(true);
    expect(String(missing.values!['message'])).toContain("Could not find or access 'nope.yml'");
    expect(missing.facts).toBeUndefined();
    const list = await includeVarsModule.run({ file: 'list.yml' }, createModuleContext({ localDir: dir }));
    expect(list.values).toEqual({
      message: `${join(dir, 'vars', 'list.yml')} must be stored as a dictionary/hash`,
      ansible_included_var_files: [],
      ansible_facts: {},
    });
  });

  it('loads a directory in sorted order, honouring depth and ignore options', async () => {
    const ctx = createModuleContext({ localDir: dir });
    const all = await includeVarsModule.run({ dir: 'all', ignore_unknown_extensions: true }, ctx);
    expect(all.facts).toEqual({ a: 1, b: 2, shared: 'b', c: 3 });
    expect(all.values!['ansible_included_var_files']).toEqual([
      join(dir, 'vars', 'all', 'a.yml'),
      join(dir, 'vars', 'all', 'b.json'),
      join(dir, 'vars', 'all', 'deeper', 'c.yml'),
    ]);
    const shallow = await includeVarsModule.run({ dir: 'all', depth: 1, ignore_files: ['notes.txt'], files_matching: '^[ab]' }, ctx);
    expect(shallow.facts).toEqual({ a: 1, b: 2, shared: 'b' });
    const strict = await includeVarsModule.run({ dir: 'all' }, ctx);
    expect(strict.values!['message']).toBe(`${join(dir, 'vars', 'all', 'notes.txt')} does not have a valid extension: yaml, yml, json`);
  });

  it('merges mappings with hash_behaviour=merge', async () => {
    await writeFile(join(dir, 'm.yml'), 'conf: {b: 2}\n');
    const ctx = createModuleContext({ localDir: dir, vars: { conf: { a: 1 } } });
    expect((await includeVarsModule.run({ file: 'm.yml', hash_behaviour: 'merge' }, ctx)).facts).toEqual({ conf: { a: 1, b: 2 } });
  });

  it('rejects mixing file and dir options', async () => {
    await expect(includeVarsModule.run({ file: 'a.yml', depth: 1 }, createModuleContext({ localDir: dir }))).rejects.toThrow(
      'You are mixing file only and dir only arguments, these are incompatible',
    );
  });
});
