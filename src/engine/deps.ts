/**
 * Everything the engine needs from the other layers, in one place. Tests replace parts of it; the
 * defaults are the real loader, inventory, templating and module registry.
 */
import type { Inventory } from '../model/inventory.js';
import type { Block, RoleContext, TaskNode, Vars } from '../model/playbook.js';
import type { Source } from '../model/source.js';
import type { Module } from '../modules/types.js';

export interface TemplarLike {
  /** Templates strings (recursively inside lists and maps); non-templates are returned unchanged. */
  template(value: unknown): unknown;
  /** Evaluates a bare conditional as `when:` does. */
  evaluate(condition: string | boolean): boolean;
  /** Runs a lookup plugin on templated terms (for `with_<lookup>` loops). */
  lookup?(name: string, terms: readonly unknown[]): unknown[];
}

export interface LoadedRole {
  /** The role's tasks (dependencies first), a Block carrying the RoleContext. */
  readonly block: Block;
  /** The role's handlers, added to the play's. */
  readonly handlers: readonly TaskNode[];
  readonly role: RoleContext;
}

export interface RoleLoadOptions {
  readonly baseDir: string;
  readonly tasksFrom?: string;
  readonly varsFrom?: string;
  readonly defaultsFrom?: string;
  readonly handlersFrom?: string;
  readonly source?: Source;
  readonly params?: Vars;
  /** include_role's `vars:` (untemplated), kept on the role as `entryVars`. */
  readonly vars?: Vars;
}

export interface EngineDeps {
  newTemplar(vars: Readonly<Record<string, unknown>>, source?: Source): TemplarLike;
  /** The value `omit` templates to; args equal to it are removed. */
  readonly omitPlaceholder: string;
  inventoryVarsFor(inventory: Inventory, host: string): Vars;
  groupNamesOf(inventory: Inventory, host: string): readonly string[];
  groupsMap(inventory: Inventory): Readonly<Record<string, readonly string[]>>;
  selectHosts(inventory: Inventory, pattern: string, options: { limit?: string }): readonly string[];
  loadTaskFile(path: string, options: { source?: Source; role?: RoleContext; playbookDir?: string }): Promise<readonly TaskNode[]>;
  loadRole(name: string, options: RoleLoadOptions): Promise<LoadedRole>;
  loadVarsFile(path: string, source?: Source): Promise<Vars>;
  findModule(name: string): Module | undefined;
}

/** The text Ansible prints after "The error was: " for a templating error. */
export function templateErrorText(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'ansibleMessage' in err) {
    const text = (err as { ansibleMessage: unknown }).ansibleMessage;
    if (typeof text === 'string') return text;
  }
  return err instanceof Error ? err.message : String(err);
}
