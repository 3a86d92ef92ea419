import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostStats, RunEvent, TaskResult } from '../../src/events/types.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import type { ModuleLookup } from '../../src/load/module-args.js';
import type { Inventory, InventoryGroup, InventoryHost } from '../../src/model/inventory.js';
import type { Playbook } from '../../src/model/playbook.js';
import { allActionNames, findModule } from '../../src/modules/registry.js';
import type { Module, ModuleResult } from '../../src/modules/types.js';
import { runPlaybook, type RunOptions } from '../../src/engine/run.js';

/** An inventory: every host local; groups map group name -> hosts (children via `children`). */
export function makeInventory(
  hosts: Record<string, Record<string, unknown>>,
  groups: Record<string, { hosts?: string[]; vars?: Record<string, unknown>; children?: string[] }> = {},
  allVars: Record<string, unknown> = {},
): Inventory {
  const hostMap = new Map<string, InventoryHost>();
  for (const [name, vars] of Object.entries(hosts)) hostMap.set(name, { name, vars: { ansible_connection: 'local', ...vars } });
  const groupMap = new Map<string, InventoryGroup>();
  const grouped = new Set<string>();
  for (const [name, g] of Object.entries(groups)) {
    groupMap.set(name, { name, vars: g.vars ?? {}, hosts: g.hosts ?? [], children: g.children ?? [] });
    for (const h of g.hosts ?? []) grouped.add(h);
  }
  const topLevel = Object.keys(groups).filter((g) => !Object.values(groups).some((o) => o.children?.includes(g)));
  groupMap.set('all', { name: 'all', vars: allVars, hosts: [], children: [...topLevel, 'ungrouped'] });
  groupMap.set('ungrouped', { name: 'ungrouped', vars: {}, hosts: Object.keys(hosts).filter((h) => !grouped.has(h)), children: [] });
  return { hosts: hostMap, groups: groupMap, sources: [] };
}

/** Test modules, usable in playbooks alongside the registry's. */
export const testModules: Module[] = [];

export function addTestModule(module: Module): Module {
  const i = testModules.findIndex((m) => m.name === module.name);
  if (i >= 0) testModules.splice(i, 1);
  testModules.push(module);
  return module;
}

export function lookupModule(name: string): Module | undefined {
  const bare = name.replace(/^ansible\.(builtin|legacy)\./, '');
  return testModules.find((m) => m.name === bare) ?? findModule(name);
}

const moduleLookup: ModuleLookup = {
  find: lookupModule,
  actionNames: () => [...allActionNames(), ...testModules.map((m) => m.name)],
};

/** Writes `files` (path -> text) in a fresh directory; returns the directory. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbook-engine-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

export async function loadPb(yaml: string, extra: Record<string, string> = {}): Promise<Playbook> {
  const dir = await writeTree({ 'site.yml': yaml, ...extra });
  return loadPlaybook(join(dir, 'site.yml'), { modules: moduleLookup });
}

export interface Ran {
  readonly events: RunEvent[];
  readonly stats: Record<string, HostStats>;
  readonly exitCode: number;
  /** task_result events as `name host status` lines. */
  readonly lines: string[];
  /** Results of tasks named `name` (task_result events). */
  results(name: string): TaskResult[];
  /** `msg` of debug task results, per host, in order. */
  msgs(host: string): unknown[];
}

export async function run(yaml: string, inventory: Inventory, options: Partial<RunOptions> = {}, extra: Record<string, string> = {}): Promise<Ran> {
  const playbook = await loadPb(yaml, extra);
  const events: RunEvent[] = [];
  const result = await runPlaybook({
    modules: lookupModule,
    ...options,
    playbooks: [playbook],
    inventory,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return describeRun(events, result.stats, result.exitCode);
}

export function describeRun(events: RunEvent[], stats: Record<string, HostStats>, exitCode: number): Ran {
  const taskResults = events.filter((e): e is Extract<RunEvent, { event: 'task_result' }> => e.event === 'task_result');
  return {
    events,
    stats,
    exitCode,
    lines: taskResults.map((e) => `${e.task.name} ${e.result.host} ${e.result.status}`),
    results: (name) => taskResults.filter((e) => e.task.name === name).map((e) => e.result),
    msgs: (host) =>
      taskResults.filter((e) => e.task.action === 'debug' && e.result.host === host && e.result.status !== 'skipped').map((e) => e.result.values.msg),
  };
}

export function stats(partial: Partial<HostStats>): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...partial };
}

/** A module that returns what `result` computes from its args and counts calls per host. */
export function fakeModule(name: string, result: (args: Readonly<Record<string, unknown>>, calls: number, host: string) => ModuleResult, extra: Partial<Module> = {}): Module & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const module = {
    name,
    description: `test module ${name}`,
    args: { type: 'object', additionalProperties: true },
    checkMode: 'full' as const,
    controllerOnly: true,
    calls,
    async run(args: Readonly<Record<string, unknown>>, ctx: { host: string }): Promise<ModuleResult> {
      const n = (calls.get(ctx.host) ?? 0) + 1;
      calls.set(ctx.host, n);
      return result(args, n, ctx.host);
    },
    ...extra,
  };
  addTestModule(module);
  return module;
}
