import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstat, mkdir, readlink, stat, writeFile, readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileModule } from '../../src/modules/file.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { symbolicToOctal } from '../../src/modules/util/file-state.js';
import { localContext, tempDir } from '../support/file-module-context.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('file: directory', () => {
  it('creates parents, is idempotent, and reports Ansible keys', async () => {
    const path = join(dir, 'a/b');
    const r1 = await fileModule.run({ path, state: 'directory', mode: '0750' }, localContext({ diff: true }));
    expect(r1.changed).toBe(true);
    expect(r1.values).toMatchObject({ path, state: 'directory', mode: '0750' });
    expect((await stat(path)).mode & 0o777).toBe(0o750);
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o750);
    expect(r1.diff?.[0].before).toContain('"state": "absent"');
    const r2 = await fileModule.run({ path, state: 'directory', mode: '0750' }, localContext());
    expect(r2.changed).toBe(false);
  });

  it('check mode reports a change and creates nothing', async () => {
    const path = join(dir, 'x');
    const ctx = localContext({ check: true });
    const r = await fileModule.run({ path, state: 'directory' }, ctx);
    expect(r.changed).toBe(true);
    await expect(stat(path)).rejects.toThrow();
  });

  it('fails when a file is in the way', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'x');
    await expect(fileModule.run({ path, state: 'directory' }, localContext())).rejects.toThrow(`${path} already exists as a file`);
  });

  it('recurse sets the mode on the contents', async () => {
    await mkdir(join(dir, 'r/s'), { recursive: true });
    await writeFile(join(dir, 'r/s/f'), 'x');
    const r = await fileModule.run({ path: join(dir, 'r'), state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' }, localContext());
    expect(r.changed).toBe(true);
    expect((await stat(join(dir, 'r/s/f'))).mode & 0o777).toBe(0o640);
    expect((await stat(join(dir, 'r/s'))).mode & 0o777).toBe(0o750);
  });
});

describe('file: other states', () => {
  it('state=file on a missing path fails with Ansible message and values', async () => {
    const path = join(dir, 'nope');
    const err = await fileModule.run({ path, state: 'file' }, localContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModuleFailure);
    expect((err as ModuleFailure).message).toBe(`file (${path}) is absent, cannot continue`);
    expect((err as ModuleFailure).values).toEqual({ path, state: 'absent' });
  });

  it('state=file changes mode only when different', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'x');
    await chmod(path, 0o644);
    const r = await fileModule.run({ path, mode: '0600' }, localContext({ diff: true }));
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ state: 'file', mode: '0600', size: 1 });
    expect(r.diff?.[0].after).toContain('"mode": "0600"');
    expect((await fileModule.run({ path, mode: 384 }, localContext())).changed).toBe(false);
  });

  it('touch creates, absent removes a tree', async () => {
    const path = join(dir, 't/f');
    await mkdir(join(dir, 't'));
    const r = await fileModule.run({ path, state: 'touch' }, localContext());
    expect(r.changed).toBe(true);
    expect(r.values).toMatchObject({ dest: path, state: 'file', size: 0 });
    const a = await fileModule.run({ path: join(dir, 't'), state: 'absent' }, localContext({ diff: true }));
    expect(a.changed).toBe(true);
    // the file module registers its before/after dicts as `diff` even without --diff (as Ansible does)
    expect(a.values).toEqual({
      path: join(dir, 't'),
      state: 'absent',
      diff: {
        before: { path: join(dir, 't'), state: 'directory', path_content: { directories: [], files: [join(dir, 't', 'f')] } },
        after: { path: join(dir, 't'), state: 'absent' },
      },
    });
    expect(a.diff?.[0].before).toContain(`"files": [\n            "${path}"`);
    expect(await readdir(dir)).toEqual([]);
    const a2 = await fileModule.run({ path: join(dir, 't'), state: 'absent' }, localContext());
    expect(a2.changed).toBe(false);
  });

  it('touch with a fixed modification_time is idempotent', async () => {
    const path = join(dir, 'f');
    await writeFile(path, '');
    const args = { path, state: 'touch' as const, modification_time: '202001021304.05', access_time: 'preserve' };
    expect((await fileModule.run(args, localContext())).changed).toBe(true);
    const st = await stat(path);
    expect(st.mtime.getFullYear()).toBe(2020);
    expect((await fileModule.run(args, localContext())).changed).toBe(false);
  });

  it('link: creates, keeps, retargets, refuses to replace a file without force', async () => {
    const target = join(dir, 'target');
    await writeFile(target, 'x');
    const link = join(dir, 'l');
    const r1 = await fileModule.run({ path: link, src: target, state: 'link' }, localContext());
    expect(r1.changed).toBe(true);
    expect(r1.values).toMatchObject({ dest: link, src: target, state: 'link', mode: '0777' });
    expect(await readlink(link)).toBe(target);
    expect((await fileModule.run({ path: link, src: target, state: 'link' }, localContext())).changed).toBe(false);
    const r3 = await fileModule.run({ path: link, src: 'other', state: 'link', force: true }, localContext());
    expect(r3.changed).toBe(true);
    expect(await readlink(link)).toBe('other');
    await writeFile(join(dir, 'other2'), 'y');
    await expect(fileModule.run({ path: target, src: join(dir, 'other2'), state: 'link' }, localContext())).rejects.toThrow(
      `refusing to convert from file to symlink for ${target}`,
    );
    await expect(fileModule.run({ path: join(dir, 'l2'), src: 'missing', state: 'link' }, localContext())).rejects.toThrow(
      /src file does not exist, use "force=yes"/,
    );
  });

  it('hard link', async () => {
    const target = join(dir, 'target');
    await writeFile(target, 'x');
    const h = join(dir, 'h');
    const r = await fileModule.run({ path: h, src: target, state: 'hard' }, localContext());
    expect(r.changed).toBe(true);
    expect((await lstat(h)).ino).toBe((await lstat(target)).ino);
    expect((await fileModule.run({ path: h, src: target, state: 'hard' }, localContext())).changed).toBe(false);
  });
});

describe('symbolic modes', () => {
  it('follows chmod semantics', () => {
    expect(symbolicToOctal('u+x', 0o644, false)).toBe(0o744);
    expect(symbolicToOctal('u=rw,g=r,o=', 0o777, false)).toBe(0o640);
    expect(symbolicToOctal('a+X', 0o644, true)).toBe(0o755);
    expect(symbolicToOctal('a+X', 0o644, false)).toBe(0o644);
    expect(symbolicToOctal('go-w', 0o666, false)).toBe(0o644);
    expect(symbolicToOctal('u+s,g=u', 0o700, false)).toBe(0o4770);
    expect(() => symbolicToOctal('z+x', 0o644, false)).toThrow(/bad symbolic/);
  });
});
