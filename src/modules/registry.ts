import type { Module } from './types.js';

/**
 * Every module tsbook ships. Add a module by importing its file and listing it here; the loader,
 * the engine and the schema generator all read this list and nothing else.
 */
const MODULES: readonly Module[] = [
  // command & controller modules
  // file modules
  // system modules
  // kubernetes modules
];

/**
 * Actions the engine implements itself rather than as modules (they change the task flow).
 * The loader accepts them as task actions.
 */
export const ENGINE_ACTIONS: readonly string[] = [
  'meta',
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
  'import_playbook',
];

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.'];

/** The canonical module name for `name` (`ansible.builtin.copy` -> `copy`), or the name unchanged. */
export function canonicalModuleName(name: string): string {
  for (const prefix of PREFIXES) if (name.startsWith(prefix)) return name.slice(prefix.length);
  for (const module of MODULES) if (module.aliases?.includes(name)) return module.name;
  return name;
}

const byName = new Map<string, Module>();
for (const module of MODULES) byName.set(module.name, module);

export function findModule(name: string): Module | undefined {
  return byName.get(canonicalModuleName(name));
}

export function allModules(): readonly Module[] {
  return MODULES;
}

/** Every name a task may use as its action: modules, their FQCNs and aliases, and engine actions. */
export function allActionNames(): string[] {
  const names: string[] = [];
  for (const name of [...MODULES.map((m) => m.name), ...ENGINE_ACTIONS]) {
    names.push(name, ...PREFIXES.map((p) => p + name));
  }
  for (const module of MODULES) names.push(...(module.aliases ?? []));
  return names;
}
