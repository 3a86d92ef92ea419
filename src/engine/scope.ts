import { parentRoleParams, type Block, type Condition, type InheritableKeywords, type IncludeRole, type IncludeTasks, type Play, type RoleContext, type Task, type Vars } from '../model/playbook.js';

/**
 * Where a node runs: the chain of enclosing blocks/includes up to the play, with the inherited
 * conditions, tags and vars already accumulated (outermost first).
 */
export interface Scope {
  readonly parent?: Scope;
  readonly keywords: InheritableKeywords;
  /** Conditions of enclosing blocks (each task ANDs them before its own). */
  readonly when: Condition;
  readonly tags: readonly string[];
  /** Block vars of the enclosing blocks, merged outermost first ("task vars" level). */
  readonly blockVars: Vars;
  /** include_tasks/include_role vars and loop variables ("include params" level). */
  readonly includeParams: Vars;
  readonly role?: RoleContext;
  /** True while a failure would be caught by the rescue of an enclosing block. */
  readonly rescueAvailable: boolean;
  /**
   * True while a failure would go on to the always section of an enclosing block: any_errors_fatal
   * (and a failed run_once) does not stop such hosts before their always runs, as in ansible's linear
   * strategy (hosts whose next state is RESCUE or ALWAYS are not failed).
   */
  readonly alwaysAvailable: boolean;
  readonly isHandler: boolean;
}

export function rootScope(play: Play, isHandler = false): Scope {
  return {
    keywords: play,
    when: [],
    tags: play.tags ?? [],
    blockVars: {},
    includeParams: {},
    rescueAvailable: false,
    alwaysAvailable: false,
    isHandler,
  };
}

/** The scope of a block's children (for its `block` section when `inBlockSection`). */
export function blockScope(parent: Scope, block: Block, section: 'block' | 'rescue' | 'always'): Scope {
  return {
    parent,
    keywords: block,
    when: block.when && block.when.length > 0 ? [...parent.when, ...block.when] : parent.when,
    tags: block.tags && block.tags.length > 0 ? [...parent.tags, ...block.tags] : parent.tags,
    blockVars: block.vars && Object.keys(block.vars).length > 0 ? { ...parent.blockVars, ...block.vars } : parent.blockVars,
    includeParams: parent.includeParams,
    role: block.role ?? parent.role,
    rescueAvailable: section === 'block' && block.rescue.length > 0 ? true : parent.rescueAvailable,
    alwaysAvailable: section !== 'always' && block.always.length > 0 ? true : parent.alwaysAvailable,
    isHandler: parent.isHandler,
  };
}

/**
 * The scope of tasks loaded by include_tasks/include_role: the include's own `when` and tags do not
 * apply to them (they applied to the include itself); `apply` keywords do.
 */
export function includeScope(parent: Scope, include: IncludeTasks | IncludeRole, params: Vars, role?: RoleContext): Scope {
  const apply = include.apply;
  const keywords: InheritableKeywords = { ...stripConditional(include), ...(apply ?? {}) };
  return {
    parent,
    keywords,
    when: apply?.when && apply.when.length > 0 ? [...parent.when, ...apply.when] : parent.when,
    tags: apply?.tags && apply.tags.length > 0 ? [...parent.tags, ...apply.tags] : parent.tags,
    blockVars: { ...parent.blockVars, ...(include.vars ?? {}), ...(apply?.vars ?? {}) },
    includeParams: { ...parent.includeParams, ...(include.vars ?? {}), ...parentRoleLayer(parent, include), ...params },
    role: role ?? parent.role,
    rescueAvailable: parent.rescueAvailable,
    alwaysAvailable: parent.alwaysAvailable,
    isHandler: parent.isHandler,
  };
}

/** include_role from inside a role: the parent role's params and ansible_parent_role_names/paths. */
function parentRoleLayer(parent: Scope, include: IncludeTasks | IncludeRole): Vars {
  if (include.kind !== 'include_role' || !include.role) return {};
  return parentRoleParams(include.role, { ...include.role.params, ...parent.includeParams });
}

function stripConditional(include: IncludeTasks | IncludeRole): InheritableKeywords {
  const { when: _when, tags: _tags, vars: _vars, ...rest } = include;
  return rest;
}

/** A keyword of `task`, else the nearest enclosing block/include/play that sets it. */
export function keyword<K extends keyof InheritableKeywords>(task: InheritableKeywords, scope: Scope, key: K): InheritableKeywords[K] {
  if (task[key] !== undefined) return task[key];
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.keywords[key] !== undefined) return s.keywords[key];
  }
  return undefined;
}

/** Every `environment` from the play down to the task, outermost first. */
export function environments(task: Task, scope: Scope): unknown[] {
  const chain: unknown[] = [];
  if (task.environment !== undefined) chain.push(task.environment);
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.keywords.environment !== undefined) chain.push(s.keywords.environment);
  return chain.reverse();
}
