/**
 * The simulator's API for tests and the lab: create a cluster state directory, inject faults, and
 * read back what happened (joins, tokens, nodes).
 */
import { mkdirSync } from 'node:fs';
import { readyCondition, effectiveTaints } from './nodes.js';
import type { JoinLogEntry, KubesimFault, SimConfig, TaintRecord } from './state.js';
import { readConfig, readFaults, readJoinLogEntries, readState, statePaths, writeConfig, writeFaults } from './state.js';

export interface KubesimCluster {
  readonly dir: string;
  setFault(node: string, fault: KubesimFault): void;
  clearFaults(): void;
  readJoinLog(): JoinLog;
  listTokens(): TokenInfo[];
  nodes(): NodeInfo[];
  configure(config: Partial<SimConfig>): void;
}

/** Creates (or reuses) a cluster state directory, writing `config` into its config.json. */
export async function createKubesimCluster(dir: string, config: Partial<SimConfig> = {}): Promise<KubesimCluster> {
  mkdirSync(dir, { recursive: true });
  writeConfig(dir, config);
  return {
    dir,
    setFault: (node, fault) => setFault(dir, node, fault),
    clearFaults: () => clearFaults(dir),
    readJoinLog: () => readJoinLog(dir),
    listTokens: () => listTokens(dir),
    nodes: () => nodes(dir),
    configure: (c) => writeConfig(dir, c),
  };
}

/** Adds a fault for `node` (`*` = every node), replacing one of the same kind. */
export function setFault(dir: string, node: string, fault: KubesimFault): void {
  const faults = readFaults(dir);
  writeFaults(dir, { ...faults, [node]: [...(faults[node] ?? []).filter((f) => f.kind !== fault.kind), fault] });
}

export function clearFaults(dir: string, node?: string): void {
  if (node === undefined) writeFaults(dir, {});
  else {
    const rest = { ...readFaults(dir) };
    delete rest[node];
    writeFaults(dir, rest);
  }
}

export interface JoinInterval {
  readonly node: string;
  readonly pid: number;
  readonly start: number;
  /** Absent while the join runs (or after it was killed). */
  readonly end?: number;
  readonly ok?: boolean;
  readonly error?: string;
  readonly controlPlane: boolean;
}

export interface JoinLog {
  readonly entries: readonly JoinLogEntry[];
  readonly joins: readonly JoinInterval[];
  /** The most joins that ran at the same time (open intervals count until now). */
  readonly maxConcurrent: number;
}

export function readJoinLog(dir: string): JoinLog {
  const entries = readJoinLogEntries(dir);
  const open = new Map<string, JoinInterval>();
  const joins: JoinInterval[] = [];
  for (const e of entries) {
    const key = `${e.pid}/${e.node}`;
    if (e.event === 'start') {
      const j: JoinInterval = { node: e.node, pid: e.pid, start: e.time, controlPlane: e.controlPlane };
      open.set(key, j);
      joins.push(j);
    } else {
      const j = open.get(key);
      if (!j) continue;
      open.delete(key);
      joins[joins.indexOf(j)] = { ...j, end: e.time, ...(e.ok !== undefined ? { ok: e.ok } : {}), ...(e.error !== undefined ? { error: e.error } : {}) };
    }
  }
  return { entries, joins, maxConcurrent: maxConcurrent(joins) };
}

export function maxConcurrent(joins: readonly JoinInterval[]): number {
  const now = Date.now();
  const events = joins.flatMap((j) => [
    { t: j.start, d: 1 },
    { t: j.end ?? now, d: -1 },
  ]);
  // ends before starts at the same instant: touching intervals do not overlap
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const e of events) {
    cur += e.d;
    max = Math.max(max, cur);
  }
  return max;
}

export interface TokenInfo {
  readonly token: string;
  readonly id: string;
  readonly description: string;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
  readonly expires: Date | null;
  readonly expired: boolean;
}

/** Every stored token, expired ones included (kubeadm token list hides those). */
export function listTokens(dir: string): TokenInfo[] {
  const c = readState(dir).cluster;
  const now = Date.now();
  return (c?.tokens ?? []).map((t) => ({
    token: `${t.id}.${t.secret}`,
    id: t.id,
    description: t.description,
    usages: t.usages,
    groups: t.groups,
    expires: t.expires === null ? null : new Date(t.expires),
    expired: t.expires !== null && t.expires <= now,
  }));
}

export interface NodeInfo {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  readonly ready: boolean;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Stored taints plus the lifecycle controller's not-ready/unreachable ones. */
  readonly taints: readonly TaintRecord[];
  readonly address: string;
  readonly created: Date;
}

export function nodes(dir: string): NodeInfo[] {
  const state = readState(dir);
  const c = state.cluster;
  if (!c) return [];
  const config = readConfig(dir);
  const faults = readFaults(dir);
  const now = Date.now();
  return Object.values(c.nodes)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => {
      const r = readyCondition(n, c, config, faults, now);
      return {
        name: n.name, role: n.role, ready: r.status === 'True', status: r.status, reason: r.reason, message: r.message,
        labels: n.labels, taints: effectiveTaints(n, r), address: n.address, created: new Date(n.created),
      };
    });
}

/** The CA discovery hash (`sha256:...`) of the cluster, or undefined before `kubeadm init`. */
export function caCertHash(dir: string): string | undefined {
  return readState(dir).cluster?.caHash;
}

export { statePaths };
