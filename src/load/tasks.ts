import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { LoadError } from '../model/errors.js';
import { parentRoleParams, type Block, type IncludeRole, type IncludeTasks, type InheritableKeywords, type LoopControl, type LoopKind, type RoleContext, type Task, type TaskNode, type Vars } from '../model/playbook.js';
import type { Source } from '../model/source.js';
import { canonicalModuleName, ENGINE_ACTIONS } from '../modules/registry.js';
import type { Module } from '../modules/types.js';
import {
  LOOP_KINDS,
  UNSUPPORTED_KEYWORDS,
  allTaskKeywords,
  inheritable,
  keywordTable,
  keywordValue,
  loopControl,
  pairsOf,
} from './keywords.js';
import { ArgsSyntaxError, RAW_CHECK_ACTIONS, checkModuleArgs, isTemplate, parseKv, registryModules, splitArgs, type ModuleLookup } from './module-args.js';
import { findRoleFile, findRolePath, parseRoleEntry, readRoleMeta, roleIdentity, roleNameFromPath, roleSearchPaths, type RoleEntry } from './roles.js';
import { libraryModuleError } from './config.js';
import { closest, didYouMean } from './suggest.js';
import { errorAtReference, loadVarsFile } from './vars-files.js';
import { errorAt, readYamlFile, sourceOf, toValue, type YamlFile } from './yaml.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type YPair = Pair<Node, Node | null>;

/** Everything the task parser needs to know about where it is. */
export interface TaskLoadContext {
  readonly file: YamlFile;
  /** Directory of `file`: relative includes are looked up here first. */
  readonly dir: string;
  /** playbook_dir: roles/ lookup and the last place relative includes are looked up. */
  readonly playbookDir: string;
  readonly role?: RoleContext;
  /** Files being loaded, outermost first, for include cycle detection. */
  readonly stack: readonly string[];
  /** Handlers of roles imported with import_role land here (the play's handlers). */
  readonly handlers: TaskNode[];
  readonly modules: ModuleLookup;
  readonly handler: boolean;
}

const META_ACTIONS = [
  'noop', 'flush_handlers', 'refresh_inventory', 'clear_facts', 'clear_host_errors', 'end_play', 'end_host', 'end_batch',
  'reset_connection', 'role_complete',
];

const INCLUDE_TASKS_OPTIONS = ['file', 'apply'];
const ROLE_OPTIONS = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public', 'allow_duplicates', 'rolespec_validate', 'apply'];

function isNullNode(node: Node | null | undefined): boolean {
  return node == null || (isScalar(node) && (node as Scalar).value === null);
}

function describe(node: Node | null | undefined): string {
  if (isNullNode(node)) return 'null';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return `'${String((node as Scalar).value)}'`;
}

// ---------------------------------------------------------------------------------------------
// Task lists and blocks

/** Parses a list of tasks/blocks (`tasks:`, `block:`, a task file's root). `null` is an empty list. */
export async function parseTaskList(ctx: TaskLoadContext, node: Node | null, what: string): Promise<TaskNode[]> {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) throw errorAt(ctx.file, node, `${what} must be a list of tasks, got ${describe(node)}`);
  const out: TaskNode[] = [];
  for (const item of node.items as (Node | null)[]) {
    if (!isMap(item)) throw errorAt(ctx.file, item ?? node, `a task must be a mapping, got ${describe(item)}`);
    out.push(await parseTaskEntry(ctx, item));
  }
  return out;
}

async function parseTaskEntry(ctx: TaskLoadContext, map: YAMLMap): Promise<TaskNode> {
  const pairs = pairsOf(ctx.file, map);
  if (pairs.length === 0) throw errorAt(ctx.file, map, 'no module/action detected in task.');
  if (pairs.some(([k]) => k === 'block')) return parseBlock(ctx, map, pairs);
  const orphan = pairs.find(([k]) => k === 'rescue' || k === 'always');
  if (orphan) throw errorAt(ctx.file, orphan[1], `'${orphan[0]}' can only be used together with 'block'`);
  return parseTask(ctx, map, pairs);
}

async function parseBlock(ctx: TaskLoadContext, map: YAMLMap, pairs: Array<[string, YPair]>): Promise<Block> {
  const table = keywordTable('block');
  const sections: Record<'block' | 'rescue' | 'always', TaskNode[]> = { block: [], rescue: [], always: [] };
  const values: Record<string, unknown> = {};
  for (const [key, pair] of pairs) {
    if (key === 'block' || key === 'rescue' || key === 'always') {
      sections[key] = await parseTaskList(ctx, pair.value, `the field '${key}'`);
    } else if (table[key] !== undefined) {
      const value = keywordValue(ctx.file, 'a Block', key, table[key]!, pair);
      if (value !== undefined) values[key] = value;
    } else if (UNSUPPORTED_KEYWORDS.has(key) || key === 'notify') {
      throw errorAt(ctx.file, pair, `'${key}' is not supported on blocks by tsbook`);
    } else {
      throw errorAt(ctx.file, pair, `'${key}' is not a valid attribute for a Block.${didYouMean(key, [...Object.keys(table), 'block', 'rescue', 'always'])}`);
    }
  }
  const block: Mutable<Block> = {
    kind: 'block',
    source: sourceOf(ctx.file, map),
    block: sections.block,
    rescue: sections.rescue,
    always: sections.always,
    ...inheritable(values),
  };
  if (typeof values.name === 'string') block.name = values.name;
  if (ctx.role) block.role = ctx.role;
  return block;
}

// ---------------------------------------------------------------------------------------------
// Tasks

interface ActionSpec {
  /** As written (`ansible.builtin.copy`). */
  readonly written: string;
  /** Canonical (`copy`). */
  readonly name: string;
  readonly pair: YPair;
  /** The node holding the arguments (the value of `copy:` or of `action:`). */
  readonly argsNode: Node | null;
  /** For `action: copy src=a`: the argument text after the module name. */
  readonly argsText?: string;
  readonly local: boolean;
}

interface TaskArgs {
  readonly args: Record<string, unknown>;
  readonly freeForm?: string;
  readonly pairs: Map<string, Pair>;
  readonly fallback: Node | Pair | null;
}

function isEngineAction(name: string): boolean {
  return ENGINE_ACTIONS.includes(canonicalModuleName(name));
}

function resolveAction(ctx: TaskLoadContext, name: string): boolean {
  return isEngineAction(name) || ctx.modules.find(name) !== undefined;
}

/** Splits `copy src=a dest=b` into the module name and the rest (ModuleArgsParser._split_module_string). */
function splitModuleString(file: YamlFile, node: Node | Pair, text: string): { module: string; rest: string } {
  let tokens: string[];
  try {
    tokens = splitArgs(text);
  } catch (err) {
    if (err instanceof ArgsSyntaxError) throw errorAt(file, node, err.message);
    throw err;
  }
  if (tokens.length === 0) throw errorAt(file, node, 'no module/action detected in task.');
  return { module: tokens[0]!.trim(), rest: tokens.slice(1).join(' ') };
}

function findAction(ctx: TaskLoadContext, map: YAMLMap, pairs: Array<[string, YPair]>, keywords: ReadonlySet<string>): ActionSpec {
  let action: ActionSpec | undefined;
  const unknown: Array<[string, YPair]> = [];
  let sawActionKeyword = false;
  const set = (spec: ActionSpec): void => {
    if (action) throw errorAt(ctx.file, spec.pair, `conflicting action statements: ${action.written}, ${spec.written}`);
    action = spec;
  };
  for (const [key, pair] of pairs) {
    if (key === 'action' || key === 'local_action') {
      const value = pair.value;
      if (sawActionKeyword) throw errorAt(ctx.file, pair, 'action and local_action are mutually exclusive');
      sawActionKeyword = true;
      let written: string;
      let argsNode: Node | null = null;
      let argsText: string | undefined;
      if (isScalar(value) && typeof (value as Scalar).value === 'string') {
        const split = splitModuleString(ctx.file, value, String((value as Scalar).value));
        written = split.module;
        argsText = split.rest;
      } else if (isMap(value)) {
        const moduleKey = value.items.find((p) => isScalar(p.key) && (p.key as Scalar).value === 'module');
        const moduleValue = moduleKey ? toValue(ctx.file, moduleKey.value as Node) : undefined;
        if (!moduleKey || typeof moduleValue !== 'string') throw errorAt(ctx.file, value, `the '${key}' mapping must name a module with 'module:'`);
        const split = splitModuleString(ctx.file, moduleKey.value as Node, moduleValue);
        written = split.module;
        argsText = split.rest;
        argsNode = value;
      } else {
        throw errorAt(ctx.file, value ?? pair, `unexpected parameter type in action: ${describe(value)}`);
      }
      if (!resolveAction(ctx, written)) throw unresolved(ctx, value ?? pair, written);
      set({ written, name: canonicalModuleName(written), pair, argsNode, argsText, local: key === 'local_action' });
      continue;
    }
    if (keywords.has(key) || key.startsWith('with_') || UNSUPPORTED_KEYWORDS.has(key)) continue;
    if (resolveAction(ctx, key)) set({ written: key, name: canonicalModuleName(key), pair, argsNode: pair.value, local: false });
    else unknown.push([key, pair]);
  }
  if (!action) {
    if (unknown.length > 0) throw unresolved(ctx, unknown[0]![1], unknown[0]![0]);
    throw errorAt(ctx.file, map, 'no module/action detected in task.');
  }
  if (unknown.length > 0) {
    const [key, pair] = unknown[0]!;
    const hint = didYouMean(key, keywords) || didYouMean(key, ctx.modules.actionNames());
    throw errorAt(ctx.file, pair, `'${key}' is not a valid attribute for a ${ctx.handler ? 'Handler' : 'Task'}.${hint}`);
  }
  return action;
}

const UNRESOLVED_TAIL = ' This often indicates a misspelling, missing collection, or incorrect module path.';

/** `namespace.collection.module` outside ansible.builtin/ansible.legacy, split. */
function collectionModule(name: string): { readonly collection: string; readonly module: string } | undefined {
  const parts = name.split('.');
  if (parts.length < 3 || name.startsWith('ansible.builtin.') || name.startsWith('ansible.legacy.')) return undefined;
  return { collection: parts.slice(0, -1).join('.'), module: parts[parts.length - 1]! };
}

/** What tsbook offers of a collection: it ships a few collection modules, never whole collections. */
function collectionNote(ctx: TaskLoadContext, wanted: { readonly collection: string; readonly module: string }): string {
  const shipped = ctx.modules.actionNames().filter((n) => collectionModule(n)?.collection === wanted.collection);
  if (shipped.length === 0) return ` The collection '${wanted.collection}' is not available in tsbook.`;
  const near = closest(wanted.module, shipped.map((n) => collectionModule(n)!.module));
  const hint = near === undefined ? '' : ` Did you mean '${wanted.collection}.${near}'?`;
  return ` The module '${wanted.module}' of the collection '${wanted.collection}' is not available in tsbook (it implements: ${[...new Set(shipped)].sort().join(', ')}).${hint}`;
}

function unresolved(ctx: TaskLoadContext, at: Node | Pair, name: string): LoadError {
  const library = ctx.modules.libraryModule?.(name);
  if (library) return errorAt(ctx.file, at, libraryModuleError(library).message);
  const fqcn = collectionModule(name);
  if (fqcn) return errorAt(ctx.file, at, `couldn't resolve module/action '${name}'.${UNRESOLVED_TAIL}${collectionNote(ctx, fqcn)}`);
  const hint = didYouMean(name, ctx.modules.actionNames()) || didYouMean(name, allTaskKeywords(ctx.handler));
  return errorAt(
    ctx.file,
    at,
    `couldn't resolve module/action '${name}'.${hint || UNRESOLVED_TAIL}`,
  );
}

function kvArgs(file: YamlFile, at: Node | Pair, text: string, checkRaw: boolean): { options: Record<string, string>; raw?: string } {
  try {
    const parsed = parseKv(text, checkRaw);
    return { options: { ...parsed.options }, raw: parsed.raw };
  } catch (err) {
    if (err instanceof ArgsSyntaxError) throw errorAt(file, at, `malformed key=value arguments: ${err.message}`);
    throw err;
  }
}

/** Merges `args:`, the module's map or k=v string, and extracts the free-form text. */
function collectArgs(ctx: TaskLoadContext, action: ActionSpec, argsPair: YPair | undefined): TaskArgs {
  const args: Record<string, unknown> = {};
  const pairs = new Map<string, Pair>();
  let freeForm: string | undefined;
  let fallback: Node | Pair | null = action.pair;
  if (argsPair) {
    const node = argsPair.value;
    if (isMap(node)) {
      for (const [key, pair] of pairsOf(ctx.file, node)) {
        args[key] = toValue(ctx.file, pair.value);
        pairs.set(key, pair);
      }
    } else if (!isNullNode(node)) {
      const value = toValue(ctx.file, node);
      const why = isTemplate(value) ? 'args given as a variable are not supported by tsbook; write them as a mapping' : `args must be a mapping, got ${describe(node)}`;
      throw errorAt(ctx.file, node ?? argsPair, why);
    }
  }
  const checkRaw = RAW_CHECK_ACTIONS.has(action.name);
  const addText = (text: string, at: Node | Pair): void => {
    const parsed = kvArgs(ctx.file, at, text, checkRaw);
    for (const [k, v] of Object.entries(parsed.options)) {
      args[k] = v;
      pairs.delete(k);
    }
    if (parsed.raw !== undefined) freeForm = parsed.raw;
    fallback = at;
  };
  if (action.argsText !== undefined && action.argsText !== '') addText(action.argsText, action.pair.value ?? action.pair);
  const node = action.argsNode;
  if (action.argsText !== undefined) {
    // action: / local_action: mapping form: everything but `module` is an argument.
    if (isMap(node)) {
      for (const [key, pair] of pairsOf(ctx.file, node)) {
        if (key === 'module') continue;
        if (key === 'args' && isMap(pair.value)) {
          for (const [k2, p2] of pairsOf(ctx.file, pair.value)) {
            args[k2] = toValue(ctx.file, p2.value);
            pairs.set(k2, p2);
          }
          continue;
        }
        args[key] = toValue(ctx.file, pair.value);
        pairs.set(key, pair);
      }
    }
  } else if (isMap(node)) {
    for (const [key, pair] of pairsOf(ctx.file, node)) {
      if (key === '_raw_params') {
        const v = toValue(ctx.file, pair.value);
        freeForm = typeof v === 'string' ? v : String(v);
        continue;
      }
      args[key] = toValue(ctx.file, pair.value);
      pairs.set(key, pair);
    }
  } else if (isScalar(node) && !isNullNode(node)) {
    const value = toValue(ctx.file, node);
    if (typeof value === 'string') addText(value, node);
    else addText(String(value), node);
  } else if (!isNullNode(node)) {
    throw errorAt(ctx.file, node ?? action.pair, `unexpected parameter type in action: ${describe(node)}`);
  }
  return { args, freeForm, pairs, fallback };
}

function takesFreeForm(ctx: TaskLoadContext, action: string): boolean {
  return RAW_CHECK_ACTIONS.has(action) || ['meta', 'include_tasks', 'import_tasks'].includes(action) || ctx.modules.find(action)?.freeForm !== undefined;
}

function freeFormModules(ctx: TaskLoadContext): string[] {
  const names = new Set<string>([...RAW_CHECK_ACTIONS, 'meta', 'include_tasks', 'import_tasks']);
  for (const name of ctx.modules.actionNames()) {
    const module = ctx.modules.find(name);
    if (module?.freeForm) names.add(module.name);
  }
  return [...names].sort();
}

interface TaskKeywords {
  readonly values: Record<string, unknown>;
  readonly pairs: Map<string, YPair>;
  loop?: unknown;
  loopKind?: LoopKind;
  loopPair?: YPair;
  loop_control?: LoopControl;
  argsPair?: YPair;
}

function taskKeywords(ctx: TaskLoadContext, pairs: Array<[string, YPair]>, action: ActionSpec): TaskKeywords {
  const table = keywordTable(ctx.handler ? 'handler' : 'task');
  const out: TaskKeywords = { values: {}, pairs: new Map() };
  for (const [key, pair] of pairs) {
    if (pair === action.pair) continue;
    if (key === 'args') {
      out.argsPair = pair;
    } else if (key === 'loop' || key.startsWith('with_')) {
      if (key !== 'loop' && !(LOOP_KINDS as readonly string[]).includes(key)) {
        throw errorAt(ctx.file, pair, `unknown loop lookup '${key}'.${didYouMean(key, ['loop', ...LOOP_KINDS]) || ` Supported: loop, ${LOOP_KINDS.join(', ')}.`}`);
      }
      if (out.loopPair) {
        const kind = key === 'loop' ? String((out.loopPair.key as Scalar).value).replace(/^with_/, '') : key.replace(/^with_/, '');
        throw errorAt(ctx.file, pair, `duplicate loop in task: ${kind}`);
      }
      out.loopPair = pair;
      out.loop = toValue(ctx.file, pair.value);
      out.loopKind = key as LoopKind;
    } else if (key === 'loop_control') {
      out.loop_control = loopControl(ctx.file, pair);
    } else if (UNSUPPORTED_KEYWORDS.has(key)) {
      throw errorAt(ctx.file, pair, `'${key}' is not supported by tsbook`);
    } else if (table[key] !== undefined) {
      const value = keywordValue(ctx.file, `a ${ctx.handler ? 'Handler' : 'Task'}`, key, table[key]!, pair);
      if (value !== undefined) out.values[key] = value;
      out.pairs.set(key, pair);
    }
  }
  if (action.local) out.values.delegate_to = 'localhost';
  return out;
}

async function parseTask(ctx: TaskLoadContext, map: YAMLMap, pairs: Array<[string, YPair]>): Promise<TaskNode> {
  const keywordNames = new Set(allTaskKeywords(ctx.handler));
  const action = findAction(ctx, map, pairs, keywordNames);
  const kw = taskKeywords(ctx, pairs, action);
  const collected = collectArgs(ctx, action, kw.argsPair);
  const source = sourceOf(ctx.file, map);
  if (collected.freeForm !== undefined && collected.freeForm !== '' && !takesFreeForm(ctx, action.name)) {
    if (isTemplate(collected.freeForm)) {
      throw errorAt(ctx.file, collected.fallback, `arguments given as a variable ('${collected.freeForm}') are not supported by tsbook; write them as a mapping`);
    }
    throw errorAt(
      ctx.file,
      collected.fallback,
      `this task '${action.written}' has extra params, which is only allowed in the following modules: ${freeFormModules(ctx).join(', ')}`,
    );
  }
  switch (action.name) {
    case 'import_tasks':
      return importTasks(ctx, action, kw, collected, source);
    case 'include_tasks':
      return includeTasks(ctx, action, kw, collected, source);
    case 'import_role':
      return importRole(ctx, action, kw, collected, source);
    case 'include_role':
      return includeRole(ctx, action, kw, collected, source);
    case 'import_playbook':
      throw errorAt(ctx.file, action.pair, 'import_playbook is only allowed as a playbook entry, not as a task');
    case 'meta':
      return metaTask(ctx, action, kw, collected, source);
    default:
      return moduleTask(ctx, action, kw, collected, source);
  }
}

function baseTask(ctx: TaskLoadContext, kw: TaskKeywords, source: Source): Mutable<Task> {
  const v = kw.values;
  const task: Mutable<Task> = { kind: 'task', source, action: '', args: {}, ...inheritable(v) };
  if (typeof v.name === 'string') task.name = v.name;
  if (typeof v.register === 'string') task.register = v.register;
  if (kw.loopKind !== undefined) {
    task.loop = kw.loop;
    task.loopKind = kw.loopKind;
  }
  if (kw.loop_control !== undefined) task.loop_control = kw.loop_control;
  for (const key of ['until', 'changed_when', 'failed_when', 'notify', 'listen', 'retries', 'delay'] as const) {
    if (v[key] !== undefined) (task as Record<string, unknown>)[key] = v[key];
  }
  if (ctx.role) task.role = ctx.role;
  return task;
}

function moduleTask(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): Task {
  const module = ctx.modules.find(action.name);
  const task = baseTask(ctx, kw, source);
  task.action = module?.name ?? action.name;
  if (action.written !== task.action) task.actionWritten = action.written;
  task.args = collected.args;
  if (collected.freeForm !== undefined) task.freeForm = collected.freeForm;
  if (module) {
    const error = validateArgs(ctx, module, collected, action);
    if (error) throw error;
  }
  return task;
}

function validateArgs(ctx: TaskLoadContext, module: Module, collected: TaskArgs, action: ActionSpec): LoadError | undefined {
  const data: Record<string, unknown> = { ...collected.args };
  const properties = (module.args.properties ?? {}) as Record<string, unknown>;
  if (collected.freeForm !== undefined && module.freeForm && module.freeForm.arg in properties && data[module.freeForm.arg] === undefined) {
    data[module.freeForm.arg] = collected.freeForm;
  }
  if (module.freeForm?.required && collected.freeForm === undefined && data[module.freeForm.arg] === undefined && !(module.freeForm.arg in properties)) {
    return errorAt(ctx.file, action.pair, `the (${module.name}) module requires free-form arguments (e.g. '${action.written}: ...')`);
  }
  return checkModuleArgs(ctx.file, module, data, { pairs: collected.pairs, fallback: collected.fallback, action: action.pair });
}

function metaTask(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): Task {
  const extra = Object.keys(collected.args)[0];
  if (extra !== undefined) throw errorAt(ctx.file, collected.pairs.get(extra) ?? collected.fallback, `meta takes no options, got '${extra}'`);
  const what = collected.freeForm;
  if (what === undefined || what.trim() === '') throw errorAt(ctx.file, action.pair, `meta requires an action, one of: ${META_ACTIONS.join(', ')}`);
  if (!isTemplate(what) && !META_ACTIONS.includes(what.trim())) {
    throw errorAt(ctx.file, action.pair.value ?? action.pair, `invalid meta action requested: ${what}.${didYouMean(what.trim(), META_ACTIONS)}`);
  }
  const task = baseTask(ctx, kw, source);
  task.action = 'meta';
  task.freeForm = what.trim();
  return task;
}

// ---------------------------------------------------------------------------------------------
// include_tasks / import_tasks

function checkOptions(ctx: TaskLoadContext, action: ActionSpec, collected: TaskArgs, allowed: readonly string[]): void {
  for (const key of Object.keys(collected.args)) {
    if (!allowed.includes(key)) {
      throw errorAt(ctx.file, collected.pairs.get(key) ?? collected.fallback, `Invalid options for ${action.name}: ${key}.${didYouMean(key, allowed)}`);
    }
  }
}

function applyKeywords(ctx: TaskLoadContext, collected: TaskArgs): InheritableKeywords | undefined {
  const pair = collected.pairs.get('apply') as YPair | undefined;
  if (!pair) return undefined;
  const node = pair.value;
  if (isNullNode(node)) return undefined;
  if (!isMap(node)) throw errorAt(ctx.file, node ?? pair, `apply must be a mapping of keywords, got ${describe(node)}`);
  const table = keywordTable('block');
  const values: Record<string, unknown> = {};
  for (const [key, p] of pairsOf(ctx.file, node)) {
    const type = table[key];
    if (type === undefined || key === 'name') throw errorAt(ctx.file, p, `'${key}' is not a valid keyword for apply.${didYouMean(key, Object.keys(table))}`);
    const value = keywordValue(ctx.file, 'apply', key, type, p);
    if (value !== undefined) values[key] = value;
  }
  return inheritable(values);
}

/** The node holding an include's file name or role name, for pointing errors at it. */
function valueNode(collected: TaskArgs, key: string, action: ActionSpec): Node | Pair {
  const pair = collected.pairs.get(key);
  return (pair?.value as Node | null) ?? pair ?? action.pair.value ?? action.pair;
}

function fileOption(ctx: TaskLoadContext, action: ActionSpec, collected: TaskArgs): string {
  const fromArgs = collected.args.file;
  const file = fromArgs !== undefined ? fromArgs : collected.freeForm;
  if (file === undefined || file === null || (typeof file === 'string' && file.trim() === '')) {
    throw errorAt(ctx.file, action.pair, `No file specified for ${action.name}`);
  }
  if (typeof file !== 'string') throw errorAt(ctx.file, valueNode(collected, 'file', action), `the file of ${action.name} must be a string`);
  return file.trim();
}

function noLoop(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, instead: string): void {
  if (kw.loopPair) throw errorAt(ctx.file, kw.loopPair, `You cannot use loops on '${action.name}' statements. You should use '${instead}' instead.`);
}

/** Keywords that make no sense on a static import (they are not inherited by the imported tasks). */
function noTaskOnlyKeywords(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords): void {
  for (const key of ['register', 'until', 'retries', 'delay', 'changed_when', 'failed_when', 'notify', 'listen']) {
    const pair = kw.pairs.get(key);
    if (pair) throw errorAt(ctx.file, pair, `'${key}' cannot be used on '${action.name}' (it does not apply to imported tasks)`);
  }
  if (kw.loop_control) throw errorAt(ctx.file, action.pair, `'loop_control' cannot be used on '${action.name}'`);
}

/** Candidate paths for a task file referenced from the current file. */
function taskFileCandidates(ctx: TaskLoadContext, rel: string): string[] {
  if (isAbsolute(rel)) return [rel];
  const list = [join(ctx.dir, rel)];
  if (ctx.role) list.push(join(ctx.role.path, 'tasks', rel), join(ctx.role.path, rel));
  list.push(join(ctx.playbookDir, rel));
  return [...new Set(list)];
}

function cycleCheck(ctx: { stack: readonly string[] }, path: string, at: () => LoadError): void {
  const key = resolve(path);
  const index = ctx.stack.findIndex((p) => resolve(p) === key);
  if (index !== -1) {
    const err = at();
    throw new LoadError(`include cycle: ${[...ctx.stack.slice(index), path].join(' -> ')}`, { source: err.source, frame: err.frame });
  }
}

async function importTasks(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): Promise<Block> {
  checkOptions(ctx, action, collected, ['file']);
  noLoop(ctx, action, kw, 'include_tasks');
  noTaskOnlyKeywords(ctx, action, kw);
  const rel = fileOption(ctx, action, collected);
  const at = valueNode(collected, 'file', action);
  if (isTemplate(rel)) throw errorAt(ctx.file, at, `import_tasks with a templated file name is not supported by tsbook ('${rel}'); use include_tasks`);
  const path = taskFileCandidates(ctx, rel).find((p) => existsSync(p));
  if (!path) throw errorAt(ctx.file, at, `Could not find or access '${rel}' (searched: ${taskFileCandidates(ctx, rel).join(', ')})`);
  cycleCheck(ctx, path, () => errorAt(ctx.file, at, ''));
  const tasks = await loadTasksFrom(ctx, path, at);
  const block: Mutable<Block> = { kind: 'block', source, block: tasks, rescue: [], always: [], ...inheritable(kw.values) };
  if (typeof kw.values.name === 'string') block.name = kw.values.name;
  if (ctx.role) block.role = ctx.role;
  return block;
}

async function loadTasksFrom(ctx: TaskLoadContext, path: string, at: Node | Pair): Promise<TaskNode[]> {
  const file = await readYamlFile(path, { file: ctx.file, node: at });
  const inner: TaskLoadContext = { ...ctx, file, dir: dirname(path), stack: [...ctx.stack, path] };
  return parseTaskList(inner, file.doc.contents as Node | null, `task file ${path}`);
}

function includeTasks(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): IncludeTasks {
  checkOptions(ctx, action, collected, INCLUDE_TASKS_OPTIONS);
  const file = fileOption(ctx, action, collected);
  const node: Mutable<IncludeTasks> = { kind: 'include_tasks', source, file, baseDir: ctx.dir, ...inheritable(kw.values) };
  if (typeof kw.values.name === 'string') node.name = kw.values.name;
  const apply = applyKeywords(ctx, collected);
  if (apply) node.apply = apply;
  if (kw.loopKind !== undefined) {
    node.loop = kw.loop;
    node.loopKind = kw.loopKind;
  }
  if (kw.loop_control) node.loop_control = kw.loop_control;
  if (ctx.role) node.role = ctx.role;
  return node;
}

// ---------------------------------------------------------------------------------------------
// Roles

interface RoleOptions {
  readonly name: string;
  readonly tasks_from?: string;
  readonly vars_from?: string;
  readonly defaults_from?: string;
  readonly handlers_from?: string;
  readonly public?: boolean;
  readonly allow_duplicates?: boolean;
}

function roleOptions(ctx: TaskLoadContext, action: ActionSpec, collected: TaskArgs): RoleOptions {
  const args = { ...collected.args };
  if (collected.freeForm !== undefined && args.name === undefined) args.name = collected.freeForm;
  for (const key of Object.keys(args)) {
    if (!ROLE_OPTIONS.includes(key) || (key === 'apply' && action.name === 'import_role')) {
      throw errorAt(ctx.file, collected.pairs.get(key) ?? collected.fallback, `Invalid options for ${action.name}: ${key}.${didYouMean(key, ROLE_OPTIONS)}`);
    }
  }
  const name = args.name;
  if (typeof name !== 'string' || name.trim() === '') throw errorAt(ctx.file, action.pair, `'name' is a required field for ${action.name}.`);
  const out: Record<string, unknown> = { name: name.trim() };
  for (const key of ['tasks_from', 'vars_from', 'defaults_from', 'handlers_from']) {
    const v = args[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw errorAt(ctx.file, valueNode(collected, key, action), `${key} must be a string`);
    out[key] = v;
  }
  for (const key of ['public', 'allow_duplicates']) {
    const v = args[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'string' && /^(yes|true|on|1)$/i.test(v)) out[key] = true;
    else if (typeof v === 'string' && /^(no|false|off|0)$/i.test(v)) out[key] = false;
    else throw errorAt(ctx.file, valueNode(collected, key, action), `${key} must be a boolean`);
  }
  return out as unknown as RoleOptions;
}

async function importRole(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): Promise<Block> {
  noLoop(ctx, action, kw, 'include_role');
  noTaskOnlyKeywords(ctx, action, kw);
  const options = roleOptions(ctx, action, collected);
  const at = valueNode(collected, 'name', action);
  if (isTemplate(options.name)) throw errorAt(ctx.file, at, `import_role with a templated role name is not supported ('${options.name}'); use include_role`);
  const entry: RoleEntry = { name: options.name, nameNode: at, source, keywords: kw.values, params: {} };
  const expanded = await expandRole(
    { file: ctx.file, playbookDir: ctx.playbookDir, modules: ctx.modules, stack: ctx.stack, roleStack: ctx.role ? [ctx.role.path] : [], seen: undefined },
    entry,
    { ...options, ...(ctx.role ? { inheritedParams: parentRoleParams(ctx.role) } : {}) },
    ctx.role?.path,
  );
  ctx.handlers.push(...expanded.handlers);
  return expanded.block;
}

function includeRole(ctx: TaskLoadContext, action: ActionSpec, kw: TaskKeywords, collected: TaskArgs, source: Source): IncludeRole {
  const options = roleOptions(ctx, action, collected);
  const node: Mutable<IncludeRole> = { kind: 'include_role', source, roleName: options.name, baseDir: ctx.playbookDir, ...inheritable(kw.values) };
  if (typeof kw.values.name === 'string') node.name = kw.values.name;
  for (const key of ['tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'public'] as const) {
    if (options[key] !== undefined) (node as Record<string, unknown>)[key] = options[key];
  }
  const apply = applyKeywords(ctx, collected);
  if (apply) node.apply = apply;
  if (kw.loopKind !== undefined) {
    node.loop = kw.loop;
    node.loopKind = kw.loopKind;
  }
  if (kw.loop_control) node.loop_control = kw.loop_control;
  if (ctx.role) node.role = ctx.role;
  return node;
}

/** Shared state while expanding roles. */
export interface RoleLoadState {
  /** File and node of the reference (for errors); absent for run-time loads. */
  readonly file?: YamlFile;
  readonly playbookDir: string;
  readonly modules: ModuleLookup;
  readonly stack: readonly string[];
  /** Role paths being expanded, for dependency cycle detection. */
  readonly roleStack: readonly string[];
  /** Identities of roles already in the play (`roles:` deduplication); undefined disables it. */
  readonly seen: Set<string> | undefined;
}

export interface ExpandedRole {
  readonly block: Block;
  readonly handlers: TaskNode[];
  readonly role: RoleContext;
}

function refError(state: RoleLoadState, entry: RoleEntry, message: string): LoadError {
  if (state.file && entry.nameNode) return errorAt(state.file, entry.nameNode, message);
  return errorAtReference(entry.source, message);
}

async function roleFile(state: RoleLoadState, entry: RoleEntry, rolePath: string, sub: 'tasks' | 'handlers' | 'defaults' | 'vars', from: string | undefined): Promise<string | undefined> {
  if (from === undefined) return findRoleFile(rolePath, sub);
  if (isTemplate(from)) throw refError(state, entry, `${sub}_from cannot be templated when the role is loaded statically ('${from}')`);
  const found = findRoleFile(rolePath, sub, from);
  if (!found) throw refError(state, entry, `Could not find specified file in role: ${sub}/${from}`);
  return found;
}

/**
 * Resolves and loads a role with its dependencies: one Block (dependency blocks first, then the
 * role's tasks) carrying the RoleContext and the entry's keywords, plus the role's handlers.
 */
export async function expandRole(
  state: RoleLoadState,
  entry: RoleEntry,
  options: Omit<RoleOptions, 'name'> & { readonly vars?: Vars; readonly inheritedParams?: Vars; readonly isDependency?: boolean } = {},
  parentRolePath?: string,
): Promise<ExpandedRole & { skipped: boolean }> {
  const searchPaths = roleSearchPaths(state.playbookDir, parentRolePath);
  const rolePath = findRolePath(entry.name, searchPaths, state.playbookDir);
  if (!rolePath) throw refError(state, entry, `the role '${entry.name}' was not found in ${searchPaths.join(':')}`);
  const cycleAt = state.roleStack.findIndex((p) => resolve(p) === resolve(rolePath));
  if (cycleAt !== -1) {
    const names = [...state.roleStack.slice(cycleAt), rolePath].map((p) => roleNameFromPath(p));
    throw refError(state, entry, `role dependency cycle: ${names.join(' -> ')}`);
  }
  const fromFiles = { tasks: options.tasks_from, vars: options.vars_from, defaults: options.defaults_from, handlers: options.handlers_from };
  const defaultsPath = await roleFile(state, entry, rolePath, 'defaults', options.defaults_from);
  const varsPath = await roleFile(state, entry, rolePath, 'vars', options.vars_from);
  const tasksPath = await roleFile(state, entry, rolePath, 'tasks', options.tasks_from);
  const handlersPath = await roleFile(state, entry, rolePath, 'handlers', options.handlers_from);
  const metaPath = findRoleFile(rolePath, 'meta');
  const metaFile = metaPath ? await readYamlFile(metaPath) : undefined;
  const meta = metaFile ? readRoleMeta(metaFile) : { dependencies: [], allowDuplicates: false };

  const identity = roleIdentity(rolePath, entry, fromFiles);
  const duplicate = state.seen !== undefined && state.seen.has(identity) && !(options.allow_duplicates ?? meta.allowDuplicates);
  state.seen?.add(identity);

  const entryVars = (options.vars ?? entry.keywords.vars) as Vars | undefined;
  // Role.get_role_params(dep_chain): a dependency also sees the params of the roles above it.
  const params = options.inheritedParams ? { ...options.inheritedParams, ...entry.params } : entry.params;

  const depBlocks: Block[] = [];
  const dependencies: string[] = [];
  const handlers: TaskNode[] = [];
  const inner: RoleLoadState = { ...state, roleStack: [...state.roleStack, rolePath] };
  if (metaFile) {
    for (const depNode of meta.dependencies) {
      const depEntry = parseRoleEntry(metaFile, depNode);
      const dep = await expandRole({ ...inner, file: metaFile }, depEntry, { inheritedParams: params, isDependency: true }, rolePath);
      if (!dep.skipped) depBlocks.push(dep.block);
      dependencies.push(...(dep.role.dependencies ?? []), dep.role.name);
      handlers.push(...dep.handlers);
    }
  }

  const role: RoleContext = {
    ...(entryVars !== undefined && Object.keys(entryVars).length > 0 ? { entryVars } : {}),
    ...(dependencies.length > 0 ? { dependencies } : {}),
    ...(options.isDependency ? { isDependency: true } : {}),
    name: roleNameFromPath(rolePath),
    path: rolePath,
    defaults: defaultsPath ? await loadVarsFile(defaultsPath, entry.source) : {},
    vars: varsPath ? await loadVarsFile(varsPath, entry.source) : {},
    params,
    source: entry.source,
  };

  const roleHandlers: TaskNode[] = [];
  const ctxFor = (file: YamlFile, handler: boolean): TaskLoadContext => ({
    file,
    dir: dirname(file.path),
    playbookDir: state.playbookDir,
    role,
    stack: [...state.stack, file.path],
    handlers: roleHandlers,
    modules: state.modules,
    handler,
  });
  let tasks: TaskNode[] = [];
  if (tasksPath) {
    const file = await readYamlFile(tasksPath);
    tasks = await parseTaskList(ctxFor(file, false), file.doc.contents as Node | null, `task file ${tasksPath}`);
  }
  if (handlersPath) {
    const file = await readYamlFile(handlersPath);
    roleHandlers.push(...(await parseTaskList(ctxFor(file, true), file.doc.contents as Node | null, `handler file ${handlersPath}`)));
  }
  handlers.push(...roleHandlers);

  const block: Mutable<Block> = { kind: 'block', source: entry.source, block: [...depBlocks, ...tasks], rescue: [], always: [], role, ...inheritable(entry.keywords) };
  if (typeof entry.keywords.name === 'string') block.name = entry.keywords.name;
  return { block, handlers: duplicate ? [] : handlers, role, skipped: duplicate };
}

// ---------------------------------------------------------------------------------------------
// Public entry points for the engine (run-time includes)

export interface LoadTaskFileOptions {
  readonly role?: RoleContext;
  /** Where the file was referenced (the include_tasks task); a missing file is reported there. */
  readonly source?: Source;
  /** playbook_dir, for roles/ lookups by import_role inside the file; defaults to the file's directory. */
  readonly playbookDir?: string;
  readonly modules?: ModuleLookup;
}

/** Loads a task file at run time (include_tasks). Handlers of roles imported inside it are not returned. */
export async function loadTaskFile(path: string, options: LoadTaskFileOptions = {}): Promise<TaskNode[]> {
  let file: YamlFile;
  try {
    file = await readYamlFile(path);
  } catch (err) {
    if (err instanceof LoadError && err.source === undefined) throw errorAtReference(options.source, err.message);
    throw err;
  }
  const ctx: TaskLoadContext = {
    file,
    dir: dirname(path),
    playbookDir: options.playbookDir ?? (options.role ? dirname(dirname(options.role.path)) : dirname(path)),
    role: options.role,
    stack: [path],
    handlers: [],
    modules: options.modules ?? registryModules,
    handler: false,
  };
  return parseTaskList(ctx, file.doc.contents as Node | null, `task file ${path}`);
}

export interface LoadRoleOptions {
  /** playbook_dir: roles are looked up in <baseDir>/roles, ANSIBLE_ROLES_PATH and <baseDir>. */
  readonly baseDir: string;
  readonly tasksFrom?: string;
  readonly varsFrom?: string;
  readonly defaultsFrom?: string;
  readonly handlersFrom?: string;
  /** The include_role task, where errors are reported. */
  readonly source?: Source;
  readonly params?: Vars;
  /** The include_role's `vars:` (untemplated): the role's `entryVars`. */
  readonly vars?: Vars;
  readonly modules?: ModuleLookup;
}

/** Loads a role at run time (include_role): its Block (dependencies first), handlers and RoleContext. */
export async function loadRole(name: string, options: LoadRoleOptions): Promise<{ block: Block; handlers: TaskNode[]; role: RoleContext }> {
  const source = options.source ?? { file: options.baseDir, line: 1, col: 1 };
  const entry: RoleEntry = { name, nameNode: null, source, keywords: {}, params: options.params ?? {} };
  const state: RoleLoadState = { playbookDir: options.baseDir, modules: options.modules ?? registryModules, stack: [], roleStack: [], seen: undefined };
  const { block, handlers, role } = await expandRole(state, entry, {
    tasks_from: options.tasksFrom,
    vars_from: options.varsFrom,
    defaults_from: options.defaultsFrom,
    handlers_from: options.handlersFrom,
    vars: options.vars,
  });
  return { block, handlers, role };
}

export { parseRoleEntry };
