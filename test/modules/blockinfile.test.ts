import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blockinfileModule } from '../../src/modules/blockinfile.js';
import type { BlockinfileArgs } from '../../src/modules/blockinfile.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import cases from './fixtures/blockinfile-ansible.json' with { type: 'json' };

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('blockinfile matches ansible-core 2.14 (recorded results)', () => {
  cases.forEach((c, i) => {
    it(`case ${i}: ${JSON.stringify(c.args)}`, async () => {
      const path = join(dir, 'f');
      await writeFile(path, c.input);
      const r = await blockinfileModule.run({ ...(c.args as BlockinfileArgs), path }, localContext());
      expect(await readFile(path, 'utf8')).toBe(c.text);
      expect(r.changed).toBe(c.changed);
      expect(r.msg).toBe(c.msg);
    });
  });
});

describe('blockinfile', () => {
  it('creates a file, then is idempotent; check mode writes nothing', async () => {
    const path = join(dir, 'new');
    const check = await blockinfileModule.run({ path, block: 'x', create: true }, localContext({ check: true, diff: true }));
    expect(check).toMatchObject({ changed: true, msg: 'File created' });
    expect(check.diff?.[0].after).toBe('# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n');
    await expect(readFile(path)).rejects.toThrow();
    expect((await blockinfileModule.run({ path, block: 'x', create: true }, localContext())).msg).toBe('File created');
    expect((await blockinfileModule.run({ path, block: 'x', create: true }, localContext())).changed).toBe(false);
  });

  it('fails on a missing file without create', async () => {
    const path = join(dir, 'none');
    await expect(blockinfileModule.run({ path, block: 'x' }, localContext())).rejects.toThrow(`Path ${path} does not exist !`);
    expect(await blockinfileModule.run({ path, state: 'absent', create: true }, localContext())).toEqual({ changed: false, msg: `File ${path} not present` });
  });
});
