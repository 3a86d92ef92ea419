import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BecomeError } from '../../src/model/errors.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { fleetSupport, startFleet, type Fleet, type FleetHost } from '../support/fleet.js';
import { createConnection, defaultResolveContext, resolveSshTarget, type ConnectionOptions } from '../../src/connection/factory.js';
import { ExecTimeoutError, SshConnection } from '../../src/connection/ssh.js';
import type { Connection } from '../../src/connection/types.js';
import { UnreachableError } from '../../src/model/errors.js';

const support = fleetSupport();
const becomeSkip = !support.privileged && !process.env.CI;

let fleet: Fleet;
let limited: Fleet;
let scratch: string;
const opened: Connection[] = [];

function vars(h: FleetHost, extra: Record<string, unknown> = {}, f: Fleet = fleet): Record<string, unknown> {
  return {
    ansible_host: h.address,
    ansible_port: h.port,
    ansible_user: f.user,
    ansible_ssh_private_key_file: f.clientKey.privateKeyFile,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${f.knownHostsFile}`,
    ...extra,
  };
}

function conn(h: FleetHost, extra: Record<string, unknown> = {}, options: ConnectionOptions = {}, f: Fleet = fleet): Connection {
  const c = createConnection(h.name, vars(h, extra, f), options);
  opened.push(c);
  return c;
}

async function unreachable(p: Promise<unknown>): Promise<UnreachableError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UnreachableError);
    return e as UnreachableError;
  }
  throw new Error('expected an UnreachableError');
}

function fingerprint(pubLine: string): string {
  const blob = Buffer.from(pubLine.split(' ')[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function otherEd25519Line(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), raw]);
  return `ssh-ed25519 ${blob.toString('base64')}`;
}

beforeAll(async () => {
  if (!support.available) throw new Error(support.reason);
  scratch = mkdtempSync(join(tmpdir(), 'tsbook-ssh-test-'));
  [fleet, limited] = await Promise.all([startFleet({ hosts: 3 }), startFleet({ hosts: ['limited'], maxSessions: 2 })]);
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await Promise.all([fleet?.stop(), limited?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!support.available)('SshConnection against real sshd', () => {
  it('runs commands with rc, stdout, stderr, stdin, env and cwd', async () => {
    const h = fleet.hosts[0];
    const c = conn(h);
    expect(await c.exec('echo out; echo err >&2; exit 3')).toEqual({ rc: 3, stdout: 'out\n', stderr: 'err\n' });
    const r = await c.exec('cat; pwd; printf "%s|%s" "$GREETING" "$OTHER"', { stdin: 'from stdin\n', cwd: '/etc', env: { GREETING: "it's a b", OTHER: '$HOME' } });
    expect(r).toEqual({ rc: 0, stdout: "from stdin\n/etc\nit's a b|$HOME", stderr: '' });
    expect((await c.exec('cd /nonexistent-dir-xyz', {})).rc).not.toBe(0);
    const chunks: string[] = [];
    await c.exec('echo streamed', { onStdout: (b) => chunks.push(b.toString()) });
    expect(chunks.join('')).toBe('streamed\n');
  });

  it('reaches distinct hosts: own hostname and private state directories', async () => {
    const [a, b] = fleet.hosts;
    const ca = conn(a);
    const cb = conn(b);
    expect((await ca.exec('hostname')).stdout.trim()).toBe(a.name);
    expect((await cb.exec('hostname')).stdout.trim()).toBe(b.name);
    await ca.exec('echo only-a > /var/lib/tsbook-host/marker');
    expect((await cb.exec('cat /var/lib/tsbook-host/marker')).rc).not.toBe(0);
    expect((await ca.exec('cat /var/lib/tsbook-host/marker')).stdout).toBe('only-a\n');
  });

  it('runs 20 execs over one TCP connection', async () => {
    const h = fleet.hosts[1];
    const before = fleet.connectionCount(h.name);
    const c = conn(h);
    for (let i = 0; i < 20; i++) expect((await c.exec(`echo ${i}`)).stdout).toBe(`${i}\n`);
    await c.put({ content: 'x' }, '/tmp/tsbook-one-conn');
    await c.get('/tmp/tsbook-one-conn');
    expect(fleet.connectionCount(h.name)).toBe(before + 1);
  });

  it('queues channels past MaxSessions 2: 10 concurrent execs all succeed', async () => {
    const h = limited.hosts[0];
    const before = limited.connectionCount(h.name);
    const c = conn(h, {}, {}, limited);
    await c.put({ content: 'sftp holds a session' }, '/tmp/tsbook-limited');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(results.every((r) => r.rc === 0)).toBe(true);
    expect((await c.get('/tmp/tsbook-limited')).toString()).toBe('sftp holds a session');
    expect(limited.connectionCount(h.name)).toBe(before + 1);
  });

  it('puts and gets files with mode, creating parent directories, atomically replacing', async () => {
    const c = conn(fleet.hosts[2]);
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    await c.put({ content: binary }, '/var/lib/tsbook-host/deep/dir/blob.bin', { mode: '0640' });
    expect((await c.exec('stat -c %a /var/lib/tsbook-host/deep/dir/blob.bin')).stdout.trim()).toBe('640');
    expect((await c.get('/var/lib/tsbook-host/deep/dir/blob.bin')).equals(binary)).toBe(true);
    const local = join(scratch, 'src.txt');
    writeFileSync(local, 'from a local file\n');
    await c.put({ localPath: local }, '/var/lib/tsbook-host/deep/dir/blob.bin');
    expect((await c.exec('stat -c %a /var/lib/tsbook-host/deep/dir/blob.bin')).stdout.trim()).toBe('640');
    const back = join(scratch, 'fetched', 'copy.txt');
    expect((await c.get('/var/lib/tsbook-host/deep/dir/blob.bin', back)).toString()).toBe('from a local file\n');
    expect(readFileSync(back, 'utf8')).toBe('from a local file\n');
    await c.put({ content: 'owned' }, '/tmp/tsbook-owned', { mode: 0o600, owner: 'nobody' });
    expect((await c.exec('stat -c %U:%a /tmp/tsbook-owned')).stdout.trim()).toBe('nobody:600');
    expect((await c.exec('ls /var/lib/tsbook-host/deep/dir')).stdout).toBe('blob.bin\n');
    await expect(c.get('/nonexistent/file')).rejects.toThrow(/nonexistent\/file/);
  });

  it('kills the remote process group on timeout and on abort', async () => {
    const h = fleet.hosts[0];
    const c = conn(h);
    await expect(c.exec("sh -c 'sleep 987' & sleep 988; echo never", { timeout: 1 })).rejects.toBeInstanceOf(ExecTimeoutError);
    expect(fleet.run(h.name, "ps -eo args | grep -c '^sleep 98[78]'").stdout.trim()).toBe('0');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await c.exec('sleep 989 & sleep 989', { signal: ac.signal });
    expect(r.rc).toBe(137);
    expect(fleet.run(h.name, "ps -eo args | grep -c '^sleep 989'").stdout.trim()).toBe('0');
    expect((await c.exec('echo still usable')).stdout).toBe('still usable\n');
  });

  it('refuses an unknown host key, naming its fingerprint', async () => {
    const h = fleet.hosts[0];
    const empty = join(scratch, 'empty_known_hosts');
    writeFileSync(empty, '');
    const e = await unreachable(conn(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${empty}` }).exec('true'));
    expect(e.message).toContain(`host key for ${h.address}:${h.port} is unknown (ED25519 ${fingerprint(h.hostKeyPubLine)})`);
    expect(e.message).toContain('--host-key-checking accept-new');
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('refuses a changed host key with a man-in-the-middle warning', async () => {
    const h = fleet.hosts[1];
    const kh = join(scratch, 'changed_known_hosts');
    writeFileSync(kh, `${h.address} ${otherEd25519Line()}\n`);
    const e = await unreachable(conn(h, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` }, { hostKeyChecking: 'accept-new' }).exec('true'));
    expect(e.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(e.message).toContain(fingerprint(h.hostKeyPubLine));
    expect(e.message).toContain(`${kh}:1`);
  });

  it('accept-new learns a new key, then enforces it', async () => {
    const h = fleet.hosts[2];
    const kh = join(scratch, 'learned_known_hosts');
    const args = { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=accept-new` };
    expect((await conn(h, args).exec('hostname')).stdout.trim()).toBe(h.name);
    expect(readFileSync(kh, 'utf8')).toBe(`${h.address} ${h.hostKeyPubLine}\n`);
    expect((await conn(h, args).exec('true')).rc).toBe(0);
    writeFileSync(kh, `${h.address} ${otherEd25519Line()}\n`);
    const e = await unreachable(conn(h, args).exec('true'));
    expect(e.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
  });

  it('connects without checking when host key checking is off', async () => {
    const h = fleet.hosts[2];
    const c = conn(h, { ansible_ssh_common_args: '-o UserKnownHostsFile=/dev/null' }, { hostKeyChecking: 'off' });
    expect((await c.exec('hostname')).stdout.trim()).toBe(h.name);
  });

  it('classifies connection refused, DNS failure, silent server and blackholed port', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await unreachable(createConnection('r', { ansible_host: '127.0.0.1', ansible_port: closedPort }).exec('true'));
    expect(refused.message).toBe(`ssh: connection to 127.0.0.1:${closedPort} refused`);

    const dns = await unreachable(createConnection('d', { ansible_host: 'nonexistent.invalid' }).exec('true'));
    expect(dns.message).toMatch(/^ssh: could not resolve hostname nonexistent\.invalid/);

    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as { port: number }).port;
      const e = await unreachable(createConnection('s', { ansible_host: '127.0.0.1', ansible_port: port }, { timeout: 1 }).exec('true'));
      expect(e.message).toBe(`ssh: 127.0.0.1:${port} accepted the connection but sent no SSH greeting within 1s`);
    } finally {
      silent.close();
    }

    // A listening socket whose accept queue is full drops SYNs: the TCP connect itself times out.
    const py = spawn('/usr/bin/python3', ['-c', [
      'import socket, sys, time',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0); port = s.getsockname()[1]",
      'fill = []',
      'for i in range(4):',
      '    c = socket.socket(); c.setblocking(False)',
      '    try: c.connect(("127.0.0.1", port))',
      '    except BlockingIOError: pass',
      '    fill.append(c)',
      'time.sleep(0.3); print(port, flush=True); time.sleep(60)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve) => createInterface({ input: py.stdout! }).once('line', (l) => resolve(Number(l))));
      const e = await unreachable(createConnection('b', { ansible_host: '127.0.0.1', ansible_port: port }, { timeout: 1 }).exec('true'));
      expect(e.message).toBe(`ssh: connection to 127.0.0.1:${port} timed out after 1s`);
    } finally {
      killChild(py);
    }
  });

  it('reports authentication failure with what was tried', async () => {
    const h = fleet.hosts[0];
    const key = join(scratch, 'stranger');
    spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const e = await unreachable(conn(h, { ansible_ssh_private_key_file: key }, {}).exec('true'));
    expect(e.message).toMatch(/^ssh: authentication failed for /);
    expect(e.message).toContain(`${fleet.user}@${h.address}:${h.port} (tried `);
    expect(e.message).toContain(`key ${key})`);
  });

  it('uses encrypted keys with a passphrase callback, and explains when there is none', async () => {
    const h = fleet.hosts[1];
    const key = join(scratch, 'encrypted');
    spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'sekrit', '-f', key]);
    appendFileSync(join(fleet.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
    const without = await unreachable(conn(h, { ansible_ssh_private_key_file: key }).exec('true'));
    expect(without.message).toContain(`key ${key} is encrypted; run tsbook from a terminal to be asked for its passphrase, or add the key to ssh-agent`);
    const wrong = await unreachable(conn(h, { ansible_ssh_private_key_file: key }, { askPassphrase: async () => 'nope' }).exec('true'));
    expect(wrong.message).toContain(`wrong passphrase for key ${key}`);
    const asked: string[] = [];
    const c = conn(h, { ansible_ssh_private_key_file: key }, { askPassphrase: async (f) => { asked.push(f); return 'sekrit'; } });
    expect((await c.exec('echo ok')).stdout).toBe('ok\n');
    expect(asked).toEqual([key]);
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK)', async () => {
    const h = fleet.hosts[2];
    const sock = join(scratch, 'agent.sock');
    const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      const add = spawnSync('/usr/bin/ssh-add', [fleet.clientKey.privateKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      expect(add.status).toBe(0);
      const ctx = { ...defaultResolveContext(), env: { SSH_AUTH_SOCK: sock }, fileExists: () => false };
      const target = resolveSshTarget(h.name, { ansible_host: h.address, ansible_port: h.port, ansible_user: fleet.user, ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile}` }, {}, ctx);
      expect(target.identityFiles).toEqual([]);
      const c = new SshConnection(target);
      opened.push(c);
      expect((await c.exec('hostname')).stdout.trim()).toBe(h.name);
    } finally {
      killChild(agent);
    }
  });

  it('connects through a ProxyJump bastion', async () => {
    const [bastion, target] = fleet.hosts;
    const beforeB = fleet.connectionCount(bastion.name);
    const beforeT = fleet.connectionCount(target.name);
    const c = conn(target, {
      ansible_host: target.address,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile} -J ${fleet.user}@${bastion.address}:${bastion.port}`,
    });
    expect((await c.exec('hostname')).stdout.trim()).toBe(target.name);
    expect((await c.exec('echo again')).stdout).toBe('again\n');
    expect(fleet.connectionCount(bastion.name)).toBe(beforeB + 1);
    expect(fleet.connectionCount(target.name)).toBe(beforeT + 1);

    const e = await unreachable(conn(target, { ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile} -J nobody-here@127.0.0.1:1` }).exec('true'));
    expect(e.message).toMatch(/^ssh: via jump host nobody-here@127\.0\.0\.1:1: connection to 127\.0\.0\.1:1 refused/);
  });

  it.skipIf(becomeSkip)('becomes root with a sudo password that never shows up in output', async () => {
    const b = fleet.becomeUser;
    if (!b) throw new Error('the fleet has no become user (not running as root)');
    const h = fleet.hosts[2];
    const c = conn(h, { ansible_user: b.name });
    const become = { user: 'root', method: 'sudo' as const, password: b.password };
    expect((await c.exec('id -un')).stdout).toBe(`${b.name}\n`);
    const r = await c.exec('id -un; cat; echo err >&2', { become, stdin: 'piped', env: { X: 'y' } });
    expect(r).toEqual({ rc: 0, stdout: 'root\npiped', stderr: 'err\n' });
    // Ansible's messages for a refused sudo, as typed errors the task reports as its failure
    const bad = await c.exec('id -un', { become: { ...become, password: 'wrong' } }).then(() => undefined, (e: unknown) => e);
    expect(bad).toBeInstanceOf(BecomeError);
    expect((bad as Error).message).toBe('Incorrect sudo password');
    const none = await c.exec('id -un', { become: { user: 'root', method: 'sudo' } }).then(() => undefined, (e: unknown) => e);
    expect(none).toBeInstanceOf(BecomeError);
    expect((none as Error).message).toBe('Missing sudo password');
    // the command's own failure is not mistaken for sudo's
    expect(await c.exec('echo no >&2; exit 3', { become })).toEqual({ rc: 3, stdout: '', stderr: 'no\n' });
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(b.password);

    await c.put({ content: 'root data\n' }, '/var/lib/tsbook-host/become/secret.txt', { mode: '0600', become });
    expect((await c.exec('stat -c %U:%a /var/lib/tsbook-host/become/secret.txt', { become })).stdout.trim()).toBe('root:600');
    await expect(c.get('/var/lib/tsbook-host/become/secret.txt')).rejects.toThrow();
    expect((await c.get('/var/lib/tsbook-host/become/secret.txt', undefined, { become })).toString()).toBe('root data\n');

    await expect(c.exec('sleep 986 & sleep 986', { become, timeout: 1 })).rejects.toBeInstanceOf(ExecTimeoutError);
    expect(fleet.run(h.name, "ps -eo args | grep -c '^sleep 986'").stdout.trim()).toBe('0');
  });

  it.skipIf(becomeSkip)('authenticates with a password', async () => {
    const b = fleet.becomeUser;
    if (!b) throw new Error('the fleet has no password user (not running as root)');
    const h = fleet.hosts[0];
    const c = conn(h, { ansible_user: b.name, ansible_ssh_private_key_file: '/nonexistent/key', ansible_password: b.password });
    expect((await c.exec('id -un')).stdout).toBe(`${b.name}\n`);
    const e = await unreachable(conn(h, { ansible_user: b.name, ansible_ssh_private_key_file: '/nonexistent/key', ansible_password: 'bad' }).exec('true'));
    expect(e.message).toContain('authentication failed');
    expect(e.message).toContain('password');
  });
});

function killChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

if (becomeSkip) {
  describe('become tests', () => {
    it('are skipped: the fleet needs root to create a sudo user (never skipped in CI)', () => {
      expect(support.privileged).toBe(false);
    });
  });
}
