import { describe, expect, it } from 'vitest';
import { dpkgSelectionsModule, parseSelection } from '../../src/modules/dpkg_selections.js';
import { localContext, scriptedContext } from '../support/file-module-context.js';
import { ansibleAvailable, runAnsibleTasks } from '../support/ansible-oracle.js';

const ansible = await ansibleAvailable();
const hasDpkg = (await localContext().probe('command -v dpkg')).rc === 0;

const DPKG = [{ match: /command -v|\[ -f .*dpkg/, result: { stdout: '/usr/bin/dpkg\n' } }];

describe('dpkg_selections', () => {
  it('parses dpkg --get-selections output', () => {
    expect(parseSelection('bash\t\t\t\t\t\tinstall\n')).toBe('install');
    expect(parseSelection('')).toBe('not present');
  });

  it('sets a selection through dpkg --set-selections on stdin', async () => {
    const ctx = scriptedContext([...DPKG, { match: /--get-selections/, result: { stdout: 'nginx\t\tinstall\n' } }]);
    const r = await dpkgSelectionsModule.run({ name: 'nginx', selection: 'hold' }, ctx);
    expect(r).toMatchObject({ changed: true, values: { before: 'install', after: 'hold' } });
    expect(ctx.planned.map((p) => p.command)).toEqual(['/usr/bin/dpkg --set-selections']);
    expect(ctx.stdins.at(-1)).toBe('nginx hold');
  });

  it('does nothing when the selection is already set, and only plans in check mode', async () => {
    const same = scriptedContext([...DPKG, { match: /--get-selections/, result: { stdout: 'nginx\thold\n' } }]);
    expect(await dpkgSelectionsModule.run({ name: 'nginx', selection: 'hold' }, same)).toMatchObject({ changed: false, values: { before: 'hold' } });
    expect(same.planned).toEqual([]);
    const check = scriptedContext([...DPKG, { match: /--get-selections/, result: { stdout: '' } }], { check: true });
    expect(await dpkgSelectionsModule.run({ name: 'nope', selection: 'purge' }, check)).toMatchObject({
      changed: true,
      values: { before: 'not present', after: 'purge' },
    });
    expect(check.planned).toEqual([{ command: '/usr/bin/dpkg --set-selections', kind: 'exec', executed: false }]);
  });

  it('fails with dpkg stderr when --get-selections fails', async () => {
    const ctx = scriptedContext([...DPKG, { match: /--get-selections/, result: { rc: 2, stderr: 'dpkg: error: boom\n' } }]);
    await expect(dpkgSelectionsModule.run({ name: 'x', selection: 'hold' }, ctx)).rejects.toThrow(/^dpkg: error: boom$/);
  });

  it.runIf(hasDpkg || process.env.CI)('reads the real selection on this host (check mode for changes)', async () => {
    const r = await dpkgSelectionsModule.run({ name: 'bash', selection: 'install' }, localContext());
    expect(r).toMatchObject({ changed: false, values: { before: 'install', after: 'install' } });
    const ctx = localContext({ check: true });
    const h = await dpkgSelectionsModule.run({ name: 'bash', selection: 'hold' }, ctx);
    expect(h).toMatchObject({ changed: true, values: { before: 'install', after: 'hold' } });
    expect(ctx.planned.every((p) => !p.executed)).toBe(true);
  });

  it.runIf(ansible && hasDpkg)('matches ansible-playbook (changed, before/after)', async () => {
    const tasks = [
      { dpkg_selections: { name: 'bash', selection: 'install' } },
      { dpkg_selections: { name: 'bash', selection: 'hold' } },
      { dpkg_selections: { name: 'tsbook-no-such-package', selection: 'deinstall' } },
    ];
    const oracle = await runAnsibleTasks(tasks, { check: true });
    const ctx = localContext({ check: true });
    for (const [i, t] of tasks.entries()) {
      const mine = await dpkgSelectionsModule.run(t.dpkg_selections as never, ctx);
      expect({ changed: mine.changed, ...mine.values }, `task ${i}`).toEqual({
        changed: oracle[i]!.changed,
        before: oracle[i]!.before,
        after: oracle[i]!.after,
      });
    }
  });
});
