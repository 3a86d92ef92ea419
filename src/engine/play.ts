import { dirname, isAbsolute, join, resolve } from 'node:path';
import { markUnsafeTree } from '../model/values.js';
import pMap from 'p-map';
import type { Connection } from '../connection/types.js';
import type { TaskInfo, TaskResult } from '../events/types.js';
import { TsbookError } from '../model/errors.js';
import type { Block, IncludeRole, IncludeTasks, Play, RoleContext, Task, TaskNode, Vars } from '../model/playbook.js';
import type { EngineDeps, TemplarLike } from './deps.js';
import { LoopError, loopItems } from './loops.js';
import { eventResult, isChanged, isFailed, isSkipped, isUnreachable, NO_LOG_MESSAGE, statusOf, stripInternal } from './results.js';
import { blockScope, includeScope, keyword, rootScope, type Scope } from './scope.js';
import type { RunState } from './state.js';
import { shouldRunTags } from './tags.js';
import { fnmatch } from '../util/fnmatch.js';
import { taskErrorOf, type TaskError } from './task-error.js';
import { evaluateConditions, executeTaskOnHost, loopIterationVars, loopSettings, type EngineSettings, type HostExecution, type TaskEnv } from './task.js';
import { ANSIBLE_VERSION, combineVars, factsLayer, isPlainObject, makeHostvars, toBool, type VarsObject } from './vars.js';

/** Actions whose plugin sets BYPASS_HOST_LOOP. */
const BYPASS_HOST_LOOP: ReadonlySet<string> = new Set(['add_host', 'pause']);
/** Names that give the implicit localhost when the inventory does not define them (C.LOCALHOST). */
const IMPLICIT_LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Raised for errors that stop the whole run (ansible's "ERROR! ..." with exit code 1). */
export class RunAbort extends Error {}

export interface PlayOptions {
  readonly settings: EngineSettings;
  readonly tags: readonly string[];
  readonly skipTags: readonly string[];
  readonly forks: number;
  readonly extraVars: Vars;
  readonly limit?: string;
  readonly startAtTask?: string;
  readonly step?: (task: TaskInfo) => Promise<'yes' | 'no' | 'continue'>;
  readonly forceHandlers: boolean;
  readonly signal: AbortSignal;
  /** Cancels tasks in flight (see RunOptions.cancelSignal). */
  readonly cancel: AbortSignal;
  connect(host: string, vars: Readonly<Record<string, unknown>>): Connection;
}

export interface PlayOutcome {
  /** ansible's tqm result for the last batch: 0 ok, 2 failed hosts, 4 unreachable hosts. */
  readonly result: number;
  /** True when no further play may run (all hosts of a batch failed, any_errors_fatal, max_fail_percentage). */
  readonly breakRun: boolean;
}

interface HandlerEntry {
  readonly node: Task | IncludeTasks;
  readonly scope: Scope;
  readonly names: readonly string[];
  readonly listen: readonly string[];
  readonly display: string;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** ansible's pct_to_int for serial values. */
export function serialToInt(value: number | string, total: number): number {
  if (typeof value === 'string' && value.trim().endsWith('%')) {
    const pct = parseInt(value.trim().slice(0, -1), 10);
    return Math.floor((pct / 100) * total) || 1;
  }
  return typeof value === 'number' ? Math.trunc(value) : parseInt(String(value), 10);
}

/** The serialized batches of a play (PlaybookExecutor._get_serialized_batches). */
export function serializeBatches(hosts: readonly string[], serial: readonly (number | string)[] | undefined): string[][] {
  const remaining = [...hosts];
  const list = serial && serial.length > 0 ? serial : [-1];
  const batches: string[][] = [];
  let cur = 0;
  while (remaining.length > 0) {
    const size = serialToInt(list[cur]!, hosts.length);
    if (!(size > 0)) {
      batches.push(remaining.splice(0));
      break;
    }
    batches.push(remaining.splice(0, size));
    cur = Math.min(cur + 1, list.length - 1);
  }
  return batches;
}

/**
 * The roles of a play (roles:, import_role and their dependencies), as play.get_roles() and
 * get_all_dependencies() order them: a role's dependencies before the role.
 */
function collectRoles(nodes: readonly TaskNode[], out: RoleContext[], seen: Set<RoleContext>): void {
  for (const node of nodes) {
    if (node.kind === 'block') {
      collectRoles(node.block, out, seen);
      collectRoles(node.rescue, out, seen);
      collectRoles(node.always, out, seen);
    }
    if (node.role && !seen.has(node.role)) {
      seen.add(node.role);
      out.push(node.role);
    }
  }
}

/** Role.get_vars(include_params=False): the entry's `vars:` then vars/main.yml. */
export function roleVarsOf(role: RoleContext): VarsObject {
  return combineVars(role.entryVars, role.vars);
}

/** Calls `fn` for host results in host order, as soon as all earlier hosts are done. */
class OrderedResults {
  private readonly buffers: (() => void)[][];
  private readonly done: boolean[];
  private next = 0;

  constructor(size: number) {
    this.buffers = Array.from({ length: size }, () => []);
    this.done = Array.from({ length: size }, () => false);
  }

  /** Runs `fn` now if host `i` is the one being shown, else queues it. */
  push(i: number, fn: () => void): void {
    if (i === this.next) fn();
    else this.buffers[i]!.push(fn);
  }

  finish(i: number, fn: () => void): void {
    this.buffers[i]!.push(fn);
    this.done[i] = true;
    if (i !== this.next) return;
    while (this.next < this.done.length) {
      const queue = this.buffers[this.next]!;
      while (queue.length > 0) queue.shift()!();
      if (!this.done[this.next]) break;
      this.next++;
    }
  }
}

/** One play: batches, the linear and free strategies, blocks, includes, handlers and meta tasks. */
export class PlayRunner implements TaskEnv {
  readonly settings: EngineSettings;
  readonly playbookDir: string;
  readonly signal: AbortSignal;
  readonly cancel: AbortSignal;
  private readonly roles: RoleContext[] = [];
  /** Defaults and vars of every role in the play: play-wide (public include_role adds to them). */
  private roleDefaults: VarsObject;
  private roleVars: VarsObject;
  private promptVars: VarsObject = {};
  private readonly handlers: HandlerEntry[] = [];
  private readonly notified = new Map<HandlerEntry, Set<string>>();
  private readonly varsFiles = new Map<string, VarsObject>();
  private readonly invCache = new Map<string, { version: number; vars: Vars }>();
  private readonly factsCache = new Map<string, { version: number; vars: VarsObject }>();
  private groupsCache?: { version: number; groups: Readonly<Record<string, readonly string[]>> };
  private hostsAll: string[] = [];
  private batch: string[] = [];
  /** Hosts that failed (unrescued) in this play. */
  private readonly playFailed = new Set<string>();
  /** Hosts that are done with this play (failed, even if clear_host_errors forgave them since). */
  private readonly playDone = new Set<string>();
  /** When each host last failed, and when meta: clear_host_errors last ran (a counter). */
  private readonly failedAt = new Map<string, number>();
  private failureClock = 0;
  private clearedAt = 0;
  /** Hosts that failed with no rescue in the current batch (max_fail_percentage counts them). */
  private batchFailed = new Set<string>();
  private readonly ended = new Set<string>();
  /** Hosts removed before a clear_host_errors: like Ansible's play._removed_hosts, they stay out of the play's magic host lists. */
  private readonly forgiven = new Set<string>();
  /** Roles added to play.roles at run time by include_role with public: true. */
  private readonly publicRoles: RoleContext[] = [];
  private endPlay = false;
  private endBatch = false;
  private aborted = false;
  private readonly startedTasks = new Set<Task | IncludeTasks | IncludeRole>();
  private freeStrategy = false;
  private stepping: boolean;
  private readonly hostvars: VarsObject;
  /** playbook_dir is absolute in Ansible (os.path.abspath of the loader's basedir). */
  private readonly playbookDirAbs: string;

  constructor(
    readonly play: Play,
    readonly run: RunState,
    readonly deps: EngineDeps,
    private readonly options: PlayOptions,
  ) {
    this.settings = options.settings;
    this.playbookDir = play.baseDir;
    this.playbookDirAbs = resolve(play.baseDir);
    this.signal = options.signal;
    this.cancel = options.cancel;
    this.stepping = options.step !== undefined;
    const seen = new Set<RoleContext>();
    collectRoles(play.roles, this.roles, seen);
    collectRoles(play.pre_tasks, this.roles, seen);
    collectRoles(play.tasks, this.roles, seen);
    collectRoles(play.post_tasks, this.roles, seen);
    this.roleDefaults = combineVars(...this.roles.map((r) => r.defaults));
    this.roleVars = combineVars(...this.roles.map(roleVarsOf));
    this.hostvars = makeHostvars({
      // ansible 2.14's HostVars always lists (and creates on lookup) the implicit localhost
      hosts: () => [...new Set([...this.run.inventory.hosts.keys(), 'localhost'])],
      varsOf: (host) => (this.run.inventory.hosts.has(host) || IMPLICIT_LOCALHOST_NAMES.includes(host) ? this.hostView(host) : undefined),
      template: (value, vars) => this.deps.newTemplar(vars).template(value),
    });
  }

  // ---------------------------------------------------------------- variables

  knownHost(host: string): boolean {
    return this.run.inventory.hosts.has(host);
  }

  private inventoryVars(host: string): Vars {
    const inv = this.run.inventory;
    const cached = this.invCache.get(host);
    if (cached && cached.version === inv.version) return cached.vars;
    const vars = this.deps.inventoryVarsFor(inv.current, host);
    this.invCache.set(host, { version: inv.version, vars });
    return vars;
  }

  private factVars(host: string): VarsObject {
    const version = this.run.factsVersion.get(host) ?? 0;
    const cached = this.factsCache.get(host);
    if (cached && cached.version === version) return cached.vars;
    const vars = factsLayer(this.run.facts.get(host) ?? {});
    this.factsCache.set(host, { version, vars });
    return vars;
  }

  private groups(): Readonly<Record<string, readonly string[]>> {
    const inv = this.run.inventory;
    if (!this.groupsCache || this.groupsCache.version !== inv.version) this.groupsCache = { version: inv.version, groups: this.deps.groupsMap(inv.current) };
    return this.groupsCache.groups;
  }

  private removedHosts(): Set<string> {
    const removed = new Set<string>([...this.batchFailed, ...this.playFailed, ...this.ended, ...this.forgiven]);
    for (const h of this.run.unreachable) removed.add(h);
    for (const h of this.run.failed) removed.add(h);
    return removed;
  }

  /** Magic variables that do not depend on the task. */
  private hostMagic(host: string): VarsObject {
    const o = this.options;
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: [...this.deps.groupNamesOf(this.run.inventory.current, host)].filter((g) => g !== 'all' && g !== 'ungrouped').sort(),
      groups: this.groups(),
      hostvars: this.hostvars,
      playbook_dir: this.playbookDirAbs,
      omit: this.deps.omitPlaceholder,
      ansible_version: ANSIBLE_VERSION,
      ansible_check_mode: this.settings.check,
      ansible_diff_mode: this.settings.diff,
      ansible_run_tags: o.tags.length > 0 ? [...o.tags] : ['all'],
      ansible_skip_tags: [...o.skipTags],
      ansible_verbosity: this.settings.verbosity,
      ansible_forks: o.forks,
      ansible_limit: o.limit,
      ansible_inventory_sources: [...this.run.inventory.current.sources],
      ansible_config_file: null,
      ansible_playbook_python: '/usr/bin/python3',
    };
  }

  private playMagic(): VarsObject {
    const removed = this.removedHosts();
    const playRoles = this.playRoles();
    const roleNames = playRoles.map((r) => r.name);
    const dependentNames = [...new Set(playRoles.flatMap((r) => r.dependencies ?? []))];
    return {
      ansible_play_hosts_all: [...this.hostsAll],
      ansible_play_hosts: this.hostsAll.filter((h) => !removed.has(h)),
      ansible_play_batch: this.batch.filter((h) => !removed.has(h)),
      play_hosts: this.batch.filter((h) => !removed.has(h)),
      ansible_play_name: this.playName(),
      ansible_play_role_names: roleNames,
      role_names: roleNames,
      ansible_role_names: [...new Set([...dependentNames, ...roleNames])],
      ansible_dependent_role_names: dependentNames,
    };
  }

  /** What hostvars[host] shows: inventory, facts, include_vars, set_fact/register, extra vars, magic. */
  hostView(host: string): VarsObject {
    return combineVars(
      this.inventoryVars(host),
      this.factVars(host),
      this.run.includeVars.get(host),
      this.run.hostFacts.get(host),
      this.options.extraVars,
      this.hostMagic(host),
    );
  }

  /** Ansible's VariableManager.get_vars(play, host, task), layer by layer. */
  taskVars(host: string, task: Task | IncludeTasks | IncludeRole, scope: Scope): VarsObject {
    const role = task.role ?? scope.role;
    const all = combineVars(
      this.roleDefaults,
      role?.defaults,
      this.inventoryVars(host),
      this.factVars(host),
      this.play.vars,
      this.promptVars,
      this.varsFiles.get(host),
      this.roleVars,
      role ? roleVarsOf(role) : undefined,
      scope.blockVars,
      task.kind === 'task' ? task.vars : undefined,
      this.run.includeVars.get(host),
      this.run.hostFacts.get(host),
      role?.params,
      scope.includeParams,
      this.options.extraVars,
      this.hostMagic(host),
      this.playMagic(),
    );
    if (role) {
      all.role_name = role.name;
      all.role_path = resolve(role.path);
      all.ansible_role_name = role.name;
    }
    all.ansible_search_path = this.searchPath(task, role);
    all.vars = { ...all };
    return all;
  }

  /** Task.get_search_path() plus the playbook dir, as TaskExecutor sets ansible_search_path. */
  private searchPath(task: Task | IncludeTasks | IncludeRole, role: RoleContext | undefined): string[] {
    const paths: string[] = [];
    if (role) paths.push(resolve(role.path));
    const taskDir = resolve(dirname(task.source.file));
    if (!paths.includes(taskDir)) paths.push(taskDir);
    if (!paths.includes(this.playbookDirAbs)) paths.push(this.playbookDirAbs);
    return paths;
  }

  /** Variables for things templated once per play (hosts pattern, handler names, serial). */
  private playLevelVars(): VarsObject {
    return combineVars(this.roleDefaults, this.play.vars, this.promptVars, this.roleVars, this.options.extraVars, {
      playbook_dir: this.playbookDirAbs,
      omit: this.deps.omitPlaceholder,
      ansible_version: ANSIBLE_VERSION,
      groups: this.groups(),
      hostvars: this.hostvars,
      ansible_check_mode: this.settings.check,
    });
  }

  private templar(vars: VarsObject, task?: { source: Task['source'] }): TemplarLike {
    return this.deps.newTemplar(vars, task?.source);
  }

  // ---------------------------------------------------------------- TaskEnv

  async connection(target: string, connVars: Readonly<Record<string, unknown>>): Promise<Connection> {
    let conn = this.run.connections.get(target);
    if (!conn) {
      conn = this.options.connect(target, connVars);
      this.run.connections.set(target, conn);
      const user = connVars.ansible_user ?? connVars.ansible_ssh_user;
      const port = Number(connVars.ansible_port ?? connVars.ansible_ssh_port);
      this.run.emit({
        event: 'connection_open',
        host: target,
        transport: conn.transport ?? String(connVars.ansible_connection ?? 'ssh'),
        ...(typeof user === 'string' ? { user } : {}),
        address: String(connVars.ansible_host ?? connVars.ansible_ssh_host ?? target),
        ...(Number.isInteger(port) && port > 0 ? { port } : {}),
      });
    }
    return conn;
  }

  /** The task each host is running (hosts run different tasks under the free strategy). */
  private readonly currentTask = new Map<string, TaskInfo>();

  progress(host: string, message: string): void {
    const task = this.currentTask.get(host);
    if (task) this.run.emit({ event: 'task_progress', task, host, message });
  }

  retry(host: string, attempt: number, retriesLeft: number, result: TaskResult): void {
    const task = this.currentTask.get(host);
    if (task) this.run.emit({ event: 'task_retry', task, host, attempt, retriesLeft, result });
  }

  warn(message: string): void {
    this.run.emit({ event: 'warning', message });
  }

  // ---------------------------------------------------------------- play

  private playName(): string {
    return this.play.name ?? this.play.hosts;
  }

  private isActive(host: string): boolean {
    return !this.aborted && !this.endBatch && !this.endPlay && !this.ended.has(host) && !this.run.unreachable.has(host) && !this.signal.aborted;
  }

  private async loadVarsFiles(hosts: readonly string[]): Promise<void> {
    const cache = new Map<string, Vars>();
    const load = async (path: string): Promise<Vars> => {
      let v = cache.get(path);
      if (!v) {
        v = await this.deps.loadVarsFile(path, this.play.source);
        cache.set(path, v);
      }
      return v;
    };
    const resolvePath = (p: string) => (isAbsolute(p) ? p : join(this.play.baseDir, p));
    for (const host of hosts) {
      const base = combineVars(this.inventoryVars(host), this.factVars(host), this.play.vars, this.options.extraVars, this.hostMagic(host));
      const templar = this.templar(base);
      const merged: VarsObject = {};
      for (const entry of this.play.vars_files) {
        if (typeof entry === 'string') {
          Object.assign(merged, await load(resolvePath(String(templar.template(entry)))));
        } else {
          let found = false;
          for (const candidate of entry) {
            const path = resolvePath(String(templar.template(candidate)));
            try {
              Object.assign(merged, await load(path));
              found = true;
              break;
            } catch {
              continue;
            }
          }
          if (!found) throw new RunAbort(`vars file ${entry.join(', ')} was not found`);
        }
      }
      this.varsFiles.set(host, merged);
    }
  }

  private prepareVarsPrompt(): void {
    const templar = this.templar(this.playLevelVars());
    for (const prompt of this.play.vars_prompt ?? []) {
      const name = String(prompt.name ?? '');
      if (name === '' || name in this.options.extraVars) continue;
      if (prompt.default !== undefined) this.promptVars[name] = templar.template(prompt.default);
      else {
        this.promptVars[name] = '';
        this.warn(`vars_prompt '${name}' has no default and tsbook does not prompt; pass it with -e ${name}=...`);
      }
    }
  }

  private prepareHandlers(): void {
    const vars = this.playLevelVars();
    const templar = this.templar(vars);
    const add = (nodes: readonly TaskNode[], scope: Scope) => {
      for (const node of nodes) {
        if (node.kind === 'block') {
          add(node.block, blockScope(scope, node, 'block'));
          continue;
        }
        if (node.kind === 'include_role') continue;
        let name = node.name;
        if (name !== undefined) {
          try {
            name = String(templar.template(name));
          } catch (err) {
            if (node.kind === 'task' && !node.listen?.length) {
              this.warn(`Handler '${node.name}' is unusable because it has no listen topics and the name could not be templated (host-specific variables are not supported in handler names). The error: ${errorMessage(err)}`);
            }
            name = undefined;
          }
        }
        const role = node.role ?? scope.role;
        const names = name === undefined ? [] : role ? [name, `${role.name} : ${name}`] : [name];
        const listen = node.kind === 'task' ? (node.listen ?? []).map((l) => String(templar.template(l))) : [];
        const entry: HandlerEntry = { node, scope, names, listen, display: name ?? node.kind };
        this.handlers.push(entry);
      }
    };
    add(this.play.handlers, rootScope(this.play, true));
  }

  /**
   * Ansible's play.roles: the `roles:` entries, roles imported by import_role in the play's task
   * sections (nested imports first), then roles included with public: true.
   */
  private playRoles(): RoleContext[] {
    const out = this.play.roles.map((r) => r.role).filter((r): r is RoleContext => r !== undefined);
    const walk = (nodes: readonly TaskNode[], current: RoleContext | undefined): void => {
      for (const node of nodes) {
        if (node.kind !== 'block' || node.role?.isDependency) continue;
        const role = node.role ?? current;
        for (const list of [node.block, node.rescue, node.always]) walk(list, role);
        if (role && role !== current) out.push(role);
      }
    };
    for (const section of [this.play.pre_tasks, this.play.tasks, this.play.post_tasks]) walk(section, undefined);
    return [...out, ...this.publicRoles];
  }

  /** include_role with public: true appends the role to play.roles: its defaults and vars become play-wide. */
  private addPlayRole(role: RoleContext): void {
    this.publicRoles.push(role);
    if (this.roles.includes(role)) return;
    this.roles.push(role);
    this.roleDefaults = combineVars(this.roleDefaults, role.defaults);
    this.roleVars = combineVars(this.roleVars, roleVarsOf(role));
  }

  private addRoleHandlers(nodes: readonly TaskNode[], scope: Scope): void {
    const templar = this.templar(this.playLevelVars());
    const walk = (list: readonly TaskNode[], s: Scope) => {
      for (const node of list) {
        if (node.kind === 'block') walk(node.block, blockScope(s, node, 'block'));
        else if (node.kind === 'task' || node.kind === 'include_tasks') {
          const role = node.role ?? s.role;
          let name: string | undefined;
          try {
            name = node.name === undefined ? undefined : String(templar.template(node.name));
          } catch {
            name = undefined;
          }
          const names = name === undefined ? [] : role ? [name, `${role.name} : ${name}`] : [name];
          const listen = node.kind === 'task' ? (node.listen ?? []).map(String) : [];
          this.handlers.push({ node, scope: s, names, listen, display: name ?? node.kind });
        }
      }
    };
    walk(nodes, { ...scope, isHandler: true, rescueAvailable: false, alwaysAvailable: false });
  }

  /** Runs the play over its batches. */
  async runPlay(): Promise<PlayOutcome> {
    this.prepareVarsPrompt();
    const templar = this.templar(this.playLevelVars());
    const pattern = String(templar.template(this.play.hosts));
    let hosts = [...this.deps.selectHosts(this.run.inventory.current, pattern, { limit: this.options.limit })];
    hosts = this.orderHosts(hosts);
    this.hostsAll = hosts;
    this.prepareHandlers();
    if (hosts.length === 0) {
      this.run.emit({ event: 'play_start', name: this.playName(), hosts: [], source: this.play.source });
      this.run.emit({ event: 'no_hosts', name: this.playName() });
      this.run.emit({ event: 'play_end', name: this.playName() });
      return { result: 0, breakRun: false };
    }
    this.freeStrategy = this.play.strategy === 'free';
    const serial = (this.play.serial ?? []).map((s) => (typeof s === 'string' ? (templar.template(s) as number | string) : s));
    const batches = serializeBatches(hosts, serial);
    let result = 0;
    for (const batch of batches) {
      if (this.signal.aborted) break;
      const before = new Set([...this.run.failed, ...this.run.unreachable]);
      result = await this.runBatch(batch);
      if (this.endPlay) break;
      if (this.aborted) return { result: 2, breakRun: true };
      const newlyFailed = batch.filter((h) => !before.has(h) && (this.run.failed.has(h) || this.run.unreachable.has(h))).length;
      if (newlyFailed === batch.length) return { result, breakRun: true };
    }
    return { result, breakRun: false };
  }

  private orderHosts(hosts: string[]): string[] {
    switch (this.play.order) {
      case 'reverse_inventory':
        return [...hosts].reverse();
      case 'sorted':
        return [...hosts].sort();
      case 'reverse_sorted':
        return [...hosts].sort().reverse();
      case 'shuffle': {
        const out = [...hosts];
        for (let i = out.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [out[i], out[j]] = [out[j]!, out[i]!];
        }
        return out;
      }
      default:
        return hosts;
    }
  }

  private gatherTask(): Task | undefined {
    const gather = this.play.gather_facts === undefined ? true : toBool(this.templar(this.playLevelVars()).template(this.play.gather_facts));
    if (!gather) return undefined;
    const args: VarsObject = {};
    if (this.play.gather_subset !== undefined) args.gather_subset = [...this.play.gather_subset];
    return {
      kind: 'task',
      source: this.play.source,
      name: 'Gathering Facts',
      action: 'setup',
      args,
      tags: this.play.tags && this.play.tags.length > 0 ? [] : ['always'],
    };
  }

  private async runBatch(batch: string[]): Promise<number> {
    this.batch = batch;
    this.batchFailed = new Set();
    this.endBatch = false;
    this.run.emit({ event: 'play_start', name: this.playName(), hosts: batch, source: this.play.source });
    // hosts that failed in earlier plays take no part
    const live = batch.filter((h) => !this.run.failed.has(h) && !this.run.unreachable.has(h));
    await this.loadVarsFiles(live);
    const root = rootScope(this.play);
    const gather = this.gatherTask();
    const sections: { nodes: readonly TaskNode[]; flush: boolean }[] = [
      { nodes: gather ? [gather] : [], flush: false },
      { nodes: this.play.pre_tasks, flush: true },
      { nodes: [...this.play.roles, ...this.play.tasks], flush: true },
      { nodes: this.play.post_tasks, flush: true },
    ];
    const runHostsThrough = async (hosts: string[]) => {
      let current = hosts;
      for (const section of sections) {
        current = current.filter((h) => this.isActive(h) && !this.playDone.has(h));
        if (current.length === 0) break;
        const failed = await this.runSection(section.nodes, current, root);
        if (section.flush) {
          const flushHosts = current.filter((h) => this.isActive(h) && (this.forceHandlers() || !failed.has(h)));
          for (const h of await this.flushHandlers(flushHosts)) failed.add(h);
        }
        for (const h of failed) {
          this.playDone.add(h);
          if ((this.failedAt.get(h) ?? Infinity) > this.clearedAt) this.markPlayFailed(h);
        }
      }
    };
    if (this.freeStrategy) {
      await pMap(live, (host) => runHostsThrough([host]), { concurrency: Math.max(1, this.options.forks) });
    } else {
      await runHostsThrough(live);
    }
    this.run.emit({ event: 'play_end', name: this.playName() });
    if (this.run.unreachable.size > 0) return 4;
    if (this.run.failed.size > 0) return 2;
    return 0;
  }

  private forceHandlers(): boolean {
    if (this.options.forceHandlers) return true;
    if (this.play.force_handlers === undefined) return false;
    return toBool(this.play.force_handlers);
  }

  private markPlayFailed(host: string): void {
    this.playFailed.add(host);
    this.playDone.add(host);
    this.run.failed.add(host);
  }

  // ---------------------------------------------------------------- blocks

  /** Runs `nodes` in order over `hosts`; returns the hosts that failed (and were not rescued) in them. */
  private async runSection(nodes: readonly TaskNode[], hosts: readonly string[], scope: Scope): Promise<Set<string>> {
    const failed = new Set<string>();
    for (const node of nodes) {
      const live = hosts.filter((h) => this.isActive(h) && !failed.has(h));
      if (live.length === 0) break;
      for (const h of await this.runNode(node, live, scope)) failed.add(h);
    }
    return failed;
  }

  private runNode(node: TaskNode, hosts: string[], scope: Scope): Promise<Set<string>> {
    switch (node.kind) {
      case 'task':
        return this.runTask(node, hosts, scope);
      case 'block':
        return this.runBlock(node, hosts, scope);
      case 'include_tasks':
        return this.runInclude(node, hosts, scope);
      case 'include_role':
        return this.runInclude(node, hosts, scope);
    }
  }

  private async runBlock(block: Block, hosts: string[], scope: Scope): Promise<Set<string>> {
    const failedInBlock = await this.runSection(block.block, hosts, blockScope(scope, block, 'block'));
    let failed = failedInBlock;
    if (block.rescue.length > 0 && failedInBlock.size > 0) {
      const rescueHosts = hosts.filter((h) => failedInBlock.has(h) && this.isActive(h));
      for (const h of rescueHosts) this.batchFailed.delete(h);
      failed = await this.runSection(block.rescue, rescueHosts, blockScope(scope, block, 'rescue'));
    }
    if (block.always.length > 0) {
      const alwaysHosts = hosts.filter((h) => this.isActive(h));
      for (const h of await this.runSection(block.always, alwaysHosts, blockScope(scope, block, 'always'))) failed.add(h);
    }
    return failed;
  }

  // ---------------------------------------------------------------- tasks

  private tagsOf(node: { tags?: readonly string[] }, scope: Scope): string[] {
    return [...scope.tags, ...(node.tags ?? [])];
  }

  private taskInfo(task: Task | IncludeTasks | IncludeRole, scope: Scope, vars: VarsObject | undefined): TaskInfo {
    const action = task.kind === 'task' ? task.action : task.kind;
    let name = task.name ?? (task.kind === 'include_role' ? `include_role : ${task.roleName}` : task.kind === 'task' ? task.actionWritten ?? action : action);
    if (task.name !== undefined && vars) {
      try {
        const templated = this.templar(vars, task).template(task.name);
        name = templated === undefined || templated === null ? '' : String(templated);
      } catch {
        name = task.name;
      }
    }
    const role = task.role ?? scope.role;
    return { name, action, source: task.source, isHandler: scope.isHandler, role: role?.name };
  }

  /** --start-at-task: skips until a task whose name matches. */
  private startAtAllows(info: TaskInfo, task: Task | IncludeTasks | IncludeRole): boolean {
    if (this.run.startAtDone) return true;
    const target = this.options.startAtTask!;
    const raw = task.name ?? '';
    const full = info.role ? `${info.role} : ${raw}` : raw;
    if (raw === target || full === target || fnmatch(raw, target) || fnmatch(full, target)) {
      this.run.startAtDone = true;
      return true;
    }
    return false;
  }

  /** Whether the task runs at all (tags, --start-at-task); false means no event, no stats. */
  private selected(task: Task | IncludeTasks | IncludeRole, scope: Scope, info: TaskInfo): boolean {
    if (!scope.isHandler && !shouldRunTags(this.tagsOf(task, scope), this.options.tags, this.options.skipTags)) return false;
    if (!scope.isHandler && !this.startAtAllows(info, task)) return false;
    return true;
  }

  private async askStep(info: TaskInfo): Promise<boolean> {
    if (!this.stepping || !this.options.step) return true;
    const answer = await this.options.step(info);
    if (answer === 'continue') this.stepping = false;
    return answer !== 'no';
  }

  private announce(task: Task | IncludeTasks | IncludeRole, info: TaskInfo, hosts: readonly string[]): void {
    if (this.freeStrategy) {
      if (this.startedTasks.has(task)) return;
      this.startedTasks.add(task);
    }
    this.run.emit({ event: 'task_start', task: info, hosts });
  }

  private async runTask(task: Task, hosts: string[], scope: Scope): Promise<Set<string>> {
    const failed = new Set<string>();
    const firstVars = this.taskVars(hosts[0]!, task, scope);
    const info = this.taskInfo(task, scope, firstVars);
    if (!this.selected(task, scope, info)) return failed;
    if (task.action === 'meta') return this.runMeta(task, hosts, scope, firstVars, info);
    const firstTemplar = this.templar(firstVars, task);
    let runOnce = false;
    let throttle = 0;
    try {
      runOnce = toBool(firstTemplar.template(keyword(task, scope, 'run_once') ?? false));
      const t = keyword(task, scope, 'throttle');
      throttle = t === undefined ? 0 : Number(firstTemplar.template(t)) || 0;
    } catch {
      runOnce = false;
    }
    if (!(await this.askStep(info))) return failed;
    // add_host and pause bypass the host loop (BYPASS_HOST_LOOP): they run once, on the first host,
    // and unlike run_once their result (register, facts) stays on that host
    const bypass = BYPASS_HOST_LOOP.has(task.action);
    const targets = runOnce || bypass ? [hosts[0]!] : hosts;
    this.announce(task, info, targets);
    for (const h of targets) this.currentTask.set(h, info);
    const concurrency = Math.max(1, Math.min(this.options.forks, throttle > 0 ? throttle : Infinity));
    const ordered = new OrderedResults(targets.length);
    let anyErrorsFatal = false;
    try {
      anyErrorsFatal = toBool(firstTemplar.template(keyword(task, scope, 'any_errors_fatal') ?? false)) || runOnce || bypass;
    } catch {
      anyErrorsFatal = runOnce || bypass;
    }
    let sawFatal = false;
    await pMap(
      targets,
      async (host, i) => {
        // After an interrupt, hosts still queued by forks/throttle must not start the task.
        if (this.signal.aborted) {
          ordered.finish(i, () => undefined);
          return;
        }
        this.run.emit({ event: 'host_task_start', task: info, host });
        const exec = await executeTaskOnHost(this, task, scope, host, {
          item: (result) => ordered.push(i, () => this.run.emit({ event: 'item_result', task: info, result })),
        });
        ordered.finish(i, () => {
          const outcome = this.processResult(task, scope, info, exec, runOnce ? hosts : [host]);
          for (const h of outcome.failed) failed.add(h);
          if (outcome.fatal && !exec.ignoreErrors) sawFatal = true;
        });
      },
      { concurrency },
    );
    this.afterTask(anyErrorsFatal && sawFatal, hosts);
    return failed;
  }

  /** any_errors_fatal and max_fail_percentage, checked after each task as the linear strategy does. */
  private afterTask(fatal: boolean, hosts: readonly string[]): void {
    if (fatal) {
      for (const h of this.batch) if (!this.run.unreachable.has(h)) this.markPlayFailed(h);
      this.aborted = true;
      this.run.emit({ event: 'no_hosts_remaining' });
      return;
    }
    const mfp = this.play.max_fail_percentage;
    if (mfp !== undefined && hosts.length > 0) {
      const pct = Number(this.templar(this.playLevelVars()).template(mfp)) / 100;
      if (this.batchFailed.size / this.batch.length > pct) {
        for (const h of this.batch) if (!this.run.unreachable.has(h)) this.markPlayFailed(h);
        this.aborted = true;
        this.run.emit({ event: 'no_hosts_remaining' });
      }
    }
  }

  /** _process_pending_results for one host: event, stats, facts, register, notify, failure. */
  private processResult(
    task: Task,
    scope: Scope,
    info: TaskInfo,
    exec: HostExecution,
    varTargets: readonly string[],
  ): { failed: string[]; fatal: boolean } {
    const host = exec.host;
    const dict = exec.dict;
    const stats = this.run.statsOf(host);
    const failedHosts: string[] = [];
    let fatal = false;
    const failed = isFailed(dict);
    const unreachable = !failed && isUnreachable(dict);
    const ignored = (failed && exec.ignoreErrors) || (unreachable && exec.ignoreUnreachable);
    if (!failed && !unreachable && !isSkipped(dict)) {
      if (Array.isArray(dict.results)) {
        for (const item of dict.results) {
          if (!isPlainObject(item) || isSkipped(item)) continue;
          this.applyInventoryChanges(item, host);
          if (item.changed) dict.changed = true;
        }
      } else this.applyInventoryChanges(dict, host);
    }
    const event = eventResult({
      host,
      dict,
      noLog: exec.noLog,
      secrets: exec.secrets,
      durationMs: exec.durationMs,
      ignored,
      delegatedTo: exec.delegatedTo,
      commands: exec.commands,
      diff: exec.diff,
      error: exec.error,
      rescued: failed && !exec.ignoreErrors && scope.rescueAvailable,
    });
    this.run.emit({ event: 'task_result', task: info, result: event });
    const targets = varTargets.filter((h) => !this.run.unreachable.has(h));

    if (failed) {
      if (exec.ignoreErrors) {
        stats.ok++;
        stats.ignored++;
        if (isChanged(dict)) stats.changed++;
      } else {
        fatal = !scope.rescueAvailable && !scope.alwaysAvailable;
        const affected = targets.length > 1 ? targets : [host];
        for (const h of affected) {
          failedHosts.push(h);
          this.failedAt.set(h, ++this.failureClock);
          if (!scope.rescueAvailable) this.batchFailed.add(h);
        }
        if (scope.rescueAvailable) {
          stats.rescued++;
          for (const h of affected) {
            Object.assign(this.run.bag(this.run.hostFacts, h), {
              ansible_failed_task: this.failedTaskInfo(task, info),
              ansible_failed_result: stripInternal(exec.noLog ? { censored: NO_LOG_MESSAGE, changed: Boolean(dict.changed), failed: true } : dict),
            });
          }
        } else {
          stats.failed++;
        }
      }
    } else if (unreachable) {
      if (exec.ignoreUnreachable) {
        stats.ok++;
        stats.ignored++;
      } else {
        fatal = true;
        stats.unreachable++;
        this.run.unreachable.add(host);
        this.run.emit({ event: 'host_unreachable', task: info, host, reason: typeof dict.msg === 'string' ? dict.msg : 'unreachable' });
      }
    } else if (isSkipped(dict)) {
      stats.skipped++;
    } else {
      stats.ok++;
      if (isChanged(dict)) {
        stats.changed++;
        for (const name of exec.notify) this.notify(name, host);
      }
      for (const update of exec.updates) this.applyFacts(update, host, targets);
    }
    if (task.register) {
      const clean = stripInternal(dict);
      delete clean.invocation;
      markUnsafeTree(clean);
      for (const h of targets.length > 0 ? targets : [host]) this.run.bag(this.run.hostFacts, h)[task.register] = clean;
    }
    return { failed: failedHosts, fatal };
  }

  private failedTaskInfo(task: Task, info: TaskInfo): VarsObject {
    return {
      name: task.name ?? '',
      action: task.action,
      args: { ...task.args },
      tags: [...(task.tags ?? [])],
      when: [...(task.when ?? [])],
      register: task.register,
      delegate_to: task.delegate_to,
      role: info.role,
      path: `${task.source.file}:${task.source.line}`,
    };
  }

  private applyFacts(update: HostExecution['updates'][number], host: string, targets: readonly string[]): void {
    const hostsFor = update.delegate !== undefined ? [update.delegate] : targets.length > 0 ? targets : [host];
    switch (update.kind) {
      case 'facts':
        for (const h of hostsFor) this.run.setFacts(h, update.facts);
        return;
      case 'set_fact':
        for (const h of hostsFor) {
          Object.assign(this.run.bag(this.run.hostFacts, h), update.facts);
          if (update.cacheable) this.run.setFacts(h, update.facts);
        }
        return;
      case 'include_vars':
        for (const h of hostsFor) Object.assign(this.run.bag(this.run.includeVars, h), update.facts);
        return;
    }
  }

  /** add_host / group_by results change the inventory; `changed` says whether they did. */
  private applyInventoryChanges(item: VarsObject, host: string): void {
    const addHost = item.add_host;
    if (isPlainObject(addHost) && typeof addHost.host_name === 'string') {
      const groups = Array.isArray(addHost.groups) ? addHost.groups.map(String) : [];
      const vars = isPlainObject(addHost.host_vars) ? addHost.host_vars : {};
      const changed = this.run.inventory.addHost(addHost.host_name, groups, vars);
      item.changed = changed;
      if (changed && !this.hostsAll.includes(addHost.host_name)) this.hostsAll.push(addHost.host_name);
    } else if (typeof item.add_group === 'string') {
      const group = item.add_group;
      const parents = Array.isArray(item.parent_groups) ? item.parent_groups.map(String) : ['all'];
      item.changed = this.run.inventory.addToGroup(host, group, parents);
    }
  }

  // ---------------------------------------------------------------- handlers

  private notify(name: string, host: string): void {
    let found = false;
    const mark = (entry: HandlerEntry) => {
      found = true;
      let set = this.notified.get(entry);
      if (!set) {
        set = new Set();
        this.notified.set(entry, set);
      }
      if (!set.has(host)) {
        set.add(host);
        this.run.emit({ event: 'handler_notified', handler: entry.display, host });
      }
    };
    for (let i = this.handlers.length - 1; i >= 0; i--) {
      const entry = this.handlers[i]!;
      if (entry.names.includes(name)) {
        mark(entry);
        break;
      }
    }
    for (const entry of this.handlers) if (entry.listen.includes(name)) mark(entry);
    if (!found) throw new RunAbort(`The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`);
  }

  /** Runs notified handlers, in definition order, once each, for `hosts`. Returns hosts that failed. */
  private async flushHandlers(hosts: readonly string[]): Promise<Set<string>> {
    const failed = new Set<string>();
    for (let i = 0; i < this.handlers.length; i++) {
      const entry = this.handlers[i]!;
      const set = this.notified.get(entry);
      if (!set || set.size === 0) continue;
      const targets = hosts.filter((h) => set.has(h) && this.isActive(h) && !failed.has(h));
      if (targets.length === 0) continue;
      for (const h of targets) set.delete(h);
      for (const h of await this.runNode(entry.node, targets, entry.scope)) failed.add(h);
    }
    return failed;
  }

  // ---------------------------------------------------------------- meta

  private async runMeta(task: Task, hosts: string[], scope: Scope, firstVars: VarsObject, info: TaskInfo): Promise<Set<string>> {
    const action = String(task.freeForm ?? task.args._raw_params ?? task.args.free_form ?? '').trim();
    const conditional = [...scope.when, ...(task.when ?? [])];
    /** Evaluates the meta's `when`; a false one shows "skipping" (uncounted, as Ansible does). */
    const holds = (host: string, vars?: VarsObject): boolean => {
      if (conditional.length === 0) return true;
      const v = vars ?? this.taskVars(host, task, scope);
      const ok = evaluateConditions(conditional, this.templar(v, task));
      if (!ok) {
        const dict = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
        this.run.emit({ event: 'task_result', task: info, result: eventResult({ host, dict, noLog: false, secrets: [], durationMs: 0 }) });
      }
      return ok;
    };
    const failed = new Set<string>();
    try {
      switch (action) {
        case 'noop':
        case 'refresh_inventory':
        case 'role_complete':
          return failed;
        case 'flush_handlers':
          return await this.flushHandlers(hosts.filter((h) => this.forceHandlers() || !this.playFailed.has(h)));
        case 'end_play':
          if (holds(hosts[0]!, firstVars)) {
            for (const h of this.hostsAll) if (!this.run.unreachable.has(h)) this.ended.add(h);
            this.endPlay = true;
          }
          return failed;
        case 'end_batch':
          if (holds(hosts[0]!, firstVars)) this.endBatch = true;
          return failed;
        case 'end_host':
          for (const h of hosts) if (holds(h)) this.ended.add(h);
          return failed;
        case 'clear_host_errors':
          if (holds(hosts[0]!, firstVars)) {
            this.clearedAt = ++this.failureClock;
            for (const h of this.removedHosts()) this.forgiven.add(h);
            for (const h of this.hostsAll) {
              this.run.unreachable.delete(h);
              this.run.failed.delete(h);
              this.playFailed.delete(h);
              this.batchFailed.delete(h);
            }
          }
          return failed;
        case 'clear_facts':
          if (holds(hosts[0]!, firstVars)) for (const h of this.hostsAll) this.run.clearFacts(h);
          return failed;
        case 'reset_connection':
          for (const h of hosts) {
            if (!holds(h)) continue;
            const conn = this.run.connections.get(h);
            if (conn) {
              this.run.connections.delete(h);
              await conn.close().catch(() => undefined);
            }
          }
          return failed;
        default:
          throw new RunAbort(`invalid meta action requested: ${action}`);
      }
    } catch (err) {
      if (err instanceof RunAbort) throw err;
      // a conditional that cannot be evaluated fails the task on the first host
      const host = hosts[0]!;
      const info = this.taskInfo(task, scope, firstVars);
      this.run.emit({ event: 'task_start', task: info, hosts: [host] });
      this.run.emit({
        event: 'task_result',
        task: info,
        result: eventResult({ host, dict: { failed: true, msg: errorMessage(err), changed: false }, noLog: false, secrets: [], durationMs: 0, error: taskErrorOf(err, task.source) }),
      });
      this.run.statsOf(host).failed++;
      failed.add(host);
      this.failedAt.set(host, ++this.failureClock);
      return failed;
    }
  }

  // ---------------------------------------------------------------- includes

  private async runInclude(inc: IncludeTasks | IncludeRole, hosts: string[], scope: Scope): Promise<Set<string>> {
    const failed = new Set<string>();
    const firstVars = this.taskVars(hosts[0]!, inc, scope);
    const info = this.taskInfo(inc, scope, firstVars);
    if (!this.selected(inc, scope, info)) return failed;
    if (!(await this.askStep(info))) return failed;
    this.announce(inc, info, hosts);
    for (const h of hosts) this.currentTask.set(h, info);

    interface IncludedFile {
      readonly key: string;
      readonly target: string;
      readonly params: VarsObject;
      readonly hosts: string[];
      readonly item?: unknown;
      readonly itemLabel?: string;
    }
    const files: IncludedFile[] = [];
    const addFile = (target: string, params: VarsObject, host: string, item?: unknown, itemLabel?: string) => {
      const key = `${target}\u0000${JSON.stringify(params)}`;
      const existing = files.find((f) => f.key === key);
      if (existing) existing.hosts.push(host);
      else files.push({ key, target, params, hosts: [host], item, itemLabel });
    };

    for (const host of hosts) {
      this.run.emit({ event: 'host_task_start', task: info, host });
      const started = Date.now();
      const vars = this.taskVars(host, inc, scope);
      const templar = this.templar(vars, inc);
      const conditions = [...scope.when, ...(inc.when ?? [])];
      const resolveTarget = (t: TemplarLike): string => {
        if (inc.kind === 'include_tasks') {
          const file = String(t.template(inc.file));
          return isAbsolute(file) ? file : resolve(inc.baseDir, file);
        }
        return String(t.template(inc.roleName));
      };
      let dict: VarsObject;
      let error: TaskError | undefined;
      try {
        if (inc.loopKind !== undefined && inc.loop !== undefined) {
          let items: unknown[];
          try {
            items = loopItems(inc.loopKind, inc.loop, templar);
          } catch (err) {
            if (!(err instanceof LoopError) && !evaluateConditions(conditions, templar)) throw new SkipSignal();
            throw err;
          }
          const settings = loopSettings(inc, templar);
          const results: VarsObject[] = [];
          for (let i = 0; i < items.length; i++) {
            const loopVars = loopIterationVars(settings, items, i);
            const itemTemplar = this.templar({ ...vars, ...loopVars }, inc);
            const res: VarsObject = { [settings.loopVar]: items[i], ansible_loop_var: settings.loopVar };
            if (!evaluateConditions(conditions, itemTemplar)) {
              Object.assign(res, { changed: false, skipped: true, skip_reason: 'Conditional result was False' });
            } else {
              const target = resolveTarget(itemTemplar);
              const labelRaw = itemTemplar.template(settings.label ?? `{{${settings.loopVar}}}`);
              const label = typeof labelRaw === 'string' ? labelRaw : JSON.stringify(labelRaw);
              res.include = target;
              res.include_args = {};
              addFile(target, loopVars, host, items[i], label);
            }
            results.push(res);
          }
          dict = items.length === 0 ? { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] } : { ...aggregate(results) };
        } else if (!evaluateConditions(conditions, templar)) {
          dict = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
        } else {
          const target = resolveTarget(templar);
          dict = { include: target, include_args: {}, changed: false };
          addFile(target, {}, host);
        }
      } catch (err) {
        if (err instanceof SkipSignal) dict = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
        else {
          dict = { failed: true, msg: errorMessage(err) };
          error = taskErrorOf(err, inc.source);
        }
      }
      const status = statusOf(dict);
      if (status === 'skipped' || status === 'failed') {
        this.run.emit({ event: 'task_result', task: info, result: eventResult({ host, dict, noLog: false, secrets: [], durationMs: Date.now() - started, error }) });
        const stats = this.run.statsOf(host);
        if (status === 'skipped') stats.skipped++;
        else {
          failed.add(host);
          this.failedAt.set(host, ++this.failureClock);
          if (scope.rescueAvailable) stats.rescued++;
          else {
            stats.failed++;
            this.batchFailed.add(host);
          }
        }
      }
    }

    for (const file of files) {
      const targets = file.hosts.filter((h) => this.isActive(h) && !failed.has(h));
      if (targets.length === 0) continue;
      this.run.emit({ event: 'include', file: file.target, hosts: targets, item: file.item, itemLabel: file.itemLabel });
      let nodes: readonly TaskNode[];
      let role: RoleContext | undefined;
      try {
        if (inc.kind === 'include_tasks') {
          nodes = await this.deps.loadTaskFile(file.target, { source: inc.source, role: inc.role ?? scope.role, playbookDir: this.play.baseDir });
        } else {
          const t = this.templar(this.taskVars(targets[0]!, inc, scope), inc);
          const opt = (v: string | undefined) => (v === undefined ? undefined : String(t.template(v)));
          const loaded = await this.deps.loadRole(file.target, {
            baseDir: inc.baseDir,
            tasksFrom: opt(inc.tasks_from),
            varsFrom: opt(inc.vars_from),
            defaultsFrom: opt(inc.defaults_from),
            handlersFrom: opt(inc.handlers_from),
            source: inc.source,
            vars: inc.vars,
          });
          nodes = [loaded.block];
          role = loaded.role;
          if (inc.public === true) this.addPlayRole(loaded.role);
          this.addRoleHandlers(loaded.handlers, rootScope(this.play, true));
        }
      } catch (err) {
        if (err instanceof TsbookError && err.kind === 'load' && !/not found|Could not find|no such file|ENOENT/i.test(err.message)) throw err;
        for (const h of targets) {
          this.run.emit({
            event: 'task_result',
            task: info,
            result: eventResult({ host: h, dict: { failed: true, changed: false, msg: errorMessage(err) }, noLog: false, secrets: [], durationMs: 0 }),
          });
          // ansible counts a failed include_tasks file, but an include_role that cannot load only marks the host failed
          if (inc.kind === 'include_tasks') this.run.statsOf(h).failed++;
          failed.add(h);
          this.failedAt.set(h, ++this.failureClock);
          if (!scope.rescueAvailable) this.batchFailed.add(h);
        }
        continue;
      }
      // included task files count as ok (once per file and host); include_role does not
      if (inc.kind === 'include_tasks') for (const h of targets) this.run.statsOf(h).ok++;
      const child = includeScope(scope, inc, file.params, role);
      for (const h of await this.runSection(nodes, targets, child)) failed.add(h);
    }
    return failed;
  }
}

class SkipSignal extends Error {}

function aggregate(results: VarsObject[]): VarsObject {
  const res: VarsObject = { results, skipped: results.every((r) => Boolean(r.skipped)), changed: false };
  res.msg = res.skipped ? 'All items skipped' : 'All items completed';
  return res;
}

