/**
 * A fleet of real OpenSSH servers on loopback for tests.
 *
 * As root, every host is `/usr/sbin/sshd -D -e` inside `unshare -m -u`: its own hostname, host key,
 * sshd_config, and private copies of /etc/passwd, /etc/shadow, /etc/group, /etc/hosts, /etc/hostname,
 * /etc/sudoers.d and of each `privateDirs` entry (bind mounts that only that host sees). It listens on
 * 127.A.B.N:22. In the private /etc/passwd, root's login shell is /bin/sh, so sessions do not run
 * root's ~/.bashrc, and a user `tsbook` with a sudo password exists (for become tests).
 * Without root, each host is an unprivileged sshd on 127.0.0.1 with a high port, logging in as the
 * current user (no namespaces, no become user).
 *
 * Processes are started and stopped by PID only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readlinkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, chownSync, readdirSync, rmSync, openSync, closeSync, copyFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface FleetHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `ssh-ed25519 AAAA...` (no comment). */
  readonly hostKeyPubLine: string;
  readonly pid: number;
  readonly logFile: string;
  /** Host-private directory on the controller holding its config, keys and state. */
  readonly dir: string;
}

export interface FleetOptions {
  /** A count (hosts named host1..hostN) or the names. */
  readonly hosts: number | readonly string[];
  readonly maxSessions?: number;
  /** Extra sshd_config lines for every host. */
  readonly sshdConfig?: readonly string[];
  /** Directories each host gets a private (empty at start) copy of. Root only. */
  readonly privateDirs?: readonly string[];
}

export interface Fleet {
  readonly dir: string;
  readonly hosts: readonly FleetHost[];
  /** True when running as root with namespaces, false for the unprivileged fallback. */
  readonly privileged: boolean;
  /** The login user written in the inventory (root, or the current user without root). */
  readonly user: string;
  /** A user with a sudo password on every host; only when privileged. */
  readonly becomeUser?: { readonly name: string; readonly password: string };
  readonly clientKey: { readonly privateKeyFile: string; readonly publicKeyFile: string; readonly publicLine: string };
  /** known_hosts with every host's key, in the `[addr]:port` / `addr` form ssh looks up. */
  readonly knownHostsFile: string;
  /** INI inventory (group `fleet`) using the key, the known_hosts file and the login user. */
  readonly inventoryText: string;
  readonly inventoryFile: string;
  host(name: string): FleetHost;
  /** How many TCP connections the host's sshd has accepted so far (from its VERBOSE log). */
  connectionCount(name: string): number;
  /** Runs a shell command on the host as root (in its namespaces when privileged). */
  run(name: string, command: string): { rc: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export interface FleetSupport {
  readonly available: boolean;
  readonly privileged: boolean;
  readonly reason?: string;
}

/** Whether a fleet can start here. In CI a missing sshd is an error, never a skip. */
export function fleetSupport(): FleetSupport {
  const privileged = process.getuid?.() === 0;
  const missing = [SSHD, '/usr/bin/ssh-keygen'].filter((p) => !existsSync(p));
  if (privileged && !existsSync('/usr/bin/unshare')) missing.push('/usr/bin/unshare');
  if (missing.length > 0) {
    const reason = `OpenSSH fleet unavailable: missing ${missing.join(', ')} (install openssh-server)`;
    if (process.env.CI) throw new Error(`${reason}; required in CI`);
    return { available: false, privileged, reason };
  }
  return { available: true, privileged };
}

function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function keygen(file: string, comment: string): string {
  run('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const [type, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${b64}`;
}

function bindable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitListening(address: string, port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd for ${address}:${port} exited (${child.exitCode ?? child.signalCode}): ${readFileSync(logFile, 'utf8').trim()}`);
    }
    if (await accepts(address, port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`sshd for ${address}:${port} did not accept connections within 15s: ${readFileSync(logFile, 'utf8').trim()}`);
}

/** PIDs of every descendant of `pid` (sshd session processes), read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function mountNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** PIDs of every process in the mount namespace of `pid` (a privileged host), itself excluded. */
function namespaceMembers(pid: number): number[] {
  const ns = mountNamespace(pid);
  if (!ns || ns === mountNamespace(process.pid)) return [];
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== pid)
    .map(Number)
    .filter((p) => mountNamespace(p) === ns);
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function firstFreeId(file: string, from: number): number {
  const used = new Set(readFileSync(file, 'utf8').split('\n').map((l) => Number(l.split(':')[2])));
  let id = from;
  while (used.has(id)) id++;
  return id;
}

const BECOME_USER = 'tsbook';

function sshdConfig(opts: {
  address: string;
  port: number;
  hostKey: string;
  pidFile: string;
  authorizedKeys: string;
  maxSessions?: number;
  extra?: readonly string[];
  privileged: boolean;
}): string {
  return [
    `ListenAddress ${opts.address}:${opts.port}`,
    `HostKey ${opts.hostKey}`,
    `PidFile ${opts.pidFile}`,
    `AuthorizedKeysFile ${opts.authorizedKeys}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    opts.privileged ? 'PermitRootLogin yes' : '',
    'LogLevel VERBOSE',
    `MaxSessions ${opts.maxSessions ?? 10}`,
    'MaxStartups 200:30:400',
    'Subsystem sftp internal-sftp',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'AcceptEnv LANG LC_*',
    ...(opts.extra ?? []),
    '',
  ].filter((l, i, a) => l !== '' || i === a.length - 1).join('\n');
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const support = fleetSupport();
  if (!support.available) throw new Error(support.reason);
  const privileged = support.privileged;
  const names = typeof options.hosts === 'number' ? Array.from({ length: options.hosts }, (_, i) => `host${i + 1}`) : [...options.hosts];
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-fleet-'));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret');
  mkdirSync(secret, { mode: 0o700 });

  const clientKeyFile = join(dir, 'client_ed25519');
  const clientPub = keygen(clientKeyFile, 'tsbook-fleet-client');
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${clientPub}\n`, { mode: 0o644 });
  const loginUser = privileged ? 'root' : userInfo().username;

  // Addresses: 127.A.B.N:22 as root (A, B random so parallel fleets do not collide), else high ports.
  const addresses: Array<{ address: string; port: number }> = [];
  if (privileged) {
    for (let attempt = 0; attempt < 20 && addresses.length === 0; attempt++) {
      const a = randomInt(2, 250);
      const b = randomInt(1, 250);
      const candidate = names.map((_, i) => ({ address: `127.${a}.${b}.${i + 1}`, port: 22 }));
      const ok = await Promise.all(candidate.map((c) => bindable(c.address, c.port)));
      if (ok.every(Boolean)) addresses.push(...candidate);
    }
    if (addresses.length === 0) throw new Error('no free loopback address block for the fleet');
  } else {
    for (let i = 0; i < names.length; i++) addresses.push({ address: '127.0.0.1', port: await freePort() });
  }

  // Shared per-fleet identity files for the namespaces (root only).
  const becomePassword = `pw-${randomBytes(6).toString('hex')}`;
  let passwdBase = '';
  let shadowBase = '';
  let groupBase = '';
  let becomeUid = 0;
  if (privileged) {
    becomeUid = firstFreeId('/etc/passwd', 4242);
    const gid = firstFreeId('/etc/group', becomeUid);
    const hash = run('/usr/bin/openssl', ['passwd', '-6', '-stdin'], `${becomePassword}\n`).trim();
    passwdBase = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith(`${BECOME_USER}:`))
      .map((l) => (l.startsWith('root:') ? l.replace(/:[^:]*$/, ':/bin/sh') : l))
      .join('\n');
    passwdBase += `\n${BECOME_USER}:x:${becomeUid}:${gid}:tsbook fleet:HOME:/bin/sh\n`;
    shadowBase = readFileSync('/etc/shadow', 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith(`${BECOME_USER}:`)).join('\n');
    shadowBase += `\n${BECOME_USER}:${hash}:19000:0:99999:7:::\n`;
    groupBase = readFileSync('/etc/group', 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith(`${BECOME_USER}:`)).join('\n');
    groupBase += `\n${BECOME_USER}:x:${gid}:\n`;
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }

  const privateDirs = options.privateDirs ?? ['/etc/kubernetes', '/var/lib/tsbook-host'];
  const hosts: FleetHost[] = [];
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const h of hosts) {
      // Session processes, and (as root) anything left running in the host's namespace.
      const leftovers = new Set([...descendants(h.pid), ...(privileged ? namespaceMembers(h.pid) : [])]);
      for (const p of leftovers) killPid(p, 'SIGKILL');
      killPid(h.pid, 'SIGTERM');
    }
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  };

  try {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const { address, port } = addresses[i];
      const hdir = join(dir, `host-${name}`);
      mkdirSync(hdir, { mode: 0o755 });
      const hostKey = join(hdir, 'ssh_host_ed25519_key');
      const hostPub = keygen(hostKey, `${name}-host-key`);
      const logFile = join(hdir, 'sshd.log');
      const config = join(hdir, 'sshd_config');
      writeFileSync(config, sshdConfig({
        address, port, hostKey, pidFile: join(hdir, 'sshd.pid'), authorizedKeys,
        maxSessions: options.maxSessions, extra: options.sshdConfig, privileged,
      }));
      const logFd = openSync(logFile, 'a');
      let child: ChildProcess;
      if (privileged) {
        const etc = join(hdir, 'etc');
        const hsecret = join(secret, name);
        mkdirSync(etc);
        mkdirSync(hsecret, { mode: 0o700 });
        const home = join(hdir, 'home', BECOME_USER);
        mkdirSync(home, { recursive: true });
        chownSync(home, becomeUid, becomeUid);
        writeFileSync(join(etc, 'passwd'), passwdBase.replace(':HOME:', `:${home}:`), { mode: 0o644 });
        writeFileSync(join(hsecret, 'shadow'), shadowBase, { mode: 0o640 });
        writeFileSync(join(etc, 'group'), groupBase, { mode: 0o644 });
        writeFileSync(join(etc, 'hostname'), `${name}\n`, { mode: 0o644 });
        writeFileSync(join(etc, 'hosts'), `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${address} ${name}\n`, { mode: 0o644 });
        const sudoers = join(etc, 'sudoers.d');
        mkdirSync(sudoers, { mode: 0o755 });
        for (const f of existsSync('/etc/sudoers.d') ? readdirSync('/etc/sudoers.d') : []) {
          if (statSync(join('/etc/sudoers.d', f)).isFile()) copyFileSync(join('/etc/sudoers.d', f), join(sudoers, f));
        }
        writeFileSync(join(sudoers, 'tsbook-fleet'), `Defaults:${BECOME_USER} lecture=never\n${BECOME_USER} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
        const mounts: Array<[string, string]> = [
          [join(etc, 'passwd'), '/etc/passwd'],
          [join(hsecret, 'shadow'), '/etc/shadow'],
          [join(etc, 'group'), '/etc/group'],
          [join(etc, 'hostname'), '/etc/hostname'],
          [join(etc, 'hosts'), '/etc/hosts'],
          [sudoers, '/etc/sudoers.d'],
        ];
        for (const d of privateDirs) {
          const state = join(hdir, 'private', d.replace(/^\/+/, '').replace(/\//g, '_'));
          mkdirSync(state, { recursive: true });
          // The mount point must exist on the controller; it stays (empty) after the fleet stops.
          mkdirSync(d, { recursive: true });
          mounts.push([state, d]);
        }
        const script = [
          'set -e',
          `hostname ${name}`,
          ...mounts.map(([src, dst]) => `mount --bind '${src}' '${dst}'`),
          `exec ${SSHD} -D -e -f '${config}'`,
        ].join('\n');
        child = spawn('/usr/bin/unshare', ['-m', '-u', '--propagation', 'private', '/bin/sh', '-c', script], {
          stdio: ['ignore', logFd, logFd],
        });
      } else {
        child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', logFd, logFd] });
      }
      closeSync(logFd);
      children.push(child);
      if (child.pid === undefined) throw new Error(`could not start sshd for ${name}`);
      hosts.push({ name, address, port, hostKeyPubLine: hostPub, pid: child.pid, logFile, dir: hdir });
    }
    await Promise.all(hosts.map((h, i) => waitListening(h.address, h.port, children[i], h.logFile)));
  } catch (e) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, hosts.map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKeyPubLine}\n`).join(''));
  const commonArgs = `-o UserKnownHostsFile=${knownHostsFile} -o StrictHostKeyChecking=yes`;
  const inventoryText = [
    '[fleet]',
    ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`),
    '',
    '[fleet:vars]',
    `ansible_user=${loginUser}`,
    `ansible_ssh_private_key_file=${clientKeyFile}`,
    `ansible_ssh_common_args='${commonArgs}'`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
  const inventoryFile = join(dir, 'inventory.ini');
  writeFileSync(inventoryFile, inventoryText);

  let stopped = false;
  const fleet: Fleet = {
    dir,
    hosts,
    privileged,
    user: loginUser,
    becomeUser: privileged ? { name: BECOME_USER, password: becomePassword } : undefined,
    clientKey: { privateKeyFile: clientKeyFile, publicKeyFile: `${clientKeyFile}.pub`, publicLine: clientPub },
    knownHostsFile,
    inventoryText,
    inventoryFile,
    host(name: string): FleetHost {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no fleet host ${name}`);
      return h;
    },
    connectionCount(name: string): number {
      const log = readFileSync(fleet.host(name).logFile, 'utf8');
      return (log.match(/^Connection from .* port \d+ on /gm) ?? []).length;
    },
    run(name: string, command: string) {
      const h = fleet.host(name);
      const r = privileged
        ? spawnSync('/usr/bin/nsenter', ['-t', String(h.pid), '-m', '-u', '/bin/sh', '-c', command], { encoding: 'utf8' })
        : spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
      return { rc: r.status ?? 255, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/**
 * Waits until every host's log shows the readiness probe's connection (startFleet connects once to see
 * that sshd listens; sshd may log that connection a little later). Take `connectionCount` baselines
 * after this, or the probe can land inside a measured interval. Gives up quietly after `timeoutMs`.
 */
export async function settleConnectionLogs(fleet: Fleet, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fleet.hosts.every((h) => fleet.connectionCount(h.name) >= 1)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
