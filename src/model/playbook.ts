import { resolve } from 'node:path';
import type { Source } from './source.js';

export type Vars = Readonly<Record<string, unknown>>;

/**
 * A conditional as written: a bare Jinja2 expression, or a list that is ANDed.
 * Kept untemplated; the engine evaluates it per host (and per loop item).
 */
export type Condition = readonly (string | boolean)[];

export type LoopKind =
  | 'loop'
  | 'with_items'
  | 'with_list'
  | 'with_dict'
  | 'with_together'
  | 'with_sequence'
  | 'with_indexed_items'
  | 'with_flattened'
  | 'with_nested'
  | 'with_cartesian'
  | 'with_subelements'
  | 'with_random_choice'
  | 'with_fileglob'
  | 'with_first_found'
  | 'with_lines';

export interface LoopControl {
  readonly loop_var?: string;
  readonly index_var?: string;
  readonly label?: string;
  readonly pause?: number | string;
  readonly extended?: boolean | string;
}

/** Keywords that can be set on plays, blocks, roles and tasks and are inherited downwards. */
export interface InheritableKeywords {
  readonly when?: Condition;
  readonly tags?: readonly string[];
  readonly vars?: Vars;
  readonly become?: boolean | string;
  readonly become_user?: string;
  readonly become_method?: string;
  readonly become_flags?: string;
  readonly ignore_errors?: boolean | string;
  readonly ignore_unreachable?: boolean | string;
  readonly check_mode?: boolean | string;
  readonly diff?: boolean | string;
  readonly no_log?: boolean | string;
  readonly environment?: unknown;
  readonly any_errors_fatal?: boolean | string;
  readonly delegate_to?: string;
  readonly delegate_facts?: boolean | string;
  readonly run_once?: boolean | string;
  readonly throttle?: number | string;
  readonly timeout?: number | string;
  readonly connection?: string;
  readonly remote_user?: string;
  readonly port?: number | string;
  readonly module_defaults?: Vars;
  readonly collections?: readonly string[];
  readonly debugger?: string;
}

/** The role a node came from; gives role_path, role defaults/vars and files/templates lookup. */
export interface RoleContext {
  readonly name: string;
  readonly path: string;
  readonly defaults: Vars;
  readonly vars: Vars;
  /** Role params (`- role: x` with extra keys), highest-but-extra precedence inside the role. */
  readonly params: Vars;
  /**
   * The `vars:` keyword of the role entry, import_role or include_role (Ansible's `role.vars`).
   * With vars/main.yml they form the role's vars, which are play-wide (DEFAULT_PRIVATE_ROLE_VARS=False).
   */
  readonly entryVars?: Vars;
  /** Names of all the role's meta dependencies, recursively (Role.get_all_dependencies()). */
  readonly dependencies?: readonly string[];
  /** True when the role was loaded as another role's meta dependency. */
  readonly isDependency?: boolean;
  readonly source: Source;
}

export interface Task extends InheritableKeywords {
  readonly kind: 'task';
  readonly source: Source;
  readonly name?: string;
  /** Canonical module name: `ansible.builtin.command` is stored as `command`. */
  readonly action: string;
  /** The action as written when it differs from `action` (`ansible.builtin.copy`): an unnamed task's name. */
  readonly actionWritten?: string;
  /** Module arguments as written (merged from free-form `k=v`, the map form and `args:`), untemplated. */
  readonly args: Vars;
  /** For command/shell/raw/script/meta etc.: the free-form text, untemplated. */
  readonly freeForm?: string;
  readonly register?: string;
  readonly loop?: unknown;
  readonly loopKind?: LoopKind;
  readonly loop_control?: LoopControl;
  readonly until?: Condition;
  readonly retries?: number | string;
  readonly delay?: number | string;
  readonly changed_when?: Condition;
  readonly failed_when?: Condition;
  readonly notify?: readonly string[];
  readonly role?: RoleContext;
  /** Set on handlers only. */
  readonly listen?: readonly string[];
}

export interface Block extends InheritableKeywords {
  readonly kind: 'block';
  readonly source: Source;
  readonly name?: string;
  readonly block: readonly TaskNode[];
  readonly rescue: readonly TaskNode[];
  readonly always: readonly TaskNode[];
  readonly role?: RoleContext;
}

/** `include_tasks` is dynamic: its file is templated and loaded at run time, per host. */
export interface IncludeTasks extends InheritableKeywords {
  readonly kind: 'include_tasks';
  readonly source: Source;
  readonly name?: string;
  readonly file: string;
  /** Directory the file path is relative to (the including file's directory). */
  readonly baseDir: string;
  readonly apply?: InheritableKeywords;
  readonly loop?: unknown;
  readonly loopKind?: LoopKind;
  readonly loop_control?: LoopControl;
  readonly role?: RoleContext;
}

/** `include_role` is dynamic; `import_role` is expanded by the loader into a Block. */
export interface IncludeRole extends InheritableKeywords {
  readonly kind: 'include_role';
  readonly source: Source;
  readonly name?: string;
  readonly roleName: string;
  readonly tasks_from?: string;
  readonly vars_from?: string;
  readonly defaults_from?: string;
  readonly handlers_from?: string;
  readonly public?: boolean;
  readonly apply?: InheritableKeywords;
  readonly loop?: unknown;
  readonly loopKind?: LoopKind;
  readonly loop_control?: LoopControl;
  readonly role?: RoleContext;
  /** Directory of the play, used for roles/ lookup. */
  readonly baseDir: string;
}

/** import_tasks and import_role are static: the loader expands them into Blocks. */
export type TaskNode = Task | Block | IncludeTasks | IncludeRole;

export type SerialSpec = readonly (number | string)[];

export interface Play extends InheritableKeywords {
  readonly kind: 'play';
  readonly source: Source;
  readonly name?: string;
  /** The host pattern, untemplated (may contain `{{ }}`). Lists are joined with ','. */
  readonly hosts: string;
  readonly vars_files: readonly (string | readonly string[])[];
  readonly vars_prompt?: readonly Vars[];
  readonly gather_facts?: boolean | string;
  readonly gather_subset?: readonly string[];
  readonly serial?: SerialSpec;
  readonly strategy?: string;
  readonly max_fail_percentage?: number | string;
  readonly force_handlers?: boolean | string;
  readonly order?: 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';
  readonly pre_tasks: readonly TaskNode[];
  /** Roles from `roles:`, each expanded to a Block carrying its RoleContext. */
  readonly roles: readonly Block[];
  readonly tasks: readonly TaskNode[];
  readonly post_tasks: readonly TaskNode[];
  /** Play handlers plus handlers of the play's roles. */
  readonly handlers: readonly TaskNode[];
  /** Directory of the playbook file (playbook_dir). */
  readonly baseDir: string;
}

export interface Playbook {
  readonly file: string;
  /** Plays in order; import_playbook is expanded at load time. */
  readonly plays: readonly Play[];
}

/**
 * What IncludeRole.get_include_params() adds for a role imported from inside another role: the
 * parent's role params and ansible_parent_role_names/paths (nearest parent first; `outer` holds the
 * lists of the include chain above the parent).
 */
export function parentRoleParams(parent: RoleContext, outer: Vars = parent.params): Vars {
  const names = outer.ansible_parent_role_names;
  const paths = outer.ansible_parent_role_paths;
  return {
    ...parent.params,
    ansible_parent_role_names: [parent.name, ...(Array.isArray(names) ? names : [])],
    ansible_parent_role_paths: [resolve(parent.path), ...(Array.isArray(paths) ? paths : [])],
  };
}
