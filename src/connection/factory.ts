import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { UsageError } from '../model/errors.js';
import type { Connection } from './types.js';
import { LocalConnection } from './local.js';
import { SshConnection, type SshTarget } from './ssh.js';
import type { HostKeyChecking } from './known-hosts.js';
import { wildcardMatch } from './known-hosts.js';
import { allOptions, firstOption, parseSshArgs, splitShellWords, type SshArgs } from './ssh-args.js';
import { expandTokens, parseSshConfig, resolveSshConfig, type ResolvedSshConfig, type SshConfigSection } from './ssh-config.js';

export interface ConnectionOptions {
  /** Connect timeout in seconds (`--timeout`); default 10. */
  readonly timeout?: number;
  /** `--host-key-checking`; wins over vars, ANSIBLE_HOST_KEY_CHECKING and ssh options. */
  readonly hostKeyChecking?: HostKeyChecking;
  /** `--private-key`; ansible_ssh_private_key_file wins. */
  readonly privateKey?: string;
  /** `--ask-pass`; ansible_password wins. */
  readonly password?: string;
  /** `-u`; ansible_user wins. */
  readonly user?: string;
  /** Extra known_hosts files, read before the user's (accept-new appends to the first). */
  readonly knownHostsFiles?: readonly string[];
  /** `-c`; ansible_connection wins. */
  readonly connection?: string;
  /** Asked for the passphrase of an encrypted key; without it such keys are skipped with a clear message. */
  readonly askPassphrase?: (keyFile: string) => Promise<string | undefined>;
}

/** Where the resolver looks for the controller's environment; tests pass their own. */
export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly localUser: string;
  /** Parsed ssh_config sections of a file (empty when it does not exist). */
  readonly readConfig: (file: string) => readonly SshConfigSection[];
  readonly fileExists: (file: string) => boolean;
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const SSH_PLUGINS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh']);

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

function firstVar(vars: Readonly<Record<string, unknown>>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = str(vars[n]);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function boolish(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = str(v)?.trim().toLowerCase();
  if (s === undefined) return undefined;
  if (['true', 'yes', 'on', '1', 'y', 't'].includes(s)) return true;
  if (['false', 'no', 'off', '0', 'n', 'f'].includes(s)) return false;
  return undefined;
}

/** Maps StrictHostKeyChecking values to tsbook's modes. */
export function hostKeyCheckingFromSsh(value: string | undefined): HostKeyChecking | undefined {
  switch (value?.toLowerCase()) {
    case 'yes':
    case 'ask':
      return 'yes';
    case 'accept-new':
      return 'accept-new';
    case 'no':
    case 'off':
      return 'off';
    default:
      return undefined;
  }
}

/** The connection plugin a host uses: 'local' or 'ssh'. */
export function connectionKind(host: string, vars: Readonly<Record<string, unknown>>, option?: string): 'local' | 'ssh' {
  const raw = firstVar(vars, 'ansible_connection') ?? option;
  if (raw === undefined) {
    return LOCAL_NAMES.has(host) && firstVar(vars, 'ansible_host', 'ansible_ssh_host') === undefined ? 'local' : 'ssh';
  }
  const name = raw.replace(/^ansible\.builtin\./, '');
  if (name === 'local') return 'local';
  if (SSH_PLUGINS.has(name)) return 'ssh';
  throw new UsageError(`the connection plugin '${raw}' was not found (tsbook supports local and ssh)`);
}

/** Parses one ProxyJump hop: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export function parseJumpHop(spec: string): { user?: string; host: string; port?: number } {
  let s = spec.trim().replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    s = bracket[1];
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      s = m[1];
      port = Number(m[2]);
    }
  }
  return { user, host: s, port };
}

function parsePort(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`invalid ${what} '${value}'`);
  return n;
}

function parseSeconds(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`invalid ${what} '${value}'`);
  return n;
}

function sshArgsFromVars(vars: Readonly<Record<string, unknown>>): SshArgs {
  try {
    return parseSshArgs(
      firstVar(vars, 'ansible_ssh_args'),
      firstVar(vars, 'ansible_ssh_common_args'),
      firstVar(vars, 'ansible_ssh_extra_args'),
    );
  } catch (e) {
    throw new UsageError(`cannot parse ssh arguments: ${(e as Error).message}`);
  }
}

/**
 * Resolves an inventory host and its vars into an SshTarget, with Ansible's and OpenSSH's precedence:
 * connection vars, then command-line options, then -o options in ansible_ssh_args/common/extra args
 * (first wins), then ssh_config, then defaults.
 */
export function resolveSshTarget(
  host: string,
  vars: Readonly<Record<string, unknown>>,
  options: ConnectionOptions,
  ctx: ResolveContext,
): SshTarget {
  const args = sshArgsFromVars(vars);
  const destination = firstVar(vars, 'ansible_host', 'ansible_ssh_host') ?? host;
  const configFile = firstOption(args, 'configfile');
  const sections = configFile
    ? ctx.readConfig(expandHome(configFile, ctx.home))
    : [...ctx.readConfig(join(ctx.home, '.ssh', 'config')), ...ctx.readConfig('/etc/ssh/ssh_config')];
  return resolveHop(destination, host, vars, args, sections, options, ctx, false);
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

function resolveHop(
  destination: string,
  name: string,
  vars: Readonly<Record<string, unknown>>,
  args: SshArgs,
  sections: readonly SshConfigSection[],
  options: ConnectionOptions,
  ctx: ResolveContext,
  isJump: boolean,
): SshTarget {
  const cfg: ResolvedSshConfig = resolveSshConfig(sections, destination);
  const cfgValue = (k: string): string | undefined => cfg.values.get(k);

  const port =
    (isJump ? undefined : parsePort(firstVar(vars, 'ansible_port', 'ansible_ssh_port'), 'ansible_port')) ??
    parsePort(isJump ? undefined : firstOption(args, 'port'), 'ssh port') ??
    parsePort(cfgValue('port'), 'Port in ssh config') ??
    22;
  const user =
    (isJump ? undefined : firstVar(vars, 'ansible_user', 'ansible_ssh_user') ?? options.user ?? firstOption(args, 'user')) ??
    cfgValue('user') ??
    ctx.localUser;
  const tokenCtx = { host: destination, originalHost: destination, port, remoteUser: user, localUser: ctx.localUser, home: ctx.home };
  const hostName = cfgValue('hostname');
  const address = hostName ? expandTokens(hostName, tokenCtx) : destination;
  const tokens = { ...tokenCtx, host: address };

  // Identity files: explicit ones (var or --private-key, then -i/-o IdentityFile), then ssh_config.
  const explicitKey = firstVar(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file') ?? options.privateKey;
  const identityFiles: string[] = [];
  for (const f of [explicitKey, ...allOptions(args, 'identityfile')]) {
    if (f) identityFiles.push(expandTokens(f, tokens));
  }
  for (const f of cfg.identityFiles) identityFiles.push(expandTokens(f, tokens));
  if (identityFiles.length === 0) {
    for (const f of ['id_ed25519', 'id_rsa', 'id_ecdsa']) {
      const p = join(ctx.home, '.ssh', f);
      if (ctx.fileExists(p)) identityFiles.push(p);
    }
  }
  const uniqueIdentities = [...new Set(identityFiles.map((f) => (isAbsolute(f) ? f : join(ctx.home, f))))];

  const identitiesOnly = (firstOption(args, 'identitiesonly') ?? cfgValue('identitiesonly'))?.toLowerCase() === 'yes';
  const identityAgent = firstOption(args, 'identityagent') ?? cfgValue('identityagent');
  const agentSocket = identitiesOnly || identityAgent?.toLowerCase() === 'none'
    ? undefined
    : identityAgent && identityAgent !== 'SSH_AUTH_SOCK'
      ? expandTokens(identityAgent.replace(/^\$SSH_AUTH_SOCK$/, ctx.env.SSH_AUTH_SOCK ?? ''), tokens) || undefined
      : ctx.env.SSH_AUTH_SOCK || undefined;

  const envChecking = ctx.env.ANSIBLE_HOST_KEY_CHECKING !== undefined ? boolish(ctx.env.ANSIBLE_HOST_KEY_CHECKING) : undefined;
  const varChecking = boolish(vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking);
  const hostKeyChecking: HostKeyChecking =
    options.hostKeyChecking ??
    (varChecking === false ? 'off' : undefined) ??
    (envChecking === false ? 'off' : undefined) ??
    hostKeyCheckingFromSsh(firstOption(args, 'stricthostkeychecking')) ??
    hostKeyCheckingFromSsh(cfgValue('stricthostkeychecking')) ??
    'yes';

  const userFilesRaw = firstOption(args, 'userknownhostsfile') ?? cfgValue('userknownhostsfile');
  const userFiles = userFilesRaw
    ? splitShellWords(userFilesRaw).filter((f) => f.toLowerCase() !== 'none').map((f) => expandTokens(f, tokens))
    : [join(ctx.home, '.ssh', 'known_hosts'), join(ctx.home, '.ssh', 'known_hosts2')];
  const extra = [firstVar(vars, 'ansible_ssh_known_hosts_file'), ...(options.knownHostsFiles ?? [])].filter((f): f is string => !!f).map((f) => expandTokens(f, tokens));
  const knownHostsFiles = [...new Set([...extra, ...userFiles])];
  const globalRaw = firstOption(args, 'globalknownhostsfile') ?? cfgValue('globalknownhostsfile');
  const globalKnownHostsFiles = globalRaw ? splitShellWords(globalRaw).map((f) => expandTokens(f, tokens)) : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

  const connectTimeout =
    (isJump ? undefined : parseSeconds(firstVar(vars, 'ansible_ssh_timeout', 'ansible_timeout'), 'ansible_timeout')) ??
    parseSeconds(options.timeout, '--timeout') ??
    parseSeconds(firstOption(args, 'connecttimeout'), 'ConnectTimeout') ??
    parseSeconds(cfgValue('connecttimeout'), 'ConnectTimeout in ssh config') ??
    10;

  const jumpSpec = isJump ? undefined : firstOption(args, 'proxyjump') ?? cfgValue('proxyjump');
  const jump: SshTarget[] = [];
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    for (const hopSpec of jumpSpec.split(',')) {
      const hop = parseJumpHop(hopSpec);
      const hopArgs: SshArgs = {
        options: [
          ...(hop.port !== undefined ? [['port', String(hop.port)] as const] : []),
          ...(hop.user !== undefined ? [['user', hop.user] as const] : []),
        ],
        ignored: [],
      };
      const resolved = resolveHop(hop.host, hop.host, {}, hopArgs, sections, options, ctx, true);
      jump.push({
        ...resolved,
        port: hop.port ?? resolved.port,
        user: hop.user ?? resolved.user,
        // Jump hosts are checked against the same known_hosts, and may use the target's explicit keys.
        identityFiles: [...new Set([...resolved.identityFiles, ...uniqueIdentities])],
        knownHostsFiles,
        globalKnownHostsFiles,
        hostKeyChecking,
        connectTimeout,
        agentSocket: resolved.agentSocket ?? agentSocket,
      });
    }
  }

  return {
    name,
    address,
    port,
    user,
    identityFiles: uniqueIdentities,
    password: isJump ? undefined : firstVar(vars, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password') ?? options.password,
    agentSocket,
    knownHostsFiles,
    globalKnownHostsFiles,
    hostKeyChecking,
    connectTimeout,
    jump,
    askPassphrase: options.askPassphrase,
  };
}

// ---- reading ssh_config from disk, cached by mtime ----

const configCache = new Map<string, { mtimeMs: number; sections: readonly SshConfigSection[] }>();

function readIncluded(baseDir: string) {
  return (pattern: string): Array<{ file: string; text: string }> => {
    const path = expandHome(pattern, homedir());
    const full = isAbsolute(path) ? path : join(baseDir, path);
    const dir = dirname(full);
    const leaf = basename(full);
    let files: string[];
    if (/[*?]/.test(leaf)) {
      try {
        files = readdirSync(dir).filter((f) => wildcardMatch(leaf, f)).sort().map((f) => join(dir, f));
      } catch {
        files = [];
      }
    } else {
      files = [full];
    }
    const out: Array<{ file: string; text: string }> = [];
    for (const f of files) {
      try {
        out.push({ file: f, text: readFileSync(f, 'utf8') });
      } catch {
        /* missing include: ignored, as ssh does */
      }
    }
    return out;
  };
}

/** Reads and parses an ssh_config file (with Include), cached until it changes. */
export function readSshConfigFile(file: string): readonly SshConfigSection[] {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = configCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.sections;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const base = file.startsWith('/etc/') ? '/etc/ssh' : join(homedir(), '.ssh');
  const sections = parseSshConfig(text, file, readIncluded(base));
  configCache.set(file, { mtimeMs, sections });
  return sections;
}

export function defaultResolveContext(): ResolveContext {
  let localUser = 'root';
  try {
    localUser = userInfo().username;
  } catch {
    localUser = process.env.USER ?? 'root';
  }
  return {
    env: process.env,
    home: homedir(),
    localUser,
    readConfig: readSshConfigFile,
    fileExists: (f) => existsSync(f),
  };
}

/**
 * The Connection for one inventory host: LocalConnection for `ansible_connection: local` (and the
 * implicit localhost), SshConnection otherwise. Nothing is opened until the first exec/put/get.
 */
export function createConnection(
  host: string,
  vars: Readonly<Record<string, unknown>>,
  options: ConnectionOptions = {},
): Connection {
  if (connectionKind(host, vars, options.connection) === 'local') return new LocalConnection(host);
  return new SshConnection(resolveSshTarget(host, vars, options, defaultResolveContext()));
}
