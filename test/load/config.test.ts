import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { UsageError } from '../../src/model/errors.js';
import { dumpConfig, findConfigFile, findLibraryModule, formatSettingValue, iniGet, libraryModuleError, loadConfig, parseIni } from '../../src/load/config.js';
import { configDump } from '../../src/cli/config.js';
import { ANSIBLE_CONFIG_BIN, RUN_ORACLE, tempDir } from './vault-helpers.js';

describe('parseIni (configparser)', () => {
  it('reads key = value and key: value, lowercases keys, strips ; inline comments but not #', () => {
    const ini = parseIni('[defaults]\nForks = 10 ; ten\nremote_user: deploy\nx = a;b\ny = a # not a comment\n# full line\n; full line\n');
    expect(iniGet(ini, 'defaults', 'forks')).toEqual({ value: '10', line: 2 });
    expect(iniGet(ini, 'defaults', 'remote_user')?.value).toBe('deploy');
    expect(iniGet(ini, 'defaults', 'x')?.value).toBe('a;b');
    expect(iniGet(ini, 'defaults', 'y')?.value).toBe('a # not a comment');
    expect(iniGet(ini, 'missing', 'forks')).toBeUndefined();
  });

  it('joins indented continuation lines with newlines, keeping inner blank lines', () => {
    const ini = parseIni('[ssh_connection]\nssh_args = -o A=1\n  -o B=2\n\n  -o C=3\n\nnext = 1\n');
    expect(iniGet(ini, 'ssh_connection', 'ssh_args')?.value).toBe('-o A=1\n-o B=2\n\n-o C=3');
    expect(iniGet(ini, 'ssh_connection', 'next')?.value).toBe('1');
  });

  it('inherits [DEFAULT] values into existing sections', () => {
    const ini = parseIni('[DEFAULT]\ntimeout = 3\n[defaults]\nforks = 2\n');
    expect(iniGet(ini, 'defaults', 'timeout')?.value).toBe('3');
    expect(iniGet(ini, 'nosuch', 'timeout')).toBeUndefined();
  });

  it('fails like configparser on duplicates, missing headers and bogus lines', () => {
    expect(() => parseIni('[defaults]\nforks = 5\nforks=6\n')).toThrow("While reading from '<string>' [line  3]: option 'forks' in section 'defaults' already exists");
    expect(() => parseIni('[a]\n[a]\n')).toThrow("While reading from '<string>' [line  2]: section 'a' already exists");
    expect(() => parseIni('forks = 5\n')).toThrow("File contains no section headers.\nfile: '<string>', line: 1\n'forks = 5\\n'");
    expect(() => parseIni('[defaults]\nforks = 7\njunk\n')).toThrow("Source contains parsing errors: '<string>'\n\t[line  3]: 'junk\\n'");
  });
});

describe('loadConfig', () => {
  let t: { dir: string; cleanup: () => void };
  beforeEach(() => {
    t = tempDir('tsbook-config-test-');
  });
  afterEach(() => t.cleanup());
  const opts = (env: NodeJS.ProcessEnv = {}, cwd?: string) => ({ cwd: cwd ?? t.dir, env, home: join(t.dir, 'home'), systemConfig: join(t.dir, 'etc.cfg') });

  it('finds ANSIBLE_CONFIG (a file or a directory), then ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg', async () => {
    mkdirSync(join(t.dir, 'home'));
    mkdirSync(join(t.dir, 'proj'));
    mkdirSync(join(t.dir, 'envdir'));
    writeFileSync(join(t.dir, 'etc.cfg'), '[defaults]\n');
    expect((await findConfigFile(opts({}, join(t.dir, 'proj')))).file).toBe(join(t.dir, 'etc.cfg'));
    writeFileSync(join(t.dir, 'home', '.ansible.cfg'), '[defaults]\n');
    expect((await findConfigFile(opts({}, join(t.dir, 'proj')))).file).toBe(join(t.dir, 'home', '.ansible.cfg'));
    writeFileSync(join(t.dir, 'proj', 'ansible.cfg'), '[defaults]\n');
    expect((await findConfigFile(opts({}, join(t.dir, 'proj')))).file).toBe(join(t.dir, 'proj', 'ansible.cfg'));
    writeFileSync(join(t.dir, 'envdir', 'ansible.cfg'), '[defaults]\n');
    expect((await findConfigFile(opts({ ANSIBLE_CONFIG: 'envdir' }))).file).toBe(join(t.dir, 'envdir', 'ansible.cfg'));
    expect((await findConfigFile(opts({ ANSIBLE_CONFIG: join(t.dir, 'nope.cfg') }, join(t.dir, 'proj')))).file).toBe(join(t.dir, 'proj', 'ansible.cfg'));
  });

  it('ignores ./ansible.cfg in a world-writable cwd, with Ansible\'s warning', async () => {
    const pub = join(t.dir, 'public');
    mkdirSync(pub);
    chmodSync(pub, 0o777);
    writeFileSync(join(pub, 'ansible.cfg'), '[defaults]\nforks = 9\n');
    const config = await loadConfig(opts({}, pub));
    expect(config.file).toBeUndefined();
    expect(config.settings.forks).toEqual({ name: 'DEFAULT_FORKS', value: 5, origin: 'default' });
    expect(config.warnings[0]).toMatch(/^Ansible is being run in a world writable directory \(.*public\), ignoring it as an ansible.cfg source/);
    const viaEnv = await loadConfig(opts({ ANSIBLE_CONFIG: join(pub, 'ansible.cfg') }, pub));
    expect(viaEnv.settings.forks.value).toBe(9);
    expect(viaEnv.warnings).toEqual([]);
  });

  it('gives every setting a value and origin: env beats file beats default; file origins carry the line', async () => {
    writeFileSync(
      join(t.dir, 'ansible.cfg'),
      '[defaults]\nforks = 10\ninventory = hosts.ini, /abs/inv\nroles_path = roles:~/shared\nhost_key_checking = no\nlibrary = ./lib\ngathering = smart\nvault_identity_list = a@x, "b@y"\n[privilege_escalation]\nbecome = yes\n',
    );
    const config = await loadConfig(opts({ ANSIBLE_TIMEOUT: '33', ANSIBLE_FORKS: '' }));
    const s = config.settings;
    expect(s.timeout).toEqual({ name: 'DEFAULT_TIMEOUT', value: 33, origin: 'env: ANSIBLE_TIMEOUT' });
    // an empty env var for an integer falls back to the default, as Ansible does
    expect(s.forks).toEqual({ name: 'DEFAULT_FORKS', value: 5, origin: 'default' });
    expect(s.inventory).toEqual({ name: 'DEFAULT_HOST_LIST', value: [join(t.dir, 'hosts.ini'), '/abs/inv'], origin: `${join(t.dir, 'ansible.cfg')}:3`, file: join(t.dir, 'ansible.cfg') });
    expect(s.rolesPath.value).toEqual([join(t.dir, 'roles'), join(t.dir, 'home', 'shared')]);
    expect(s.hostKeyChecking.value).toBe(false);
    expect(s.library.value).toEqual([join(t.dir, 'lib')]);
    expect(s.gathering.value).toBe('smart');
    expect(s.vaultIdentityList.value).toEqual(['a@x', 'b@y']);
    expect(s.become).toMatchObject({ value: true, origin: `${join(t.dir, 'ansible.cfg')}:10` });
    expect(s.becomeUser).toEqual({ name: 'DEFAULT_BECOME_USER', value: 'root', origin: 'default' });
    expect(s.rolesPath.origin).toBe(`${join(t.dir, 'ansible.cfg')}:4`);
    expect((await loadConfig(opts({ ANSIBLE_FORKS: '7' }))).settings.forks).toEqual({ name: 'DEFAULT_FORKS', value: 7, origin: 'env: ANSIBLE_FORKS' });
  });

  it('rejects bad values like ansible-config (usage errors, exit 5)', async () => {
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nforks = abc\n');
    await expect(loadConfig(opts())).rejects.toThrow(`Invalid type for configuration option setting: DEFAULT_FORKS (from ${join(t.dir, 'ansible.cfg')}): invalid literal for int() with base 10: 'abc'`);
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\ngathering = sometimes\n');
    await expect(loadConfig(opts())).rejects.toThrow('Invalid value "sometimes" for configuration option "setting: DEFAULT_GATHERING", valid values are: implicit, explicit, smart');
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nforks = 1\nforks = 2\n');
    const err = await loadConfig(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^Error reading config file \(.*ansible\.cfg\): While reading from/);
  });

  it('notes that stdout_callback is ignored; finds library modules and explains them', async () => {
    mkdirSync(join(t.dir, 'lib'));
    writeFileSync(join(t.dir, 'lib', 'my_mod.py'), '#!/usr/bin/python\n');
    writeFileSync(join(t.dir, 'lib', 'shellmod'), '#!/bin/sh\necho {}\n');
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nstdout_callback = yaml\nlibrary = lib\n');
    const config = await loadConfig(opts());
    expect(config.notes).toEqual(['stdout_callback = yaml is ignored: tsbook has its own output (--plain, --json)']);
    const found = config.findLibraryModule('my_mod');
    expect(found).toEqual({ name: 'my_mod', path: join(t.dir, 'lib', 'my_mod.py'), dir: join(t.dir, 'lib'), python: true });
    expect(libraryModuleError(found!).message).toBe(`module my_mod is a Python module from library path ${join(t.dir, 'lib')}; tsbook cannot run Python modules`);
    expect(findLibraryModule('shellmod', [join(t.dir, 'lib')])?.python).toBe(false);
    expect(findLibraryModule('ansible.legacy.my_mod', [join(t.dir, 'lib')])?.path).toBe(join(t.dir, 'lib', 'my_mod.py'));
    expect(config.findLibraryModule('nope')).toBeUndefined();
  });

  it('dumps like ansible-config: sorted NAME(origin) = python value, CONFIG_FILE first among equals', async () => {
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nforks = 10\nremote_user = bob\n[ssh_connection]\nssh_args = -o A=1\n  -o B=2\n');
    const config = await loadConfig(opts({ ANSIBLE_BECOME: 'true' }));
    expect(dumpConfig(config, { onlyChanged: true })).toEqual([
      `CONFIG_FILE() = ${join(t.dir, 'ansible.cfg')}`,
      'DEFAULT_BECOME(env: ANSIBLE_BECOME) = True',
      `DEFAULT_FORKS(${join(t.dir, 'ansible.cfg')}) = 10`,
      `DEFAULT_REMOTE_USER(${join(t.dir, 'ansible.cfg')}) = bob`,
    ]);
    const all = dumpConfig(config, { onlyChanged: true, all: true });
    expect(all).toContain('ssh:');
    expect(all.at(-1)).toBe(`ssh_args(${join(t.dir, 'ansible.cfg')}) = -o A=1\n-o B=2`);
    expect(dumpConfig(config)).toContain('DEFAULT_BECOME_USER(default) = root');
    expect(formatSettingValue(["it's", 'b'])).toBe(`["it's", 'b']`);
    expect(formatSettingValue(null)).toBe('None');
  });
});

/** The lines of ansible-config's dump for the settings tsbook supports. */
function ansibleDump(cwd: string, env: NodeJS.ProcessEnv): string[] {
  if (!ANSIBLE_CONFIG_BIN) throw new Error('ansible-config is not installed (required in CI)');
  const r = spawnSync(ANSIBLE_CONFIG_BIN, ['dump', '--only-changed'], { cwd, env: { PATH: process.env.PATH, HOME: cwd, ...env }, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe.runIf(RUN_ORACLE)('config dump --only-changed vs ansible-config', () => {
  let t: { dir: string; cleanup: () => void };
  beforeEach(() => {
    t = tempDir('tsbook-config-oracle-');
  });
  afterEach(() => t.cleanup());

  const cases: { name: string; cfg: string; env?: NodeJS.ProcessEnv }[] = [
    {
      name: 'every supported [defaults] and [privilege_escalation] key',
      cfg: [
        '[defaults]',
        'inventory = ./hosts.ini, other',
        'roles_path = roles:/etc/roles:~/r',
        'forks: 10',
        'remote_user = deploy',
        'private_key_file = keys/id_ed25519',
        'host_key_checking = False',
        'timeout = 30 ; seconds',
        'vault_password_file = ~/.vault_pass',
        'vault_identity_list = dev@a, prod@b',
        'gathering = explicit',
        'retry_files_enabled = yes',
        'library = ./library:/opt/modules',
        'stdout_callback = yaml',
        '# a comment',
        '[privilege_escalation]',
        'become = True',
        'become_user = admin',
        'become_method = su',
        'become_ask_pass = 1',
        '[ssh_connection]',
        'pipelining = True',
        'ssh_args = -o ControlMaster=auto',
        '  -o ControlPersist=60s',
        'control_path = %(directory)s/%%h',
      ].join('\n'),
    },
    { name: 'environment variables over the file', cfg: '[defaults]\nforks = 10\nremote_user = a\n', env: { ANSIBLE_FORKS: '20', ANSIBLE_REMOTE_USER: 'b', ANSIBLE_LIBRARY: 'rel/lib', ANSIBLE_BECOME: 'yes' } },
    { name: 'quoted values and [connection] pipelining', cfg: "[defaults]\nremote_user = 'quoted'\nvault_identity_list = 'x@y'\npipelining = False\n[connection]\npipelining = True\n" },
    { name: 'no config file at all', cfg: '', env: { ANSIBLE_GATHERING: 'smart' } },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      if (c.cfg !== '') writeFileSync(join(t.dir, 'ansible.cfg'), `${c.cfg}\n`);
      const env = c.env ?? {};
      const config = await loadConfig({ cwd: t.dir, env: { HOME: t.dir, ...env }, home: t.dir });
      const ours = dumpConfig(config, { onlyChanged: true });
      const names = new Set(dumpConfig(config).map((l) => l.slice(0, l.indexOf('('))));
      const theirs = ansibleDump(t.dir, env).filter((l) => names.has(l.slice(0, l.indexOf('('))));
      expect(ours).toEqual(theirs);
      expect(ours.length).toBeGreaterThan(1);
    });
  }

  it('the CLI prints the same lines', async () => {
    writeFileSync(join(t.dir, 'ansible.cfg'), '[defaults]\nforks = 3\n');
    let out = '';
    const code = await configDump({ onlyChanged: true }, { write: (s) => (out += s), warn: () => undefined, cwd: t.dir, env: { HOME: t.dir } });
    expect(code).toBe(0);
    expect(out).toBe(`CONFIG_FILE() = ${join(t.dir, 'ansible.cfg')}\nDEFAULT_FORKS(${join(t.dir, 'ansible.cfg')}) = 3\n`);
    expect(ansibleDump(t.dir, {})).toEqual(out.trim().split('\n'));
  });
});
