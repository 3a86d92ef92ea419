import { statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { Vars } from '../model/playbook.js';
import type { Source } from '../model/source.js';
import { BASE_KEYWORDS, CONDITIONAL_KEYWORDS, DELEGATION_KEYWORDS, UNSUPPORTED_KEYWORDS, keywordValue, pairsOf } from './keywords.js';
import { isTemplate } from './module-args.js';
import { errorAt, sourceOf, toValue, type YamlFile } from './yaml.js';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Where a role is looked for, in Ansible's order: <playbook dir>/roles, ANSIBLE_ROLES_PATH, the
 * directory holding the role that depends on it, then the playbook dir itself.
 */
export function roleSearchPaths(playbookDir: string, parentRolePath?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const paths = [join(playbookDir, 'roles')];
  for (const entry of (env.ANSIBLE_ROLES_PATH ?? '').split(':')) if (entry.trim() !== '') paths.push(entry.trim());
  if (parentRolePath !== undefined) paths.push(dirname(parentRolePath));
  paths.push(playbookDir);
  return [...new Set(paths)];
}

/** The directory of role `name`, or undefined. A name containing `/` may also be a path. */
export function findRolePath(name: string, searchPaths: readonly string[], playbookDir: string): string | undefined {
  if (isAbsolute(name)) return isDirectory(name) ? name : undefined;
  for (const dir of searchPaths) {
    const candidate = join(dir, name);
    if (isDirectory(candidate)) return candidate;
  }
  const asPath = resolve(playbookDir, name);
  return name.includes('/') && isDirectory(asPath) ? asPath : undefined;
}

/** `roles/x/tasks/main.yml` and friends: tries NAME, NAME.yml, NAME.yaml, NAME.json. */
export function findRoleFile(rolePath: string, sub: 'tasks' | 'handlers' | 'defaults' | 'vars' | 'meta', name = 'main'): string | undefined {
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const candidate = join(rolePath, sub, name + ext);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

/** A role reference: a `roles:` entry, a meta dependency, or import_role/include_role. */
export interface RoleEntry {
  readonly name: string;
  /** Node to point at when the role is not found. */
  readonly nameNode: Node | Pair | null;
  readonly source: Source;
  /** Keyword values (when, tags, vars, become...) as parsed by keywordValue. */
  readonly keywords: Readonly<Record<string, unknown>>;
  readonly params: Vars;
}

const ROLE_ENTRY_KEYWORDS = { ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS };

/** Parses a `roles:` or `dependencies:` entry: a name, or a mapping with role/name, keywords and params. */
export function parseRoleEntry(file: YamlFile, node: Node | null): RoleEntry {
  if (node === null) throw errorAt(file, node, 'a role entry must be a role name or a mapping with a role name');
  if (isScalar(node)) {
    const name = toValue(file, node);
    if (typeof name !== 'string' || name.trim() === '') throw errorAt(file, node, 'a role entry must be a role name or a mapping with a role name');
    checkStaticName(file, node, name);
    return { name: name.trim(), nameNode: node, source: sourceOf(file, node), keywords: {}, params: {} };
  }
  if (!isMap(node)) throw errorAt(file, node, 'a role entry must be a role name or a mapping with a role name, got a list');
  const pairs = pairsOf(file, node);
  const roleKey = pairs.find(([k]) => k === 'role') ?? pairs.find(([k]) => k === 'name');
  if (!roleKey) throw errorAt(file, node, "role definitions must contain a role name ('role: NAME')");
  const name = toValue(file, roleKey[1].value);
  if (typeof name !== 'string' || name.trim() === '') throw errorAt(file, roleKey[1].value ?? roleKey[1], 'the role name must be a string');
  checkStaticName(file, roleKey[1].value ?? roleKey[1], name);
  const keywords: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  for (const [key, pair] of pairs) {
    if (pair === roleKey[1]) continue;
    if (key === 'name' && roleKey[0] === 'role') {
      keywords.name = keywordValue(file, 'a role', key, 'string', pair);
      continue;
    }
    if (UNSUPPORTED_KEYWORDS.has(key)) throw errorAt(file, pair, `'${key}' is not supported by tsbook`);
    const type = ROLE_ENTRY_KEYWORDS[key];
    if (type !== undefined) {
      const value = keywordValue(file, 'a role', key, type, pair);
      if (value !== undefined) keywords[key] = value;
    } else {
      params[key] = toValue(file, pair.value);
    }
  }
  return { name: name.trim(), nameNode: roleKey[1].value ?? roleKey[1], source: sourceOf(file, node), keywords, params };
}

function checkStaticName(file: YamlFile, node: Node | Pair, name: string): void {
  if (isTemplate(name)) throw errorAt(file, node, `role names loaded at parse time cannot be templated: '${name}' (use include_role)`);
}

export interface RoleMeta {
  readonly dependencies: readonly (Node | null)[];
  readonly allowDuplicates: boolean;
}

/** meta/main.yml: `dependencies:` entries (as nodes, to parse as role entries) and allow_duplicates. */
export function readRoleMeta(file: YamlFile): RoleMeta {
  const root = file.doc.contents as Node | null;
  if (root === null || (isScalar(root) && (root as Scalar).value === null)) return { dependencies: [], allowDuplicates: false };
  if (!isMap(root)) throw errorAt(file, root, 'role metadata (meta/main.yml) must be a mapping');
  let dependencies: (Node | null)[] = [];
  let allowDuplicates = false;
  for (const [key, pair] of pairsOf(file, root as YAMLMap)) {
    if (key === 'dependencies') {
      const value = pair.value;
      if (value === null || (isScalar(value) && (value as Scalar).value === null)) continue;
      if (!isSeq(value)) throw errorAt(file, value, 'role dependencies must be a list');
      dependencies = value.items as (Node | null)[];
    } else if (key === 'allow_duplicates') {
      const v = keywordValue(file, 'role metadata', key, 'bool', pair);
      allowDuplicates = v === true;
    }
  }
  return { dependencies, allowDuplicates };
}

/** Ansible's ROLE_CACHE identity: same name and same params/when/tags/vars/from-files run once. */
export function roleIdentity(rolePath: string, entry: RoleEntry, fromFiles: Readonly<Record<string, string | undefined>>): string {
  const k = entry.keywords;
  return JSON.stringify([rolePath, entry.params, k.when ?? null, k.tags ?? null, k.vars ?? null, fromFiles]);
}

export { basename as roleNameFromPath };
