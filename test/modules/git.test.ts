import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitModule, gitSshCommand, headSplitter, unfrackGitPath } from '../../src/modules/git.js';
import type { GitArgs } from '../../src/modules/git.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { localContext, tempDir } from '../support/file-module-context.js';
import { ansibleAvailable, runAnsibleTasks } from '../support/ansible-oracle.js';

const ansible = await ansibleAvailable();

const GIT_ENV =
  'export GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent';

/** A shell script that builds the origin repository (fixed dates: same SHAs every time): main (2 commits), tag v1, branch feature. */
function originScript(origin: string): string {
  return `${GIT_ENV}; set -e; git init -q -b main ${origin}; cd ${origin}
echo one > a.txt; git add a.txt; git commit -q -m one; git tag -a v1 -m v1
echo two >> a.txt; git commit -q -am two
git checkout -q -b feature; echo f > f.txt; git add f.txt; git commit -q -m feat; git checkout -q main`;
}

async function sh(script: string): Promise<string> {
  const r = await localContext().probe(script);
  if (r.rc !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout.trim();
}

async function runTsbook(args: GitArgs, check = false): Promise<ModuleResult> {
  try {
    return await gitModule.run(args, localContext({ check }));
  } catch (e) {
    if (e instanceof ModuleFailure) return { changed: Boolean(e.values.changed), failed: true, msg: e.message, values: e.values };
    throw e;
  }
}

describe('git helpers', () => {
  it('reads branches from HEAD files like head_splitter', () => {
    expect(headSplitter('ref: refs/heads/main', 'origin')).toBe('main');
    expect(headSplitter('ref: refs/heads/feature/x', 'origin')).toBe('feature/x');
    expect(headSplitter('ref: refs/remotes/origin/main', 'origin')).toBe('main');
  });

  it('builds GIT_SSH_COMMAND with accept_hostkey, BatchMode and key_file', () => {
    expect(gitSshCommand({ acceptHostkey: true, acceptNewHostkey: false })).toBe('ssh  -o StrictHostKeyChecking=no -o BatchMode=yes');
    expect(gitSshCommand({ sshOpts: '-p 2222', acceptHostkey: false, acceptNewHostkey: false, keyFile: '/k' })).toBe(
      'ssh  -p 2222 -o BatchMode=yes  -i /k -o IdentitiesOnly=yes',
    );
    expect(unfrackGitPath('https://h/r.git/')).toBe('https://h/r');
  });

  it('needs dest unless clone=false', async () => {
    await expect(gitModule.run({ repo: '/x' }, localContext())).rejects.toThrow('the destination directory must be specified unless clone=no');
  });
});

type Step = { git: GitArgs; check?: boolean } | { shell: string };

describe('git with local repositories', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const steps = (root: string): Step[] => {
    const origin = join(root, 'origin');
    const dest = join(root, 'work');
    return [
      { git: { repo: origin, dest }, check: true },
      { git: { repo: origin, dest } },
      { git: { repo: origin, dest } },
      { git: { repo: `file://${origin}`, dest, version: 'feature' } },
      { git: { repo: origin, dest, version: 'v1' } },
      { git: { repo: origin, dest, version: 'main', accept_hostkey: true } },
      { shell: `${GIT_ENV}; cd ${origin} && echo three >> a.txt && git commit -q -am three` },
      { git: { repo: origin, dest, version: 'main' }, check: true },
      { git: { repo: origin, dest, version: 'main' } },
      { shell: `echo local >> ${dest}/a.txt` },
      { git: { repo: origin, dest } },
      { git: { repo: origin, dest, force: true } },
      { git: { repo: origin, dest, update: false } },
      { git: { repo: origin, dest: join(root, 'shallow'), depth: 1, version: 'feature' } },
      { git: { repo: origin, dest: join(root, 'shallow'), depth: 1, version: 'feature' } },
      { git: { repo: origin, dest: join(root, 'never'), clone: false } },
      { git: { repo: join(root, 'no-such-repo'), dest: join(root, 'x') } },
    ];
  };

  it.runIf(ansible || process.env.CI)('matches ansible-playbook: changed, before/after SHAs and messages over first and second runs', async () => {
    if (!ansible) throw new Error('ansible-playbook is required in CI');
    const roots = { a: join(dir, 'a'), t: join(dir, 't') };
    for (const root of Object.values(roots)) await sh(originScript(join(root, 'origin')));
    const pending = runAnsibleTasks(
      steps(roots.a).map((s) => ('shell' in s ? { shell: s.shell } : { git: s.git, ...(s.check ? { check_mode: true } : {}) })),
      { env: { GIT_CONFIG_NOSYSTEM: '1' } },
    );
    void pending.catch(() => undefined);
    const results: ModuleResult[] = [];
    for (const s of steps(roots.t)) {
      if ('shell' in s) await sh(s.shell);
      else results.push(await runTsbook(s.git, s.check));
    }
    const oracle = await pending;
    const mine: Record<string, unknown>[] = [];
    const theirs: Record<string, unknown>[] = [];
    for (const [i, s] of steps(roots.t).entries()) {
      if ('shell' in s) continue;
      const r = results.shift()!;
      mine.push({ step: i, changed: r.changed, failed: Boolean(r.failed), before: r.values?.before, after: r.values?.after, msg: r.failed ? r.msg : r.values?.msg });
      const o = JSON.parse(JSON.stringify(oracle[i]).split(roots.a).join(roots.t)) as Record<string, unknown>;
      theirs.push({ step: i, changed: o.changed, failed: Boolean(o.failed), before: o.before, after: o.after, msg: o.msg });
    }
    expect(mine).toEqual(theirs);
    expect(mine.filter((m) => m.changed).length).toBe(10);
    // failure messages: local modifications, and a repository that does not exist
    expect(String(oracle[10]!.msg)).toBe(`Local modifications exist in the destination: ${join(roots.a, 'work')} (force=no).`);
    expect(String(oracle[16]!.msg)).toMatch(/does not appear to be a git repository/);
    expect(await readFile(join(roots.t, 'work', 'a.txt'), 'utf8')).toBe(await readFile(join(roots.a, 'work', 'a.txt'), 'utf8'));
    expect(await sh(`git -C ${join(roots.t, 'shallow')} rev-list --count HEAD`)).toBe('1');
  }, 240_000);

  it('fails on local modifications unless force, and never touches dest in check mode', async () => {
    const origin = join(dir, 'origin');
    const dest = join(dir, 'work');
    await sh(originScript(origin));
    const first = await gitModule.run({ repo: origin, dest }, localContext());
    expect(first).toMatchObject({ changed: true, values: { before: null } });
    await sh(`echo dirty >> ${dest}/a.txt`);
    await expect(gitModule.run({ repo: origin, dest }, localContext())).rejects.toThrow(`Local modifications exist in the destination: ${dest} (force=no).`);
    const check = localContext({ check: true });
    const planned = await gitModule.run({ repo: origin, dest, force: true }, check);
    expect(planned.changed).toBe(false);
    expect(check.planned).toEqual([]);
    expect(await readFile(join(dest, 'a.txt'), 'utf8')).toBe('one\ntwo\ndirty\n');
    const forced = await gitModule.run({ repo: origin, dest, force: true }, localContext());
    expect(forced).toMatchObject({ changed: true, values: { msg: `Local modifications exist in the destination: ${dest}` } });
    expect(await readFile(join(dest, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
  });
});
