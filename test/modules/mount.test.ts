import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeFstab, mountModule, parseMountinfo, setMountLines, unsetMountLines, mountSpec } from '../../src/modules/mount.js';
import type { MountArgs } from '../../src/modules/mount.js';
import { findModule } from '../../src/modules/registry.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, scriptedContext, tempDir } from '../support/file-module-context.js';
import type { ScriptedRule } from '../support/file-module-context.js';
import { ansibleAvailable, ansibleHasModule, runAnsibleTasks } from '../support/ansible-oracle.js';

const ansible = (await ansibleAvailable()) && (await ansibleHasModule('ansible.posix.mount'));
if (!ansible && process.env.CI) throw new Error('CI needs the ansible.posix collection (Debian package ansible) for the live mount comparison');

const FSTAB = '# /etc/fstab\nUUID=abc / ext4 errors=remount-ro 0 1\n\n/dev/sdb1 /tsbook-x/data xfs defaults\nbroken line\n';

describe('mount: fstab editing', () => {
  it('escapes spaces, & and backslashes', () => {
    expect(escapeFstab('/mnt/my data&x\\y')).toBe('/mnt/my\\040data\\046x\\134y');
  });

  it('rewrites an entry (a 4-field line always counts as changed) and appends new ones', () => {
    const spec = mountSpec({ path: '/tsbook-x/data', src: '/dev/sdb1', fstype: 'xfs', state: 'present' }, []);
    const r = setMountLines(FSTAB, spec);
    expect(r.changed).toBe(true);
    expect(r.lines.join('')).toBe(FSTAB.replace('/dev/sdb1 /tsbook-x/data xfs defaults\n', '/dev/sdb1 /tsbook-x/data xfs defaults 0 0\n'));
    expect(setMountLines(r.lines.join(''), spec).changed).toBe(false);
    const warnings: string[] = [];
    const other = mountSpec({ path: '/mnt/a b', src: 'srv:/x', fstype: 'nfs', opts: 'ro', boot: false, dump: 1, passno: 2, state: 'present' }, warnings);
    expect(setMountLines('', other).lines).toEqual(['srv:/x /mnt/a\\040b nfs ro,noauto 1 2\n']);
    expect(warnings).toEqual([]);
  });

  it('keeps swap entries apart by src and removes only 6-field entries', () => {
    const swap = (src: string) => mountSpec({ path: 'none', src, fstype: 'swap', state: 'present' }, []);
    const one = setMountLines('', swap('/dev/sdc')).lines.join('');
    const two = setMountLines(one, swap('/dev/sdd')).lines.join('');
    expect(two).toBe('/dev/sdc none swap defaults 0 0\n/dev/sdd none swap defaults 0 0\n');
    expect(unsetMountLines(two, swap('/dev/sdc')).lines.join('')).toBe('/dev/sdd none swap defaults 0 0\n');
    expect(unsetMountLines(FSTAB, mountSpec({ path: '/tsbook-x/data', state: 'absent' }, [])).changed).toBe(false);
  });

  it('parses mountinfo, resolving bind mounts to their source path', () => {
    const info = [
      '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
      '30 22 8:17 / /srv rw - xfs /dev/sdb1 rw',
      '40 30 8:17 /data /mnt/bind rw - xfs /dev/sdb1 rw',
    ].join('\n');
    const m = parseMountinfo(info);
    expect(m.get('/')).toEqual({ src: '/dev/sda1', opts: 'rw,relatime', fs: 'ext4' });
    expect(m.get('/mnt/bind')?.src).toBe('/srv/data');
  });

  it('is registered as ansible.posix.mount with the mount alias', () => {
    expect(findModule('mount')?.name).toBe('ansible.posix.mount');
    expect(findModule('ansible.posix.mount')).toBe(mountModule);
  });
});

const NOFILE = 'stat: cannot statx: No such file or directory\n';

/** A host where nothing is mounted at /srv/new, the fstab is in `files`, and mount/umount are found. */
function host(mounted: boolean, mountRc = 0): ScriptedRule[] {
  return [
    { match: /IFS=:.*"\$d"\/umount /, result: { stdout: '/usr/bin/umount\n' } },
    { match: /IFS=:.*"\$d"\/mount /, result: { stdout: '/usr/bin/mount\n' } },
    { match: /stat -c %d:%i/, result: { stdout: mounted ? 'yes\n' : 'no\n' } },
    { match: /^cat \/proc\/self\/mountinfo$/, result: { stdout: '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n' } },
    { match: /^\/usr\/bin\/mount /, result: mountRc === 0 ? {} : { rc: mountRc, stderr: 'mount: no such device\n' } },
    // statPath of the mount point: absent
    { match: /LC_ALL=C stat/, result: { rc: 1, stdout: `${NOFILE}#tsbook-rc=1\n${NOFILE}#tsbook-rc=1\n` } },
  ];
}

describe('mount: mount commands', () => {
  it('state=mounted plans the fstab change and the mount in check mode, running neither', async () => {
    const ctx = scriptedContext(host(false), { check: true, files: { '/tmp/fstab': '' } });
    const r = await mountModule.run({ path: '/srv/new', src: '/dev/sdz', fstype: 'ext4', state: 'mounted', fstab: '/tmp/fstab' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.filter((p) => p.kind === 'exec').map((p) => p.command)).toEqual(['/usr/bin/mount -T /tmp/fstab /srv/new']);
    expect(ctx.planned.every((p) => !p.executed)).toBe(true);
    expect(ctx.files['/tmp/fstab']).toBe('');
  });

  it('remounts a mounted path whose entry changed, and unmounts with umount', async () => {
    const files = { '/etc/fstab': '/dev/sdz /srv/new ext4 ro 0 0\n' };
    const ctx = scriptedContext(host(true), { check: true, files });
    const r = await mountModule.run({ path: '/srv/new', src: '/dev/sdz', fstype: 'ext4', state: 'mounted' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.filter((p) => p.kind === 'exec').map((p) => p.command)).toEqual(['/usr/bin/mount -o remount /srv/new']);
    const un = scriptedContext(host(true), { check: true, files });
    expect((await mountModule.run({ path: '/srv/new', state: 'unmounted' }, un)).changed).toBe(true);
    expect(un.planned.map((p) => p.command)).toEqual(['/usr/bin/umount /srv/new']);
    const re = scriptedContext(host(true), { check: true, files });
    expect((await mountModule.run({ path: '/srv/new', state: 'remounted', opts: 'rw,noexec' }, re)).changed).toBe(true);
    expect(re.planned.map((p) => p.command)).toEqual(['/usr/bin/mount -o remount,rw,noexec /srv/new']);
  });

  it('present and unmounted of an unmounted path run no mount command', async () => {
    const ctx = scriptedContext(host(false), { files: { '/etc/fstab': '' } });
    await mountModule.run({ path: '/srv/new', src: '/dev/sdz', fstype: 'ext4', state: 'present' }, ctx);
    expect((await mountModule.run({ path: '/srv/new', state: 'unmounted' }, ctx)).changed).toBe(false);
    expect(ctx.commands.some((c) => /^\/usr\/bin\/u?mount /.test(c))).toBe(false);
  });

  it('a failed mount restores the fstab and fails like ansible', async () => {
    const ctx = scriptedContext(host(false, 32), { files: { '/etc/fstab': '# empty\n' } });
    await expect(mountModule.run({ path: '/srv/new', src: '/dev/sdz', fstype: 'ext4', state: 'mounted' }, ctx)).rejects.toThrow(
      'Error mounting /srv/new: mount: no such device\n',
    );
    const staged = Object.entries(ctx.files).filter(([p]) => p.includes('tsbook_tmp')).map(([, v]) => v);
    expect(staged).toEqual(['# empty\n/dev/sdz /srv/new ext4 defaults 0 0\n', '# empty\n']);
  });

  it('requires src and fstype for present/mounted', async () => {
    await expect(mountModule.run({ path: '/x', fstype: 'ext4', state: 'present' }, scriptedContext([]))).rejects.toThrow(
      'state is present but all of the following are missing: src',
    );
  });
});

describe('mount against ansible.posix.mount', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const tasks = (fstab: string): { args: MountArgs; check?: boolean }[] => [
    { args: { path: '/tsbook-x/data', src: '/dev/sdb1', fstype: 'xfs', state: 'present', fstab } },
    { args: { path: '/tsbook-x/data', src: '/dev/sdb1', fstype: 'xfs', state: 'present', fstab } },
    { args: { path: '/tsbook-x/data', src: '/dev/sdb1', fstype: 'xfs', opts: 'noatime,nofail', state: 'present', fstab } },
    { args: { path: '/tsbook-x/my data&x', src: '//srv/share x', fstype: 'cifs', opts: 'ro,user=a b', dump: 1, passno: '2', boot: false, state: 'present', fstab } },
    { args: { path: 'none', src: '/dev/sdc', fstype: 'swap', state: 'present', fstab } },
    { args: { path: 'none', src: '/dev/sdd', fstype: 'swap', opts: 'sw', state: 'present', fstab } },
    { args: { path: '/tsbook-x/data', state: 'absent_from_fstab', fstab } },
    { args: { path: '/tsbook-x/my data&x', state: 'absent', fstab } },
    { args: { path: '/tsbook-x/my data&x', state: 'absent', fstab } },
    { args: { path: '/tsbook-x/nothing', state: 'unmounted', fstab } },
    { args: { path: '/tsbook-x/data', fstype: 'xfs', state: 'present', fstab } },
    { args: { path: '/tsbook-x/new', src: '/dev/sdz', fstype: 'ext4', state: 'mounted', fstab }, check: true },
    { args: { path: '/proc', state: 'unmounted', fstab }, check: true },
    { args: { path: '/', state: 'remounted', fstab }, check: true },
  ];

  function summary(r: Record<string, unknown>): Record<string, unknown> {
    const keys = ['changed', 'failed', 'msg', 'name', 'src', 'fstype', 'opts', 'dump', 'passno', 'boot', 'backup_file'];
    return Object.fromEntries(keys.map((k) => [k, k === 'failed' ? Boolean(r[k]) : r[k]]));
  }

  /** ansible.posix.mount's results for these tasks, recorded from ansible 2.14 / ansible.posix (checked live below when installed). */
  const RECORDED_CHANGED = [true, false, true, true, true, true, true, true, false, false, false, true, true, true];
  const RECORDED_FSTAB = '# /etc/fstab\nUUID=abc / ext4 errors=remount-ro 0 1\n\nbroken line\n/dev/sdc none swap defaults 0 0\n/dev/sdd none swap sw 0 0\n';

  async function runTsbookTasks(fstab: string): Promise<{ results: Record<string, unknown>[]; planned: string[] }> {
    const results: Record<string, unknown>[] = [];
    const planned: string[] = [];
    for (const t of tasks(fstab)) {
      const ctx = localContext({ check: t.check });
      let r: ModuleResult;
      try {
        r = await mountModule.run(t.args, ctx);
      } catch (e) {
        if (!(e instanceof ModuleFailure)) throw e;
        r = { changed: false, failed: true, msg: e.message };
      }
      results.push({ changed: r.changed, failed: r.failed, msg: r.msg, ...r.values });
      planned.push(...ctx.planned.filter((p) => /u?mount /.test(p.command)).map((p) => `${p.command.replace(fstab, 'FSTAB')} ${p.executed}`));
    }
    return { results, planned };
  }

  it('edits a temp fstab as ansible does (recorded results), planning mount commands only in check mode', async () => {
    const fstab = join(dir, 'fstab');
    await writeFile(fstab, FSTAB);
    const { results, planned } = await runTsbookTasks(fstab);
    expect(results.map((r) => r.changed)).toEqual(RECORDED_CHANGED);
    expect(results[3]).toMatchObject({ name: '/tsbook-x/my data&x', src: '//srv/share x', opts: 'ro,user=a b,noauto', dump: '1', passno: '2', boot: 'no', backup_file: '', fstab });
    expect(results[10]).toMatchObject({ failed: true, msg: 'state is present but all of the following are missing: src' });
    expect(await readFile(fstab, 'utf8')).toBe(RECORDED_FSTAB);
    expect(planned).toEqual([
      '/usr/bin/mount -T FSTAB /tsbook-x/new false',
      '/usr/bin/umount /proc false',
      '/usr/bin/mount -o remount -T FSTAB / false',
    ]);
  });

  it.runIf(ansible)('matches ansible.posix.mount live: results and fstab, first and second runs', async () => {
    const files = { ansible: join(dir, 'fstab.a'), tsbook: join(dir, 'fstab.t') };
    await writeFile(files.ansible, FSTAB);
    await writeFile(files.tsbook, FSTAB);
    const pending = runAnsibleTasks(tasks(files.ansible).map((t) => ({ 'ansible.posix.mount': t.args, ...(t.check ? { check_mode: true } : {}) })));
    void pending.catch(() => undefined);
    const { results } = await runTsbookTasks(files.tsbook);
    const oracle = await pending;
    expect(results.map(summary)).toEqual(oracle.map((o) => summary(JSON.parse(JSON.stringify(o).split(files.ansible).join(files.tsbook)) as Record<string, unknown>)));
    expect(await readFile(files.tsbook, 'utf8')).toBe(await readFile(files.ansible, 'utf8'));
  }, 240_000);
});
