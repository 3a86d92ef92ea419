/**
 * A mutable inventory under construction, mirroring ansible-core's InventoryData/Group/Host
 * (ansible/inventory/{data,group,host}.py), frozen into the readonly model at the end.
 */
import type { Inventory, InventoryGroup, InventoryHost, InventoryVarsLayer } from '../model/inventory.js';
import type { Source } from '../model/source.js';

/** Hostnames Ansible treats as the controller (C.LOCALHOST). */
export const LOCALHOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

export class BuildError extends Error {}

export class GroupBuilder {
  readonly vars: Record<string, unknown> = {};
  readonly hosts: HostBuilder[] = [];
  readonly children: GroupBuilder[] = [];
  readonly parents: GroupBuilder[] = [];
  priority = 1;
  constructor(readonly name: string, readonly source?: Source) {}

  ancestors(): Set<GroupBuilder> {
    const seen = new Set<GroupBuilder>();
    const stack = [...this.parents];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...g.parents);
    }
    return seen;
  }

  setVariable(key: string, value: unknown): void {
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
      if (Number.isNaN(n)) throw new BuildError(`invalid literal for int() with base 10: '${String(value)}'`);
      this.priority = n;
      return;
    }
    this.vars[key] = value;
  }
}

export class HostBuilder {
  readonly vars: Record<string, unknown> = {};
  /** Groups the host was added to directly. */
  readonly directGroups: GroupBuilder[] = [];
  constructor(readonly name: string, readonly source?: Source) {}
}

/** basedir() from ansible/utils/path.py: the source dir for a file, the dir itself, else the string 'None'. */
export type Basedir = (source: string) => string;

export class InventoryBuilder {
  readonly groups = new Map<string, GroupBuilder>();
  readonly hosts = new Map<string, HostBuilder>();
  /** The source being parsed: inventory_file of hosts first seen in it. */
  currentSource: string | undefined;
  currentBasedir = 'None';

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, source?: Source): string {
    if (!name) throw new BuildError(`Invalid empty/false group name provided: ${name}`);
    if (!this.groups.has(name)) this.groups.set(name, new GroupBuilder(name, source));
    return name;
  }

  addHost(name: string, group?: string, port?: number, source?: Source): string {
    if (!name) throw new BuildError(`Invalid empty host name provided: ${name}`);
    let g: GroupBuilder | undefined;
    if (group) {
      g = this.groups.get(group);
      if (!g) throw new BuildError(`Could not find group ${group} in inventory`);
    }
    let h = this.hosts.get(name);
    if (!h) {
      h = new HostBuilder(name, source);
      if (port) h.vars.ansible_port = port;
      this.hosts.set(name, h);
      if (this.currentSource !== undefined) {
        h.vars.inventory_file = this.currentSource;
        h.vars.inventory_dir = this.currentBasedir;
      } else {
        h.vars.inventory_file = null;
        h.vars.inventory_dir = null;
      }
    }
    if (g) this.addHostToGroup(g, h);
    return name;
  }

  private addHostToGroup(g: GroupBuilder, h: HostBuilder): void {
    if (g.hosts.includes(h)) return;
    g.hosts.push(h);
    if (!h.directGroups.includes(g)) h.directGroups.push(g);
  }

  setVariable(entity: string, key: string, value: unknown): void {
    const g = this.groups.get(entity);
    if (g) return g.setVariable(key, value);
    const h = this.hosts.get(entity);
    if (h) {
      h.vars[key] = value;
      return;
    }
    throw new BuildError(`Could not identify group or host named ${entity}`);
  }

  /** Adds a child group or a host to `group`. */
  addChild(group: string, child: string): void {
    const g = this.groups.get(group);
    if (!g) throw new BuildError(`${group} is not a known group`);
    const childGroup = this.groups.get(child);
    if (childGroup) return this.addChildGroup(g, childGroup);
    const host = this.hosts.get(child);
    if (host) return this.addHostToGroup(g, host);
    throw new BuildError(`${child} is not a known host nor group`);
  }

  private addChildGroup(parent: GroupBuilder, child: GroupBuilder): void {
    if (parent === child) throw new BuildError("can't add group to itself");
    if (parent.children.includes(child)) return;
    if (parent.ancestors().has(child)) {
      throw new BuildError(`Adding group '${child.name}' as child to '${parent.name}' creates a recursive dependency loop.`);
    }
    parent.children.push(child);
    if (!child.parents.some((p) => p.name === parent.name)) child.parents.push(parent);
  }

  /** Groups of a host including ancestors, as Host.get_groups() holds them. */
  hostGroups(h: HostBuilder): Set<GroupBuilder> {
    const out = new Set<GroupBuilder>();
    for (const g of h.directGroups) {
      out.add(g);
      for (const a of g.ancestors()) out.add(a);
    }
    return out;
  }

  /** InventoryData.reconcile_inventory: roots under all, lone hosts into ungrouped. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChildGroup(all, g);
    }
    for (const h of this.hosts.values()) {
      const mine = this.hostGroups(h);
      if (mine.has(ungrouped)) {
        const others = [...mine].filter((g) => g !== all && g !== ungrouped);
        if (others.length > 0) {
          ungrouped.hosts.splice(ungrouped.hosts.indexOf(h), 1);
          h.directGroups.splice(h.directGroups.indexOf(ungrouped), 1);
        }
      } else if (mine.size === 0 || (mine.size === 1 && mine.has(all))) {
        this.addHostToGroup(ungrouped, h);
      }
    }
  }

  /** Names that are both a group and a host (Ansible warns about them). */
  conflicts(): string[] {
    return [...this.groups.keys()].filter((n) => this.hosts.has(n));
  }

  freeze(sources: readonly string[], varsLayers: readonly InventoryVarsLayer[]): Inventory {
    const hosts = new Map<string, InventoryHost>();
    for (const h of this.hosts.values()) {
      hosts.set(h.name, h.source ? { name: h.name, vars: { ...h.vars }, source: h.source } : { name: h.name, vars: { ...h.vars } });
    }
    const groups = new Map<string, InventoryGroup>();
    for (const g of this.groups.values()) {
      const group: InventoryGroup = {
        name: g.name,
        vars: { ...g.vars },
        hosts: g.hosts.map((h) => h.name),
        children: g.children.map((c) => c.name),
        ...(g.source ? { source: g.source } : {}),
        ...(g.priority !== 1 ? { priority: g.priority } : {}),
      };
      groups.set(g.name, group);
    }
    return { hosts, groups, sources: [...sources], varsLayers };
  }
}
