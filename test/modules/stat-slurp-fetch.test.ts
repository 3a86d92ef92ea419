import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, readFile, symlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { statModule } from '../../src/modules/stat.js';
import { slurpModule } from '../../src/modules/slurp.js';
import { fetchModule } from '../../src/modules/fetch.js';
import { localContext, tempDir } from '../support/file-module-context.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('stat', () => {
  it('returns Ansible keys for a regular file', async () => {
    const path = join(dir, 'a.txt');
    await writeFile(path, 'hello\n');
    await chmod(path, 0o640);
    const r = await statModule.run({ path }, localContext());
    expect(r.changed).toBe(false);
    const st = r.values?.stat as Record<string, unknown>;
    expect(st).toMatchObject({
      exists: true,
      path,
      mode: '0640',
      isreg: true,
      isdir: false,
      islnk: false,
      size: 6,
      checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f',
      rusr: true,
      wusr: true,
      xusr: false,
      rgrp: true,
      roth: false,
      readable: true,
      executable: false,
      mimetype: 'text/plain',
      charset: 'us-ascii',
    });
    expect(typeof st.mtime).toBe('number');
    expect(typeof st.pw_name).toBe('string');
    expect(Object.keys(st)).toEqual(expect.arrayContaining(['inode', 'dev', 'nlink', 'uid', 'gid', 'atime', 'ctime', 'blocks', 'block_size', 'attributes', 'attr_flags', 'version']));
  });

  it('reports links and missing paths', async () => {
    const target = join(dir, 't');
    await writeFile(target, 'x');
    await symlink(target, join(dir, 'l'));
    const r = await statModule.run({ path: join(dir, 'l'), get_mime: false, get_attributes: false }, localContext());
    expect(r.values?.stat).toMatchObject({ islnk: true, lnk_source: target, lnk_target: target, mode: '0777' });
    expect((r.values?.stat as Record<string, unknown>).checksum).toBeUndefined();
    const f = await statModule.run({ path: join(dir, 'l'), follow: true, checksum_algorithm: 'sha256' }, localContext());
    expect(f.values?.stat).toMatchObject({ islnk: false, isreg: true, checksum: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' });
    expect((await statModule.run({ path: join(dir, 'none') }, localContext())).values).toEqual({ stat: { exists: false } });
  });
});

describe('slurp', () => {
  it('returns base64 content', async () => {
    const path = join(dir, 'a');
    await writeFile(path, 'hello\n');
    expect(await slurpModule.run({ src: path }, localContext())).toEqual({
      changed: false,
      values: { content: 'aGVsbG8K', source: path, encoding: 'base64' },
    });
    await expect(slurpModule.run({ src: join(dir, 'no') }, localContext())).rejects.toThrow(`file not found: ${join(dir, 'no')}`);
    await expect(slurpModule.run({ path: dir }, localContext())).rejects.toThrow('source is a directory and must be a file');
  });
});

describe('fetch', () => {
  it('writes dest/<host>/<src>, then is unchanged', async () => {
    const src = join(dir, 'remote', 'a.txt');
    await mkdir(join(dir, 'remote'));
    await writeFile(src, 'hello\nfoo\n');
    const dest = join(dir, 'fetched');
    const ctx = localContext({ vars: { inventory_hostname: 'web1' } });
    const r = await fetchModule.run({ src, dest }, ctx);
    const expected = join(dest, 'web1', src);
    expect(r).toEqual({
      changed: true,
      values: {
        dest: expected,
        checksum: '396d49af615056b2ad5a94f74da59e35f2292e3b',
        md5sum: 'd66bfd429cc7d555965462b99af7fd0a',
        remote_checksum: '396d49af615056b2ad5a94f74da59e35f2292e3b',
        remote_md5sum: null,
      },
    });
    expect(await readFile(expected, 'utf8')).toBe('hello\nfoo\n');
    const again = await fetchModule.run({ src, dest }, ctx);
    expect(again.changed).toBe(false);
    expect(again.values).toMatchObject({ dest: expected, file: src });
  });

  it('flat with a trailing slash, and missing files', async () => {
    const src = join(dir, 'b.txt');
    await writeFile(src, 'b');
    const out = join(dir, 'out');
    const r = await fetchModule.run({ src, dest: `${out}/`, flat: true }, localContext());
    expect(r.values?.dest).toBe(join(out, 'b.txt'));
    await expect(fetchModule.run({ src: join(dir, 'missing'), dest: out }, localContext())).rejects.toThrow(
      'the remote file does not exist, not transferring, ignored',
    );
    const soft = await fetchModule.run({ src: join(dir, 'missing'), dest: out, fail_on_missing: false }, localContext());
    expect(soft).toMatchObject({ changed: false, msg: 'the remote file does not exist, not transferring, ignored' });
  });
});
