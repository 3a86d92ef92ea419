/**
 * Ansible's YAML inventory format (ansible/plugins/inventory/yaml.py): nested groups with
 * `hosts`, `children` and `vars`. Values come from the YAML document (YAML 1.1, !vault, !unsafe);
 * positions come from the parallel YAML nodes.
 */
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import type { LoadError } from '../model/errors.js';
import { errorAt, sourceOf, toValue, type YamlFile } from './yaml.js';
import { expandHostPattern, InventorySyntaxError } from './inventory-address.js';
import { BuildError, type InventoryBuilder } from './inventory-data.js';

/** The YAML plugin declined the file (empty, not a mapping, or a plugin config); the next plugin may try. */
export class YamlInventoryDeclined extends Error {
  constructor(message: string, readonly error: LoadError) {
    super(message);
  }
}

export type Mapping = Record<string, unknown>;

export function isMapping(v: unknown): v is Mapping {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Python's type name of a loaded YAML value, for messages. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  if (isMapping(v)) return 'dict';
  if (v instanceof Date) return 'datetime.date';
  return 'str';
}

/** Python truthiness. */
function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

interface Located {
  readonly value: unknown;
  readonly node: Node | null;
  readonly keyNode: Node | Pair | null;
}

/** The pairs of a mapping value, each with its YAML nodes where they can be found. */
function entries(value: Mapping, node: Node | null): Array<[string, Located]> {
  const pairs = new Map<string, Pair>();
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (isScalar(key)) pairs.set(String(key.value), pair);
    }
  }
  // AST order first (JS objects put integer-like keys first), then keys that came from merges.
  const keys = [...pairs.keys()].filter((k) => Object.prototype.hasOwnProperty.call(value, k));
  for (const k of Object.keys(value)) if (!keys.includes(k)) keys.push(k);
  return keys.map((k) => {
    const pair = pairs.get(k);
    return [k, { value: value[k], node: (pair?.value as Node | null | undefined) ?? null, keyNode: pair ?? node }];
  });
}

function keyIsString(loc: Located): boolean {
  const kn = loc.keyNode;
  if (kn && 'key' in kn && isScalar(kn.key)) return typeof kn.key.value === 'string';
  return true;
}

export interface YamlInventoryContext {
  readonly inv: InventoryBuilder;
  readonly file: YamlFile;
  readonly warn: (message: string) => void;
}

/**
 * Parses a YAML inventory document into the builder. Throws YamlInventoryDeclined where the yaml
 * plugin gives the file up (Ansible then tries the ini plugin) and LoadError for broken structure.
 */
export function parseYamlInventory(ctx: YamlInventoryContext): void {
  const { file } = ctx;
  const root = file.doc.contents as Node | null;
  const data = toValue(file, root);
  if (!pyTruthy(data)) throw new YamlInventoryDeclined('Parsed empty YAML file', errorAt(file, root, 'Parsed empty YAML file'));
  if (!isMapping(data)) {
    const msg = `YAML inventory has invalid structure, it should be a dictionary, got: <class '${pyTypeName(data)}'>`;
    throw new YamlInventoryDeclined(msg, errorAt(file, root, msg));
  }
  if (pyTruthy(data.plugin)) {
    const msg = `inventory plugin configuration files are not supported (plugin: ${String(data.plugin)})`;
    throw new YamlInventoryDeclined('Plugin configuration YAML file, not YAML inventory', errorAt(file, root, msg));
  }
  for (const [name, loc] of entries(data, root)) parseGroup(ctx, name, loc);
}

function guard<T>(ctx: YamlInventoryContext, at: Node | Pair | null, fn: () => T, prefix = ''): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BuildError || err instanceof InventorySyntaxError) throw errorAt(ctx.file, at, `${prefix}${err.message}`);
    throw err;
  }
}

function parseGroup(ctx: YamlInventoryContext, group: string, loc: Located): string {
  const { inv, file } = ctx;
  const groupData = loc.value;
  if (!(groupData === null || isMapping(groupData))) {
    ctx.warn(`Skipping '${group}' as this is not a valid group definition`);
    return group;
  }
  if (!keyIsString(loc)) {
    const kn = loc.keyNode as Pair;
    const keyValue = isScalar(kn.key) ? kn.key.value : group;
    throw errorAt(file, kn, `Unable to add group ${group}: Invalid group name supplied, expected a string but got <class '${pyTypeName(keyValue)}'> for ${group}`);
  }
  guard(ctx, loc.keyNode, () => inv.addGroup(group, sourceOf(file, loc.keyNode)), `Unable to add group ${group}: `);
  if (groupData === null) return group;

  const sections = new Map<string, Located>(entries(groupData, loc.node));
  for (const section of ['vars', 'children', 'hosts']) {
    const s = sections.get(section);
    if (!s) continue;
    if (typeof s.value === 'string') sections.set(section, { ...s, value: { [s.value]: null }, node: null });
    else if (!(s.value === null || isMapping(s.value))) {
      throw errorAt(file, s.node ?? s.keyNode, `Invalid "${section}" entry for "${group}" group, requires a dictionary, found "<class '${pyTypeName(s.value)}'>" instead.`);
    }
  }

  for (const [key, s] of sections) {
    if (!(s.value === null || isMapping(s.value))) {
      ctx.warn(`Skipping key (${key}) in group (${group}) as it is not a mapping, it is a <class '${pyTypeName(s.value)}'>`);
      continue;
    }
    if (s.value === null) continue;
    if (key === 'vars') {
      for (const [name, v] of entries(s.value, s.node)) guard(ctx, v.keyNode, () => inv.setVariable(group, name, v.value));
    } else if (key === 'children') {
      for (const [name, sub] of entries(s.value, s.node)) {
        const child = parseGroup(ctx, name, sub);
        guard(ctx, sub.keyNode, () => inv.addChild(group, child));
      }
    } else if (key === 'hosts') {
      for (const [pattern, h] of entries(s.value, s.node)) {
        if (!keyIsString(h)) throw errorAt(file, h.keyNode, `Host pattern ${pattern} must be a string. Enclose integers/floats in quotation marks.`);
        const expanded = guard(ctx, h.keyNode, () => expandHostPattern(pattern), `Invalid host pattern '${pattern}': `);
        const vars = pyTruthy(h.value) ? h.value : {};
        if (!isMapping(vars)) {
          throw errorAt(file, h.node ?? h.keyNode, `Invalid data from file, expected dictionary and got:\n\n${JSON.stringify(h.value)}`);
        }
        for (const host of expanded.hosts) {
          guard(ctx, h.keyNode, () => inv.addHost(host, group, expanded.port, sourceOf(file, h.keyNode)));
          for (const [k, v] of Object.entries(vars)) inv.setVariable(host, k, v);
        }
      }
    } else {
      ctx.warn(`Skipping unexpected key (${key}) in group (${group}), only "vars", "children" and "hosts" are valid`);
    }
  }
  return group;
}

