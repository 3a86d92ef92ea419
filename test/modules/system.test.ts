import { describe, expect, it } from 'vitest';
import { hostnameModule } from '../../src/modules/hostname.js';
import { sysctlModule, rewriteSysctlFile, normaliseSysctlValue } from '../../src/modules/sysctl.js';
import { modprobeModule } from '../../src/modules/modprobe.js';
import { scriptedContext } from '../support/file-module-context.js';

function staged(files: Record<string, string>): string | undefined {
  const key = Object.keys(files).find((k) => k.includes('.tsbook_tmp_'));
  return key === undefined ? undefined : files[key];
}

describe('hostname', () => {
  it('sets both names with hostnamectl and returns facts and a diff', async () => {
    const ctx = scriptedContext(
      [
        { match: /^command -v hostnamectl$/, result: { stdout: '/usr/bin/hostnamectl' } },
        { match: /^hostnamectl --transient status$/, result: { stdout: 'old\n' } },
        { match: /^hostnamectl --static status$/, result: { stdout: 'old\n' } },
        { match: /^hostname -f/, result: { stdout: 'web1.example.com\n' } },
      ],
      { diff: true },
    );
    const r = await hostnameModule.run({ name: 'web1.example.com' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual([
      'hostnamectl --transient set-hostname web1.example.com',
      'hostnamectl --pretty --static set-hostname web1.example.com',
    ]);
    expect(r.facts).toEqual({ ansible_hostname: 'web1', ansible_nodename: 'web1.example.com', ansible_fqdn: 'web1.example.com', ansible_domain: 'example.com' });
    expect(r.diff).toEqual([{ before: 'hostname = old\n', after: 'hostname = web1.example.com\n' }]);
  });

  it('debian strategy without hostnamectl; unchanged when already set', async () => {
    const rules = [
      { match: /^command -v hostnamectl$/, result: { rc: 1 } },
      { match: /^hostname$/, result: { stdout: 'box\n' } },
      { match: /^test -f \/etc\/hostname$/, result: {} },
      { match: /^hostname -f/, result: { stdout: 'box\n' } },
    ];
    const same = scriptedContext(rules, { files: { '/etc/hostname': 'box\n' } });
    expect((await hostnameModule.run({ name: 'box' }, same)).changed).toBe(false);
    const ctx = scriptedContext(rules, { files: { '/etc/hostname': 'box\n' } });
    const r = await hostnameModule.run({ name: 'db' }, ctx);
    expect(r.changed).toBe(true);
    expect(ctx.planned[0].command).toBe('hostname db');
    expect(staged(ctx.files)).toBe('db\n');
  });
});

describe('sysctl', () => {
  it('normalises values and rewrites the file like ansible.posix', () => {
    expect(normaliseSysctlValue(true)).toBe('1');
    expect(normaliseSysctlValue('4096   87380\t6291456')).toBe('4096 87380 6291456');
    expect(rewriteSysctlFile('# c\nnet.ipv4.ip_forward = 0\nvm.x=1\nnet.ipv4.ip_forward=0\n', 'net.ipv4.ip_forward', '1')).toBe(
      '# c\nnet.ipv4.ip_forward=1\nvm.x=1\n',
    );
    expect(rewriteSysctlFile('vm.x=1\n', 'vm.y', '2')).toBe('vm.x=1\nvm.y=2\n');
    expect(rewriteSysctlFile('vm.x=1\nvm.y=2\n', 'vm.y', undefined)).toBe('vm.x=1\n');
  });

  it('writes, reloads and sets the running value', async () => {
    const ctx = scriptedContext(
      [
        { match: /^test -e \/etc\/sysctl.conf$/, result: {} },
        { match: /^sysctl -e -n net.ipv4.ip_forward$/, result: { stdout: '0\n' } },
      ],
      { files: { '/etc/sysctl.conf': 'net.ipv4.ip_forward = 0\n' } },
    );
    const r = await sysctlModule.run({ name: 'net.ipv4.ip_forward', value: '1', sysctl_set: true }, ctx);
    expect(r.changed).toBe(true);
    expect(staged(ctx.files)).toBe('net.ipv4.ip_forward=1\n');
    const cmds = ctx.planned.map((p) => p.command);
    expect(cmds[0]).toBe('sysctl -w net.ipv4.ip_forward=1');
    expect(cmds[cmds.length - 1]).toBe('sysctl -p /etc/sysctl.conf');
  });

  it('is unchanged when file and running value match; check mode writes nothing', async () => {
    const rules = [
      { match: /^test -e/, result: {} },
      { match: /^sysctl -e -n vm.swappiness$/, result: { stdout: '10\n' } },
    ];
    const same = scriptedContext(rules, { files: { '/etc/sysctl.conf': 'vm.swappiness=10\n' } });
    expect((await sysctlModule.run({ name: 'vm.swappiness', value: 10, sysctl_set: true }, same)).changed).toBe(false);
    const check = scriptedContext(rules, { check: true, files: { '/etc/sysctl.conf': 'vm.swappiness=10\n' } });
    expect((await sysctlModule.run({ name: 'vm.swappiness', value: 5 }, check)).changed).toBe(true);
    expect(staged(check.files)).toBeUndefined();
    await expect(sysctlModule.run({ name: 'vm.swappiness' }, scriptedContext(rules))).rejects.toThrow('value cannot be None');
  });
});

describe('modprobe', () => {
  const rules = [
    { match: /^cat \/proc\/modules$/, result: { stdout: 'br_netfilter 32768 0 - Live 0x0\noverlay 151552 0 - Live 0x0\n' } },
    { match: /modules\.builtin/, result: { stdout: 'kernel/fs/ext4/ext4.ko\n' } },
    { match: /^test -f/, result: { rc: 1 } },
  ];

  it('loads a missing module with params and persists it', async () => {
    const ctx = scriptedContext(rules);
    const r = await modprobeModule.run({ name: 'dummy', params: 'numdummies=2', persistent: 'present' }, ctx);
    expect(r).toEqual({ changed: true, values: { name: 'dummy', params: 'numdummies=2', state: 'present' } });
    expect(ctx.planned[0].command).toBe('modprobe dummy numdummies=2');
    expect(Object.values(ctx.files).sort()).toEqual(['dummy\n', 'options dummy numdummies=2\n']);
  });

  it('treats loaded (dash/underscore) and built-in modules as present; unloads absent ones', async () => {
    expect((await modprobeModule.run({ name: 'br-netfilter' }, scriptedContext(rules))).changed).toBe(false);
    expect((await modprobeModule.run({ name: 'ext4' }, scriptedContext(rules))).changed).toBe(false);
    const ctx = scriptedContext(rules);
    expect((await modprobeModule.run({ name: 'overlay', state: 'absent' }, ctx)).changed).toBe(true);
    expect(ctx.planned.map((p) => p.command)).toEqual(['modprobe -r overlay']);
  });
});
