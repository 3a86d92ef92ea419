import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptModule, withPolicyRcD } from '../../src/modules/apt.js';
import { packageModule } from '../../src/modules/package.js';
import { localContext, scriptedContext, tempDir } from '../support/file-module-context.js';
import { startServer, type TestServer } from '../support/http-server.js';
import type { ExecResult } from '../../src/connection/types.js';
import type { ScriptedRule } from '../support/file-module-context.js';

/** What Ansible registers for apt's output: stdout/stderr with their _lines (and diff: {} for changes). */
const lines = (t: string): string[] => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
const out = (stdout: string, stderr = '') => ({ stdout, stdout_lines: lines(stdout), stderr, stderr_lines: lines(stderr) });

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
      values: { ...out('Setting up nginx\n'), diff: {}, cache_updated: false, cache_update_time: 1700000000 },
    });
    expect(ctx.planned.map((p) => p.command)).toEqual([
      "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install nginx=1.22.1-9",
    ]);
  });

  it('is unchanged when everything is installed; latest upgrades', async () => {
    const ok = await aptModule.run({ name: 'curl', state: 'present' }, scriptedContext(base));
    expect(ok).toEqual({ changed: false, values: { cache_updated: false, cache_update_time: 1700000000 } });
    const ctx = scriptedContext(base);
    const latest = await aptModule.run({ name: 'curl', state: 'latest', install_recommends: false }, ctx);
    expect(latest.changed).toBe(true);
    expect(ctx.planned[0].command).toMatch(/install curl=7.88.1-10\+deb12u5 -o APT::Install-Recommends=no$/);
  });

  it('check mode records the install and simulates it', async () => {
    const ctx = scriptedContext(base, { check: true });
    const r = await aptModule.run({ name: 'nginx', update_cache: true }, ctx);
    expect(r.changed).toBe(true);
    expect(r.values?.cache_updated).toBe(true);
    expect(ctx.planned.every((p) => !p.executed)).toBe(true);
    expect(ctx.planned.map((p) => p.command)[0]).toMatch(/apt-get update -q$/);
    expect(ctx.commands.some((c) => /apt-get -y .* --simulate install nginx=1.22.1-9$/.test(c))).toBe(true);
  });

  it('removes installed packages only, and fails on unknown ones', async () => {
    const ctx = scriptedContext(base);
    const r = await aptModule.run({ name: ['curl', 'nginx', 'oldconf'], state: 'absent', purge: true }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)[0]).toMatch(/apt-get -q -y .* --purge remove curl oldconf$/);
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

const ENV = 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C';
const OPTS = '-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';
const UPGRADED = 'Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n' +
  'The following packages will be upgraded:\n  curl\n1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n';
const NOTHING = 'Reading package lists...\nReading state information...\nCalculating upgrade...\n' +
  '0 upgraded, 0 newly installed, 0 to remove and 3 not upgraded.\n';

describe('apt upgrade (Ansible 2.14 upgrade())', () => {
  const noAptitude: ScriptedRule[] = [{ match: /^command -v aptitude$/, result: { rc: 1 } }, ...base];
  const withAptitude: ScriptedRule[] = [{ match: /^command -v aptitude$/, result: { stdout: '/usr/bin/aptitude\n' } }, ...base];

  it.each([
    ['yes', noAptitude, `${ENV} apt-get -y ${OPTS} upgrade --with-new-pkgs`],
    ['safe', noAptitude, `${ENV} apt-get -y ${OPTS} upgrade --with-new-pkgs`],
    ['full', noAptitude, `${ENV} apt-get -y ${OPTS} dist-upgrade`],
    ['dist', noAptitude, `${ENV} apt-get -y ${OPTS} dist-upgrade`],
    ['yes', withAptitude, `${ENV} aptitude -y ${OPTS} safe-upgrade`],
    ['full', withAptitude, `${ENV} aptitude -y ${OPTS} full-upgrade`],
    ['dist', withAptitude, `${ENV} apt-get -y ${OPTS} dist-upgrade`],
  ] as const)('upgrade=%s runs the command Ansible runs', async (mode, rules, command) => {
    const ctx = scriptedContext([{ match: /(upgrade)/, result: { stdout: UPGRADED } }, ...rules]);
    const r = await aptModule.run({ upgrade: mode }, ctx);
    expect(ctx.planned.map((p) => p.command)).toEqual([command]);
    expect(r).toEqual({ changed: true, msg: UPGRADED, values: { ...out(UPGRADED), diff: {} } });
  });

  it('is unchanged when the summary line says 0 upgraded, 0 newly installed', async () => {
    const ctx = scriptedContext([{ match: /upgrade/, result: { stdout: NOTHING } }, ...noAptitude]);
    expect(await aptModule.run({ upgrade: 'dist' }, ctx)).toEqual({ changed: false, msg: NOTHING, values: out(NOTHING) });
    // aptitude's summary has "packages": apt-get's zero line does not count for it.
    const apt = scriptedContext([{ match: /safe-upgrade/, result: { stdout: NOTHING } }, ...withAptitude]);
    expect((await aptModule.run({ upgrade: 'safe' }, apt)).changed).toBe(true);
    const aptitudeZero = 'Resolving dependencies...\n0 packages upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n';
    const ok = scriptedContext([{ match: /safe-upgrade/, result: { stdout: aptitudeZero } }, ...withAptitude]);
    expect((await aptModule.run({ upgrade: true }, ok)).changed).toBe(false);
  });

  it('passes force_apt_get, autoremove, fail_on_autoremove, force, allow_* and default_release where Ansible does', async () => {
    const ctx = scriptedContext(withAptitude);
    await aptModule.run(
      {
        upgrade: 'yes', force_apt_get: true, autoremove: true, fail_on_autoremove: true, force: true,
        allow_unauthenticated: true, allow_downgrade: true, default_release: 'bookworm-backports',
      },
      ctx,
    );
    expect(ctx.planned.map((p) => p.command)).toEqual([
      `${ENV} apt-get -y ${OPTS} --force-yes --no-remove --allow-unauthenticated --allow-downgrades upgrade --with-new-pkgs --auto-remove -t bookworm-backports`,
    ]);
    expect(ctx.commands).not.toContain('command -v aptitude');
    const apt = scriptedContext(withAptitude);
    await aptModule.run({ upgrade: 'full', force: true }, apt);
    expect(apt.planned[0]!.command).toBe(`${ENV} aptitude -y ${OPTS} --assume-yes --allow-untrusted full-upgrade`);
  });

  it('check mode simulates with --simulate before the subcommand and reports its outcome', async () => {
    const ctx = scriptedContext([{ match: /--simulate upgrade/, result: { stdout: NOTHING } }, ...noAptitude], { check: true });
    const r = await aptModule.run({ upgrade: 'yes' }, ctx);
    expect(r.changed).toBe(false);
    expect(ctx.planned).toEqual([{ command: `${ENV} apt-get -y ${OPTS} upgrade --with-new-pkgs`, kind: 'exec', executed: false }]);
    expect(ctx.commands).toContain(`${ENV} apt-get -y ${OPTS} --simulate upgrade --with-new-pkgs`);
  });

  it("fails with Ansible's message, and state=latest name='*' is upgrade=yes", async () => {
    const bad = scriptedContext([{ match: /upgrade/, result: { rc: 100, stderr: 'E: boom' } }, ...noAptitude]);
    await expect(aptModule.run({ upgrade: 'dist' }, bad)).rejects.toThrow("'/usr/bin/apt-get dist-upgrade ' failed: E: boom");
    const star = scriptedContext([{ match: /upgrade/, result: { stdout: UPGRADED } }, ...noAptitude]);
    expect((await aptModule.run({ name: '*', state: 'latest' }, star)).changed).toBe(true);
    expect(star.planned[0]!.command).toBe(`${ENV} apt-get -y ${OPTS} upgrade --with-new-pkgs`);
    await expect(aptModule.run({ name: ['*', 'curl'], state: 'latest' }, scriptedContext(noAptitude))).rejects.toThrow(
      'unable to install additional packages when upgrading all installed packages',
    );
  });

  it('validates like Ansible: mutually exclusive deb|package|upgrade, upgrade choices', async () => {
    await expect(aptModule.run({ name: 'curl', upgrade: 'no' }, scriptedContext(base))).rejects.toThrow('parameters are mutually exclusive: deb|package|upgrade');
    await expect(aptModule.run({ upgrade: 'everything' as never }, scriptedContext(base))).rejects.toThrow('value of upgrade must be one of');
  });
});

describe('apt cleanup, cache and locks', () => {
  it('autoclean alone runs apt-get autoclean; changed only when it deleted a file ("Del ")', async () => {
    const del = 'Reading package lists...\nDel python3-q 2.4-1 [24 kB]\n';
    const ctx = scriptedContext([{ match: /autoclean/, result: { stdout: del } }, ...base]);
    const r = await aptModule.run({ autoclean: true, autoremove: true, purge: true }, ctx);
    // Ansible's cleanup() exits after autoclean: autoremove is not run.
    expect(ctx.planned.map((p) => p.command)).toEqual([`${ENV} apt-get -y ${OPTS} --purge autoclean`]);
    expect(r).toEqual({ changed: true, values: { ...out(del), diff: {} } });
    const none = scriptedContext(base);
    expect((await aptModule.run({ autoclean: true, update_cache: false }, none)).changed).toBe(false);
  });

  it('autoremove alone runs apt-get autoremove; changed when packages will be REMOVED; check mode simulates', async () => {
    const out = 'The following packages will be REMOVED:\n  libfoo1\n0 upgraded, 0 newly installed, 1 to remove and 0 not upgraded.\n';
    const ctx = scriptedContext([{ match: /autoremove --simulate$/, result: { stdout: out } }, ...base], { check: true });
    const r = await aptModule.run({ autoremove: true }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual([`${ENV} apt-get -y ${OPTS} autoremove`]);
    expect(ctx.commands).toContain(`${ENV} apt-get -y ${OPTS} autoremove --simulate`);
    const failing = scriptedContext([{ match: /autoremove/, result: { rc: 100, stderr: 'E: nope' } }, ...base]);
    await expect(aptModule.run({ autoremove: true }, failing)).rejects.toThrow("'apt-get autoremove' failed: E: nope");
  });

  it('fail_on_autoremove adds --no-remove to install, as Ansible', async () => {
    const ctx = scriptedContext(base);
    await aptModule.run({ name: 'nginx', fail_on_autoremove: true, autoremove: true }, ctx);
    expect(ctx.planned[0]!.command).toBe(`${ENV} apt-get -y ${OPTS} --auto-remove --no-remove install nginx=1.22.1-9`);
  });

  it('cache_valid_time skips a fresh cache and updates a stale one (without update_cache)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = scriptedContext([{ match: /update-success-stamp/, result: { stdout: `${now - 10}\n` } }, ...base]);
    expect(await aptModule.run({ cache_valid_time: 3600, update_cache: true }, fresh)).toEqual({
      changed: false, values: { cache_updated: false, cache_update_time: now - 10 },
    });
    expect(fresh.planned).toEqual([]);
    let reads = 0;
    const stamp = { get stdout() { return `${reads++ === 0 ? now - 7200 : now}\n`; } };
    const stale = scriptedContext([{ match: /update-success-stamp/, result: stamp }, ...base]);
    const r = await aptModule.run({ cache_valid_time: 3600, name: 'curl' }, stale);
    expect(stale.planned.map((p) => p.command)).toEqual([`${ENV} apt-get update -q`]);
    expect(r).toEqual({ changed: false, values: { cache_updated: true, cache_update_time: now } });
  });

  it('fails after update_cache_retries with the apt-get error', async () => {
    const ctx = scriptedContext([{ match: /apt-get update/, result: { rc: 100, stderr: 'E: Failed to fetch http://x/InRelease\n' } }, ...base]);
    await expect(aptModule.run({ update_cache: true, update_cache_retries: 1 }, ctx)).rejects.toThrow(
      'Failed to update apt cache: E: Failed to fetch http://x/InRelease',
    );
  });

  it('lock_timeout: gives up on a held lock with Ansible\'s message once the timeout has passed', async () => {
    const lock = 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)';
    const ctx = scriptedContext([{ match: /apt-get .*install/, result: { rc: 100, stderr: lock } }, ...base]);
    await expect(aptModule.run({ name: 'nginx', lock_timeout: 0 }, ctx)).rejects.toThrow(`Failed to lock apt for exclusive operation: ${lock}`);
  });

  it('clean runs apt-get clean and, alone, reports changed', async () => {
    const ctx = scriptedContext(base);
    expect(await aptModule.run({ clean: true, update_cache: false }, ctx)).toEqual({ changed: true, msg: '', values: out('') });
    expect(ctx.planned.map((p) => p.command)).toEqual(['apt-get clean']);
  });
});

describe('apt package selection (Ansible 2.14 install()/package_status())', () => {
  const rules: ScriptedRule[] = [
    { match: /dpkg-query .* vim /, result: { stdout: 'install ok installed\t2:9.0.1378-2\n' } },
    { match: /apt-cache policy vim$/, result: { stdout: 'vim:\n  Installed: 2:9.0.1378-2\n  Candidate: 2:9.0.1378-2+deb12u1\n  Version table:\n     2:9.0.1378-2+deb12u1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n *** 2:9.0.1378-2 100\n        100 /var/lib/dpkg/status\n' } },
    { match: /^if dpkg --compare-versions 2:9.0.1378-2 lt 2:9.1;/, result: { stdout: '-1\n' } },
    { match: /^if dpkg --compare-versions 2:9.0.1378-2\+deb12u1 lt 2:9.1;/, result: { stdout: '-1\n' } },
    { match: /^if dpkg --compare-versions/, result: { stdout: '1\n' } },
    { match: /dpkg-query .* mail-transport-agent /, result: { rc: 1 } },
    { match: /apt-cache policy mail-transport-agent$/, result: { stdout: 'mail-transport-agent:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n' } },
    { match: /apt-cache showpkg mail-transport-agent$/, result: { stdout: 'Package: mail-transport-agent\nVersions: \n\nReverse Provides: \npostfix 3.7.11-0+deb12u1 (= )\n' } },
    { match: /dpkg-query .* postfix /, result: { stdout: 'install ok installed\t3.7.11-0+deb12u1\n' } },
    { match: /apt-cache policy postfix$/, result: { stdout: 'postfix:\n  Installed: 3.7.11-0+deb12u1\n  Candidate: 3.7.11-0+deb12u1\n  Version table:\n *** 3.7.11-0+deb12u1 500\n' } },
    { match: /apt-cache pkgnames$/, result: { stdout: 'nginx\nnginx-common\nnginx:i386\ncurl\n' } },
    { match: /dpkg-query .* nginx-common /, result: { stdout: 'install ok installed\t1.22.1-9\n' } },
    { match: /apt-cache policy nginx-common$/, result: { stdout: 'nginx-common:\n  Candidate: 1.22.1-9\n  Version table:\n *** 1.22.1-9 500\n' } },
    { match: /^apt-mark showauto/, result: { stdout: 'nginx-common\n' } },
    ...base,
  ];

  it('>= specs compare with dpkg; = globs pick the highest matching version', async () => {
    const ok = scriptedContext(rules);
    expect((await aptModule.run({ name: 'vim>=2:9.0' }, ok)).changed).toBe(false);
    const up = scriptedContext(rules);
    await expect(aptModule.run({ name: 'vim>=2:9.1' }, up)).rejects.toThrow('no available installation candidate for vim>=2:9.1');
    const glob = scriptedContext(rules);
    expect((await aptModule.run({ name: 'vim=2:9.0.1378-2*' }, glob)).changed).toBe(true);
    // Ansible's legacy case: installed matches the glob, a newer matching version exists -> install name=glob.
    expect(glob.planned[0]!.command).toMatch(/install 'vim=2:9.0.1378-2\*'$/);
  });

  it('a virtual package provided by one installed package is already present', async () => {
    const ctx = scriptedContext(rules);
    expect((await aptModule.run({ name: 'mail-transport-agent' }, ctx)).changed).toBe(false);
    expect(ctx.planned).toEqual([]);
  });

  it('name globs expand to native package names; packages apt marked automatic are marked manual', async () => {
    const ctx = scriptedContext(rules);
    const r = await aptModule.run({ name: 'nginx*' }, ctx);
    expect(ctx.planned.map((p) => p.command)).toEqual([
      `${ENV} apt-get -y ${OPTS} install nginx=1.22.1-9`,
      'apt-mark manual nginx-common',
    ]);
    expect(r.changed).toBe(true);
    await expect(aptModule.run({ name: 'zzz*' }, scriptedContext(rules))).rejects.toThrow("No package(s) matching 'zzz*' available");
  });

  it('build-dep and fixed run apt-get build-dep / --fix-broken install', async () => {
    const bd = scriptedContext([{ match: /build-dep/, result: { stdout: 'Reading state information...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n' } }, ...rules]);
    expect((await aptModule.run({ name: 'nginx', state: 'build-dep' }, bd)).changed).toBe(false);
    expect(bd.planned[0]!.command).toBe(`${ENV} apt-get -y ${OPTS} build-dep nginx`);
    // The failure message quotes the command as Ansible formats it (recorded from ansible-core 2.14).
    const err = "E: You must put some 'deb-src' URIs in your sources.list\n";
    const bad = scriptedContext([{ match: /build-dep/, result: { rc: 100, stderr: err } }, ...rules], { check: true });
    await expect(aptModule.run({ name: 'cowsay', state: 'build-dep' }, bad)).rejects.toThrow(
      `'/usr/bin/apt-get -y -o "Dpkg::Options::=--force-confdef" -o "Dpkg::Options::=--force-confold"     --simulate build-dep 'cowsay'' failed: ${err}`,
    );
    const fx = scriptedContext(rules);
    expect((await aptModule.run({ name: 'nginx', state: 'fixed' }, fx)).changed).toBe(true);
    expect(fx.planned[0]!.command).toBe(`${ENV} apt-get -y ${OPTS} --fix-broken install nginx=1.22.1-9`);
  });
});

/**
 * deb: real .deb files built with dpkg-deb, read with the real dpkg --field / dpkg-query on this
 * machine; every change (dpkg -i, apt-get install) is only recorded and answered, never run.
 */
describe('apt deb (Ansible 2.14 install_deb())', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let server: TestServer;
  const coreutils = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'coreutils']).toString();
  const build = (name: string, control: string): string => {
    const root = join(dir.dir, name);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(join(root, 'DEBIAN', 'control'), `${control}Architecture: all\nMaintainer: t <t@example.org>\nDescription: test\n`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, `${root}.deb`], { stdio: 'ignore' });
    return `${root}.deb`;
  };
  const recording = (answers: Record<string, Partial<ExecResult>> = {}) => {
    const ctx = localContext();
    const changes: string[] = [];
    return Object.assign(ctx, {
      changes,
      async run(command: string): Promise<ExecResult> {
        changes.push(command);
        const hit = Object.entries(answers).find(([k]) => command.includes(k));
        return { rc: 0, stdout: '', stderr: '', ...hit?.[1] };
      },
    });
  };

  beforeAll(async () => {
    dir = await tempDir();
    build('plain', 'Package: tsbook-deb-plain\nVersion: 1.0-1\nDepends: coreutils (>= 1), tsbook-nothing | dpkg\n');
    build('needsdep', 'Package: tsbook-deb-dep\nVersion: 2.0\nPre-Depends: tsbook-absent-dependency\n');
    build('same', `Package: coreutils\nVersion: ${coreutils}\n`);
    build('older', 'Package: coreutils\nVersion: 0.1\n');
    const bytes = readFileSync(join(dir.dir, 'plain.deb'));
    server = await startServer({ '/pool/plain_1.0-1_all.deb': (_q, res) => res.end(bytes) });
  });
  afterAll(async () => {
    await server.close();
    await dir.cleanup();
  });

  it('installs a .deb whose dependencies are installed with dpkg -i and Ansible\'s options', async () => {
    const ctx = recording({ 'dpkg ': { stdout: 'Unpacking tsbook-deb-plain (1.0-1) ...\n' } });
    const deb = join(dir.dir, 'plain.deb');
    const r = await aptModule.run({ deb }, ctx);
    expect(ctx.changes).toEqual([`${ENV} dpkg --force-confdef --force-confold -i ${deb}`]);
    expect(r).toEqual({ changed: true, values: { ...out('Unpacking tsbook-deb-plain (1.0-1) ...\n'), diff: { prepared: 'Unpacking tsbook-deb-plain (1.0-1) ...' } } });
    const forced = recording();
    await aptModule.run({ deb, force: true, dpkg_options: 'force-confnew' }, forced);
    expect(forced.changes).toEqual([`${ENV} dpkg --force-confnew --force-all -i ${deb}`]);
  });

  it('skips a .deb whose version is installed; refuses a downgrade unless allow_downgrade', async () => {
    const same = recording();
    expect(await aptModule.run({ deb: join(dir.dir, 'same.deb') }, same)).toEqual({ changed: false, values: { ...out(''), diff: '' } });
    expect(same.changes).toEqual([]);
    await expect(aptModule.run({ deb: join(dir.dir, 'older.deb') }, recording())).rejects.toThrow('A later version is already installed');
    const down = recording();
    await aptModule.run({ deb: join(dir.dir, 'older.deb'), allow_downgrade: true }, down);
    expect(down.changes).toEqual([`${ENV} dpkg --force-confdef --force-confold -i ${join(dir.dir, 'older.deb')}`]);
  });

  it('installs missing dependencies through apt first (unknown ones fail as Ansible)', async () => {
    await expect(aptModule.run({ deb: join(dir.dir, 'needsdep.deb') }, recording())).rejects.toThrow(
      "No package matching 'tsbook-absent-dependency' is available",
    );
    await expect(aptModule.run({ deb: join(dir.dir, 'missing.deb') }, recording())).rejects.toThrow(/^Unable to install package: /);
    await expect(aptModule.run({ deb: join(dir.dir, 'plain.deb'), state: 'latest' }, recording())).rejects.toThrow('deb only supports state=present');
  });

  it('check mode records dpkg -i and runs dpkg --simulate; a URL is downloaded by the host', async () => {
    const ctx = localContext({ check: true });
    const url = `${server.base}/pool/plain_1.0-1_all.deb`;
    const r = await aptModule.run({ deb: url }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned).toHaveLength(1);
    expect(ctx.planned[0]!.command).toMatch(new RegExp(`^${ENV} dpkg --force-confdef --force-confold -i /\\S+$`));
    expect(server.requests.map((q) => q.url)).toEqual(['/pool/plain_1.0-1_all.deb']);
    await expect(aptModule.run({ deb: `${server.base}/nope.deb` }, localContext({ check: true }))).rejects.toThrow(
      `Failure downloading ${server.base}/nope.deb, HTTP Error 404: Not Found`,
    );
  });
});

describe('apt policy_rc_d (Ansible\'s PolicyRcD)', () => {
  it('wraps every change in a temporary policy-rc.d; check mode simulates unwrapped', async () => {
    const ctx = scriptedContext(base);
    await aptModule.run({ name: 'nginx', policy_rc_d: 101 }, ctx);
    expect(ctx.planned[0]!.command).toBe(withPolicyRcD(`${ENV} apt-get -y ${OPTS} install nginx=1.22.1-9`, 101));
    const check = scriptedContext(base, { check: true });
    await aptModule.run({ name: 'nginx', policy_rc_d: 101 }, check);
    expect(check.commands).toContain(`${ENV} apt-get -y ${OPTS} --simulate install nginx=1.22.1-9`);
  });

  it('the wrapper writes the policy, runs the command and restores what was there (real shell, temp path)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const policy = join(dir, 'policy-rc.d');
      const show = 'cat "$P"; stat -c %a "$P"; exit 3';
      const fresh = spawnSync('sh', ['-c', withPolicyRcD(show, 101, policy)], { encoding: 'utf8' });
      expect([fresh.stdout, fresh.status]).toEqual(['#!/bin/sh\nexit 101\n755\n', 3]);
      expect(existsSync(policy)).toBe(false);
      writeFileSync(policy, '#!/bin/sh\nexit 0\n');
      const kept = spawnSync('sh', ['-c', withPolicyRcD('cat "$P"', 104, policy)], { encoding: 'utf8' });
      expect([kept.stdout, kept.status]).toEqual(['#!/bin/sh\nexit 104\n', 0]);
      expect(readFileSync(policy, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    } finally {
      await cleanup();
    }
  });
});
