import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { Condition, InheritableKeywords, LoopControl, LoopKind, Vars } from '../model/playbook.js';
import { didYouMean } from './suggest.js';
import { errorAt, toValue, type YamlFile } from './yaml.js';
import { isTemplate, typeName } from './module-args.js';

/** How a keyword's value is checked and normalised. */
export type KeywordType = 'bool' | 'string' | 'int' | 'tags' | 'strlist' | 'condition' | 'vars' | 'any';

/** Keywords of Ansible's Base, Conditional, Taggable and CollectionSearch: valid on plays, blocks, roles and tasks. */
export const BASE_KEYWORDS: Readonly<Record<string, KeywordType>> = {
  name: 'string',
  connection: 'string',
  port: 'int',
  remote_user: 'string',
  vars: 'vars',
  module_defaults: 'vars',
  environment: 'any',
  no_log: 'bool',
  run_once: 'bool',
  ignore_errors: 'bool',
  ignore_unreachable: 'bool',
  check_mode: 'bool',
  diff: 'bool',
  any_errors_fatal: 'bool',
  throttle: 'int',
  timeout: 'int',
  debugger: 'string',
  become: 'bool',
  become_method: 'string',
  become_user: 'string',
  become_flags: 'string',
  tags: 'tags',
  collections: 'strlist',
};

/** Conditional (everything but plays). */
export const CONDITIONAL_KEYWORDS: Readonly<Record<string, KeywordType>> = { when: 'condition' };

/** Delegatable (blocks, roles, tasks). */
export const DELEGATION_KEYWORDS: Readonly<Record<string, KeywordType>> = { delegate_to: 'string', delegate_facts: 'bool' };

/** Task-only keywords with a simple type; action/args/loop/loop_control/with_* are handled by the task parser. */
export const TASK_KEYWORDS: Readonly<Record<string, KeywordType>> = {
  register: 'string',
  until: 'condition',
  retries: 'int',
  delay: 'int',
  changed_when: 'condition',
  failed_when: 'condition',
  notify: 'strlist',
};

export const HANDLER_KEYWORDS: Readonly<Record<string, KeywordType>> = { listen: 'strlist' };

/** Keywords the task parser handles itself. */
export const TASK_SPECIAL_KEYWORDS: readonly string[] = ['action', 'local_action', 'args', 'loop', 'loop_control'];

export const PLAY_KEYWORDS: readonly string[] = [
  'hosts', 'gather_facts', 'gather_subset', 'vars_files', 'vars_prompt', 'serial', 'strategy',
  'max_fail_percentage', 'force_handlers', 'order', 'pre_tasks', 'roles', 'tasks', 'post_tasks', 'handlers',
];

export const BLOCK_SECTIONS: readonly string[] = ['block', 'rescue', 'always'];

/** Keywords Ansible knows that tsbook does not implement; using one is a load error, never silently ignored. */
export const UNSUPPORTED_KEYWORDS: ReadonlySet<string> = new Set(['async', 'poll', 'become_exe', 'gather_timeout', 'fact_path', 'static']);

export const LOOP_KINDS: readonly LoopKind[] = [
  'with_items', 'with_list', 'with_dict', 'with_together', 'with_sequence', 'with_indexed_items', 'with_flattened',
  'with_nested', 'with_cartesian', 'with_subelements', 'with_random_choice', 'with_fileglob', 'with_first_found', 'with_lines',
];

export const LOOP_CONTROL_KEYS: readonly string[] = ['loop_var', 'index_var', 'label', 'pause', 'extended'];

export const PLAY_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const;

const BOOLEAN_TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const BOOLEAN_FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** The string value of a scalar map key, or undefined for complex keys. */
export function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String((pair.key as Scalar).value) : undefined;
}

/** The map's pairs with string keys; a complex key is a load error. */
export function pairsOf(file: YamlFile, map: YAMLMap): Array<[string, Pair<Node, Node | null>]> {
  return map.items.map((pair) => {
    const key = keyOf(pair);
    if (key === undefined) throw errorAt(file, pair.key as Node, 'mapping keys must be strings');
    return [key, pair as Pair<Node, Node | null>];
  });
}

function describeNode(node: Node | null | undefined): string {
  if (node == null) return 'null';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return `'${String((node as Scalar).value)}'`;
}

/** Converts a keyword's value node to its normalised model value, or throws a located LoadError. */
export function keywordValue(file: YamlFile, owner: string, key: string, type: KeywordType, pair: Pair<Node, Node | null>): unknown {
  const node = pair.value;
  const at = node ?? pair;
  const value = toValue(file, node);
  const invalid = (expected: string): never => {
    throw errorAt(file, at, `the field '${key}' of ${owner} must be ${expected}, got ${describeNode(node)}`);
  };
  switch (type) {
    case 'bool':
      if (value === null) return undefined;
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === 'string') {
        if (isTemplate(value)) return value;
        const lower = value.toLowerCase();
        if (BOOLEAN_TRUE.has(lower)) return true;
        if (BOOLEAN_FALSE.has(lower)) return false;
      }
      return invalid('a boolean');
    case 'string':
      if (value === null) return undefined;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (isScalar(node)) return String(value);
      return invalid('a string');
    case 'int':
      if (value === null) return undefined;
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string') {
        if (isTemplate(value)) return value;
        if (/^\s*[-+]?\d+\s*$/.test(value)) return Number(value);
      }
      return invalid('an integer');
    case 'tags':
      return tagList(file, key, owner, pair);
    case 'strlist':
      if (value === null) return undefined;
      if (typeof value === 'string' || typeof value === 'number') return [String(value)];
      if (Array.isArray(value) && isSeq(node)) {
        return node.items.map((item, i) => {
          const v = value[i];
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
          throw errorAt(file, item as Node, `the field '${key}' of ${owner} must be a list of strings, got ${describeNode(item as Node)} in it`);
        });
      }
      return invalid('a string or a list of strings');
    case 'condition':
      return condition(file, key, owner, pair);
    case 'vars':
      return varsValue(file, key, owner, pair);
    case 'any':
      return value;
  }
}

function tagList(file: YamlFile, key: string, owner: string, pair: Pair<Node, Node | null>): readonly string[] | undefined {
  const node = pair.value;
  const value = toValue(file, node);
  if (value === null) return undefined;
  const split = (s: string): string[] => s.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (typeof value === 'string') return split(value);
  if (typeof value === 'number') return [String(value)];
  if (Array.isArray(value) && isSeq(node)) {
    return node.items.map((item, i) => {
      const v = value[i];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      throw errorAt(file, item as Node, `the field '${key}' of ${owner} must be a list of strings, got ${describeNode(item as Node)} in it`);
    });
  }
  throw errorAt(file, node ?? pair, `the field '${key}' of ${owner} must be a string or a list of strings, got ${describeNode(node)}`);
}

function condition(file: YamlFile, key: string, owner: string, pair: Pair<Node, Node | null>): Condition | undefined {
  const node = pair.value;
  const value = toValue(file, node);
  if (value === null) return undefined;
  const one = (v: unknown, at: Node | Pair): string | boolean => {
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return String(v);
    throw errorAt(file, at, `the field '${key}' of ${owner} must be a conditional expression or a list of them, got ${typeName(v)}`);
  };
  if (Array.isArray(value) && isSeq(node)) return node.items.map((item, i) => one(value[i], item as Node));
  return [one(value, node ?? pair)];
}

function varsValue(file: YamlFile, key: string, owner: string, pair: Pair<Node, Node | null>): Vars | undefined {
  const node = pair.value;
  const value = toValue(file, node);
  if (value === null) return undefined;
  const isPlainMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isMap(node) && isPlainMap(value)) return value;
  if (isSeq(node) && Array.isArray(value)) {
    const merged: Record<string, unknown> = {};
    node.items.forEach((item, i) => {
      const v = value[i];
      if (!isPlainMap(v) || !isMap(item)) throw errorAt(file, item as Node, `the field '${key}' of ${owner} must be a mapping or a list of mappings`);
      Object.assign(merged, v);
    });
    return merged;
  }
  throw errorAt(file, node ?? pair, `the field '${key}' of ${owner} must be a mapping, got ${describeNode(node)}`);
}

const KEYWORD_TABLES: Readonly<Record<'play' | 'block' | 'task' | 'handler' | 'role', Readonly<Record<string, KeywordType>>>> = {
  play: BASE_KEYWORDS,
  block: { ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS },
  role: { ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS },
  task: { ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS, ...TASK_KEYWORDS },
  handler: { ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS, ...TASK_KEYWORDS, ...HANDLER_KEYWORDS },
};

/** The table of simple keywords valid for an owner kind. */
export function keywordTable(kind: 'play' | 'block' | 'task' | 'handler' | 'role'): Readonly<Record<string, KeywordType>> {
  return KEYWORD_TABLES[kind];
}

/** Every keyword a task may carry (for did-you-mean and for telling keywords from actions). */
export function allTaskKeywords(handler: boolean): string[] {
  return [...Object.keys(keywordTable(handler ? 'handler' : 'task')), ...TASK_SPECIAL_KEYWORDS];
}

/** The InheritableKeywords subset of a parsed keyword record. */
export function inheritable(values: Readonly<Record<string, unknown>>): InheritableKeywords {
  const out: Record<string, unknown> = {};
  for (const key of [...Object.keys(BASE_KEYWORDS), 'when', 'delegate_to', 'delegate_facts']) {
    if (key !== 'name' && values[key] !== undefined) out[key] = values[key];
  }
  return out as InheritableKeywords;
}

/** Checks a `loop_control:` mapping. */
export function loopControl(file: YamlFile, pair: Pair<Node, Node | null>): LoopControl | undefined {
  const node = pair.value;
  if (node === null) return undefined;
  if (!isMap(node)) throw errorAt(file, node, `loop_control must be a mapping, got ${describeNode(node)}`);
  const out: Record<string, unknown> = {};
  for (const [key, item] of pairsOf(file, node)) {
    if (!LOOP_CONTROL_KEYS.includes(key)) {
      throw errorAt(file, item, `'${key}' is not a valid attribute for a LoopControl.${didYouMean(key, LOOP_CONTROL_KEYS)}`);
    }
    const type: KeywordType = key === 'pause' ? 'int' : key === 'extended' ? 'bool' : 'string';
    const value = key === 'pause' ? pauseValue(file, item) : keywordValue(file, 'loop_control', key, type, item);
    if (value !== undefined) out[key] = value;
  }
  return out as LoopControl;
}

function pauseValue(file: YamlFile, pair: Pair<Node, Node | null>): number | string | undefined {
  const value = toValue(file, pair.value);
  if (value === null) return undefined;
  if (typeof value === 'number' && value >= 0) return value;
  if (typeof value === 'string' && (isTemplate(value) || (/^\s*\d+(\.\d+)?\s*$/.test(value)))) return isTemplate(value) ? value : Number(value);
  throw errorAt(file, pair.value ?? pair, `the field 'pause' of loop_control must be a number of seconds, got ${describeNode(pair.value)}`);
}
