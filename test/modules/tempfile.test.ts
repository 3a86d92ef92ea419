import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempfileModule } from '../../src/modules/tempfile.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import { ansibleAvailable, keysOf, runAnsible, runTsbook, writePlaybook } from '../support/playbook-oracle.js';

let dir: string;
let removeDir: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup: removeDir } = await tempDir()));
afterEach(async () => removeDir());

describe('tempfile', () => {
  it('creates a 0600 file with prefix and suffix in path, and returns its path info', async () => {
    const r = await tempfileModule.run({ path: dir, prefix: 'pre.', suffix: '.log' }, localContext());
    expect(r.changed).toBe(true);
    const path = r.values?.path as string;
    expect(path).toMatch(new RegExp(`^${dir}/pre\\.[A-Za-z0-9_]{8}\\.log$`));
    expect((await stat(path)).isFile()).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(r.values).toMatchObject({ state: 'file', mode: '0600', size: 0 });
  });

  it('creates a 0700 directory with the default ansible. prefix', async () => {
    const r = await tempfileModule.run({ state: 'directory', path: `${dir}/` }, localContext());
    const path = r.values?.path as string;
    expect(path).toMatch(new RegExp(`^${dir}/ansible\\.[A-Za-z0-9_]{8}$`));
    expect((await stat(path)).isDirectory()).toBe(true);
    expect(r.values).toMatchObject({ state: 'directory', mode: '0700' });
  });

  it('fails with Python\'s OSError text when the directory is missing', async () => {
    const missing = join(dir, 'nope');
    await expect(tempfileModule.run({ path: missing }, localContext())).rejects.toThrow(
      new RegExp(`^\\[Errno 2\\] No such file or directory: '${missing}/ansible\\.[a-z0-9_]{8}'$`),
    );
    await expect(tempfileModule.run({ state: 'fifo' }, localContext())).rejects.toBeInstanceOf(ModuleFailure);
  });

  it('does not support check mode (the engine skips it, as Ansible)', () => {
    expect(tempfileModule.checkMode).toBe('skip');
  });
});

const ansible = await ansibleAvailable();

describe.runIf(ansible)('tempfile against ansible-playbook', () => {
  it('same status, keys, modes and messages, check mode included', async () => {
    const run = async (which: string) => {
      const sub = join(dir, which);
      await mkdir(sub);
      const playbook = await writePlaybook(sub, 'tempfile', [
        { name: 'file', tempfile: { path: sub, suffix: '.x' } },
        { name: 'directory', tempfile: { path: sub, state: 'directory' } },
        { name: 'check', tempfile: { path: sub }, check_mode: true },
        { name: 'missing', tempfile: { path: `${sub}/missing` }, ignore_errors: true },
      ]);
      return which === 'ansible' ? runAnsible(playbook) : runTsbook(playbook);
    };
    const expected = await run('ansible');
    const actual = await run('tsbook');
    expect(actual.map((t) => `${t.name}:${t.status}`)).toEqual(expected.map((t) => `${t.name}:${t.status}`));
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i]!.result, expected[i]!.result];
      expect([expected[i]!.name, keysOf(a)]).toEqual([expected[i]!.name, keysOf(e)]);
      for (const k of ['changed', 'mode', 'state', 'skipped']) expect([k, a[k]]).toEqual([k, e[k]]);
    }
    expect(actual[2]!.result.msg).toBe(expected[2]!.result.msg);
    const shape = (m: unknown) => String(m).replace(/(ansible|tsbook)\//, '').replace(/ansible\.[a-z0-9_]{8}/i, 'ansible.XXXXXXXX');
    expect(shape(actual[3]!.result.msg)).toBe(shape(expected[3]!.result.msg));
    expect(String(actual[0]!.result.path)).toMatch(/\/ansible\.[A-Za-z0-9_]{8}\.x$/);
  }, 120_000);
});
