/** An in-process lab (no daemon) and ssh2 client helpers for the lab tests. */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { generateKeyPair, type KeyPair } from '../../src/lab/keys.js';
import { HOSTNAME_SCRIPT, renderKnownHosts, type LabHostState } from '../../src/lab/files.js';
import { startLabServers, type RunningLab } from '../../src/lab/server.js';

const { Client } = ssh2;
export type SshClient = InstanceType<typeof Client>;

export interface TestLab {
  readonly dir: string;
  readonly user: string;
  readonly client: KeyPair;
  readonly clientKeyFile: string;
  readonly knownHostsFile: string;
  readonly hosts: readonly LabHostState[];
  readonly running: RunningLab;
  host(name: string): LabHostState;
  stop(): Promise<void>;
}

export async function startTestLab(names: readonly string[]): Promise<TestLab> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-lab-test-'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'hostname'), HOSTNAME_SCRIPT, { mode: 0o755 });
  const client = generateKeyPair('test-client');
  const clientKeyFile = join(dir, 'id_ed25519');
  writeFileSync(clientKeyFile, client.privateKey, { mode: 0o600 });
  const hostKeys = names.map((n) => generateKeyPair(`${n}-host`));
  const user = userInfo().username;
  const running = await startLabServers({
    address: '127.0.0.1',
    labDir: dir,
    binDir,
    user,
    clientPublicKey: client.publicLine,
    hosts: names.map((name, i) => ({ name, stateDir: join(dir, 'hosts', name), hostKey: hostKeys[i]!.privateKey })),
  });
  const hosts: LabHostState[] = running.hosts.map((h, i) => ({ ...h, hostKey: hostKeys[i]!.publicLine, stateDir: join(dir, 'hosts', h.name) }));
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, renderKnownHosts(hosts));
  return {
    dir,
    user,
    client,
    clientKeyFile,
    knownHostsFile,
    hosts,
    running,
    host(name: string): LabHostState {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no lab host ${name}`);
      return h;
    },
    async stop(): Promise<void> {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connects with the lab key, verifying the host key against `hostKey` (`ssh-ed25519 AAAA`). */
export function connectTo(lab: TestLab, name: string, options: { username?: string; privateKey?: string } = {}): Promise<SshClient> {
  const h = lab.host(name);
  const expected = Buffer.from(h.hostKey.split(' ')[1]!, 'base64');
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({
      host: h.address,
      port: h.port,
      username: options.username ?? lab.user,
      privateKey: options.privateKey ?? lab.client.privateKey,
      hostVerifier: (key: Buffer) => key.equals(expected),
      readyTimeout: 20_000,
    });
  });
}

export interface ExecOutcome {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command`, writing `stdin` (then EOF) when given. `onStart` sees the channel. */
export function execOn(
  c: SshClient,
  command: string,
  options: { stdin?: string; keepStdinOpen?: boolean; env?: Record<string, string>; onStart?: (ch: ClientChannel) => void } = {},
): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    c.exec(command, { env: options.env }, (err, ch) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      let code: number | null = null;
      let signal: string | undefined;
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => errs.push(d));
      ch.on('exit', (c2: number | null, sig?: string) => {
        code = c2;
        signal = sig;
      });
      ch.on('close', () => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errs).toString() }));
      options.onStart?.(ch);
      if (options.stdin !== undefined) ch.end(options.stdin);
      else if (!options.keepStdinOpen) ch.end();
    });
  });
}

export function sftpOf(c: SshClient): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => c.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

/** Promisifies one SFTP callback call. */
export function sftpCall<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export interface ProcessOutcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** spawn without blocking the event loop (the lab under test runs in this process). */
export function runProcess(command: string, args: readonly string[], input?: string): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
