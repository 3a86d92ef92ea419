import { describe, expect, it } from 'vitest';
import { connectionKind, createConnection, parseJumpHop, resolveSshTarget, type ResolveContext } from '../../src/connection/factory.js';
import { parseSshConfig } from '../../src/connection/ssh-config.js';
import { LocalConnection } from '../../src/connection/local.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { UsageError } from '../../src/model/errors.js';

function ctx(config = '', env: Record<string, string> = {}, existing: string[] = []): ResolveContext {
  const sections = parseSshConfig(config, '/home/me/.ssh/config');
  return {
    env,
    home: '/home/me',
    localUser: 'me',
    readConfig: (f) => (f === '/home/me/.ssh/config' ? sections : []),
    fileExists: (f) => existing.includes(f),
  };
}

describe('connectionKind', () => {
  it('picks local for ansible_connection=local and the implicit localhost, ssh otherwise', () => {
    expect(connectionKind('web', { ansible_connection: 'local' })).toBe('local');
    expect(connectionKind('web', { ansible_connection: 'ansible.builtin.local' })).toBe('local');
    expect(connectionKind('localhost', {})).toBe('local');
    expect(connectionKind('localhost', { ansible_host: '10.0.0.1' })).toBe('ssh');
    for (const c of ['ssh', 'paramiko', 'smart', 'ansible.builtin.ssh']) expect(connectionKind('web', { ansible_connection: c })).toBe('ssh');
    expect(connectionKind('web', {}, 'local')).toBe('local');
    expect(() => connectionKind('web', { ansible_connection: 'docker' })).toThrow(UsageError);
  });

  it('createConnection returns the matching implementation without connecting', () => {
    expect(createConnection('localhost', {})).toBeInstanceOf(LocalConnection);
    expect(createConnection('web', { ansible_host: '127.0.0.1' })).toBeInstanceOf(SshConnection);
  });
});

describe('resolveSshTarget', () => {
  it('uses defaults: destination, port 22, local user, default keys that exist, known_hosts, yes', () => {
    const t = resolveSshTarget('web', {}, {}, ctx('', { SSH_AUTH_SOCK: '/agent' }, ['/home/me/.ssh/id_rsa']));
    expect(t).toMatchObject({ name: 'web', address: 'web', port: 22, user: 'me', hostKeyChecking: 'yes', connectTimeout: 10, agentSocket: '/agent' });
    expect(t.identityFiles).toEqual(['/home/me/.ssh/id_rsa']);
    expect(t.knownHostsFiles).toEqual(['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
    expect(t.jump).toEqual([]);
  });

  it('gives connection vars precedence over options, ssh args and ssh_config', () => {
    const config = 'Host 10.0.0.5\n  User cfguser\n  Port 2000\n  IdentityFile ~/.ssh/cfgkey\n  ConnectTimeout 3\n';
    const vars = {
      ansible_host: '10.0.0.5',
      ansible_port: 2222,
      ansible_user: 'varuser',
      ansible_password: 'pw',
      ansible_ssh_private_key_file: '/keys/var',
      ansible_ssh_common_args: '-o User=arguser -p 2100 -i /keys/arg -o ConnectTimeout=7 -o UserKnownHostsFile=/kh/args',
    };
    const t = resolveSshTarget('web', vars, { user: 'cliuser', privateKey: '/keys/cli', timeout: 4 }, ctx(config));
    expect(t).toMatchObject({ address: '10.0.0.5', port: 2222, user: 'varuser', password: 'pw', connectTimeout: 4 });
    expect(t.identityFiles).toEqual(['/keys/var', '/keys/arg', '/home/me/.ssh/cfgkey']);
    expect(t.knownHostsFiles).toEqual(['/kh/args']);

    const t2 = resolveSshTarget('web', { ansible_host: '10.0.0.5', ansible_ssh_extra_args: '-p 2100 -o User=arguser' }, {}, ctx(config));
    expect(t2).toMatchObject({ port: 2100, user: 'arguser', connectTimeout: 3 });
    const t3 = resolveSshTarget('web', { ansible_host: '10.0.0.5' }, {}, ctx(config));
    expect(t3).toMatchObject({ port: 2000, user: 'cfguser' });
  });

  it('applies HostName and IdentitiesOnly from ssh_config', () => {
    const t = resolveSshTarget('db', {}, {}, ctx('Host db\n  HostName db.%h.internal\n  IdentitiesOnly yes\n', { SSH_AUTH_SOCK: '/agent' }));
    expect(t.address).toBe('db.db.internal');
    expect(t.agentSocket).toBeUndefined();
  });

  it('resolves host key checking: option > var > ANSIBLE_HOST_KEY_CHECKING > -o StrictHostKeyChecking > config', () => {
    const args = { ansible_ssh_common_args: '-o StrictHostKeyChecking=accept-new' };
    expect(resolveSshTarget('h', args, {}, ctx()).hostKeyChecking).toBe('accept-new');
    expect(resolveSshTarget('h', args, {}, ctx('', { ANSIBLE_HOST_KEY_CHECKING: 'False' })).hostKeyChecking).toBe('off');
    expect(resolveSshTarget('h', { ...args, ansible_host_key_checking: false }, {}, ctx()).hostKeyChecking).toBe('off');
    expect(resolveSshTarget('h', args, { hostKeyChecking: 'yes' }, ctx('', { ANSIBLE_HOST_KEY_CHECKING: 'False' })).hostKeyChecking).toBe('yes');
    expect(resolveSshTarget('h', {}, {}, ctx('Host *\n  StrictHostKeyChecking no\n')).hostKeyChecking).toBe('off');
  });

  it('puts extra known_hosts files first (accept-new writes there)', () => {
    const t = resolveSshTarget('h', { ansible_ssh_known_hosts_file: '/kh/var' }, { knownHostsFiles: ['/kh/opt'] }, ctx());
    expect(t.knownHostsFiles).toEqual(['/kh/var', '/kh/opt', '/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
  });

  it('builds a ProxyJump chain from -J, resolving each hop through ssh_config', () => {
    const config = 'Host b2\n  HostName 10.9.9.9\n  User hopper\n';
    const t = resolveSshTarget('web', { ansible_ssh_common_args: '-J admin@b1:2022,b2 -i /k/main -o UserKnownHostsFile=/kh' }, {}, ctx(config));
    expect(t.jump.map((j) => [j.user, j.address, j.port])).toEqual([
      ['admin', 'b1', 2022],
      ['hopper', '10.9.9.9', 22],
    ]);
    expect(t.jump[0].identityFiles).toContain('/k/main');
    expect(t.jump[0].knownHostsFiles).toEqual(['/kh']);
    expect(t.jump[0].password).toBeUndefined();
    expect(resolveSshTarget('web', {}, {}, ctx('Host web\n  ProxyJump none\n')).jump).toEqual([]);
  });

  it('rejects bad ports and timeouts as usage errors', () => {
    expect(() => resolveSshTarget('h', { ansible_port: 'abc' }, {}, ctx())).toThrow(UsageError);
    expect(() => resolveSshTarget('h', { ansible_ssh_common_args: "-o 'broken" }, {}, ctx())).toThrow(/cannot parse ssh arguments/);
  });

  it('parses jump hop forms', () => {
    expect(parseJumpHop('ssh://u@h:22')).toEqual({ user: 'u', host: 'h', port: 22 });
    expect(parseJumpHop('[::1]:2200')).toEqual({ user: undefined, host: '::1', port: 2200 });
    expect(parseJumpHop('host')).toEqual({ user: undefined, host: 'host', port: undefined });
  });
});
