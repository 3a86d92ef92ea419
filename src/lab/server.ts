/**
 * The lab's SSH servers: one ssh2 `Server` per simulated host, all in one process, on loopback.
 * Public-key auth with the lab client key for the configured user only.
 */
import { mkdirSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, ClientInfo, Connection, ParsedKey, Session } from 'ssh2';
import { serveSftp } from './sftp.js';
import { killGroup, runOnChannel, type RunningCommand } from './exec.js';

const { Server, utils } = ssh2;
type SshServer = InstanceType<typeof Server>;

export interface LabServerHost {
  readonly name: string;
  /** HOME and cwd of every command; `<stateDir>/bin` comes first on PATH. */
  readonly stateDir: string;
  /** OpenSSH private host key text. */
  readonly hostKey: string;
  /** Port to listen on; 0 or absent picks a free one. */
  readonly port?: number;
}

export interface LabServerOptions {
  /** A 127.0.0.0/8 address. */
  readonly address: string;
  readonly labDir: string;
  /** Shared tools directory, on PATH after each host's own bin/. */
  readonly binDir: string;
  /** The only user name accepted. */
  readonly user: string;
  /** `ssh-ed25519 AAAA...`: the only key accepted. */
  readonly clientPublicKey: string;
  readonly hosts: readonly LabServerHost[];
  /** PATH entries after the lab's (default: this process's PATH). */
  readonly basePath?: string;
  readonly log?: (line: string) => void;
}

export interface ListeningHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface RunningLab {
  readonly hosts: readonly ListeningHost[];
  /** Stops listening, drops every connection and kills every command still running. */
  close(): Promise<void>;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Names a client `env` request may not set: they define which host a command runs on. */
const RESERVED_ENV = new Set(['HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'HOSTNAME', 'TSBOOK_LAB_HOSTNAME', 'TSBOOK_LAB_DIR']);

export function isLoopbackAddress(address: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}

function findBash(): string {
  for (const p of ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash']) if (existsSync(p)) return p;
  return 'bash';
}

function parsePublicKey(line: string): ParsedKey {
  const key = utils.parseKey(line);
  if (key instanceof Error) throw new Error(`lab client key: ${key.message}`);
  return key;
}

/** Accepts only `user` with `key`; a signature-less query for that key is answered positively. */
export function authenticate(ctx: AuthContext, user: string, key: ParsedKey): void {
  if (ctx.method !== 'publickey' || ctx.username !== user) return ctx.reject(['publickey']);
  if (ctx.key.algo !== key.type || !ctx.key.data.equals(key.getPublicSSH())) return ctx.reject(['publickey']);
  if (ctx.signature === undefined) return ctx.accept();
  if (ctx.blob !== undefined && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
  return ctx.reject(['publickey']);
}

interface HostRuntime {
  readonly host: LabServerHost;
  readonly options: LabServerOptions;
  readonly shell: string;
  readonly clientKey: ParsedKey;
  readonly groups: Set<number>;
  readonly clients: Set<Connection>;
  port: number;
}

function sessionEnv(rt: HostRuntime, info: ClientInfo, requested: ReadonlyMap<string, string>): Record<string, string> {
  const { host, options } = rt;
  const env: Record<string, string> = {};
  for (const k of ['LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  for (const [k, v] of requested) env[k] = v;
  Object.assign(env, {
    HOME: host.stateDir,
    PATH: `${join(host.stateDir, 'bin')}:${options.binDir}:${options.basePath ?? process.env.PATH ?? DEFAULT_PATH}`,
    USER: options.user,
    LOGNAME: options.user,
    SHELL: rt.shell,
    HOSTNAME: host.name,
    TSBOOK_LAB_HOSTNAME: host.name,
    TSBOOK_LAB_DIR: options.labDir,
    SSH_CONNECTION: `${info.ip} ${info.port} ${options.address} ${rt.port}`,
  });
  return env;
}

function handleSession(rt: HostRuntime, session: Session, info: ClientInfo): void {
  const requested = new Map<string, string>();
  let running: RunningCommand | undefined;
  const log = rt.options.log ?? (() => undefined);
  const ctx = () => {
    mkdirSync(join(rt.host.stateDir, 'bin'), { recursive: true });
    return {
      shell: rt.shell,
      cwd: rt.host.stateDir,
      env: sessionEnv(rt, info, requested),
      track: (pgid: number, done: boolean) => (done ? rt.groups.delete(pgid) : rt.groups.add(pgid)),
    };
  };

  session.on('env', (accept, reject, e) => {
    if (RESERVED_ENV.has(e.key) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key)) return reject?.();
    requested.set(e.key, e.val);
    accept?.();
  });
  // No terminals: the client goes on without one (OpenSSH prints "PTY allocation request failed").
  session.on('pty', (_accept, reject) => reject?.());
  session.on('x11', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());
  session.on('window-change', (_accept, reject) => reject?.());
  session.on('exec', (accept, _reject, e) => {
    log(`${rt.host.name}: exec ${e.command.length > 300 ? `${e.command.slice(0, 300)}...` : e.command}`);
    running = runOnChannel(accept(), ['-c', e.command], ctx());
  });
  session.on('shell', (accept) => {
    log(`${rt.host.name}: shell`);
    running = runOnChannel(accept(), [], ctx());
  });
  session.on('signal', (accept, reject, e) => {
    if (running?.signal(e.name)) accept?.();
    else reject?.();
  });
  session.on('sftp', (accept) => {
    log(`${rt.host.name}: sftp`);
    serveSftp(accept(), rt.host.stateDir);
  });
  session.on('subsystem', (_accept, reject) => reject?.());
}

function listen(server: SshServer, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** Starts every host's server; resolves once all listen. On failure, the ones started are closed. */
export async function startLabServers(options: LabServerOptions): Promise<RunningLab> {
  if (!isLoopbackAddress(options.address)) throw new Error(`lab address ${options.address} is not in 127.0.0.0/8`);
  const clientKey = parsePublicKey(options.clientPublicKey);
  const shell = findBash();
  const log = options.log ?? (() => undefined);
  const runtimes: HostRuntime[] = [];
  const servers: SshServer[] = [];

  const close = async (): Promise<void> => {
    for (const rt of runtimes) {
      for (const pgid of rt.groups) killGroup(pgid, 'SIGKILL');
      for (const c of rt.clients) c.end();
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };

  try {
    for (const host of options.hosts) {
      mkdirSync(join(host.stateDir, 'bin'), { recursive: true });
      const rt: HostRuntime = { host, options, shell, clientKey, groups: new Set(), clients: new Set(), port: 0 };
      const server = new Server({ hostKeys: [host.hostKey], ident: 'tsbook-lab' }, (client, info) => {
        rt.clients.add(client);
        client.on('close', () => rt.clients.delete(client));
        client.on('error', (e: Error) => log(`${host.name}: connection from ${info.ip}:${info.port}: ${e.message}`));
        client.on('authentication', (ctx) => authenticate(ctx, options.user, clientKey));
        client.on('ready', () => {
          client.on('session', (accept) => handleSession(rt, accept(), info));
        });
      });
      server.on('error', (e: Error) => log(`${host.name}: server error: ${e.message}`));
      servers.push(server);
      runtimes.push(rt);
      rt.port = await listen(server, options.address, host.port ?? 0);
      log(`${host.name}: listening on ${options.address}:${rt.port}`);
    }
  } catch (e) {
    await close();
    throw e;
  }

  return {
    hosts: runtimes.map((rt) => ({ name: rt.host.name, address: options.address, port: rt.port })),
    close,
  };
}
