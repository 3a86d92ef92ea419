import { describe, expect, it } from 'vitest';
import { aptModule } from '../../src/modules/apt.js';
import { packageModule } from '../../src/modules/package.js';
import { scriptedContext } from '../support/file-module-context.js';
import type { ScriptedRule } from '../support/file-module-context.js';

const base: ScriptedRule[] = [
  { match: /^command -v apt-get$/, result: { stdout: '/usr/bin/apt-get\n' } },
  { match: /update-success-stamp/, result: { stdout: '1700000000\n' } },
  { match: /dpkg-query .* curl /, result: { stdout: 'install ok installed\t7.88.1-10\n' } },
  { match: /dpkg-query .* nginx /, result: { rc: 1 } },
  { match: /dpkg-query .* oldconf /, result: { stdout: 'deinstall ok config-files\t1.0\n' } },
  { match: /apt-cache policy nginx$/, result: { stdout: 'nginx:\n  Installed: (none)\n  Candidate: 1.22.1-9\n' } },
  { match: /apt-cache policy curl$/, result: { stdout: 'curl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-10+deb12u5\n' } },
  { match: /apt-cache policy ghost$/, result: { stdout: '' } },
  { match: /dpkg-query .* ghost /, result: { rc: 1 } },
  { match: /apt-get .*install/, result: { stdout: 'Setting up nginx\n' } },
];

describe('apt', () => {
  it('installs only what is missing, with noninteractive apt-get', async () => {
    const ctx = scriptedContext(base);
    const r = await aptModule.run({ name: ['curl', 'nginx'] }, ctx);
    expect(r).toEqual({
      changed: true,
      values: { stdout: 'Setting up nginx\n', stderr: '', cache_updated: false, cache_update_time: 1700000000 },
    });
    expect(ctx.planned.map((p) => p.command)).toEqual([
      "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install nginx",
    ]);
  });

  it('is unchanged when everything is installed; latest upgrades', async () => {
    const ok = await aptModule.run({ name: 'curl', state: 'present' }, scriptedContext(base));
    expect(ok).toEqual({ changed: false, values: { cache_updated: false, cache_update_time: 1700000000 } });
    const ctx = scriptedContext(base);
    const latest = await aptModule.run({ name: 'curl', state: 'latest', install_recommends: false }, ctx);
    expect(latest.changed).toBe(true);
    expect(ctx.planned[0].command).toMatch(/install curl -o APT::Install-Recommends=no$/);
  });

  it('check mode records the install and simulates it', async () => {
    const ctx = scriptedContext(base, { check: true });
    const r = await aptModule.run({ name: 'nginx', update_cache: true }, ctx);
    expect(r.changed).toBe(true);
    expect(r.values?.cache_updated).toBe(true);
    expect(ctx.planned.every((p) => !p.executed)).toBe(true);
    expect(ctx.planned.map((p) => p.command)[0]).toMatch(/apt-get update -q$/);
    expect(ctx.commands.some((c) => /apt-get --simulate -y .* install nginx/.test(c))).toBe(true);
  });

  it('removes installed packages only, and fails on unknown ones', async () => {
    const ctx = scriptedContext(base);
    const r = await aptModule.run({ name: ['curl', 'nginx', 'oldconf'], state: 'absent', purge: true }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)[0]).toMatch(/apt-get -q -y .* --purge remove curl$/);
    expect(await aptModule.run({ name: 'nginx', state: 'absent' }, scriptedContext(base))).toEqual({ changed: false });
    await expect(aptModule.run({ name: 'ghost' }, scriptedContext(base))).rejects.toThrow("No package matching 'ghost' is available");
    await expect(aptModule.run({ name: 'a=1=2' }, scriptedContext(base))).rejects.toThrow('invalid package spec: a=1=2');
  });

  it('package delegates to apt and rejects other managers', async () => {
    const ctx = scriptedContext(base, { vars: { ansible_pkg_mgr: 'apt' } });
    expect((await packageModule.run({ name: 'nginx', state: 'present' }, ctx)).changed).toBe(true);
    await expect(
      packageModule.run({ name: 'nginx', state: 'present' }, scriptedContext(base, { vars: { ansible_pkg_mgr: 'dnf' } })),
    ).rejects.toThrow(/only supports apt/);
  });
});
