/**
 * Derived relations of a frozen Inventory: parents, depth, ancestors and the host list of a group,
 * computed the way ansible-core's Group does (ansible/inventory/group.py). Cached per inventory.
 */
import type { Inventory, InventoryGroup } from '../model/inventory.js';

interface GraphCache {
  readonly parents: Map<string, string[]>;
  readonly depth: Map<string, number>;
  readonly groupHosts: Map<string, readonly string[]>;
  readonly hostGroups: Map<string, readonly string[]>;
}

const caches = new WeakMap<Inventory, GraphCache>();

function cache(inv: Inventory): GraphCache {
  let c = caches.get(inv);
  if (!c) {
    const parents = new Map<string, string[]>();
    for (const g of inv.groups.values()) parents.set(g.name, []);
    for (const g of inv.groups.values()) {
      for (const child of g.children) {
        const list = parents.get(child);
        if (list && !list.includes(g.name)) list.push(g.name);
      }
    }
    c = { parents, depth: new Map(), groupHosts: new Map(), hostGroups: new Map() };
    caches.set(inv, c);
  }
  return c;
}

export function parentsOf(inv: Inventory, group: string): readonly string[] {
  return cache(inv).parents.get(group) ?? [];
}

/** Group.depth: the longest path from a root group (all has depth 0). */
export function groupDepth(inv: Inventory, group: string): number {
  const c = cache(inv);
  const known = c.depth.get(group);
  if (known !== undefined) return known;
  const visiting = new Set<string>();
  const walk = (name: string): number => {
    const hit = c.depth.get(name);
    if (hit !== undefined) return hit;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    let d = 0;
    for (const p of c.parents.get(name) ?? []) d = Math.max(d, walk(p) + 1);
    visiting.delete(name);
    c.depth.set(name, d);
    return d;
  };
  return walk(group);
}

export function groupPriority(group: InventoryGroup | undefined): number {
  return group?.priority ?? 1;
}

/** Every ancestor of a group (not the group itself). */
export function groupAncestors(inv: Inventory, group: string): Set<string> {
  const c = cache(inv);
  const seen = new Set<string>();
  const stack = [...(c.parents.get(group) ?? [])];
  while (stack.length > 0) {
    const g = stack.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    stack.push(...(c.parents.get(g) ?? []));
  }
  return seen;
}

/**
 * Group.get_hosts(): the group's own hosts, then its children's, level by level, without duplicates.
 * (Ansible walks deeper levels through a Python set; we walk them in first-seen order.)
 */
export function hostsOfGroup(inv: Inventory, group: string): readonly string[] {
  const c = cache(inv);
  const hit = c.groupHosts.get(group);
  if (hit) return hit;
  const self = inv.groups.get(group);
  if (!self) return [];
  const ordered: string[] = [self.name, ...self.children];
  const seen = new Set<string>(ordered);
  let level: string[] = [...new Set(ordered)];
  while (level.length > 0) {
    const next: string[] = [];
    for (const name of level) {
      for (const child of inv.groups.get(name)?.children ?? []) {
        if (!seen.has(child) && !next.includes(child)) {
          ordered.push(child);
          next.push(child);
        }
      }
    }
    for (const n of next) seen.add(n);
    level = next;
  }
  const hosts: string[] = [];
  const seenHosts = new Set<string>();
  for (const name of ordered) {
    for (const h of inv.groups.get(name)?.hosts ?? []) {
      if (!seenHosts.has(h)) {
        seenHosts.add(h);
        hosts.push(h);
      }
    }
  }
  c.groupHosts.set(group, hosts);
  return hosts;
}

/** Host.get_groups(): the groups a host is in directly, plus all their ancestors (all included). */
export function groupsOfHost(inv: Inventory, host: string): readonly string[] {
  const c = cache(inv);
  const hit = c.hostGroups.get(host);
  if (hit) return hit;
  const out = new Set<string>();
  for (const g of inv.groups.values()) {
    if (g.hosts.includes(host)) {
      out.add(g.name);
      for (const a of groupAncestors(inv, g.name)) out.add(a);
    }
  }
  const list = [...out];
  c.hostGroups.set(host, list);
  return list;
}

/** ansible.inventory.helpers.sort_groups: by depth, then priority, then name. */
export function sortGroups(inv: Inventory, names: readonly string[]): string[] {
  const key = (n: string): [number, number, string] => [groupDepth(inv, n), groupPriority(inv.groups.get(n)), n];
  return [...names].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka[0] !== kb[0]) return ka[0] - kb[0];
    if (ka[1] !== kb[1]) return ka[1] - kb[1];
    return ka[2] < kb[2] ? -1 : ka[2] > kb[2] ? 1 : 0;
  });
}
