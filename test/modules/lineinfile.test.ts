import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lineinfileModule } from '../../src/modules/lineinfile.js';
import type { LineinfileArgs } from '../../src/modules/lineinfile.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import cases from './fixtures/lineinfile-ansible.json' with { type: 'json' };

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

interface Case {
  input: string;
  args: Record<string, unknown>;
  text: string;
  changed: boolean;
  msg: string;
  found: number | null;
}

describe('lineinfile matches ansible-core 2.14 (recorded results)', () => {
  (cases as Case[]).forEach((c, i) => {
    it(`case ${i}: ${JSON.stringify(c.args)} on ${JSON.stringify(c.input)}`, async () => {
      const path = join(dir, 'f');
      await writeFile(path, c.input);
      const r = await lineinfileModule.run({ ...(c.args as LineinfileArgs), path }, localContext());
      expect(await readFile(path, 'utf8')).toBe(c.text);
      expect(r.changed).toBe(c.changed);
      expect(r.msg).toBe(c.msg);
      if (c.found !== null) expect(r.values?.found).toBe(c.found);
    });
  });
});

describe('lineinfile', () => {
  it('is idempotent, supports check mode and diff', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'hello\n');
    const ctx = localContext({ check: true, diff: true });
    const r = await lineinfileModule.run({ path, line: 'foo' }, ctx);
    expect(r.changed).toBe(true);
    expect(r.msg).toBe('line added');
    expect(r.diff?.[0]).toEqual({ before: 'hello\n', after: 'hello\nfoo\n', before_header: `${path} (content)`, after_header: `${path} (content)` });
    expect(await readFile(path, 'utf8')).toBe('hello\n');
    expect((await lineinfileModule.run({ path, line: 'foo' }, localContext())).changed).toBe(true);
    const again = await lineinfileModule.run({ path, line: 'foo' }, localContext());
    expect(again).toMatchObject({ changed: false, msg: '', values: { backup: '' } });
  });

  it('creates the file with create=yes and reports attribute changes in msg', async () => {
    const path = join(dir, 'sub/new.conf');
    const r = await lineinfileModule.run({ path, line: 'a=1', create: true, mode: '0600' }, localContext());
    expect(r.changed).toBe(true);
    expect(r.msg).toBe('line added and ownership, perms or SE linux context changed');
    expect(await readFile(path, 'utf8')).toBe('a=1\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('fails like Ansible', async () => {
    const path = join(dir, 'missing');
    await expect(lineinfileModule.run({ path, line: 'x' }, localContext())).rejects.toThrow(`Destination ${path} does not exist !`);
    await expect(lineinfileModule.run({ path: dir, line: 'x' }, localContext())).rejects.toThrow(`Path ${dir} is a directory !`);
    await expect(lineinfileModule.run({ path, state: 'absent' }, localContext())).rejects.toThrow(
      'one of line, search_string, or regexp is required with state=absent',
    );
    await expect(lineinfileModule.run({ path, backrefs: true, line: 'x' }, localContext())).rejects.toThrow('regexp is required with backrefs=true');
    expect(await lineinfileModule.run({ path, state: 'absent', line: 'x' }, localContext())).toEqual({ changed: false, msg: 'file not present' });
  });

  it('backup returns the backup file name', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'a\n');
    const r = await lineinfileModule.run({ path, line: 'b', backup: true }, localContext());
    const backup = r.values?.backup as string;
    expect(backup.startsWith(`${path}.`)).toBe(true);
    expect(await readFile(backup, 'utf8')).toBe('a\n');
  });
});
