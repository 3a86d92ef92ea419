import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aclLines, aclModule, buildCommand, buildEntry, splitEntry } from '../../src/modules/acl.js';
import type { AclArgs } from '../../src/modules/acl.js';
import { findModule } from '../../src/modules/registry.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, scriptedContext, tempDir } from '../support/file-module-context.js';
import { ansibleAvailable, ansibleHasModule, runAnsibleTasks } from '../support/ansible-oracle.js';

const ansible = (await ansibleAvailable()) && (await ansibleHasModule('ansible.posix.acl'));
const hasSetfacl = (await localContext().probe('command -v setfacl && command -v getfacl')).rc === 0;
if ((!ansible || !hasSetfacl) && process.env.CI) throw new Error('CI needs the ansible.posix collection (package ansible) and setfacl (package acl) for the live acl comparison');

const STAT_FILE = { match: /LC_ALL=C stat/, result: { stdout: `0|0|root|root|644|file|0|0|0|1|1|1|0|4096|0|0\n#tsbook-rc=0\n0|0|root|root|644|file|0|0|0|1|1|1|0|4096|0|0\n#tsbook-rc=0\n` } };

describe('acl: entries and commands', () => {
  it('splits and builds entries as ansible does', () => {
    expect(splitEntry('default:user:bob:rwx')).toEqual([true, 'user', 'bob', 'rwx']);
    expect(splitEntry('g:staff')).toEqual([undefined, 'group', 'staff', undefined]);
    expect(buildEntry('user', 'bob', 'rw')).toBe('user:bob:rw');
    expect(buildEntry('mask', '')).toBe('mask:');
  });

  it('builds setfacl/getfacl argv with -d first and flags in ansible order', () => {
    const o = { follow: false, isDefault: true, recursive: true, recalculateMask: 'no_mask' as const };
    expect(buildCommand('setfacl', 'set', '/d', o, 'user:bob:r')).toEqual(['setfacl', '-d', '-m', 'user:bob:r', '--recursive', '--no-mask', '--physical', '/d']);
    expect(buildCommand('getfacl', 'get', '/d', { ...o, recursive: false })).toEqual(['getfacl', '-d', '--omit-header', '--absolute-names', '--physical', '/d']);
  });

  it('keeps getfacl lines without comments and the trailing blank line', () => {
    expect(aclLines('# file: x\nuser::rw-\ngroup::r--\nother::r--\n\n')).toEqual(['user::rw-', 'group::r--', 'other::r--']);
  });

  it('validates arguments with ansible messages', async () => {
    const run = (a: AclArgs) => aclModule.run(a, scriptedContext([STAT_FILE]));
    await expect(run({ path: '/f', state: 'absent', etype: 'user' })).rejects.toThrow("'entity' MUST be set when 'state=absent'.");
    await expect(run({ path: '/f', state: 'present', entity: 'bob' })).rejects.toThrow("'etype' MUST be set when 'state=present'.");
    await expect(run({ path: '/f', entry: 'u:bob:r', etype: 'user' })).rejects.toThrow("'entry' MUST NOT be set when 'entity', 'etype' or 'permissions' are set.");
    await expect(run({ path: '/f', state: 'query', recursive: true })).rejects.toThrow("'recursive' MUST NOT be set when 'state=query'.");
    const missing = scriptedContext([{ match: /LC_ALL=C stat/, result: { stdout: 'stat: No such file or directory\n#tsbook-rc=1\nstat: No such file or directory\n#tsbook-rc=1\n' } }]);
    await expect(aclModule.run({ path: '/nope' }, missing)).rejects.toThrow('Path not found or not accessible.');
  });

  it('fails like ansible when setfacl is not installed', async () => {
    const ctx = scriptedContext([STAT_FILE, { match: /IFS=:/, result: { rc: 1 } }, { match: /^p=\$PATH/, result: { stdout: '/usr/bin:/bin:/usr/sbin' } }]);
    await expect(aclModule.run({ path: '/f', etype: 'user', entity: 'bob', permissions: 'r', state: 'present' }, ctx)).rejects.toThrow(
      'Failed to find required executable "setfacl" in paths: /usr/bin:/bin:/usr/sbin',
    );
  });

  it('asks setfacl --test and only plans the change in check mode', async () => {
    const ctx = scriptedContext(
      [STAT_FILE, { match: /IFS=:.*setfacl/, result: { stdout: '/usr/bin/setfacl\n' } }, { match: /IFS=:.*getfacl/, result: { stdout: '/usr/bin/getfacl\n' } }, { match: /--test/, result: { stdout: 'f: u::rw-,u:bob:r--,g::r--,m::r--,o::r--,*\n' } }],
      { check: true },
    );
    const r = await aclModule.run({ path: '/f', etype: 'user', entity: 'bob', permissions: 'r', state: 'present' }, ctx);
    expect(r).toMatchObject({ changed: true, msg: 'user:bob:r is present' });
    expect(ctx.planned).toEqual([{ command: '/usr/bin/setfacl -m user:bob:r /f', kind: 'exec', executed: false }]);
    expect(findModule('acl')).toBe(aclModule);
  });
});

describe('acl on real files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const sequence = (root: string): { args: AclArgs; check?: boolean }[] => [
    { args: { path: join(root, 'f'), etype: 'user', entity: 'nobody', permissions: 'rw', state: 'present' }, check: true },
    { args: { path: join(root, 'f'), etype: 'user', entity: 'nobody', permissions: 'rw', state: 'present' } },
    { args: { path: join(root, 'f'), etype: 'user', entity: 'nobody', permissions: 'rw', state: 'present' } },
    { args: { path: join(root, 'f'), entry: 'u:nobody:r', state: 'present' } },
    { args: { path: join(root, 'd'), etype: 'group', entity: 'nogroup', permissions: 'rx', default: true, state: 'present' } },
    { args: { path: join(root, 'd'), entry: 'default:group:nogroup:rx', state: 'present' } },
    { args: { path: join(root, 'd'), default: true, state: 'query' } },
    { args: { path: join(root, 'f'), etype: 'user', entity: 'nobody', state: 'absent' } },
    { args: { path: join(root, 'f'), etype: 'user', entity: 'nobody', state: 'absent' } },
    { args: { path: join(root, 'f') } },
    { args: { path: join(root, 'missing'), state: 'query' } },
  ];

  async function prepare(root: string): Promise<void> {
    await mkdir(join(root, 'd'), { recursive: true });
    await writeFile(join(root, 'f'), 'x');
  }

  async function runTsbookSequence(root: string): Promise<Record<string, unknown>[]> {
    const results: Record<string, unknown>[] = [];
    for (const s of sequence(root)) {
      let r: ModuleResult;
      try {
        r = await aclModule.run(s.args, localContext({ check: s.check }));
      } catch (e) {
        if (!(e instanceof ModuleFailure)) throw e;
        r = { changed: false, failed: true, msg: e.message };
      }
      results.push({ changed: r.changed, failed: Boolean(r.failed), msg: r.msg, acl: r.values?.acl });
    }
    return results;
  }

  /** What ansible.posix.acl returned for `sequence` (recorded; compared live below when the collection is installed). */
  const RECORDED = [
    { changed: true, msg: 'user:nobody:rw is present', has: undefined },
    { changed: true, msg: 'user:nobody:rw is present', has: 'user:nobody:rw-' },
    { changed: false, msg: 'user:nobody:rw is present', has: 'user:nobody:rw-' },
    { changed: true, msg: 'user:nobody:r is present', has: 'user:nobody:r--' },
    { changed: true, msg: 'group:nogroup:rx is present', has: 'group:nogroup:r-x' },
    { changed: false, msg: 'group:nogroup:rx is present', has: 'group:nogroup:r-x' },
    { changed: false, msg: 'current acl', has: 'group:nogroup:r-x' },
    { changed: true, msg: 'user:nobody is absent', has: 'mask::r--' },
    { changed: false, msg: 'user:nobody is absent', has: undefined },
    { changed: false, msg: 'current acl', has: undefined },
  ];

  it('sets, queries and removes ACLs as ansible does (recorded), or fails like it without the acl tools', async () => {
    await prepare(dir);
    const results = await runTsbookSequence(dir);
    expect(results.at(-1)).toEqual({ changed: false, failed: true, msg: 'Path not found or not accessible.', acl: undefined });
    if (!hasSetfacl) {
      for (const r of results.slice(0, -1)) expect(r).toMatchObject({ failed: true, msg: expect.stringMatching(/^Failed to find required executable "[gs]etfacl" in paths: /) });
      return;
    }
    expect(results.slice(0, -1).map((r) => ({ changed: r.changed, msg: r.msg }))).toEqual(RECORDED.map((r) => ({ changed: r.changed, msg: r.msg })));
    for (const [i, r] of RECORDED.entries()) {
      const acl = results[i]!.acl as string[];
      if (r.has) expect(acl, `task ${i}`).toContain(r.has);
      else expect(acl.some((l) => l.includes('nobody')), `task ${i}`).toBe(false);
    }
  });

  it.runIf(ansible)('matches ansible.posix.acl live: changed, msg, acl, failures (first and second runs)', async () => {
    const roots = { a: join(dir, 'a'), t: join(dir, 't') };
    await prepare(roots.a);
    await prepare(roots.t);
    const pending = runAnsibleTasks(sequence(roots.a).map((s) => ({ 'ansible.posix.acl': s.args, ...(s.check ? { check_mode: true } : {}) })));
    void pending.catch(() => undefined);
    const mine = await runTsbookSequence(roots.t);
    const oracle = await pending;
    const theirs = oracle.map((o) => ({ changed: o.changed, failed: Boolean(o.failed), msg: o.msg, acl: o.acl }));
    expect(mine).toEqual(JSON.parse(JSON.stringify(theirs).split(roots.a).join(roots.t)));
  }, 240_000);
});
