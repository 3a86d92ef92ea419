/**
 * The simulated cluster's shared state: one directory that every simulated host sees.
 *
 *   cluster.json   the cluster (CA, tokens, nodes, applied manifests) and per-host kubelet state
 *   cluster.lock   O_EXCL lock file guarding cluster.json (hosts run concurrently)
 *   config.json    timing and behaviour knobs (optional; see SimConfig)
 *   faults.json    injected faults per node name (optional)
 *   joins.ndjson   one line per join start/end, for concurrency checks
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './format.js';

export interface SimConfig {
  /** How long a successful `kubeadm join` takes. */
  readonly joinDurationMs: number;
  /** How long `kubeadm init` takes. */
  readonly initDurationMs: number;
  /** A node turns Ready this long after it registered. */
  readonly readyDelayMs: number;
  /** When true, no node is Ready before a CNI manifest was applied with `kubectl apply`. */
  readonly requireCni: boolean;
  /** How long `kubeadm join` retries an unreachable API server before failing. */
  readonly discoveryTimeoutMs: number;
  /** kubeadm/kubectl/kubelet version, e.g. v1.30.2. */
  readonly version: string;
  /** `kubectl apply -f <url>` reads the mapped local file instead (there is no network). */
  readonly manifestUrls: Readonly<Record<string, string>>;
}

export const DEFAULT_CONFIG: SimConfig = {
  joinDurationMs: 1500,
  initDurationMs: 300,
  readyDelayMs: 1000,
  requireCni: false,
  discoveryTimeoutMs: 2000,
  version: 'v1.30.2',
  manifestUrls: {},
};

export type KubesimFault =
  /** The join fails in the kubelet-start phase (kubelet started, bootstrap files left behind). */
  | { readonly kind: 'joinFails'; readonly message?: string }
  /** The join prints its preflight lines, then sleeps until killed. */
  | { readonly kind: 'joinHangs' }
  /** The node registers but never turns Ready. */
  | { readonly kind: 'neverReady'; readonly reason?: string; readonly message?: string }
  /** This node's clock runs ahead so far that every token looks expired. */
  | { readonly kind: 'tokenExpired' }
  /** This node's clock is off by `ms` (positive: ahead) when checking token expiry. */
  | { readonly kind: 'clockOffset'; readonly ms: number }
  /** The API server cannot be reached from this node (join and kubectl). */
  | { readonly kind: 'apiUnreachable' };

export type FaultMap = Readonly<Record<string, readonly KubesimFault[]>>;

export interface TokenRecord {
  readonly id: string;
  readonly secret: string;
  readonly description: string;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
  /** Epoch ms, or null for a token that never expires. */
  readonly expires: number | null;
  readonly created: number;
}

export interface TaintRecord {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface NodeRecord {
  readonly name: string;
  readonly uid: string;
  readonly created: number;
  /** When the kubelet (re)registered: Ready is computed from this. */
  readonly registered: number;
  readonly role: 'control-plane' | 'worker';
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly TaintRecord[];
  readonly address: string;
  readonly hostId: string;
  readonly arch: string;
  readonly podCidr: string;
  /** Set when the host's kubelet stopped (kubeadm reset): the node goes Unknown. */
  readonly kubeletStopped?: number;
  readonly resourceVersion: number;
}

export interface ManifestRecord {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly hash: string;
  readonly applied: number;
  readonly object: Json;
}

export interface Cluster {
  readonly uid: string;
  readonly created: number;
  /** Host that ran `kubeadm init`. */
  readonly initHost: string;
  /** host:port of the first control plane's API server (advertise address). */
  readonly apiEndpoint: string;
  /** --control-plane-endpoint, when given. */
  readonly controlPlaneEndpoint: string | null;
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly caHash: string;
  readonly kubernetesVersion: string;
  readonly podSubnet: string | null;
  readonly tokens: readonly TokenRecord[];
  readonly certificateKey: { readonly key: string; readonly expires: number } | null;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
  readonly manifests: Readonly<Record<string, ManifestRecord>>;
  /** When a CNI manifest was first applied. */
  readonly cniApplied: number | null;
  readonly resourceVersion: number;
  readonly podCidrCounter: number;
}

/** What runs on one simulated machine (survives the cluster being torn down). */
export interface HostRecord {
  readonly kubelet: boolean;
  readonly controlPlane: boolean;
  readonly nodeName: string | null;
}

export interface State {
  readonly cluster: Cluster | null;
  readonly hosts: Readonly<Record<string, HostRecord>>;
}

export const EMPTY_STATE: State = { cluster: null, hosts: {} };

export interface StatePaths {
  readonly dir: string;
  readonly stateFile: string;
  readonly lockFile: string;
  readonly configFile: string;
  readonly faultsFile: string;
  readonly joinLog: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    stateFile: join(dir, 'cluster.json'),
    lockFile: join(dir, 'cluster.lock'),
    configFile: join(dir, 'config.json'),
    faultsFile: join(dir, 'faults.json'),
    joinLog: join(dir, 'joins.ndjson'),
  };
}

function readJson<T>(file: string, fallback: T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
  return text.trim() === '' ? fallback : (JSON.parse(text) as T);
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readConfig(dir: string): SimConfig {
  return { ...DEFAULT_CONFIG, ...readJson<Partial<SimConfig>>(statePaths(dir).configFile, {}) };
}

export function writeConfig(dir: string, config: Partial<SimConfig>): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(statePaths(dir).configFile, { ...readJson<Partial<SimConfig>>(statePaths(dir).configFile, {}), ...config });
}

export function readFaults(dir: string): FaultMap {
  return readJson<FaultMap>(statePaths(dir).faultsFile, {});
}

export function writeFaults(dir: string, faults: FaultMap): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(statePaths(dir).faultsFile, faults);
}

export function faultsFor(faults: FaultMap, node: string): readonly KubesimFault[] {
  return [...(faults['*'] ?? []), ...(faults[node] ?? [])];
}

export function readState(dir: string): State {
  return readJson<State>(statePaths(dir).stateFile, EMPTY_STATE);
}

const LOCK_STALE_MS = 10_000;
const LOCK_TIMEOUT_MS = 30_000;

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Runs `fn` holding the O_EXCL lock file; stale locks (older than 10 s) are broken. */
export function withLock<T>(dir: string, fn: () => T): T {
  const { lockFile } = statePaths(dir);
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lockFile).mtimeMs > LOCK_STALE_MS) unlinkSync(lockFile);
      } catch {
        // the holder released it meanwhile
      }
      if (Date.now() > deadline) throw new Error(`kubesim: timed out waiting for the lock ${lockFile}`);
      sleepSync(5 + Math.floor(Math.random() * 10));
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lockFile);
    } catch {
      // already broken as stale by another process
    }
  }
}

/** Reads, transforms and writes cluster.json under the lock; returns what `fn` returns. */
export function updateState<T>(dir: string, fn: (s: State) => { state: State; result: T }): T {
  return withLock(dir, () => {
    const { state, result } = fn(readState(dir));
    writeJsonAtomic(statePaths(dir).stateFile, state);
    return result;
  });
}

export function writeState(dir: string, state: State): void {
  withLock(dir, () => writeJsonAtomic(statePaths(dir).stateFile, state));
}

export interface JoinLogEntry {
  readonly node: string;
  readonly event: 'start' | 'end';
  /** Epoch ms. */
  readonly time: number;
  readonly pid: number;
  /** On `end`: whether the join succeeded. */
  readonly ok?: boolean;
  readonly error?: string;
  readonly controlPlane: boolean;
}

export function appendJoinLog(dir: string, entry: JoinLogEntry): void {
  appendFileSync(statePaths(dir).joinLog, `${JSON.stringify(entry)}\n`);
}

export function readJoinLogEntries(dir: string): JoinLogEntry[] {
  const file = statePaths(dir).joinLog;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JoinLogEntry);
}
