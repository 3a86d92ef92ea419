import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, stat, writeFile, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { copyModule } from '../../src/modules/copy.js';
import { localContext, tempDir } from '../support/file-module-context.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('copy', () => {
  it('writes content, then is idempotent, with Ansible return keys', async () => {
    const dest = join(dir, 'a.txt');
    const r1 = await copyModule.run({ content: 'hello\n', dest, mode: '0640' }, localContext({ diff: true }));
    expect(r1.changed).toBe(true);
    expect(r1.values).toMatchObject({
      dest,
      checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f',
      md5sum: 'b1946ac92492d2347c6235b4d2611184',
      mode: '0640',
      size: 6,
      state: 'file',
    });
    expect(r1.diff).toEqual([{ before: '', after: 'hello\n', after_header: expect.any(String) }]);
    expect(await readFile(dest, 'utf8')).toBe('hello\n');
    expect((await stat(dest)).mode & 0o777).toBe(0o640);
    const r2 = await copyModule.run({ content: 'hello\n', dest, mode: '0640' }, localContext());
    expect(r2.changed).toBe(false);
    expect(r2.values).toMatchObject({ dest, path: dest, checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f', state: 'file' });
    // only the mode differs: changed through the file module
    const r3 = await copyModule.run({ content: 'hello\n', dest, mode: 'u=rw,go=' }, localContext());
    expect(r3.changed).toBe(true);
    expect((await stat(dest)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('check mode reports the change, shows the diff and writes nothing', async () => {
    const dest = join(dir, 'a.txt');
    await writeFile(dest, 'old\n');
    const ctx = localContext({ check: true, diff: true });
    const r = await copyModule.run({ content: 'new\n', dest }, ctx);
    expect(r.changed).toBe(true);
    expect(r.diff?.[0]).toMatchObject({ before: 'old\n', after: 'new\n', before_header: dest });
    expect(await readFile(dest, 'utf8')).toBe('old\n');
  });

  it('copies a controller file into a directory dest, keeping backups', async () => {
    const local = join(dir, 'local');
    await mkdir(join(local, 'files'), { recursive: true });
    await writeFile(join(local, 'files', 'conf.ini'), 'a=1\n');
    const remote = join(dir, 'remote');
    await mkdir(remote);
    await writeFile(join(remote, 'conf.ini'), 'a=0\n');
    const r = await copyModule.run({ src: 'conf.ini', dest: remote, backup: true }, localContext({ localDir: local }));
    expect(r.changed).toBe(true);
    expect(r.values?.dest).toBe(join(remote, 'conf.ini'));
    const backup = r.values?.backup_file as string;
    expect(backup).toMatch(/conf\.ini\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(await readFile(backup, 'utf8')).toBe('a=0\n');
    expect(await readFile(join(remote, 'conf.ini'), 'utf8')).toBe('a=1\n');
  });

  it('force=false leaves an existing file alone', async () => {
    const dest = join(dir, 'a');
    await writeFile(dest, 'keep');
    const r = await copyModule.run({ content: 'other', dest, force: false }, localContext());
    expect(r.changed).toBe(false);
    expect(await readFile(dest, 'utf8')).toBe('keep');
  });

  it('dest with a trailing slash creates the directory', async () => {
    const local = join(dir, 'l');
    await mkdir(local);
    await writeFile(join(local, 'f.txt'), 'x');
    const r = await copyModule.run({ src: 'f.txt', dest: join(dir, 'new/sub/') }, localContext({ localDir: local }));
    expect(r.changed).toBe(true);
    expect(await readFile(join(dir, 'new/sub/f.txt'), 'utf8')).toBe('x');
  });

  it('fails like Ansible on bad arguments and missing parents', async () => {
    await expect(copyModule.run({ dest: join(dir, 'x') }, localContext())).rejects.toThrow('src (or content) is required');
    await expect(copyModule.run({ content: 'x', dest: `${dir}/` }, localContext())).rejects.toThrow('can not use content with a dir as dest');
    await expect(copyModule.run({ content: 'x', dest: dir }, localContext())).rejects.toThrow('can not use content with a dir as dest');
    await expect(copyModule.run({ content: 'x', dest: join(dir, 'no/x') }, localContext())).rejects.toThrow(
      `Destination directory ${join(dir, 'no')} does not exist`,
    );
  });

  it('remote_src copies a host file and follows a symlink dest when asked', async () => {
    const src = join(dir, 'src');
    await writeFile(src, 'data');
    const real = join(dir, 'real');
    await writeFile(real, 'old');
    await symlink(real, join(dir, 'link'));
    const r = await copyModule.run({ src, dest: join(dir, 'copy'), remote_src: true }, localContext());
    expect(r.changed).toBe(true);
    expect(await readFile(join(dir, 'copy'), 'utf8')).toBe('data');
    expect((await copyModule.run({ src, dest: join(dir, 'copy'), remote_src: true }, localContext())).changed).toBe(false);
    await copyModule.run({ content: 'new', dest: join(dir, 'link'), follow: true }, localContext());
    expect(await readFile(real, 'utf8')).toBe('new');
  });
});

describe('copy: the registered diff (as the copy action returns it)', () => {
  it('is a list (empty without --diff) when the content changes, the file module dict when it does not', async () => {
    const dest = join(dir, 'd.txt');
    const plain = await copyModule.run({ content: 'one\n', dest }, localContext());
    expect(plain.values?.diff).toEqual([]);
    expect(plain.diff).toBeUndefined();
    const shown = await copyModule.run({ content: 'two\n', dest }, localContext({ diff: true }));
    expect(shown.values?.diff).toEqual([{ before: 'one\n', after: 'two\n', before_header: dest, after_header: expect.any(String) }]);
    const same = await copyModule.run({ content: 'two\n', dest }, localContext());
    expect(same.values?.diff).toEqual({ before: { path: dest }, after: { path: dest } });
  });
});
