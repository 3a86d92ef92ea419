import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unarchiveModule } from '../../src/modules/unarchive.js';
import { parseZipinfo, tarDiffDiffers, tarUnescape } from '../../src/modules/unarchive.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import { startServer } from '../support/http-server.js';
import { ansibleAvailable, keysOf, runAnsible, runTsbook, writePlaybook } from '../support/playbook-oracle.js';

const exec = promisify(execFile);

/** Archives of one small tree (app/, app/bin/run.sh, app/conf/a.ini, app/README), built once. */
let fixtures: string;
beforeAll(async () => {
  fixtures = await mkdtemp(join(tmpdir(), 'tsbook-unarchive-fx-'));
  const tree = join(fixtures, 'tree');
  await mkdir(join(tree, 'app/bin'), { recursive: true });
  await mkdir(join(tree, 'app/conf'), { recursive: true });
  await writeFile(join(tree, 'app/bin/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  await writeFile(join(tree, 'app/conf/a.ini'), 'a=1\n', { mode: 0o644 });
  await writeFile(join(tree, 'app/README'), 'readme\n', { mode: 0o644 });
  const old = new Date('2020-01-02T03:04:05Z');
  for (const p of ['app/bin/run.sh', 'app/conf/a.ini', 'app/README', 'app/bin', 'app/conf', 'app']) await utimes(join(tree, p), old, old);
  const files = join(fixtures, 'files');
  await mkdir(files);
  await exec('tar', ['czf', join(files, 'app.tar.gz'), '-C', tree, 'app']);
  await exec('tar', ['cJf', join(files, 'app.tar.xz'), '-C', tree, 'app']);
  await exec('tar', ['cjf', join(files, 'app.tar.bz2'), '-C', tree, 'app']);
  await exec('tar', ['cf', join(files, 'app.tar'), '-C', tree, 'app']);
  await exec('zip', ['-qr', join(files, 'app.zip'), 'app'], { cwd: tree });
  await writeFile(join(files, 'empty.tgz'), '');
});
afterAll(async () => rm(fixtures, { recursive: true, force: true }));

let dir: string;
let removeDir: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup: removeDir } = await tempDir()));
afterEach(async () => removeDir());

async function attempt(args: Record<string, unknown>, check = false): Promise<{ failed: boolean; skipped?: boolean; msg?: string; changed: boolean; values: Record<string, unknown> }> {
  try {
    const r = await unarchiveModule.run(args, localContext({ check, localDir: fixtures }));
    return { failed: false, skipped: r.skipped, msg: r.msg, changed: r.changed, values: { ...(r.values ?? {}) } };
  } catch (e) {
    if (!(e instanceof ModuleFailure)) throw e;
    return { failed: true, msg: e.message, changed: false, values: { ...e.values } };
  }
}

const exists = (p: string) => access(p).then(() => true, () => false);
const APP_FILES = ['app/', 'app/bin/', 'app/bin/run.sh', 'app/conf/', 'app/conf/a.ini', 'app/README'];

describe('unarchive', () => {
  it('uploads and extracts a tar.gz, then reports ok while the tree matches', async () => {
    const r1 = await attempt({ src: 'app.tar.gz', dest: dir, list_files: true });
    expect(r1).toMatchObject({ failed: false, changed: true });
    expect(r1.values).toMatchObject({ handler: 'TgzArchive', dest: dir, state: 'directory', extract_results: { rc: 0 } });
    expect([...(r1.values.files as string[])].sort()).toEqual([...APP_FILES].sort());
    expect((r1.values.extract_results as { cmd: string[] }).cmd).toEqual(expect.arrayContaining(['--extract', '-C', dir, '-z', '-f']));
    expect(await readFile(join(dir, 'app/bin/run.sh'), 'utf8')).toBe('#!/bin/sh\necho run\n');
    expect((await stat(join(dir, 'app/bin/run.sh'))).mode & 0o777).toBe(0o755);
    const r2 = await attempt({ src: 'app.tar.gz', dest: dir });
    expect(r2.changed).toBe(false);
    expect(r2.values).not.toHaveProperty('extract_results');
    // a modified file and a missing file are both differences
    await writeFile(join(dir, 'app/conf/a.ini'), 'a=2\n');
    expect((await attempt({ src: 'app.tar.gz', dest: dir })).changed).toBe(true);
    expect(await readFile(join(dir, 'app/conf/a.ini'), 'utf8')).toBe('a=1\n');
    await rm(join(dir, 'app/README'));
    expect((await attempt({ src: 'app.tar.gz', dest: dir })).changed).toBe(true);
    expect((await attempt({ src: 'app.tar.gz', dest: dir })).changed).toBe(false);
  });

  it('reads tar, tar.bz2 and tar.xz (GNU tar detects the compression, as the TarArchive handler)', async () => {
    for (const name of ['app.tar', 'app.tar.bz2', 'app.tar.xz']) {
      const dest = join(dir, name);
      await mkdir(dest);
      const r = await attempt({ src: name, dest });
      expect([name, r.changed, r.values.handler]).toEqual([name, true, 'TarArchive']);
      expect(await exists(join(dest, 'app/conf/a.ini'))).toBe(true);
      expect((await attempt({ src: name, dest })).changed).toBe(false);
    }
  });

  it('extracts a zip, compares it member by member, and supports check mode', async () => {
    const check = await attempt({ src: 'app.zip', dest: dir }, true);
    expect(check).toMatchObject({ failed: false, changed: true, values: { handler: 'ZipArchive' } });
    expect(check.values.diff).toMatchObject({ prepared: expect.stringContaining('>f++++++.?? app/README') });
    expect(await exists(join(dir, 'app'))).toBe(false);
    const r1 = await attempt({ src: 'app.zip', dest: dir });
    expect(r1).toMatchObject({ changed: true, values: { handler: 'ZipArchive' } });
    expect(await readFile(join(dir, 'app/README'), 'utf8')).toBe('readme\n');
    expect((await attempt({ src: 'app.zip', dest: dir })).changed).toBe(false);
    expect((await attempt({ src: 'app.zip', dest: dir }, true)).changed).toBe(false);
    // same size, same mtime, other content: only the CRC tells
    const file = join(dir, 'app/conf/a.ini');
    const st = await stat(file);
    await writeFile(file, 'a=9\n');
    await utimes(file, st.atime, st.mtime);
    const crc = await attempt({ src: 'app.zip', dest: dir }, true);
    expect(crc.changed).toBe(true);
    expect((crc.values.diff as { prepared: string }).prepared).toBe('.fc......?? app/conf/a.ini\n');
  });

  it('skips tar archives in check mode with Ansible\'s message', async () => {
    const r = await attempt({ src: 'app.tar.gz', dest: dir }, true);
    expect(r).toMatchObject({ skipped: true, changed: false, msg: 'remote module (ansible.legacy.unarchive) does not support check mode when using gtar' });
    expect(await exists(join(dir, 'app'))).toBe(false);
  });

  it('honours exclude, include, mode, creates and remote_src', async () => {
    const ex = await attempt({ src: 'app.tar.gz', dest: dir, exclude: ['app/README'], list_files: true });
    expect(ex.values.files).not.toContain('app/README');
    expect(await exists(join(dir, 'app/README'))).toBe(false);
    const zdest = join(dir, 'z');
    await mkdir(zdest);
    await attempt({ src: 'app.zip', dest: zdest, include: ['app/conf/*'] });
    expect(await exists(join(zdest, 'app/conf/a.ini'))).toBe(true);
    expect(await exists(join(zdest, 'app/README'))).toBe(false);
    const mdest = join(dir, 'm');
    await mkdir(mdest);
    expect((await attempt({ src: 'app.tar.gz', dest: mdest, mode: 'u=rwX,go=rX' })).changed).toBe(true);
    expect((await stat(join(mdest, 'app/conf/a.ini'))).mode & 0o777).toBe(0o644);
    expect((await attempt({ src: 'app.tar.gz', dest: mdest, mode: '0600' })).changed).toBe(true);
    expect((await stat(join(mdest, 'app/README'))).mode & 0o777).toBe(0o600);
    expect((await attempt({ src: 'app.tar.gz', dest: mdest, mode: '0600' })).changed).toBe(false);
    const skipped = await attempt({ src: 'app.tar.gz', dest: mdest, creates: join(mdest, 'app') });
    expect(skipped).toMatchObject({ skipped: true, changed: false, msg: `skipped, since ${join(mdest, 'app')} exists` });
    const rdest = join(dir, 'r');
    await mkdir(rdest);
    const remote = await attempt({ src: join(fixtures, 'files/app.zip'), dest: rdest, remote_src: true });
    expect(remote).toMatchObject({ changed: true, values: { src: join(fixtures, 'files/app.zip') } });
  });

  it('downloads a URL src on the host with remote_src', async () => {
    const zip = await readFile(join(fixtures, 'files/app.zip'));
    const server = await startServer({ '/dl/app.zip': (_req, res) => res.end(zip) });
    try {
      const r = await attempt({ src: `${server.base}/dl/app.zip`, dest: dir, remote_src: true });
      expect(r).toMatchObject({ failed: false, changed: true, values: { handler: 'ZipArchive' } });
      expect(String(r.values.src)).toMatch(/\/app\.zip$/);
      expect(await readFile(join(dir, 'app/README'), 'utf8')).toBe('readme\n');
      const missing = await attempt({ src: `${server.base}/dl/none.zip`, dest: dir, remote_src: true });
      expect(missing.msg).toBe(`Failure downloading ${server.base}/dl/none.zip, HTTP Error 404: Not Found`);
    } finally {
      await server.close();
    }
  });

  it('fails like Ansible on a missing dest, a missing source and an empty archive', async () => {
    expect((await attempt({ src: 'app.tar.gz', dest: join(dir, 'nope') })).msg).toBe(`dest '${join(dir, 'nope')}' must be an existing dir`);
    expect((await attempt({ src: '/no/such.tgz', dest: dir, remote_src: true })).msg).toBe("Source '/no/such.tgz' does not exist");
    expect((await attempt({ src: 'empty.tgz', dest: dir })).msg).toMatch(/^Invalid archive '.*\/source', the file is 0 bytes$/);
    expect((await attempt({ src: 'missing.tgz', dest: dir })).msg).toMatch(/^Could not find or access 'missing.tgz'/);
  });
});

describe('unarchive parsing', () => {
  it('parses zipinfo -T -s and skips header/footer lines', () => {
    const out = [
      'Archive:  a.zip',
      'Zip file size: 310 bytes, number of entries: 2',
      'drwxr-xr-x  3.0 unx        0 bx stor 20261122.053756 tree/',
      '-rw-r--r--  3.0 unx        2 tx stor 20261122.053756 tree/a b.txt',
      '2 files, 2 bytes uncompressed, 2 bytes compressed:  0.0%',
    ].join('\n');
    expect(parseZipinfo(out)).toEqual([
      { ztype: 'd', permstr: 'rwxr-xr-x', size: 0, stamp: '20261122.053756', path: 'tree/' },
      { ztype: '-', permstr: 'rw-r--r--', size: 2, stamp: '20261122.053756', path: 'tree/a b.txt' },
    ]);
  });

  it('counts tar --diff lines as Ansible does', () => {
    expect(tarDiffDiffers(['app/x: Mod time differs'], 1000, {})).toBe(true);
    expect(tarDiffDiffers(['app/x: Mode differs'], 1000, { mode: '0600' })).toBe(false);
    expect(tarDiffDiffers(['app/x: Uid differs'], 1000, {})).toBe(false);
    expect(tarDiffDiffers(['app/x: Uid differs'], 0, {})).toBe(true);
    expect(tarDiffDiffers(['tar: app/y: Warning: Cannot stat: No such file or directory'], 1000, {})).toBe(true);
  });

  it('undoes GNU tar name quoting', () => {
    expect(tarUnescape('a\\303\\251b')).toBe('aéb');
    expect(tarUnescape('tab\\there')).toBe('tab\there');
  });
});

const ansible = await ansibleAvailable();

describe.runIf(ansible)('unarchive against ansible-playbook', () => {
  it('same changed/skipped/failed, handler, files and messages for tar.gz, tar.xz and zip, check mode included', async () => {
    const run = async (which: string) => {
      const sub = join(dir, which);
      for (const d of ['t', 'x', 'z']) await mkdir(join(sub, d), { recursive: true });
      const src = (name: string) => join(fixtures, 'files', name);
      const playbook = await writePlaybook(sub, 'unarchive', [
        { name: 'tgz check', unarchive: { src: src('app.tar.gz'), dest: `${sub}/t` }, check_mode: true },
        { name: 'tgz first', unarchive: { src: src('app.tar.gz'), dest: `${sub}/t`, list_files: true } },
        { name: 'tgz second', unarchive: { src: src('app.tar.gz'), dest: `${sub}/t` } },
        { name: 'xz', unarchive: { src: src('app.tar.xz'), dest: `${sub}/x`, list_files: true } },
        { name: 'zip check', unarchive: { src: src('app.zip'), dest: `${sub}/z` }, check_mode: true },
        { name: 'zip first', unarchive: { src: src('app.zip'), dest: `${sub}/z` } },
        { name: 'zip second', unarchive: { src: src('app.zip'), dest: `${sub}/z` } },
        { name: 'no dest', unarchive: { src: src('app.zip'), dest: `${sub}/missing` }, ignore_errors: true },
      ]);
      const outcomes = which === 'ansible' ? await runAnsible(playbook) : await runTsbook(playbook);
      return JSON.parse(JSON.stringify(outcomes).split(sub).join('<dir>')) as typeof outcomes;
    };
    const expected = await run('ansible');
    const actual = await run('tsbook');
    expect(actual.map((t) => `${t.name}:${t.status}`)).toEqual(expected.map((t) => `${t.name}:${t.status}`));
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i]!.result, expected[i]!.result];
      const name = expected[i]!.name;
      expect([name, keysOf(a, ['src'])]).toEqual([name, keysOf(e, ['src'])]);
      for (const k of ['msg', 'changed', 'handler', 'dest', 'files', 'state', 'diff']) expect([name, k, a[k]]).toEqual([name, k, e[k]]);
    }
  }, 120_000);
});
