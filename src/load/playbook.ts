import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { LoadError } from '../model/errors.js';
import type { Block, Condition, Play, Playbook, SerialSpec, TaskNode, Vars } from '../model/playbook.js';
import { canonicalModuleName } from '../modules/registry.js';
import { PLAY_KEYWORDS, PLAY_ORDERS, UNSUPPORTED_KEYWORDS, inheritable, keywordTable, keywordValue, pairsOf } from './keywords.js';
import { isTemplate, registryModules, type ModuleLookup } from './module-args.js';
import { parseRoleEntry } from './roles.js';
import { didYouMean } from './suggest.js';
import { expandRole, parseTaskList, type TaskLoadContext } from './tasks.js';
import { errorAt, readYamlFile, sourceOf, toValue, type YamlFile } from './yaml.js';

export { loadTaskFile, loadRole, type LoadTaskFileOptions, type LoadRoleOptions } from './tasks.js';
export { loadVarsFile } from './vars-files.js';
export { parseExtraVars } from './extra-vars.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type YPair = Pair<Node, Node | null>;

export interface LoadPlaybookOptions {
  /** Module lookup (the registry by default); tests inject small tables. */
  readonly modules?: ModuleLookup;
}

const STRATEGIES = ['linear', 'free', 'host_pinned', 'debug'];
const IMPORT_PLAYBOOK_KEYS = ['import_playbook', 'ansible.builtin.import_playbook', 'ansible.legacy.import_playbook', 'name', 'tags', 'vars', 'when'];
const VARS_PROMPT_KEYS = ['name', 'prompt', 'default', 'private', 'confirm', 'encrypt', 'salt_size', 'salt', 'unsafe'];

function isNullNode(node: Node | null | undefined): boolean {
  return node == null || (isScalar(node) && (node as Scalar).value === null);
}

function describe(node: Node | null | undefined): string {
  if (isNullNode(node)) return 'null';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return `'${String((node as Scalar).value)}'`;
}

/** Loads a playbook with its imported playbooks, task files and roles into the model. */
export async function loadPlaybook(path: string, options: LoadPlaybookOptions = {}): Promise<Playbook> {
  const modules = options.modules ?? registryModules;
  const plays = await loadPlays(path, [path], modules);
  return { file: path, plays };
}

async function loadPlays(path: string, stack: readonly string[], modules: ModuleLookup, reference?: { file: YamlFile; node: Node | Pair }): Promise<Play[]> {
  const file = await readYamlFile(path, reference);
  const root = file.doc.contents as Node | null;
  if (isNullNode(root)) throw errorAt(file, root, `Empty playbook, nothing to do: ${path}`);
  if (!isSeq(root)) throw errorAt(file, root, `A playbook must be a list of plays, got ${describe(root)} instead`);
  const plays: Play[] = [];
  for (const item of root.items as (Node | null)[]) {
    if (!isMap(item)) throw errorAt(file, item ?? root, `playbook entries must be either valid plays or 'import_playbook' statements, got ${describe(item)}`);
    const pairs = pairsOf(file, item);
    const importPair = pairs.find(([k]) => canonicalModuleName(k) === 'import_playbook');
    if (importPair) plays.push(...(await importPlaybook(file, item, pairs, importPair[1], stack, modules)));
    else plays.push(await parsePlay(file, item, pairs, modules, stack));
  }
  return plays;
}

async function importPlaybook(file: YamlFile, map: YAMLMap, pairs: Array<[string, YPair]>, importPair: YPair, stack: readonly string[], modules: ModuleLookup): Promise<Play[]> {
  const values: Record<string, unknown> = {};
  const table = keywordTable('block');
  for (const [key, pair] of pairs) {
    if (pair === importPair) continue;
    if (!IMPORT_PLAYBOOK_KEYS.includes(key)) {
      throw errorAt(file, pair, `'${key}' is not a valid attribute for a PlaybookInclude.${didYouMean(key, IMPORT_PLAYBOOK_KEYS)}`);
    }
    if (key === 'import_playbook' || key.endsWith('.import_playbook')) throw errorAt(file, pair, 'conflicting action statements: import_playbook, import_playbook');
    const value = keywordValue(file, 'import_playbook', key, table[key]!, pair);
    if (value !== undefined) values[key] = value;
  }
  const target = toValue(file, importPair.value);
  const at = importPair.value ?? importPair;
  if (typeof target !== 'string' || target.trim() === '') throw errorAt(file, at, `import_playbook requires a playbook file name, got ${describe(importPair.value)}`);
  if (isTemplate(target)) throw errorAt(file, at, `import_playbook with a templated file name is not supported by tsbook ('${target}')`);
  const rel = target.trim();
  const path = isAbsolute(rel) ? rel : join(dirname(file.path), rel);
  const key = resolve(path);
  const index = stack.findIndex((p) => resolve(p) === key);
  if (index !== -1) {
    const err = errorAt(file, at, '');
    throw new LoadError(`include cycle: ${[...stack.slice(index), path].join(' -> ')}`, { source: err.source, frame: err.frame });
  }
  if (!existsSync(path)) throw errorAt(file, at, `Could not find or access '${rel}' (looked for ${path})`);
  const plays = await loadPlays(path, [...stack, path], modules, { file, node: at });
  return plays.map((play) => applyImport(play, values));
}

/** import_playbook's tags are added to each play's, its vars are under the play's, its when applies to every task. */
function applyImport(play: Play, values: Readonly<Record<string, unknown>>): Play {
  const out: Mutable<Play> = { ...play };
  const tags = values.tags as readonly string[] | undefined;
  if (tags) out.tags = [...tags, ...(play.tags ?? [])];
  const vars = values.vars as Vars | undefined;
  if (vars) out.vars = { ...vars, ...(play.vars ?? {}) };
  const when = values.when as Condition | undefined;
  if (when) out.when = [...when, ...(play.when ?? [])];
  return out;
}

function hostsValue(file: YamlFile, pair: YPair): string {
  const node = pair.value;
  const value = toValue(file, node);
  const empty = (): never => {
    throw errorAt(file, isNullNode(node) ? pair : node, 'Hosts list cannot be empty. Please check your playbook');
  };
  if (value === null || value === '') return empty();
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value) && isSeq(node)) {
    if (value.length === 0) return empty();
    return node.items
      .map((item, i) => {
        const v = value[i];
        if (typeof v === 'string' || typeof v === 'number') return String(v);
        throw errorAt(file, item as Node, `Hosts list must be a sequence or string. Please check your playbook (got ${describe(item as Node)} in it)`);
      })
      .join(',');
  }
  throw errorAt(file, node ?? pair, `Hosts list must be a sequence or string. Please check your playbook (got ${describe(node)})`);
}

function serialItem(file: YamlFile, value: unknown, at: Node | Pair): number | string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (isTemplate(text)) return text;
    if (/^\d+$/.test(text)) return Number(text);
    if (/^\d+(\.\d+)?%$/.test(text)) return text;
  }
  throw errorAt(file, at, `the field 'serial' must be a number of hosts, a percentage such as '30%', or a list of them, got ${typeof value === 'string' ? `'${value}'` : JSON.stringify(value)}`);
}

function serialValue(file: YamlFile, pair: YPair): SerialSpec | undefined {
  const node = pair.value;
  const value = toValue(file, node);
  if (value === null) return undefined;
  if (Array.isArray(value) && isSeq(node)) {
    if (value.length === 0) throw errorAt(file, node, "the field 'serial' must not be an empty list");
    return node.items.map((item, i) => serialItem(file, value[i], item as Node));
  }
  return [serialItem(file, value, node ?? pair)];
}

function percentValue(file: YamlFile, pair: YPair): number | string | undefined {
  const value = toValue(file, pair.value);
  if (value === null) return undefined;
  if (typeof value === 'number' && value >= 0) return value;
  if (typeof value === 'string' && (isTemplate(value) || /^\s*\d+(\.\d+)?%?\s*$/.test(value))) return isTemplate(value) ? value : Number(value.replace('%', ''));
  throw errorAt(file, pair.value ?? pair, `the field 'max_fail_percentage' must be a percentage, got ${describe(pair.value)}`);
}

function varsFiles(file: YamlFile, pair: YPair): Array<string | string[]> {
  const node = pair.value;
  const value = toValue(file, node);
  if (value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || !isSeq(node)) throw errorAt(file, node ?? pair, `vars_files must be a list of file names, got ${describe(node)}`);
  return node.items.map((item, i) => {
    const v = value[i];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    throw errorAt(file, item as Node, `vars_files entries must be file names or lists of file names, got ${describe(item as Node)}`);
  });
}

function varsPrompt(file: YamlFile, pair: YPair): Vars[] | undefined {
  const node = pair.value;
  if (isNullNode(node)) return undefined;
  if (!isSeq(node)) throw errorAt(file, node ?? pair, `vars_prompt must be a list of prompts, got ${describe(node)}`);
  return node.items.map((item) => {
    if (!isMap(item)) throw errorAt(file, item as Node, `each vars_prompt entry must be a mapping, got ${describe(item as Node)}`);
    const pairs = pairsOf(file, item);
    for (const [key, p] of pairs) {
      if (!VARS_PROMPT_KEYS.includes(key)) throw errorAt(file, p, `'${key}' is not a valid vars_prompt option.${didYouMean(key, VARS_PROMPT_KEYS)}`);
    }
    const value = toValue(file, item) as Record<string, unknown>;
    if (typeof value.name !== 'string' || value.name === '') throw errorAt(file, item, "Invalid vars_prompt data structure, missing 'name' key");
    return value;
  });
}

async function parsePlay(file: YamlFile, map: YAMLMap, pairs: Array<[string, YPair]>, modules: ModuleLookup, stack: readonly string[]): Promise<Play> {
  const table = keywordTable('play');
  const known = [...Object.keys(table), ...PLAY_KEYWORDS];
  const values: Record<string, unknown> = {};
  const sections = new Map<string, YPair>();
  const play: Mutable<Play> = {
    kind: 'play',
    source: sourceOf(file, map),
    hosts: '',
    vars_files: [],
    pre_tasks: [],
    roles: [],
    tasks: [],
    post_tasks: [],
    handlers: [],
    baseDir: dirname(file.path),
  };
  let hostsSet = false;
  for (const [key, pair] of pairs) {
    if (table[key] !== undefined) {
      const value = keywordValue(file, 'a Play', key, table[key]!, pair);
      if (value !== undefined) values[key] = value;
      continue;
    }
    switch (key) {
      case 'hosts':
        play.hosts = hostsValue(file, pair);
        hostsSet = true;
        break;
      case 'gather_facts':
      case 'force_handlers': {
        const v = keywordValue(file, 'a Play', key, 'bool', pair) as boolean | string | undefined;
        if (v !== undefined) play[key] = v;
        break;
      }
      case 'gather_subset': {
        const v = keywordValue(file, 'a Play', key, 'strlist', pair) as string[] | undefined;
        if (v !== undefined) play.gather_subset = v;
        break;
      }
      case 'strategy': {
        const v = keywordValue(file, 'a Play', key, 'string', pair) as string | undefined;
        if (v !== undefined && !isTemplate(v) && !STRATEGIES.includes(v)) {
          throw errorAt(file, pair.value ?? pair, `Invalid play strategy specified: ${v}.${didYouMean(v, STRATEGIES)}`);
        }
        if (v !== undefined) play.strategy = v;
        break;
      }
      case 'order': {
        const v = keywordValue(file, 'a Play', key, 'string', pair) as string | undefined;
        if (v === undefined) break;
        if (!(PLAY_ORDERS as readonly string[]).includes(v)) {
          throw errorAt(file, pair.value ?? pair, `'${v}' is not a valid value for the field 'order'.${didYouMean(v, PLAY_ORDERS) || ` Valid values: ${PLAY_ORDERS.join(', ')}.`}`);
        }
        play.order = v as Play['order'];
        break;
      }
      case 'serial': {
        const v = serialValue(file, pair);
        if (v !== undefined) play.serial = v;
        break;
      }
      case 'max_fail_percentage': {
        const v = percentValue(file, pair);
        if (v !== undefined) play.max_fail_percentage = v;
        break;
      }
      case 'vars_files':
        play.vars_files = varsFiles(file, pair);
        break;
      case 'vars_prompt': {
        const v = varsPrompt(file, pair);
        if (v !== undefined) play.vars_prompt = v;
        break;
      }
      case 'pre_tasks':
      case 'roles':
      case 'tasks':
      case 'post_tasks':
      case 'handlers':
        sections.set(key, pair);
        break;
      default:
        if (UNSUPPORTED_KEYWORDS.has(key)) throw errorAt(file, pair, `'${key}' is not supported by tsbook`);
        throw errorAt(file, pair, `'${key}' is not a valid attribute for a Play.${didYouMean(key, known)}`);
    }
  }
  if (!hostsSet) throw errorAt(file, map, "the field 'hosts' is required but was not set");
  Object.assign(play, inheritable(values));
  if (typeof values.name === 'string') play.name = values.name;

  const roleHandlers: TaskNode[] = [];
  const importHandlers: TaskNode[] = [];
  const ctx = (handler: boolean, sink: TaskNode[]): TaskLoadContext => ({
    file,
    dir: play.baseDir,
    playbookDir: play.baseDir,
    stack,
    handlers: sink,
    modules,
    handler,
  });
  const list = async (key: string, handler = false, sink = importHandlers): Promise<TaskNode[]> => {
    const pair = sections.get(key);
    return pair ? parseTaskList(ctx(handler, sink), pair.value, `the field '${key}'`) : [];
  };
  play.pre_tasks = await list('pre_tasks');
  const rolesPair = sections.get('roles');
  if (rolesPair) play.roles = await playRoles(file, rolesPair, play.baseDir, modules, stack, roleHandlers);
  play.tasks = await list('tasks');
  play.post_tasks = await list('post_tasks');
  const handlerSink: TaskNode[] = [];
  const handlers = await list('handlers', true, handlerSink);
  // Ansible runs role handlers (roles:, then import_role) before the play's own (compile_roles_handlers() + handlers).
  play.handlers = [...roleHandlers, ...importHandlers, ...handlerSink, ...handlers];
  return play;
}

async function playRoles(file: YamlFile, pair: YPair, playbookDir: string, modules: ModuleLookup, stack: readonly string[], handlers: TaskNode[]): Promise<Block[]> {
  const node = pair.value;
  if (isNullNode(node)) return [];
  if (!isSeq(node)) throw errorAt(file, node ?? pair, `the field 'roles' must be a list of roles, got ${describe(node)}`);
  const seen = new Set<string>();
  const blocks: Block[] = [];
  for (const item of node.items as (Node | null)[]) {
    const entry = parseRoleEntry(file, item);
    const expanded = await expandRole({ file, playbookDir, modules, stack, roleStack: [], seen }, entry);
    if (!expanded.skipped) blocks.push(expanded.block);
    handlers.push(...expanded.handlers);
  }
  return blocks;
}
