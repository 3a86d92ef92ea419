/**
 * What the lab simulates: host names, groups and vars. Pure data and pure functions; the inventory
 * the lab writes (files.ts) is rendered from it.
 */
import type { Inventory } from '../model/inventory.js';
import type { Vars } from '../model/playbook.js';
import { UsageError } from '../model/errors.js';
import { expandHostnameRange } from '../load/inventory-address.js';

export interface LabHostSpec {
  readonly name: string;
  /** Host vars other than connection vars (the lab sets those). */
  readonly vars: Vars;
}

export interface LabGroupSpec {
  readonly name: string;
  readonly vars: Vars;
  /** Hosts listed directly in the group. */
  readonly hosts: readonly string[];
  readonly children: readonly string[];
}

export interface LabTopology {
  /** Where it came from: 'builtin', an inventory path, or `--hosts <spec>`. */
  readonly origin: string;
  /** In inventory order. */
  readonly hosts: readonly LabHostSpec[];
  /** Vars of the `all` group (connection vars removed). */
  readonly allVars: Vars;
  /** Groups under `all`, parents before children. `all` and `ungrouped` are implicit. */
  readonly groups: readonly LabGroupSpec[];
}

/** The most hosts one lab runs. */
export const MAX_LAB_HOSTS = 250;

/** Vars that say how to reach a host: the lab owns these, so they never come from the mirrored inventory. */
const CONNECTION_VARS = new Set([
  'ansible_host', 'ansible_ssh_host', 'ansible_port', 'ansible_ssh_port', 'ansible_user', 'ansible_ssh_user',
  'ansible_connection', 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password',
  'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_ssh_known_hosts_file',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args', 'ansible_host_key_checking',
  'ansible_ssh_host_key_checking', 'ansible_become_password', 'ansible_become_pass', 'ansible_python_interpreter',
]);

/** Set by the inventory loader for the source file; the lab's inventory gets its own. */
const SOURCE_VARS = new Set(['inventory_file', 'inventory_dir']);

export function withoutConnectionVars(vars: Vars): Vars {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !CONNECTION_VARS.has(k) && !SOURCE_VARS.has(k)));
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The homelab cluster (inventory/homelab.yaml) without its addresses. */
export function builtinTopology(): LabTopology {
  const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
  const cps = range('cp', 3);
  const pis = range('pi', 8);
  const gpus = ['gpu01'];
  return {
    origin: 'builtin',
    hosts: [...cps, ...pis, ...gpus].map((name) => ({ name, vars: {} })),
    allVars: { cluster_name: 'homelab', k8s_version: '1.30.2', k8s_pod_cidr: '10.244.0.0/16', k8s_service_cidr: '10.96.0.0/12' },
    groups: [
      { name: 'k8s_cluster', vars: {}, hosts: [], children: ['k8s_control_plane', 'k8s_worker'] },
      {
        name: 'k8s_control_plane',
        vars: { node_role: 'control-plane', arch: 'amd64', node_taints: ['node-role.kubernetes.io/control-plane:NoSchedule'] },
        hosts: cps,
        children: [],
      },
      { name: 'k8s_worker', vars: { node_role: 'worker', node_taints: [] }, hosts: [], children: ['pis', 'gpu'] },
      {
        name: 'pis',
        vars: {
          arch: 'arm64',
          board: 'raspberrypi-4b',
          node_labels: { 'node.kubernetes.io/instance-type': 'rpi4b-8g', 'kubernetes.io/arch': 'arm64' },
        },
        hosts: pis,
        children: [],
      },
      {
        name: 'gpu',
        vars: {
          arch: 'amd64',
          node_labels: { 'nvidia.com/gpu': 'true', 'kubernetes.io/arch': 'amd64' },
          node_taints: ['nvidia.com/gpu=true:NoSchedule'],
        },
        hosts: gpus,
        children: [],
      },
    ],
  };
}

function checkNames(names: readonly string[], origin: string): void {
  if (names.length === 0) throw new UsageError(`${origin}: no hosts`);
  if (names.length > MAX_LAB_HOSTS) throw new UsageError(`${origin}: ${names.length} hosts; a lab runs at most ${MAX_LAB_HOSTS}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (!HOST_NAME.test(n)) throw new UsageError(`${origin}: '${n}' is not a usable lab host name (letters, digits, '_', '.', '-')`);
    if (seen.has(n)) throw new UsageError(`${origin}: host '${n}' is listed twice`);
    seen.add(n);
  }
}

/**
 * `--hosts SPEC`: a count (`5` gives host1..host5) or comma-separated host patterns with Ansible's
 * ranges (`web[1:3],db1`), each optionally prefixed by a group (`web=web[1:3],db=db1`). Hosts
 * without a group go in group `lab`.
 */
export function parseHostsSpec(spec: string): LabTopology {
  const origin = `--hosts ${spec}`;
  const text = spec.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const names = Array.from({ length: n }, (_, i) => `host${i + 1}`);
    checkNames(names, origin);
    return { origin, hosts: names.map((name) => ({ name, vars: {} })), allVars: {}, groups: [{ name: 'lab', vars: {}, hosts: names, children: [] }] };
  }
  const groups = new Map<string, string[]>();
  const all: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const group = eq >= 0 ? item.slice(0, eq).trim() : 'lab';
    const pattern = eq >= 0 ? item.slice(eq + 1).trim() : item;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(group) || group === 'all' || group === 'ungrouped') {
      throw new UsageError(`${origin}: '${group}' is not a usable group name`);
    }
    let names: string[];
    try {
      names = pattern.includes('[') ? expandHostnameRange(pattern) : [pattern];
    } catch (e) {
      throw new UsageError(`${origin}: bad host range '${pattern}': ${(e as Error).message}`);
    }
    const list = groups.get(group) ?? [];
    list.push(...names);
    groups.set(group, list);
    all.push(...names);
  }
  checkNames(all, origin);
  return {
    origin,
    hosts: all.map((name) => ({ name, vars: {} })),
    allVars: {},
    groups: [...groups].map(([name, hosts]) => ({ name, vars: {}, hosts, children: [] })),
  };
}

/** Orders groups so each one comes after every group that lists it as a child (stable otherwise). */
function parentsFirst(groups: readonly LabGroupSpec[], roots: readonly string[]): LabGroupSpec[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const out: LabGroupSpec[] = [];
  const done = new Set<string>();
  const visit = (name: string): void => {
    const g = byName.get(name);
    if (!g || done.has(name)) return;
    done.add(name);
    out.push(g);
    for (const c of g.children) visit(c);
  };
  for (const r of roots) visit(r);
  for (const g of groups) visit(g.name);
  return out;
}

/**
 * Mirrors a loaded inventory: same hosts (in order), groups, children and vars, without the
 * connection vars. group_vars/ and host_vars/ files next to the inventory are folded in.
 */
export function topologyFromInventory(inv: Inventory, origin: string): LabTopology {
  const layerGroupVars = (name: string): Vars => Object.assign({}, ...(inv.varsLayers ?? []).map((l) => l.groupVars.get(name) ?? {})) as Vars;
  const layerHostVars = (name: string): Vars => Object.assign({}, ...(inv.varsLayers ?? []).map((l) => l.hostVars.get(name) ?? {})) as Vars;
  const hosts = [...inv.hosts.values()].map((h) => ({ name: h.name, vars: withoutConnectionVars({ ...h.vars, ...layerHostVars(h.name) }) }));
  checkNames(hosts.map((h) => h.name), origin);
  const all = inv.groups.get('all');
  const groups = [...inv.groups.values()]
    .filter((g) => g.name !== 'all' && g.name !== 'ungrouped')
    .map((g) => ({
      name: g.name,
      vars: withoutConnectionVars({ ...g.vars, ...layerGroupVars(g.name) }),
      hosts: [...g.hosts],
      children: [...g.children],
    }));
  return {
    origin,
    hosts,
    allVars: withoutConnectionVars({ ...(all?.vars ?? {}), ...layerGroupVars('all') }),
    groups: parentsFirst(groups, all?.children ?? []),
  };
}
