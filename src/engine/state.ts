import type { Connection } from '../connection/types.js';
import type { EventListener, HostStats, RunEvent } from '../events/types.js';
import { emptyStats } from '../events/types.js';
import type { Inventory, InventoryGroup, InventoryHost } from '../model/inventory.js';
import { Redactor } from '../events/redact.js';
import { secretValuesOf } from './results.js';
import type { VarsObject } from './vars.js';

/**
 * The inventory during a run: add_host and group_by replace it with a changed copy (the inventory
 * helpers cache derived data per Inventory object, so a snapshot is never mutated).
 */
export class RuntimeInventory {
  current: Inventory;
  /** Bumped on every change, so cached per-host variables know when to refresh. */
  version = 0;

  constructor(inventory: Inventory) {
    const groups = new Map(inventory.groups);
    if (!groups.has('all')) groups.set('all', { name: 'all', vars: {}, hosts: [], children: [] });
    if (!groups.has('ungrouped')) groups.set('ungrouped', { name: 'ungrouped', vars: {}, hosts: [], children: [] });
    this.current = { ...inventory, groups };
  }

  get hosts(): ReadonlyMap<string, InventoryHost> {
    return this.current.hosts;
  }

  get groups(): ReadonlyMap<string, InventoryGroup> {
    return this.current.groups;
  }

  private commit(hosts: Map<string, InventoryHost>, groups: Map<string, InventoryGroup>): void {
    this.current = { ...this.current, hosts, groups };
    this.version++;
  }

  /** add_host: creates or updates a host, adding it to `groups` (created under `all`). True if anything changed. */
  addHost(name: string, groupNames: readonly string[], vars: VarsObject): boolean {
    const hosts = new Map(this.current.hosts);
    const groups = new Map(this.current.groups);
    const existing = hosts.get(name);
    let changed = !existing;
    hosts.set(name, { name, vars: { ...(existing?.vars ?? {}), ...vars }, source: existing?.source });
    for (const group of groupNames) if (addToGroup(groups, name, group, ['all'])) changed = true;
    const inSomeGroup = [...groups.values()].some((g) => g.name !== 'all' && g.name !== 'ungrouped' && g.hosts.includes(name));
    const ungrouped = groups.get('ungrouped')!;
    if (!inSomeGroup && !ungrouped.hosts.includes(name)) groups.set('ungrouped', { ...ungrouped, hosts: [...ungrouped.hosts, name] });
    this.commit(hosts, groups);
    return changed;
  }

  /** group_by: puts `host` in `group` (created under `parents`). True if the host was not in it. */
  addToGroup(host: string, group: string, parents: readonly string[] = ['all']): boolean {
    const groups = new Map(this.current.groups);
    const changed = addToGroup(groups, host, group, parents);
    if (changed) this.commit(new Map(this.current.hosts), groups);
    return changed;
  }
}

function ensureGroup(groups: Map<string, InventoryGroup>, name: string, parents: readonly string[]): InventoryGroup {
  let g = groups.get(name);
  if (g) return g;
  g = { name, vars: {}, hosts: [], children: [] };
  groups.set(name, g);
  for (const parent of parents) {
    const p = parent === name ? undefined : groups.get(parent) ?? ensureGroup(groups, parent, ['all']);
    if (p && !p.children.includes(name)) groups.set(parent, { ...p, children: [...p.children, name] });
  }
  return g;
}

function addToGroup(groups: Map<string, InventoryGroup>, host: string, group: string, parents: readonly string[]): boolean {
  const g = ensureGroup(groups, group, parents);
  if (g.hosts.includes(host)) return false;
  groups.set(group, { ...g, hosts: [...g.hosts, host] });
  const ungrouped = groups.get('ungrouped');
  if (ungrouped && group !== 'ungrouped' && ungrouped.hosts.includes(host)) groups.set('ungrouped', { ...ungrouped, hosts: ungrouped.hosts.filter((h) => h !== host) });
  return true;
}

/** Per-run state that outlives plays: facts, set_fact/register values, failures, stats, connections. */
export class RunState {
  /** The fact cache (setup facts, cacheable set_fact), raw keys as modules return them. */
  readonly facts = new Map<string, VarsObject>();
  /** set_fact and register values (ansible's non-persistent fact cache). */
  readonly hostFacts = new Map<string, VarsObject>();
  /** include_vars values (ansible's vars cache). */
  readonly includeVars = new Map<string, VarsObject>();
  /** Hosts that failed (and were not rescued) in any play; they take no part in later plays. */
  readonly failed = new Set<string>();
  readonly unreachable = new Set<string>();
  readonly stats = new Map<string, HostStats>();
  readonly connections = new Map<string, Connection>();
  /** Bumped when a host's facts change. */
  readonly factsVersion = new Map<string, number>();
  startAtDone: boolean;
  /**
   * The run's secret values (RunOptions.secrets, connection/become passwords, module `secrets`
   * values). Every event passes through it in emit(); errors that end the run are redacted with it.
   */
  readonly redactor = new Redactor();

  constructor(
    readonly inventory: RuntimeInventory,
    private readonly listener: EventListener | undefined,
    startAtTask: string | undefined,
  ) {
    this.startAtDone = startAtTask === undefined;
  }

  /** Reports `event` with every known secret value replaced by '********'. */
  emit(event: RunEvent): void {
    if ('result' in event) for (const value of secretValuesOf(event.result)) this.redactor.addDeep(value);
    this.listener?.(this.redactor.redact(event));
  }

  statsOf(host: string): HostStats {
    let s = this.stats.get(host);
    if (!s) {
      s = emptyStats();
      this.stats.set(host, s);
    }
    return s;
  }

  bag(map: Map<string, VarsObject>, host: string): VarsObject {
    let v = map.get(host);
    if (!v) {
      v = {};
      map.set(host, v);
    }
    return v;
  }

  setFacts(host: string, facts: Readonly<Record<string, unknown>>): void {
    Object.assign(this.bag(this.facts, host), facts);
    this.factsVersion.set(host, (this.factsVersion.get(host) ?? 0) + 1);
  }

  clearFacts(host: string): void {
    this.facts.delete(host);
    this.hostFacts.delete(host);
    this.factsVersion.set(host, (this.factsVersion.get(host) ?? 0) + 1);
  }
}
