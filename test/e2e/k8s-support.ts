/**
 * Helpers for the Kubernetes end-to-end tests: a simulated cluster per scenario (kubesim wrappers per
 * host, with a recording `kubeadm` in front that keeps what the simulator printed so every secret it
 * issued can be searched for afterwards), the tsbook CLI as a child process, and output readers.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createKubesimCluster, wrapperScript, type KubesimCluster } from '../../src/lab/kubesim/index.js';
import { readState } from '../../src/lab/kubesim/state.js';
import { shellQuote } from '../../src/connection/types.js';
import type { HostStats, RunEvent } from '../../src/events/types.js';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);
export const TSBOOK = join(REPO, 'bin/tsbook');
export const BOOTSTRAP = join(REPO, 'playbooks/bootstrap_k8s.yaml');

export interface SimHostDirs {
  /** Goes first on the host's PATH: the recording kubeadm and kubectl. */
  readonly bin: string;
  readonly kubernetesDir: string;
  readonly cniConfDir: string;
}

export interface SimCluster {
  readonly dir: string;
  readonly stateDir: string;
  readonly cluster: KubesimCluster;
  /** Where the recording wrappers append kubeadm's stdout and argv. */
  readonly captureDir: string;
  readonly hosts: ReadonlyMap<string, SimHostDirs>;
}

export interface SimHostSpec {
  readonly name: string;
  /** The node's simulated InternalIP. */
  readonly address: string;
  readonly arch?: string;
  /** kubeadm's directory and the CNI directory on that host (default: under the scenario dir). */
  readonly kubernetesDir?: string;
  readonly cniConfDir?: string;
}

/**
 * The recording kubeadm: runs the simulator, passes its stdout, exit status and stderr through, and
 * appends its stdout and its arguments to files in `captureDir` (test bookkeeping, not tsbook output).
 */
export function recordingWrapper(real: string, captureDir: string, host: string): string {
  const out = shellQuote(join(captureDir, `${host}.stdout`));
  const argv = shellQuote(join(captureDir, `${host}.argv`));
  return [
    '#!/bin/sh',
    '# e2e test: records what the simulated kubeadm printed',
    `printf '%s\\n' "$*" >> ${argv}`,
    'tmp=$(mktemp)',
    `${shellQuote(real)} "$@" > "$tmp"`,
    'rc=$?',
    'cat "$tmp"',
    `cat "$tmp" >> ${out}`,
    'rm -f "$tmp"',
    'exit $rc',
    '',
  ].join('\n');
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A fresh simulated cluster in `dir`, with wrappers for each host. Needs dist/ (npm run build). */
export async function createSimCluster(dir: string, hosts: readonly SimHostSpec[], config: Parameters<typeof createKubesimCluster>[1] = {}): Promise<SimCluster> {
  const stateDir = join(dir, 'state');
  const captureDir = join(dir, 'capture');
  mkdirSync(captureDir, { recursive: true });
  const cluster = await createKubesimCluster(stateDir, config);
  const map = new Map<string, SimHostDirs>();
  for (const h of hosts) {
    const base = join(dir, 'hosts', h.name);
    const bin = join(base, 'bin');
    const realBin = join(base, 'sim');
    mkdirSync(bin, { recursive: true });
    mkdirSync(realBin, { recursive: true });
    const kubernetesDir = h.kubernetesDir ?? join(base, 'kubernetes');
    const cniConfDir = h.cniConfDir ?? join(base, 'cni', 'net.d');
    const options = { stateDir, nodeName: h.name, etcDir: kubernetesDir, address: h.address, arch: h.arch ?? 'amd64', hostId: h.name };
    // written directly (not installKubesim) so no directory is made on the controller for a
    // host-private kubernetes dir
    writeExecutable(join(realBin, 'kubeadm'), wrapperScript('kubeadm', options));
    writeExecutable(join(bin, 'kubectl'), wrapperScript('kubectl', options));
    writeExecutable(join(bin, 'kubeadm'), recordingWrapper(join(realBin, 'kubeadm'), captureDir, h.name));
    map.set(h.name, { bin, kubernetesDir, cniConfDir });
  }
  return { dir, stateDir, cluster, captureDir, hosts: map };
}

const TOKEN_RE = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g;
const CERT_KEY_RES = [/--certificate-key[ =]+([0-9a-f]{64})\b/g, /Using certificate key:\s*([0-9a-f]{64})\b/g];

export interface IssuedSecrets {
  readonly tokens: readonly string[];
  readonly certificateKeys: readonly string[];
}

function captured(sim: SimCluster, suffix: string): string {
  if (!existsSync(sim.captureDir)) return '';
  return readdirSync(sim.captureDir)
    .filter((f) => f.endsWith(suffix))
    .map((f) => readFileSync(join(sim.captureDir, f), 'utf8'))
    .join('\n');
}

/** Every bootstrap token and certificate key the simulator issued in this cluster (printed or stored). */
export function issuedSecrets(sim: SimCluster): IssuedSecrets {
  const text = captured(sim, '.stdout');
  const tokens = new Set(text.match(TOKEN_RE) ?? []);
  const keys = new Set<string>();
  for (const re of CERT_KEY_RES) for (const m of text.matchAll(re)) keys.add(m[1]!);
  const c = readState(sim.stateDir).cluster;
  for (const t of c?.tokens ?? []) tokens.add(`${t.id}.${t.secret}`);
  if (c?.certificateKey) keys.add(c.certificateKey.key);
  return { tokens: [...tokens].sort(), certificateKeys: [...keys].sort() };
}

/** Every kubeadm command line the hosts ran (`host: args`). */
export function kubeadmCalls(sim: SimCluster): string[] {
  if (!existsSync(sim.captureDir)) return [];
  return readdirSync(sim.captureDir)
    .filter((f) => f.endsWith('.argv'))
    .flatMap((f) => readFileSync(join(sim.captureDir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => `${f.replace(/\.argv$/, '')}: ${l}`));
}

/** Where each secret (token, its secret half, certificate key) occurs in `texts`: `label: secret-kind`. */
export function findSecrets(secrets: IssuedSecrets, texts: ReadonlyMap<string, string>): string[] {
  const needles: Array<[string, string]> = [
    ...secrets.tokens.flatMap((t): Array<[string, string]> => [[t, `token ${t.slice(0, 6)}`], [t.slice(7), `secret half of token ${t.slice(0, 6)}`]]),
    ...secrets.certificateKeys.map((k): [string, string] => [k, `certificate key ${k.slice(0, 6)}...`]),
  ];
  const found: string[] = [];
  for (const [label, text] of texts) {
    for (const [needle, what] of needles) if (text.includes(needle)) found.push(`${label}: ${what}`);
  }
  return found;
}

/** Every regular file under `dir` (skipping `skip` directories), for secret scans. */
export function filesUnder(dir: string, skip: readonly string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (skip.includes(p)) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 10_000_000) out.push(p);
    }
  };
  walk(dir);
  return out;
}

// ------------------------------------------------------------------------------------ the CLI

export interface CliOutcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export function runCli(args: readonly string[], options: { cwd: string; env?: Readonly<Record<string, string>> }): Promise<CliOutcome> {
  const started = Date.now();
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [TSBOOK, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => done({ status, stdout, stderr, durationMs: Date.now() - started }));
  });
}

/** NDJSON events of a `--json` run. */
export function parseEvents(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
}

export function recapOfEvents(events: readonly RunEvent[]): Record<string, HostStats> {
  const r = events.find((e): e is Extract<RunEvent, { event: 'recap' }> => e.event === 'recap');
  if (!r) throw new Error('no recap event');
  return { ...r.hosts };
}

/** `host : ok=N changed=M ...` lines of a plain PLAY RECAP. */
export function recapOfPlain(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) throw new Error(`no PLAY RECAP in:\n${stdout}`);
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])]));
  }
  return out;
}

export type TaskResultEvent = Extract<RunEvent, { event: 'task_result' }>;

export function taskResults(events: readonly RunEvent[], name?: string): TaskResultEvent[] {
  return events.filter((e): e is TaskResultEvent => e.event === 'task_result' && (name === undefined || e.task.name === name));
}

/** Commands a run's modules ran (or would have run, in check mode). */
export function commandsRun(events: readonly RunEvent[]): Array<{ host: string; command: string; executed: boolean }> {
  return events.flatMap((e) => {
    if (e.event !== 'task_result' && e.event !== 'item_result') return [];
    const host = e.result.delegatedTo ?? e.result.host;
    return (e.result.commands ?? []).map((c) => ({ host, command: c.command, executed: c.executed }));
  });
}

/** Duration strings kubeadm accepts (`1h0m0s`, `30m`, `90s`) in milliseconds. */
export function goDurationMs(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(re)) {
    matched += m[0];
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  }
  if (matched !== text) throw new Error(`not a duration: ${text}`);
  return total;
}

/** TTLs given to `kubeadm token create --ttl` and `kubeadm init --token-ttl` in these calls. */
export function tokenTtls(calls: readonly string[]): Array<{ call: string; ttlMs: number }> {
  const out: Array<{ call: string; ttlMs: number }> = [];
  for (const call of calls) {
    const create = /: token create\b.*--ttl[ =](\S+)/.exec(call) ?? /: init\b.*--token-ttl[ =](\S+)/.exec(call);
    if (create) out.push({ call, ttlMs: goDurationMs(create[1]!) });
    else if (/: token create\b/.test(call) || (/: init\b/.test(call) && !/: init phase\b/.test(call))) out.push({ call, ttlMs: Number.POSITIVE_INFINITY });
  }
  return out;
}
