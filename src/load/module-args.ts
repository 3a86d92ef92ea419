import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Node, Pair } from 'yaml';
import { InternalError, type LoadError } from '../model/errors.js';
import { UnsafeText, VaultText } from '../model/values.js';
import type { Module } from '../modules/types.js';
import { allActionNames, findModule } from '../modules/registry.js';
import type { LibraryModule } from './config.js';
import { didYouMean } from './suggest.js';
import { errorAt, nodeAtPath, type YamlFile } from './yaml.js';

/** Where the loader finds modules; the registry by default, a small table in tests. */
export interface ModuleLookup {
  find(name: string): Module | undefined;
  /** Every name a task may use as its action (for did-you-mean). */
  actionNames(): readonly string[];
  /** A custom module of an unresolved name in ansible.cfg's `library` paths (tsbook cannot run those). */
  libraryModule?(name: string): LibraryModule | undefined;
}

export const registryModules: ModuleLookup = {
  find: (name) => findModule(name),
  actionNames: () => allActionNames(),
};

/** A k=v string that could not be split (unbalanced quotes or Jinja2 delimiters). */
export class ArgsSyntaxError extends Error {}

/** True when a string contains Jinja2 delimiters, i.e. its value is only known at run time. */
export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && /\{\{|\{%|\{#/.test(value);
}

function quoteState(token: string, quoteChar: string | null): string | null {
  let state = quoteChar;
  for (let i = 0; i < token.length; i++) {
    const ch = token[i]!;
    const prev = i > 0 ? token[i - 1] : undefined;
    if ((ch === '"' || ch === "'") && prev !== '\\') {
      if (state) {
        if (ch === state) state = null;
      } else {
        state = ch;
      }
    }
  }
  return state;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

function jinjaDepth(token: string, depth: number, open: string, close: string): number {
  const opens = countOccurrences(token, open);
  const closes = countOccurrences(token, close);
  if (opens === closes) return depth;
  return Math.max(0, depth + opens - closes);
}

/**
 * Splits an argument string on whitespace, keeping quoted spans and Jinja2 `{{ }}`, `{% %}`,
 * `{# #}` spans together (the semantics of ansible.parsing.splitter.split_args).
 */
export function splitArgs(args: string): string[] {
  const params: string[] = [];
  const items = args.split('\n');
  let quoteChar: string | null = null;
  let insideQuotes = false;
  let printDepth = 0;
  let blockDepth = 0;
  let commentDepth = 0;
  const appendToLast = (text: string): void => {
    if (params.length === 0) params.push(text);
    else params[params.length - 1] += text;
  };
  items.forEach((item, itemIdx) => {
    const tokens = item.split(' ');
    let lineContinuation = false;
    tokens.forEach((token, idx) => {
      if (token.length === 0 && idx !== 0) {
        appendToLast(' ');
        return;
      }
      if (token === '\\' && !insideQuotes) {
        lineContinuation = true;
        return;
      }
      const wasInsideQuotes = insideQuotes;
      quoteChar = quoteState(token, quoteChar);
      insideQuotes = quoteChar !== null;
      let appended = false;
      const inJinja = printDepth > 0 || blockDepth > 0 || commentDepth > 0;
      if (insideQuotes && !wasInsideQuotes && !inJinja) {
        params.push(token);
        appended = true;
      } else if (inJinja || insideQuotes || wasInsideQuotes) {
        if (idx === 0 && wasInsideQuotes) appendToLast(token);
        else if (tokens.length > 1) appendToLast(`${idx > 0 ? ' ' : ''}${token}`);
        else appendToLast(`\n${token}`);
        appended = true;
      }
      const prevPrint = printDepth;
      printDepth = jinjaDepth(token, printDepth, '{{', '}}');
      if (printDepth !== prevPrint && !appended) {
        params.push(token);
        appended = true;
      }
      const prevBlock = blockDepth;
      blockDepth = jinjaDepth(token, blockDepth, '{%', '%}');
      if (blockDepth !== prevBlock && !appended) {
        params.push(token);
        appended = true;
      }
      const prevComment = commentDepth;
      commentDepth = jinjaDepth(token, commentDepth, '{#', '#}');
      if (commentDepth !== prevComment && !appended) {
        params.push(token);
        appended = true;
      }
      if (printDepth === 0 && blockDepth === 0 && commentDepth === 0 && !insideQuotes && !appended && token !== '') {
        params.push(token);
      }
    });
    if (items.length > 1 && itemIdx !== items.length - 1 && !lineContinuation && params.length > 0) {
      params[params.length - 1] += '\n';
    }
  });
  if (printDepth || blockDepth || commentDepth || insideQuotes) {
    throw new ArgsSyntaxError(`failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${args}`);
  }
  return params;
}

/** Joins split_args tokens back, keeping the original newlines. */
export function joinArgs(tokens: readonly string[]): string {
  let result = '';
  for (const token of tokens) {
    if (result.length === 0 || result.endsWith('\n')) result += token;
    else result += ` ${token}`;
  }
  return result;
}

function isQuoted(data: string): boolean {
  return data.length > 1 && data[0] === data[data.length - 1] && (data[0] === '"' || data[0] === "'") && data[data.length - 2] !== '\\';
}

/** Removes one pair of matching surrounding quotes. */
export function unquote(data: string): string {
  return isQuoted(data) ? data.slice(1, -1) : data;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** Decodes Python-style backslash escapes (\n, \t, \xNN, \uNNNN, \UNNNNNNNN), as parse_kv does. */
export function decodeEscapes(text: string): string {
  return text.replace(/\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[\\'"abfnrtv]/g, (match) => {
    const kind = match[1]!;
    if (kind === 'U' || kind === 'u' || kind === 'x') return String.fromCodePoint(parseInt(match.slice(2), 16));
    return SIMPLE_ESCAPES[kind] ?? match;
  });
}

/** k=v options of command/shell that are pulled out of the free-form text. */
export const COMMAND_KV_OPTIONS: ReadonlySet<string> = new Set([
  'creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends',
]);

/** Modules whose free-form string keeps every token except COMMAND_KV_OPTIONS (Ansible's FREEFORM_ACTIONS). */
export const RAW_CHECK_ACTIONS: ReadonlySet<string> = new Set(['command', 'shell', 'raw', 'script']);

export interface ParsedKv {
  readonly options: Readonly<Record<string, string>>;
  /** Tokens that were not k=v (or, with checkRaw, not a command option), joined: Ansible's `_raw_params`. */
  readonly raw?: string;
}

/**
 * `a=1 b="x y" free text` -> options and free-form text (ansible.parsing.splitter.parse_kv).
 * Throws ArgsSyntaxError on unbalanced quotes or Jinja2 blocks.
 */
export function parseKv(args: string, checkRaw = false): ParsedKv {
  const options: Record<string, string> = {};
  const raw: string[] = [];
  for (const original of splitArgs(args)) {
    const token = decodeEscapes(original);
    if (!token.includes('=')) {
      raw.push(original);
      continue;
    }
    let pos = 0;
    let found = -1;
    for (;;) {
      pos = token.indexOf('=', pos + 1);
      if (pos === -1) break;
      if (token[pos - 1] !== '\\') {
        found = pos;
        break;
      }
    }
    if (found === -1) {
      raw.push(token.replace(/\\=/g, '='));
      continue;
    }
    const key = token.slice(0, found);
    const value = token.slice(found + 1);
    if (checkRaw && !COMMAND_KV_OPTIONS.has(key)) raw.push(original);
    else options[key.trim()] = unquote(value.trim());
  }
  return raw.length > 0 ? { options, raw: joinArgs(raw) } : { options };
}

// ---------------------------------------------------------------------------------------------
// Argument validation against a module's JSON Schema.

/** Where each argument was written, to point errors at the right key or value. */
export interface ArgLocations {
  /** The pair of each argument written as a YAML mapping entry. */
  readonly pairs: ReadonlyMap<string, Pair>;
  /** Where arguments without their own pair came from (the free-form string, or the action key). */
  readonly fallback: Node | Pair | null;
  /** The action key's pair, for `missing required` errors. */
  readonly action: Node | Pair | null;
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validators = new WeakMap<Module, ValidateFunction>();

function validatorFor(module: Module): ValidateFunction {
  const cached = validators.get(module);
  if (cached) return cached;
  const { $schema: _schema, $id: _id, ...schema } = module.args;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new InternalError(`the argument schema of module '${module.name}' is invalid: ${(err as Error).message}`, { cause: err });
  }
  validators.set(module, validate);
  return validate;
}

const TEMPLATE_PLACEHOLDER = '{{ vault }}';

/** Plain JSON data for ajv: unsafe text becomes its string, vaulted text counts as a template. */
function plainData(value: unknown): unknown {
  if (value instanceof UnsafeText) return value.value;
  if (value instanceof VaultText) return TEMPLATE_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(plainData);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plainData(v)]));
  }
  return value;
}

function pathSegments(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, instancePath: string): unknown {
  let current = data;
  for (const seg of pathSegments(instancePath)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[seg];
  }
  return current;
}

const BOOLEAN_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f']);

/** Whether Ansible's argument spec would convert `value` to `type` (check_type_* in module_utils). */
function ansibleConverts(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean';
    case 'boolean':
      return (typeof value === 'string' && BOOLEAN_WORDS.has(value.toLowerCase())) || value === 0 || value === 1;
    case 'integer':
      return (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) || (typeof value === 'number' && Number.isInteger(value));
    case 'number':
      return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value));
    case 'array':
      return typeof value === 'string' || typeof value === 'number';
    case 'object':
      return typeof value === 'string';
    default:
      return false;
  }
}

function typesOf(error: ErrorObject): string[] {
  const t = (error.params as { type?: string | string[] }).type;
  return Array.isArray(t) ? t : t === undefined ? [] : String(t).split(',');
}

/** Errors that Ansible would not raise: templated values (any type at run time) and convertible scalars. */
function relevant(errors: readonly ErrorObject[], data: unknown): ErrorObject[] {
  const kept = new Set(
    errors.filter((error) => {
      const value = valueAt(data, error.instancePath);
      if (isTemplate(value)) return false;
      if (error.keyword === 'type' && typesOf(error).some((t) => ansibleConverts(value, t))) return false;
      return true;
    }),
  );
  // An anyOf/oneOf is satisfied when every error of one of its branches was dropped above.
  const composites = errors
    .filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && kept.has(e))
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const composite of composites) {
    const branches = Array.isArray(composite.schema) ? composite.schema.length : 0;
    const under = (e: ErrorObject, prefix: string): boolean => e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(composite.instancePath);
    for (let i = 0; i < branches; i++) {
      const inBranchErrors = errors.filter((e) => under(e, `${composite.schemaPath}/${i}/`));
      if (inBranchErrors.length > 0 && inBranchErrors.every((e) => !kept.has(e))) {
        kept.delete(composite);
        for (const e of errors) if (under(e, `${composite.schemaPath}/`)) kept.delete(e);
        break;
      }
    }
  }
  return errors.filter((e) => kept.has(e));
}

const COMPOSITE = new Set(['anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'allOf']);
const RANK: Readonly<Record<string, number>> = { additionalProperties: 0, required: 1, type: 2, enum: 3, const: 3 };

function inBranch(error: ErrorObject): boolean {
  return /\/(anyOf|oneOf|not|if|then|else)\//.test(error.schemaPath);
}

/** The most specific error: unknown argument, then missing required, then type, deepest first. */
export function mostSpecific(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const simple = errors.filter((e) => !COMPOSITE.has(e.keyword));
  const direct = simple.filter((e) => !inBranch(e));
  const pool = direct.length > 0 ? direct : simple.length > 0 ? simple : [...errors];
  const score = (e: ErrorObject): number => RANK[e.keyword] ?? 5;
  return [...pool].sort((a, b) => score(a) - score(b) || pathSegments(b.instancePath).length - pathSegments(a.instancePath).length)[0];
}

function displayPath(instancePath: string, extra?: string): string {
  const segs = [...pathSegments(instancePath), ...(extra === undefined ? [] : [extra])];
  return segs.map((s, i) => (/^\d+$/.test(s) && i > 0 ? `[${s}]` : i > 0 ? `.${s}` : s)).join('');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}

function messageFor(module: Module, error: ErrorObject, all: readonly ErrorObject[], data: unknown): string {
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const known = Object.keys(parent?.properties ?? {}).sort();
      const hint = didYouMean(prop, known);
      const where = error.instancePath === '' ? `(${module.name}) module` : `'${displayPath(error.instancePath)}' of (${module.name}) module`;
      return hint
        ? `Unsupported parameters for ${where}: ${prop}.${hint}`
        : `Unsupported parameters for ${where}: ${prop}. Supported parameters include: ${known.join(', ')}.`;
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const where = error.instancePath === '' ? '' : ` found in ${displayPath(error.instancePath)}`;
      return `missing required arguments: ${missing}${where} (module ${module.name})`;
    }
    case 'type': {
      const types = new Set<string>();
      for (const e of all) if (e.keyword === 'type' && e.instancePath === error.instancePath) for (const t of typesOf(e)) types.add(t);
      const value = valueAt(data, error.instancePath);
      return `argument '${displayPath(error.instancePath)}' of (${module.name}) module must be ${[...types].join(' or ')}, got ${typeName(value)}`;
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
      return `value of ${displayPath(error.instancePath)} must be one of: ${allowed}, got: ${String(valueAt(data, error.instancePath))} (module ${module.name})`;
    }
    default: {
      const subject = error.instancePath === '' ? `arguments of (${module.name}) module` : `argument '${displayPath(error.instancePath)}' of (${module.name}) module`;
      return `${subject} ${error.message ?? 'are invalid'}`;
    }
  }
}

function locate(locations: ArgLocations, error: ErrorObject): Node | Pair | null {
  const segs = pathSegments(error.instancePath);
  if (error.keyword === 'required' && segs.length === 0) return locations.action;
  const first = segs[0] ?? (error.keyword === 'additionalProperties' ? String((error.params as { additionalProperty: string }).additionalProperty) : undefined);
  if (first === undefined) return locations.action;
  const pair = locations.pairs.get(first);
  if (!pair) return locations.fallback ?? locations.action;
  if (segs.length === 0) return pair;
  if (error.keyword === 'additionalProperties' && segs.length >= 1) {
    return nodeAtPath(pair.value as Node | null, `/${segs.slice(1).join('/')}`.replace(/^\/$/, ''), String((error.params as { additionalProperty: string }).additionalProperty));
  }
  const rest = segs.slice(1);
  if (rest.length === 0) return (pair.value as Node | null) ?? pair;
  return nodeAtPath(pair.value as Node | null, `/${rest.join('/')}`);
}

/**
 * Validates module arguments against the module's schema. Returns the most specific error as a
 * located LoadError, or undefined when the arguments are acceptable.
 */
export function checkModuleArgs(file: YamlFile, module: Module, args: Readonly<Record<string, unknown>>, locations: ArgLocations): LoadError | undefined {
  const validate = validatorFor(module);
  const data = plainData(args);
  if (validate(data)) return undefined;
  const errors = relevant(validate.errors ?? [], data);
  if (errors.length === 0) return undefined;
  const error = mostSpecific(errors);
  if (!error) return undefined;
  return errorAt(file, locate(locations, error), messageFor(module, error, errors, data));
}

export { typeName };
