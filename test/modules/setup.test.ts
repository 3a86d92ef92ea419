import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { cpuFacts, FACTS_SCRIPT, factsFromProbe, factsScript, fnmatchRegex, selectSubsets, setupModule } from '../../src/modules/setup.js';
import { createModuleContext } from '../support/module-context.js';
import { ScriptedConnection } from '../support/scripted-connection.js';

const PROBE_OUTPUT = [
  '@@uname', 'web1.example.com', 'Linux', '5.15.0-91-generic', '#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023', 'x86_64',
  '@@fqdn', '10.0.0.5      web1.example.com web1',
  '@@os-release', 'NAME="Ubuntu"', 'VERSION_ID="22.04"', 'VERSION="22.04.3 LTS (Jammy Jellyfish)"', 'ID=ubuntu', 'ID_LIKE=debian', 'VERSION_CODENAME=jammy',
  '@@debian_version', 'bookworm/sid',
  '@@lsb_release', 'Distributor ID:\tUbuntu', 'Description:\tUbuntu 22.04.3 LTS', 'Release:\t22.04', 'Codename:\tjammy',
  '@@lsb-release',
  '@@meminfo', 'MemTotal:        2030436 kB', 'MemFree:          123904 kB', 'SwapTotal:             0 kB', 'SwapFree:              0 kB',
  '@@cpuinfo',
  'processor\t: 0', 'vendor_id\t: GenuineIntel', 'model name\t: Xeon', 'physical id\t: 0', 'siblings\t: 4', 'core id\t: 0', 'cpu cores\t: 2', '',
  'processor\t: 1', 'vendor_id\t: GenuineIntel', 'model name\t: Xeon', 'physical id\t: 0', 'siblings\t: 4', 'core id\t: 1', 'cpu cores\t: 2', '',
  '@@nproc', '4',
  '@@route', '8.8.8.8 via 10.0.0.1 dev ens3 src 10.0.0.5 uid 1000 ', '    cache ',
  '@@addr',
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '2: ens3    inet 10.0.0.5/24 brd 10.0.0.255 scope global dynamic ens3\\       valid_lft 86000sec preferred_lft 86000sec',
  '3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever',
  '@@ifaces', 'ens3 52:54:00:12:34:56 1500 1', 'lo 00:00:00:00:00:00 65536 772',
  '@@id', '1000', '1000', 'deploy', '1000', '1000',
  '@@passwd', 'deploy:x:1000:1000:Deploy User,,,:/home/deploy:/bin/bash',
  '@@date', '2024|01|31|13|05|09|CET|+0100|1706702709|Wednesday|3|05|123456789', '2024-01-31T12:05:09', 'CET|+0100', 'CEST|+0200',
  '@@proc1', 'systemd',
  '@@svc', 'systemd_run', 'systemctl', 'initd',
  '@@pkg', '/usr/bin/apt-get',
  '@@env', 'HOME=/home/deploy\0PATH=/usr/bin:/bin\0MULTI=a\nb\0',
  '@@end',
].join('\n');

describe('setup facts from a scripted probe', () => {
  const { min, hardware, network } = factsFromProbe(PROBE_OUTPUT);

  it('parses platform, distribution and user facts', () => {
    expect(min).toMatchObject({
      ansible_hostname: 'web1',
      ansible_nodename: 'web1.example.com',
      ansible_fqdn: 'web1.example.com',
      ansible_domain: 'example.com',
      ansible_system: 'Linux',
      ansible_kernel: '5.15.0-91-generic',
      ansible_architecture: 'x86_64',
      ansible_distribution: 'Ubuntu',
      ansible_distribution_version: '22.04',
      ansible_distribution_major_version: '22',
      ansible_distribution_release: 'jammy',
      ansible_os_family: 'Debian',
      ansible_lsb: { id: 'Ubuntu', description: 'Ubuntu 22.04.3 LTS', release: '22.04', codename: 'jammy', major_release: '22' },
      ansible_user_id: 'deploy',
      ansible_user_uid: 1000,
      ansible_user_dir: '/home/deploy',
      ansible_user_shell: '/bin/bash',
      ansible_user_gecos: 'Deploy User,,,',
      ansible_env: { HOME: '/home/deploy', PATH: '/usr/bin:/bin', MULTI: 'a\nb' },
      ansible_service_mgr: 'systemd',
      ansible_pkg_mgr: 'apt',
    });
    expect(min['ansible_date_time']).toMatchObject({
      date: '2024-01-31', time: '13:05:09', epoch: '1706702709', tz: 'CET', tz_dst: 'CEST', tz_offset: '+0100',
      iso8601: '2024-01-31T12:05:09Z', iso8601_micro: '2024-01-31T12:05:09.123456Z', iso8601_basic: '20240131T130509123456',
      weekday: 'Wednesday', weekday_number: '3', weeknumber: '05', year: '2024',
    });
  });

  it('counts memory and CPUs as Ansible does', () => {
    expect(hardware).toMatchObject({
      ansible_memtotal_mb: 1982,
      ansible_memfree_mb: 121,
      ansible_processor_count: 1,
      ansible_processor_cores: 2,
      ansible_processor_threads_per_core: 2,
      ansible_processor_vcpus: 4,
      ansible_processor_nproc: 4,
      ansible_processor: ['0', 'GenuineIntel', 'Xeon', '1', 'GenuineIntel', 'Xeon'],
    });
    expect(cpuFacts('processor\t: 0\nprocessor\t: 1\n', 'aarch64', '')).toMatchObject({ ansible_processor_count: 2, ansible_processor_vcpus: 2 });
  });

  it('finds the default IPv4 route and addresses', () => {
    expect(network).toEqual({
      ansible_all_ipv4_addresses: ['10.0.0.5', '172.17.0.1'],
      ansible_default_ipv4: {
        address: '10.0.0.5', alias: 'ens3', broadcast: '10.0.0.255', gateway: '10.0.0.1', interface: 'ens3',
        macaddress: '52:54:00:12:34:56', mtu: 1500, netmask: '255.255.255.0', network: '10.0.0.0', prefix: '24', type: 'ether',
      },
    });
  });

  it('maps RedHat-family systems and their package manager', () => {
    const rocky = PROBE_OUTPUT.replace(/@@os-release[^@]*/, '@@os-release\nID="rocky"\nVERSION_ID="9.3"\nVERSION="9.3 (Blue Onyx)"\n').replace('/usr/bin/apt-get', '/usr/bin/dnf\n/usr/bin/yum');
    expect(factsFromProbe(rocky).min).toMatchObject({
      ansible_distribution: 'Rocky', ansible_os_family: 'RedHat', ansible_distribution_release: 'Blue Onyx', ansible_pkg_mgr: 'dnf',
    });
  });

  it('selects subsets and filters like Ansible', async () => {
    expect([...selectSubsets(['all'])].sort()).toEqual(['hardware', 'min', 'network']);
    expect([...selectSubsets(['!all'])]).toEqual(['min']);
    expect([...selectSubsets(['!hardware'])].sort()).toEqual(['min', 'network']);
    expect([...selectSubsets(['!all', 'network'])].sort()).toEqual(['min', 'network']);
    expect(() => selectSubsets(['bogus'])).toThrow("Bad subset 'bogus'");
    expect(fnmatchRegex('ansible_*_mb').test('ansible_memtotal_mb')).toBe(true);

    const conn = new ScriptedConnection().on(FACTS_SCRIPT, { stdout: PROBE_OUTPUT });
    const result = await setupModule.run({ filter: ['ansible_distribution*'], gather_subset: ['!hardware'] }, createModuleContext({ connection: conn, check: true }));
    expect(conn.commands).toEqual([FACTS_SCRIPT]);
    expect(Object.keys(result.facts!).sort()).toEqual([
      'ansible_distribution', 'ansible_distribution_major_version', 'ansible_distribution_release', 'ansible_distribution_version',
      'gather_subset', 'module_setup',
    ]);
    expect(result.values).toEqual({ ansible_facts: result.facts });
  });
});

const hasAnsible = spawnSync('ansible', ['--version']).status === 0;

describe('setup compared with ansible-core on this machine', () => {
  it.runIf(hasAnsible || process.env.CI)('reports the same values for the facts tsbook gathers', async () => {
    const out = execFileSync('ansible', ['localhost', '-i', 'localhost,', '-c', 'local', '-m', 'setup'], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_INVENTORY_UNPARSED_WARNING: '0' },
    });
    const oracle = JSON.parse(out.slice(out.indexOf('{'))).ansible_facts as Record<string, unknown>;
    const result = await setupModule.run({}, createModuleContext({ connection: new LocalConnection('localhost') }));
    const facts = result.facts!;
    const same = [
      'hostname', 'nodename', 'fqdn', 'domain', 'architecture', 'machine', 'system', 'kernel', 'kernel_version',
      'distribution', 'distribution_version', 'distribution_release', 'distribution_major_version', 'os_family',
      'memtotal_mb', 'swaptotal_mb', 'processor', 'processor_vcpus', 'processor_cores', 'processor_count', 'processor_threads_per_core',
      'processor_nproc', 'default_ipv4', 'all_ipv4_addresses', 'user_id', 'user_dir', 'user_uid', 'user_gid', 'user_shell', 'user_gecos',
      'effective_user_id', 'effective_group_id', 'real_user_id', 'real_group_id', 'pkg_mgr', 'service_mgr', 'lsb',
    ];
    for (const key of same) expect({ key, value: facts[`ansible_${key}`] }).toEqual({ key, value: oracle[`ansible_${key}`] });
    const ours = facts['ansible_date_time'] as Record<string, string>;
    const theirs = oracle['ansible_date_time'] as Record<string, string>;
    for (const key of ['tz', 'tz_dst', 'tz_offset', 'date', 'year']) expect({ key, value: ours[key] }).toEqual({ key, value: theirs[key] });
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect((facts['ansible_env'] as Record<string, string>)['HOME']).toBe((oracle['ansible_env'] as Record<string, string>)['HOME']);
  }, 120_000);
});

describe('python facts', () => {
  const probe = (python: string) => `${PROBE_OUTPUT.replace('@@end', '')}@@python\n${python}\n@@end\n`;

  it('reads the python probe into ansible_python and ansible_python_version', () => {
    const facts = factsFromProbe(probe('["/usr/bin/python3", [3, 11, 2, "final", 0], "cpython", true, "3.11.2"]')).min;
    expect(facts.ansible_python).toEqual({
      executable: '/usr/bin/python3',
      version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 },
      version_info: [3, 11, 2, 'final', 0],
      type: 'cpython',
      has_sslcontext: true,
    });
    expect(facts.ansible_python_version).toBe('3.11.2');
  });

  it('leaves python facts out when the host has no python', () => {
    const facts = factsFromProbe(probe('')).min;
    expect(facts).not.toHaveProperty('ansible_python');
    expect(facts).not.toHaveProperty('ansible_python_version');
    expect(facts.ansible_distribution).toBe('Ubuntu');
  });

  it('probes ansible_python_interpreter when set (auto means python3)', () => {
    expect(factsScript('/opt/py/bin/python3.12')).toContain("command -v /opt/py/bin/python3.12 >/dev/null 2>&1 && /opt/py/bin/python3.12 -c '");
    expect(factsScript('auto_silent')).toBe(FACTS_SCRIPT);
    expect(factsScript('python3; rm -rf /')).toBe(FACTS_SCRIPT);
  });

  it('gathers python facts on this machine with the real probe', async () => {
    const result = await setupModule.run({ gather_subset: ['min'] }, createModuleContext({ connection: new LocalConnection('localhost') }));
    const python = (result.facts as Record<string, { executable?: string; version?: { major?: number } }>).ansible_python;
    expect(python?.executable).toMatch(/python3/);
    expect(python?.version?.major).toBe(3);
  });
});
