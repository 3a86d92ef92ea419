import { connect as netConnect, type Socket } from 'node:net';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import { BecomeError, UnreachableError } from '../model/errors.js';
import type { BecomeOptions, Connection, ExecOptions, ExecResult, PutOptions, PutSource } from './types.js';
import { shellQuote } from './types.js';
import { becomeFailure, becomeWrap } from './local.js';
import { assertNoNul, CappedCollector, DEFAULT_MAX_OUTPUT_BYTES, truncation } from './output-cap.js';
import {
  checkHostKey,
  fingerprintSha256,
  hostLookupName,
  keyTypeLabel,
  keyTypeOfBlob,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type HostKeyChecking,
  type KnownHostEntry,
} from './known-hosts.js';

const { Client, utils: sshUtils } = ssh2;
type SshClient = InstanceType<typeof Client>;

/** Everything needed to reach one host, fully resolved (see factory.ts). */
export interface SshTarget {
  /** Inventory name, for messages. */
  readonly name: string;
  /** Host name or IP to connect to. */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Private key files to try, in order. */
  readonly identityFiles: readonly string[];
  readonly password?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK), unless IdentitiesOnly. */
  readonly agentSocket?: string;
  /** User known_hosts files; accept-new appends to the first. */
  readonly knownHostsFiles: readonly string[];
  /** Read-only system files (/etc/ssh/ssh_known_hosts). */
  readonly globalKnownHostsFiles?: readonly string[];
  readonly hostKeyChecking: HostKeyChecking;
  /** Seconds, for TCP connect and the SSH handshake. */
  readonly connectTimeout: number;
  /** ProxyJump hops, first hop first; each hop is reached through the ones before it. */
  readonly jump: readonly SshTarget[];
  /** Called for an encrypted key; undefined means no passphrase is available. */
  readonly askPassphrase?: (keyFile: string) => Promise<string | undefined>;
  /** TCP_NODELAY on the socket (default true). */
  readonly noDelay?: boolean;
  /** Key exchange algorithms in preference order (default: curve25519-sha256 first). */
  readonly kex?: readonly string[];
}

/** curve25519-sha256 first, then the rest of what ssh2 supports by default. */
export const PREFERRED_KEX: readonly string[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group15-sha512',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group17-sha512',
  'diffie-hellman-group18-sha512',
];

const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

const BECOME_PROMPT = '[tsbook-become-password]';
const CLOSED_BY_US = 'connection closed by tsbook';

function endpoint(t: Pick<SshTarget, 'address' | 'port'>): string {
  return t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
}

function unreachable(reason: string, cause?: unknown): UnreachableError {
  return new UnreachableError(`ssh: ${reason}`, cause === undefined ? {} : { cause });
}

function signalRc(signal: string | undefined): number {
  if (!signal) return 255;
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof osConstants.signals;
  const n = osConstants.signals[name];
  return typeof n === 'number' ? 128 + n : 255;
}

/** Opens a TCP socket with TCP_NODELAY, classifying failures. */
function tcpConnect(target: SshTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: target.address, port: target.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(`connection to ${endpoint(target)} timed out after ${target.connectTimeout}s`));
    }, target.connectTimeout * 1000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(target.noDelay ?? true);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      reject(unreachable(describeSocketError(target, err), err));
    });
  });
}

function describeSocketError(target: SshTarget, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return `could not resolve hostname ${target.address}: ${err.code === 'EAI_AGAIN' ? 'temporary failure in name resolution' : 'name or service not known'}`;
    case 'ECONNREFUSED':
      return `connection to ${endpoint(target)} refused`;
    case 'ETIMEDOUT':
      return `connection to ${endpoint(target)} timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${endpoint(target)}`;
    case 'ECONNRESET':
      return `connection to ${endpoint(target)} reset by peer`;
    default:
      return `connection to ${endpoint(target)} failed: ${err.message}`;
  }
}

interface LoadedKey {
  readonly file: string;
  readonly key: ParsedKey;
}

/** Reads and parses private keys. Problems (missing, encrypted without passphrase) are returned, not thrown. */
async function loadKeys(target: SshTarget): Promise<{ keys: LoadedKey[]; problems: string[] }> {
  const keys: LoadedKey[] = [];
  const problems: string[] = [];
  for (const file of target.identityFiles) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      problems.push(`cannot read key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      continue;
    }
    let parsed = sshUtils.parseKey(data);
    if (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message)) {
      const pass = target.askPassphrase ? await target.askPassphrase(file) : undefined;
      if (pass === undefined) {
        problems.push(`key ${file} is encrypted; run tsbook from a terminal to be asked for its passphrase, or add the key to ssh-agent`);
        continue;
      }
      parsed = sshUtils.parseKey(data, pass);
      if (parsed instanceof Error) {
        problems.push(`wrong passphrase for key ${file}`);
        continue;
      }
    }
    if (parsed instanceof Error) {
      problems.push(`cannot parse key ${file}: ${parsed.message}`);
      continue;
    }
    const list: ParsedKey[] = Array.isArray(parsed) ? (parsed as ParsedKey[]) : [parsed];
    for (const key of list) keys.push({ file, key });
  }
  return { keys, problems };
}

async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    try {
      all.push(...parseKnownHosts(await readFile(file, 'utf8'), file));
    } catch {
      /* a missing known_hosts file is an empty one */
    }
  }
  return all;
}

/** Decides on a presented host key; returns undefined when accepted, else the reason. */
async function verifyHostKey(target: SshTarget, entries: readonly KnownHostEntry[], blob: Buffer): Promise<string | undefined> {
  if (target.hostKeyChecking === 'off') return undefined;
  const name = hostLookupName(target.address, target.port);
  const keyType = keyTypeOfBlob(blob);
  const keyBase64 = blob.toString('base64');
  const fp = `${keyTypeLabel(keyType)} ${fingerprintSha256(blob)}`;
  const verdict = checkHostKey(entries, name, keyType, keyBase64);
  switch (verdict.kind) {
    case 'match':
      return undefined;
    case 'revoked':
      return `host key for ${endpoint(target)} (${fp}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`;
    case 'changed': {
      const old = verdict.entries[0];
      const oldFp = fingerprintSha256(Buffer.from(old.keyBase64, 'base64'));
      return (
        `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${endpoint(target)}! Someone could be doing something nasty ` +
        `(a man-in-the-middle attack), or the host key was just replaced. The host now offers ${fp}, but ` +
        `${old.file}:${old.line} expects ${oldFp}. If the change is expected, remove the old key ` +
        `(ssh-keygen -R ${shellQuote(name)} -f ${shellQuote(old.file)}) and connect again`
      );
    }
    case 'unknown': {
      if (target.hostKeyChecking === 'accept-new') {
        const file = target.knownHostsFiles[0];
        if (!file) return `host key for ${endpoint(target)} is unknown (${fp}) and there is no known_hosts file to add it to`;
        try {
          await mkdir(dirname(file), { recursive: true });
          await appendFile(file, knownHostsLine(name, keyType, keyBase64), { mode: 0o600 });
        } catch (e) {
          return `host key for ${endpoint(target)} is unknown (${fp}) and could not be added to ${file}: ${(e as Error).message}`;
        }
        return undefined;
      }
      const other = verdict.otherTypes.length > 0 ? ` (known_hosts only has ${verdict.otherTypes.map(keyTypeLabel).join(', ')} keys for it)` : '';
      return `host key for ${endpoint(target)} is unknown (${fp})${other}; add it to known_hosts or use --host-key-checking accept-new`;
    }
  }
}

function isOpenRefusal(err: Error): boolean {
  return /Channel open failure|open failed|administratively prohibited|resource shortage/i.test(err.message);
}

interface RawResult {
  readonly rc: number;
  readonly stdout: CappedCollector;
  readonly stderr: CappedCollector;
}

/** Thrown by exec when its timeout ran out; the remote process group has been killed. */
export class ExecTimeoutError extends Error {
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds}s`);
  }
}

/**
 * One SSH connection to one host: a single TCP connection, opened on first use and shared by every
 * exec/put/get, with channels multiplexed over it. When the server refuses another session
 * (MaxSessions), the request waits for one of ours to close and retries.
 */
export class SshConnection implements Connection {
  readonly host: string;
  readonly transport = 'ssh';
  private client?: SshClient;
  private connecting?: Promise<SshClient>;
  private bastion?: SshConnection;
  private sftpSession?: Promise<SFTPWrapper>;
  private active = 0;
  private limit = Number.POSITIVE_INFINITY;
  private limitAt = 0;
  private sftpBusy = 0;
  private waiters: Array<() => void> = [];
  private lostReason?: string;
  /** Why the last connection went down on its own (set until a reconnect succeeds). */
  private dropped?: string;

  constructor(readonly target: SshTarget) {
    this.host = target.name;
  }

  /** Opens the connection now (it is otherwise opened by the first exec/put/get). */
  async connect(): Promise<void> {
    await this.ensureClient();
  }

  /**
   * The open client, connecting first when there is none. A connection that went down is reopened
   * by the next operation: that one attempt failing is reported as the lost connection.
   */
  private ensureClient(): Promise<SshClient> {
    if (!this.connecting) {
      this.connecting = this.openClient().then(
        (client) => {
          this.dropped = undefined;
          return client;
        },
        (e: unknown) => {
          this.connecting = undefined;
          const dropped = this.dropped;
          if (dropped !== undefined && e instanceof UnreachableError) {
            throw unreachable(`connection to ${this.target.user}@${endpoint(this.target)} was lost (${dropped}) and reconnecting failed: ${e.message.replace(/^ssh: /, '')}`, e);
          }
          throw e;
        },
      );
    }
    return this.connecting;
  }

  private async openSocket(): Promise<Duplex> {
    const t = this.target;
    if (t.jump.length === 0) return tcpConnect(t);
    const hops = t.jump;
    const last = hops[hops.length - 1];
    this.bastion = new SshConnection({ ...last, jump: hops.slice(0, -1) });
    try {
      return await this.bastion.forwardOut(t.address, t.port);
    } catch (e) {
      const bastion = this.bastion;
      this.bastion = undefined;
      await bastion.close();
      if (e instanceof UnreachableError && !e.message.includes('via jump host')) {
        throw unreachable(`via jump host ${last.user}@${endpoint(last)}: ${e.message.replace(/^ssh: /, '')}`, e);
      }
      throw e;
    }
  }

  /** A TCP stream to `address:port` opened from this host (used for ProxyJump). */
  async forwardOut(address: string, port: number): Promise<ClientChannel> {
    const client = await this.ensureClient();
    return new Promise((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) reject(unreachable(`jump host ${endpoint(this.target)} could not open a connection to ${address}:${port}: ${err.message}`, err));
        else resolve(stream);
      });
    });
  }

  private async openClient(): Promise<SshClient> {
    const t = this.target;
    const entries = t.hostKeyChecking === 'off' ? [] : await readKnownHosts([...t.knownHostsFiles, ...(t.globalKnownHostsFiles ?? [])]);
    const { keys, problems } = await loadKeys(t);
    const sock = await this.openSocket();
    const lookup = hostLookupName(t.address, t.port);
    const preferred = preferredHostKeyAlgorithms(entries, lookup).filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a));
    const hostKeyAlgos = [...preferred, ...DEFAULT_HOST_KEY_ALGOS.filter((a) => !preferred.includes(a))];

    const methods: AnyAuthMethod[] = [];
    const labels: string[] = [];
    if (t.agentSocket) {
      methods.push({ type: 'agent', username: t.user, agent: t.agentSocket });
      labels.push('ssh-agent');
    }
    for (const k of keys) {
      methods.push({ type: 'publickey', username: t.user, key: k.key });
      labels.push(`key ${k.file}`);
    }
    if (t.password !== undefined) {
      methods.push({ type: 'password', username: t.user, password: t.password });
      labels.push('password');
      const password = t.password;
      methods.push({
        type: 'keyboard-interactive',
        username: t.user,
        prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
      });
      labels.push('keyboard-interactive');
    }
    const tried: string[] = [];
    let hostKeyProblem: string | undefined;

    const client = new Client();
    // ssh2 may emit more than one error for one failure (e.g. after a handshake timeout); the
    // handlers below classify the first, this one keeps later ones from becoming uncaught.
    client.on('error', () => undefined);
    const authHandler = (authsLeft: AuthenticationType[] | null, _partial: boolean, next: (m: AnyAuthMethod | false) => void): void => {
      while (methods.length > 0) {
        const m = methods.shift() as AnyAuthMethod;
        const label = labels.shift() as string;
        const wire = m.type === 'agent' ? 'publickey' : m.type;
        if (authsLeft && authsLeft.length > 0 && !authsLeft.includes(wire)) continue;
        tried.push(label);
        next(m);
        return;
      }
      next(false);
    };
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: t.user,
      readyTimeout: t.connectTimeout * 1000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: {
        kex: [...(t.kex ?? PREFERRED_KEX)] as NonNullable<NonNullable<ConnectConfig['algorithms']>['kex']>,
        serverHostKey: hostKeyAlgos as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>,
      },
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey(t, entries, key).then(
          (problem) => {
            hostKeyProblem = problem;
            verify(problem === undefined);
          },
          (e: unknown) => {
            hostKeyProblem = `host key check failed: ${String(e)}`;
            verify(false);
          },
        );
      },
    };

    await this.handshake(client, config, sock, t, () => ({ hostKeyProblem, problems, tried })).catch(async (e: unknown) => {
      const bastion = this.bastion;
      this.bastion = undefined;
      await bastion?.close();
      throw e;
    });

    this.client = client;
    this.lostReason = undefined;
    client.on('error', (err: Error) => {
      this.lostReason = err.message;
    });
    client.once('close', () => {
      if (this.client === client) {
        this.client = undefined;
        this.connecting = undefined;
        this.sftpSession = undefined;
        this.active = 0;
        this.limit = Number.POSITIVE_INFINITY;
        this.lostReason ??= 'connection closed';
        this.dropped = this.lostReason;
        for (const w of this.waiters.splice(0)) w();
      }
    });
    return client;
  }

  /** Runs the SSH handshake and authentication, turning every failure into a one-line UnreachableError. */
  private handshake(
    client: SshClient,
    config: ConnectConfig,
    sock: Duplex,
    t: SshTarget,
    state: () => { hostKeyProblem?: string; problems: readonly string[]; tried: readonly string[] },
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let sawBanner = false;
      sock.once('data', () => { sawBanner = true; });
      const onError = (err: Error & { level?: string }) => {
        const { hostKeyProblem, problems, tried } = state();
        client.removeListener('ready', onReady);
        sock.destroy();
        if (hostKeyProblem) {
          reject(unreachable(hostKeyProblem, err));
        } else if (err.level === 'client-authentication') {
          const keyNotes = problems.length > 0 ? `; ${problems.join('; ')}` : '';
          const triedText = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no key, agent or password to try';
          const lead = problems.some((p) => p.includes('is encrypted')) && tried.length === 0 ? problems.join('; ') : `authentication failed for ${t.user}@${endpoint(t)} (${triedText})${keyNotes}`;
          reject(unreachable(lead, err));
        } else if (err.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(err.message)) {
          reject(unreachable(sawBanner
            ? `SSH handshake with ${endpoint(t)} did not complete within ${t.connectTimeout}s`
            : `${endpoint(t)} accepted the connection but sent no SSH greeting within ${t.connectTimeout}s`, err));
        } else if (err.level === 'client-socket') {
          reject(unreachable(describeSocketError(t, err as NodeJS.ErrnoException), err));
        } else {
          reject(unreachable(`SSH handshake with ${endpoint(t)} failed: ${err.message}`, err));
        }
      };
      const onReady = () => {
        client.removeListener('error', onError);
        resolve();
      };
      client.once('ready', onReady);
      client.once('error', onError);
      client.connect(config);
    });
  }

  // ---- channel slots (MaxSessions) ----

  private release(): void {
    this.active = Math.max(0, this.active - 1);
    const w = this.waiters.shift();
    if (w) w();
  }

  private effectiveLimit(): number {
    if (this.limit !== Number.POSITIVE_INFINITY && Date.now() - this.limitAt > 2000) this.limit = Number.POSITIVE_INFINITY;
    return this.limit;
  }

  private wakeIfRoom(): void {
    if (this.active < this.effectiveLimit()) this.waiters.shift()?.();
  }

  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Opens a session channel, waiting while the server's (learned) limit is reached. */
  private async openSession<T>(open: (client: SshClient, cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    let retries = 0;
    let waited = false;
    let reopened = false;
    for (;;) {
      const client = await this.ensureClient();
      while (this.active >= this.effectiveLimit()) {
        // An idle SFTP session holds a slot that an exec may need more.
        if (this.sftpSession && this.sftpBusy === 0) this.closeSftp();
        await this.waitForSlot();
        waited = true;
      }
      if (this.client !== client) continue;
      this.active++;
      try {
        return await new Promise<T>((resolve, reject) => {
          open(client, (err, ch) => (err ? reject(err) : resolve(ch)));
        });
      } catch (e) {
        this.active = Math.max(0, this.active - 1);
        const err = e as Error;
        // the client's 'close' may follow the failed open by a tick
        if (this.client === client && !isOpenRefusal(err)) await new Promise((r) => setImmediate(r));
        if (this.client !== client) {
          // The connection went down before anything ran: reconnect, once.
          if (reopened || this.lostReason === CLOSED_BY_US) throw this.lost();
          reopened = true;
          continue;
        }
        if (!isOpenRefusal(err)) {
          this.wakeIfRoom();
          throw err;
        }
        if (this.active > 0 && !waited) {
          // The server allows no more than what is open now: remember that (for a while: the
          // refusal may have raced with a session the server had not freed yet) and wait for a close.
          this.limit = this.active;
          this.limitAt = Date.now();
          continue;
        }
        // A slot was just released (or nothing of ours is open): the server frees a session only
        // after it has processed our close, so retry shortly instead of lowering the limit.
        if (++retries > 100) throw new Error(`${this.host}: the SSH server refuses new sessions: ${err.message}`);
        await new Promise((r) => setTimeout(r, Math.min(5 * retries, 100)));
      }
    }
  }

  private lost(): UnreachableError {
    return unreachable(`connection to ${this.target.user}@${endpoint(this.target)} lost: ${this.lostReason ?? 'closed'}`);
  }

  // ---- exec ----

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    assertNoNul(command);
    const raw = await this.execRaw(command, { ...options, maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES });
    const cut = truncation(raw.stdout, raw.stderr);
    return { rc: raw.rc, stdout: raw.stdout.text(), stderr: raw.stderr.text(), ...(cut ? { truncated: cut } : {}) };
  }

  private needsBecome(become: BecomeOptions | undefined): BecomeOptions | undefined {
    if (!become) return undefined;
    if (become.method === 'sudo' && become.user === this.target.user && !become.password) return undefined;
    return become;
  }

  private async execRaw(command: string, options: ExecOptions = {}): Promise<RawResult> {
    const become = this.needsBecome(options.become);
    const marker = `TSBOOK-BECOME-${randomBytes(8).toString('hex')}`;
    const execId = randomBytes(8).toString('hex');
    let inner = command;
    if (options.cwd) inner = `cd ${shellQuote(options.cwd)} || exit 1\n${inner}`;
    if (options.env) {
      const exports = Object.entries(options.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('; ');
      if (exports) inner = `${exports}\n${inner}`;
    }
    // Every process the command starts inherits this variable, also one that leaves the process
    // group and session (setsid, double fork): a kill finds those through /proc/PID/environ.
    // It is set after become, which resets the environment.
    inner = `export ${EXEC_ID_VAR}=${execId}\n${inner}`;
    let body = inner;
    if (become) body = becomeWrap(`echo ${marker} >&2\n${inner}`, become).command;
    // The first stderr line is the shell's PID and process group (sshd starts each session with
    // setsid); timeouts and aborts kill that group and every descendant.
    const remote = `/bin/sh -c ${shellQuote(`${PID_PREAMBLE}\n${body}`)}`;

    // ssh2 may deliver the exit status in the same read as the exec reply, before this function
    // resumes: listen for it inside the callback so it is never lost.
    let early: { code: number | null; signal?: string } | undefined;
    const channel = await this.openSession<ClientChannel>((client, cb) =>
      client.exec(remote, (err, ch) => {
        if (ch) ch.once('exit', (code: number | null, signal?: string) => (early = { code, signal }));
        cb(err, ch);
      }),
    );
    return new Promise<RawResult>((resolve, reject) => {
      // Unbounded unless asked (get() reads whole files through here).
      const out = new CappedCollector(options.maxOutputBytes ?? Number.POSITIVE_INFINITY);
      const err = new CappedCollector(options.maxOutputBytes ?? Number.POSITIVE_INFINITY);
      let pre = Buffer.alloc(0);
      let pid: number | undefined;
      let pgid: number | undefined;
      let preambleDone = false;
      let prompts = 0;
      let exitCode: number | undefined = early?.code ?? undefined;
      let exitSignal: string | undefined = exitCode === undefined ? early?.signal : undefined;
      let timedOut = false;
      let aborted = false;
      let settled = false;
      let stdinSent = false;

      const sendStdin = () => {
        if (stdinSent) return;
        stdinSent = true;
        if (options.stdin !== undefined) channel.write(options.stdin);
        channel.end();
      };

      const emitErr = (chunk: Buffer) => {
        if (chunk.length === 0) return;
        err.push(chunk);
        options.onStderr?.(chunk);
      };

      const onStderrData = (chunk: Buffer) => {
        if (preambleDone) return emitErr(chunk);
        pre = Buffer.concat([pre, chunk]);
        if (pid === undefined) {
          const nl = pre.indexOf(10);
          if (nl < 0) return;
          const [p, g] = pre.subarray(0, nl).toString('latin1').trim().split(/\s+/).map(Number);
          pid = p;
          pgid = g;
          pre = pre.subarray(nl + 1);
          if (!become) {
            preambleDone = true;
            sendStdin();
            const rest = pre;
            pre = Buffer.alloc(0);
            return emitErr(rest);
          }
        }
        // become: answer the password prompt, wait for the marker the shell prints once sudo succeeded.
        let text = pre.toString('utf8');
        const promptAt = text.indexOf(BECOME_PROMPT);
        if (promptAt >= 0) {
          prompts++;
          text = text.slice(0, promptAt) + text.slice(promptAt + BECOME_PROMPT.length);
          pre = Buffer.from(text, 'utf8');
          if (prompts === 1 && become?.password !== undefined) channel.write(`${become.password}\n`);
          else channel.end();
        }
        const m = text.indexOf(`${marker}\n`);
        if (m >= 0) {
          preambleDone = true;
          const rest = Buffer.from(text.slice(m + marker.length + 1), 'utf8');
          pre = Buffer.alloc(0);
          sendStdin();
          emitErr(rest);
        }
      };

      channel.on('data', (chunk: Buffer) => {
        out.push(chunk);
        options.onStdout?.(chunk);
      });
      channel.stderr.on('data', onStderrData);
      channel.on('exit', (code: number | null, signal?: string) => {
        if (code !== null && code !== undefined) exitCode = code;
        else exitSignal = signal;
      });

      const finish = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (timedOut) {
          reject(new ExecTimeoutError(options.timeout ?? 0));
          return;
        }
        // sshd always reports how the command ended before closing its channel: a channel that closes
        // without that (and that we did not kill) went down with the connection, even when the
        // client's own 'close' has not been seen yet.
        if (exitCode === undefined && exitSignal === undefined && !aborted) {
          reject(this.lost());
          return;
        }
        // become failed before the marker: say why as Ansible does, or pass on what sudo printed.
        if (become && !preambleDone) {
          const failure = becomeFailure(become, prompts, pre.toString('utf8'));
          if (failure) {
            reject(new BecomeError(failure));
            return;
          }
        }
        if (!preambleDone && pre.length > 0) emitErr(pre);
        const rc = exitCode ?? (aborted ? 128 + 9 : signalRc(exitSignal));
        resolve({ rc, stdout: out, stderr: err });
      };

      // Once a kill has started, the exec settles only after it is done, so that the caller (a task
      // that timed out or was cancelled) never reports while the remote processes still run.
      let killDone: Promise<void> | undefined;
      const kill = (): Promise<void> => (killDone ??= killTree());
      const killTree = async () => {
        // 1. A "signal" channel request: sshd answers it with killpg(session leader, SIGKILL).
        sendSignal(channel, 'KILL');
        // 2. A second exec (as the become user when there is one) kills the group and every
        //    descendant, including processes another user owns or that left the group.
        if (pid !== undefined && Number.isInteger(pid) && pid > 1 && this.client !== undefined) {
          const giveUp = new Promise<void>((r) => setTimeout(r, 10_000).unref());
          await Promise.race([this.execRaw(killTreeScript(pid, pgid, execId), { become: options.become }).catch(() => undefined), giveUp]);
        }
        // 3. Do not wait for a channel that never closes.
        setTimeout(() => {
          channel.close();
          finish();
        }, 3000).unref();
      };

      const timer = options.timeout ? setTimeout(() => {
        timedOut = true;
        void kill();
      }, options.timeout * 1000) : undefined;
      const onAbort = () => {
        aborted = true;
        void kill();
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });

      channel.on('close', () => {
        this.release();
        if (killDone) void killDone.then(finish);
        else finish();
      });
    });
  }

  // ---- SFTP ----

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const p = this.openSession<SFTPWrapper>((client, cb) => client.sftp(cb)).then((s) => {
        s.once('close', () => {
          if (this.sftpSession === p) this.sftpSession = undefined;
          this.release();
        });
        return s;
      });
      this.sftpSession = p;
      p.catch(() => {
        if (this.sftpSession === p) this.sftpSession = undefined;
      });
    }
    return this.sftpSession;
  }

  private closeSftp(): void {
    const p = this.sftpSession;
    this.sftpSession = undefined;
    void p?.then((s) => s.end(), () => undefined);
  }

  /** Runs `fn` with the SFTP session, which is kept open between uses unless an exec needs its slot. */
  private async withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    this.sftpBusy++;
    try {
      return await fn(await this.sftp());
    } finally {
      this.sftpBusy--;
    }
  }

  async put(source: PutSource, remotePath: string, options: PutOptions = {}): Promise<void> {
    const data = 'content' in source ? Buffer.from(source.content) : await readFile(source.localPath);
    const become = this.needsBecome(options.become);
    const mode = options.mode === undefined ? undefined : typeof options.mode === 'number' ? options.mode : parseInt(options.mode, 8);
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) throw new Error(`invalid mode ${String(options.mode)}`);
    const owner = options.owner || options.group ? `${options.owner ?? ''}${options.group ? `:${options.group}` : ''}` : undefined;
    const suffix = randomBytes(6).toString('hex');
    if (!become) {
      // Write a temporary file next to the target, then rename it over the target (atomic).
      const tmp = `${remotePath}.tsbook-${suffix}`;
      await this.withSftp(async (sftp) => {
        const existing = await sftpStat(sftp, remotePath);
        const finalMode = mode ?? (existing ? existing.mode & 0o7777 : 0o644);
        try {
          await sftpWrite(sftp, tmp, data, finalMode);
        } catch (e) {
          if (!isNoSuchFile(e)) throw sftpError('write', remotePath, e);
          await sftpMkdirp(sftp, posix.dirname(remotePath)).catch((e2: unknown) => { throw sftpError('mkdir', posix.dirname(remotePath), e2); });
          await sftpWrite(sftp, tmp, data, finalMode).catch((e2: unknown) => { throw sftpError('write', remotePath, e2); });
        }
        try {
          await sftpChmod(sftp, tmp, finalMode);
          if (existing && !owner && this.target.user === 'root') await sftpChown(sftp, tmp, existing.uid, existing.gid);
        } catch (e) {
          await sftpUnlink(sftp, tmp);
          throw sftpError('chmod', remotePath, e);
        }
      });
      if (owner) {
        const r = await this.exec(`chown ${shellQuote(owner)} ${shellQuote(tmp)}`);
        if (r.rc !== 0) {
          await this.withSftp((sftp) => sftpUnlink(sftp, tmp));
          throw new Error(`chown ${owner} ${remotePath}: ${r.stderr.trim() || `rc=${r.rc}`}`);
        }
      }
      await this.withSftp(async (sftp) => {
        try {
          await sftpRename(sftp, tmp, remotePath);
        } catch (e) {
          await sftpUnlink(sftp, tmp);
          throw sftpError('rename', remotePath, e);
        }
      });
      return;
    }
    // With become: the content goes on stdin to a shell running as the become user, which writes
    // it into place. No copy of it waits in a shared temp directory (one readable by other users
    // while an unprivileged become user had to read it).
    const q = shellQuote(remotePath);
    const staged = shellQuote(`${remotePath}.tsbook-${suffix}`);
    const steps = [
      'set -e',
      `mkdir -p -- ${shellQuote(posix.dirname(remotePath))}`,
      'umask 077',
      // Without a mode, an existing file keeps its mode and owner: overwrite it in place.
      mode === undefined ? `if [ -f ${q} ]; then cat > ${q}; ${owner ? `chown ${shellQuote(owner)} ${q}; ` : ''}exit 0; fi` : '',
      `trap 'rm -f -- ${staged}' EXIT`,
      `cat > ${staged}`,
      `chmod ${(mode ?? 0o644).toString(8)} ${staged}`,
      owner ? `chown ${shellQuote(owner)} ${staged}` : '',
      `mv -f -- ${staged} ${q}`,
    ].filter((l) => l !== '');
    const r = await this.exec(steps.join('\n'), { become: options.become, stdin: data });
    if (r.rc !== 0) throw new Error(`cannot write ${remotePath} as ${become.user}: ${r.stderr.trim() || `rc=${r.rc}`}`);
  }

  async get(remotePath: string, localPath?: string, options: { become?: BecomeOptions } = {}): Promise<Buffer> {
    let data: Buffer;
    if (this.needsBecome(options.become)) {
      const r = await this.execRaw(`cat -- ${shellQuote(remotePath)}`, { become: options.become });
      if (r.rc !== 0) throw new Error(`cannot read ${remotePath}: ${r.stderr.text().trim() || `rc=${r.rc}`}`);
      data = r.stdout.bytes();
    } else {
      data = await this.withSftp(
        (sftp) =>
          new Promise<Buffer>((resolve, reject) => {
            sftp.readFile(remotePath, (err: Error | undefined, buf: Buffer) => (err ? reject(sftpError('read', remotePath, err)) : resolve(buf)));
          }),
      );
    }
    if (localPath) {
      await mkdir(dirname(localPath), { recursive: true });
      await writeFile(localPath, data);
    }
    return data;
  }

  async close(): Promise<void> {
    const client = this.client ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.client = undefined;
    this.connecting = undefined;
    this.sftpSession = undefined;
    this.active = 0;
    this.limit = Number.POSITIVE_INFINITY;
    this.lostReason = CLOSED_BY_US;
    for (const w of this.waiters.splice(0)) w();
    if (client) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    }
    if (this.bastion) await this.bastion.close();
    this.bastion = undefined;
  }
}

interface ChannelInternals {
  readonly outgoing?: { readonly id: number; readonly state: string };
  readonly _client?: { readonly _protocol?: { signal(id: number, name: string): void } };
}

/**
 * Sends a "signal" request even after stdin was closed (ssh2's channel.signal() refuses once the
 * channel is no longer writable, which is always the case once stdin has been sent).
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const c = channel as unknown as ChannelInternals;
  try {
    if (c.outgoing?.state === 'open' || c.outgoing?.state === 'eof') c._client?._protocol?.signal(c.outgoing.id, name);
  } catch {
    /* the server may not support signals; the kill exec still runs */
  }
}

/**
 * Prints "PID PGID" of the wrapper shell on stderr, reading the group from /proc without forking
 * (field 5 of /proc/PID/stat; the command name there is "sh", without spaces). Where /proc is
 * missing, the PID stands for the group (sshd makes the session leader a group leader).
 */
const PID_PREAMBLE = 'pg=$$; [ -r /proc/$$/stat ] && read -r _ _ _ _ pg _ < /proc/$$/stat; echo "$$ $pg" >&2';

/** The environment variable that marks every process of one exec (see execRaw). */
export const EXEC_ID_VAR = 'TSBOOK_EXEC_ID';

/**
 * A sh script that SIGKILLs the process group `pgid`, every descendant of `pid` and, given the exec's
 * id, every process whose initial environment carries it (GNU or busybox grep; silently skipped elsewhere).
 */
export function killTreeScript(pid: number, pgid?: number, execId?: string): string {
  const tagged = execId === undefined || !/^[0-9a-f]+$/.test(execId)
    ? []
    : [`for f in $(grep -l -z -x ${EXEC_ID_VAR}=${execId} /proc/[0-9]*/environ 2>/dev/null); do p=\${f#/proc/}; kill -KILL \${p%/environ} 2>/dev/null; done`];
  const awk = `{ par[$1] = $2 } END { for (p in par) { q = p; n = 0; while (q != "" && q > 1 && n < 200) { if (q == r) { print p; break } q = par[q]; n++ } } }`;
  const group = pgid !== undefined && Number.isInteger(pgid) && pgid > 1 ? pgid : pid;
  // No `--` after -KILL: dash's kill builtin does not accept it.
  return [
    `tree=$(ps -e -o pid= -o ppid= 2>/dev/null | awk -v r=${pid} ${shellQuote(awk)})`,
    `kill -KILL -${group} ${pid} $tree 2>/dev/null`,
    ...tagged,
    'exit 0',
  ].join('\n');
}

// ---- SFTP helpers ----

interface SftpStat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

function isNoSuchFile(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 2;
}

function sftpError(op: string, path: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(`sftp ${op} ${path}: ${msg}`);
}

function sftpStat(sftp: SFTPWrapper, path: string): Promise<SftpStat | undefined> {
  return new Promise((resolve) => {
    sftp.stat(path, (err, st) => resolve(err ? undefined : { mode: st.mode, uid: st.uid, gid: st.gid }));
  });
}

function sftpWrite(sftp: SFTPWrapper, path: string, data: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.writeFile(path, data, { mode }, (err) => (err ? reject(err) : resolve()));
  });
}

function sftpChmod(sftp: SFTPWrapper, path: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => sftp.chmod(path, mode, (err) => (err ? reject(err) : resolve())));
}

function sftpChown(sftp: SFTPWrapper, path: string, uid: number, gid: number): Promise<void> {
  return new Promise((resolve, reject) => sftp.chown(path, uid, gid, (err) => (err ? reject(err) : resolve())));
}

function sftpRename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses to.
    const plainRename = () => sftp.rename(from, to, (err) => (err ? reject(err) : resolve()));
    // ssh2 throws synchronously when the server does not advertise the extension.
    try {
      sftp.ext_openssh_rename(from, to, (err) => (err ? plainRename() : resolve()));
    } catch {
      plainRename();
    }
  });
}

function sftpUnlink(sftp: SFTPWrapper, path: string): Promise<void> {
  return new Promise((resolve) => sftp.unlink(path, () => resolve()));
}

async function sftpMkdirp(sftp: SFTPWrapper, dir: string): Promise<void> {
  if (dir === '/' || dir === '.' || dir === '') return;
  if (await sftpStat(sftp, dir)) return;
  await sftpMkdirp(sftp, posix.dirname(dir));
  await new Promise<void>((resolve, reject) => {
    sftp.mkdir(dir, (err) => {
      if (!err) return resolve();
      sftpStat(sftp, dir).then((st) => (st ? resolve() : reject(err)), reject);
    });
  });
}
