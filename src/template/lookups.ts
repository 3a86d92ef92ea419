/** Lookup plugins (`lookup()`, `query()`/`q()`, and the engine's `with_<name>`). Registry easy to extend. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { SequenceError, sequenceItems } from '../util/sequence.js';
import { passwordLookup } from './lookup-password.js';
import { pyRegex } from './pyregex.js';
import { isPlainObject, makeTuple, MISSING, PyError, pyStr, truthy, UndefinedError, Undefined } from './pyvalues.js';

export interface LookupContext {
  /** A variable's templated value, or MISSING. */
  resolveVar(name: string): unknown;
  /** Directories searched (in order) for relative paths of `file`-like lookups. */
  readonly searchPaths: readonly string[];
  /** Renders template text with the current variables (lookup('template')). */
  renderText?(text: string): string;
  /** Told each secret a lookup generates (lookup('password')), so the run redacts it like a vault value. */
  addSecret?(value: string): void;
  /** Names of every variable in scope (lookup('varnames')). */
  varNames?(): readonly string[];
}

/** A lookup gets its terms (already templated) and keyword options, and returns a list. */
export type LookupFn = (terms: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, ctx: LookupContext) => unknown[];

/** LookupBase._flatten: one level. */
function flattenOnce(terms: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const t of terms) {
    if (Array.isArray(t)) out.push(...t);
    else out.push(t);
  }
  return out;
}

/** listify_lookup_plugin_terms on an already templated term. */
function listify(term: unknown): unknown[] {
  return Array.isArray(term) ? term : [term];
}

/** itertools.product of the lists, each combination flattened one level (nested/cartesian lookups). */
function product(lists: readonly unknown[][]): unknown[] {
  let acc: unknown[][] = [[]];
  for (const list of lists) acc = acc.flatMap((prefix) => list.map((x) => [...prefix, x]));
  return acc.map((combo) => flattenOnce(combo));
}

export function findControllerFile(name: string, searchPaths: readonly string[]): string | undefined {
  if (isAbsolute(name)) return statOk(name) ? name : undefined;
  const dirs = searchPaths.length > 0 ? searchPaths : [process.cwd()];
  for (const dir of dirs) {
    for (const candidate of [join(dir, 'files', name), join(dir, name)]) {
      if (statOk(candidate)) return resolve(candidate);
    }
  }
  return undefined;
}

function statOk(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The search path: `ansible_search_path` (set per task by the engine), else the templar's, else the cwd. */
function searchPathOf(ctx: LookupContext): string[] {
  const fromVars = ctx.resolveVar('ansible_search_path');
  if (Array.isArray(fromVars) && fromVars.length > 0) return fromVars.map((p) => pyStr(p));
  return ctx.searchPaths.length > 0 ? [...ctx.searchPaths] : [process.cwd()];
}

/** The loader's base directory (playbook_dir), where pipe/lines commands run. */
function basedirOf(ctx: LookupContext): string {
  const dir = ctx.resolveVar('playbook_dir');
  return typeof dir === 'string' && dir !== '' ? dir : process.cwd();
}

/**
 * DataLoader.path_dwim_relative_stack: `needle` under `subdir` then bare, in each search path (a role's
 * tasks/ dir searches the role's `subdir`), then in the playbook dir. Undefined when nothing exists.
 */
export function findInSearchPath(ctx: LookupContext, subdir: string, needle: string): string | undefined {
  if (needle.startsWith('/') || needle.startsWith('~')) {
    const p = needle.startsWith('~') ? join(process.env.HOME ?? '/', needle.slice(1)) : needle;
    return existsSync(p) ? p : undefined;
  }
  const candidates: string[] = [];
  const withSubdir = needle.split('/')[0] !== subdir;
  for (const path of [...searchPathOf(ctx), basedirOf(ctx)]) {
    const abs = resolve(path);
    if (basename(abs) === 'tasks' && existsSync(join(dirname(abs), 'tasks'))) {
      candidates.push(join(dirname(abs), subdir, needle), join(abs, needle));
    } else {
      if (withSubdir) candidates.push(join(abs, subdir, needle));
      candidates.push(join(abs, needle));
    }
  }
  return candidates.find((c) => existsSync(c));
}

/** Runs `command` with /bin/sh in the playbook dir, as the pipe and lines lookups do. */
function runShell(plugin: string, command: string, ctx: LookupContext): string {
  const r = spawnSync('/bin/sh', ['-c', command], { cwd: basedirOf(ctx), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const rc = r.status ?? 1;
  if (rc !== 0) throw new PyError(`lookup_plugin.${plugin}(${command}) returned ${rc}`);
  return r.stdout ?? '';
}

/** Python's glob for one path component pattern (hidden files only match a pattern starting with '.'). */
function globFiles(dir: string, pattern: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const re = globRegex(pattern);
  return entries
    .filter((e) => re.test(e) && (pattern.startsWith('.') || !e.startsWith('.')))
    .sort()
    .map((e) => join(dir, e))
    .filter((p) => statOk(p));
}

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function splitOn(value: unknown, separators: RegExp): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => (typeof v === 'string' ? v.split(separators) : [pyStr(v)])).filter((v) => v !== '');
}

/** first_found's candidate paths: files (split on , and ;) each under paths (split on , : and ;). */
function firstFoundCandidates(terms: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): { candidates: { file: string; paths: string[] }[]; skip: boolean } {
  let skip = truthy(kwargs.skip ?? false);
  const kwFiles = kwargs.files === undefined ? [] : splitOn(kwargs.files, /[,;]/);
  const kwPaths = kwargs.paths === undefined ? [] : splitOn(kwargs.paths, /[,:;]/);
  const candidates: { file: string; paths: string[] }[] = [];
  const add = (term: unknown): void => {
    if (isPlainObject(term)) {
      const files = term.files === undefined ? kwFiles : splitOn(term.files, /[,;]/);
      const paths = term.paths === undefined ? kwPaths : splitOn(term.paths, /[,:;]/);
      if (term.skip !== undefined) skip = truthy(term.skip);
      for (const file of files) candidates.push({ file, paths });
    } else if (Array.isArray(term)) {
      for (const t of term) add(t);
    } else {
      candidates.push({ file: pyStr(term), paths: kwPaths });
    }
  };
  for (const term of terms) add(term);
  if (terms.length === 0) for (const file of kwFiles) candidates.push({ file, paths: kwPaths });
  return { candidates, skip };
}

export const LOOKUPS: Record<string, LookupFn> = {
  pipe: (terms, _kwargs, ctx) => terms.map((t) => runShell('pipe', pyStr(t), ctx).replace(/\s+$/, '')),
  lines: (terms, _kwargs, ctx) => terms.flatMap((t) => runShell('lines', pyStr(t), ctx).split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== '')),
  fileglob: (terms, _kwargs, ctx) =>
    terms.flatMap((t) => {
      const term = pyStr(t);
      const file = basename(term);
      const dirs: string[] = [];
      if (file !== term) {
        const found = findInSearchPath(ctx, 'files', dirname(term));
        if (found !== undefined) dirs.push(found);
      } else {
        for (const p of searchPathOf(ctx)) dirs.push(join(p, 'files'), p);
      }
      for (const dir of dirs) {
        const hits = globFiles(dir, file);
        if (hits.length > 0) return hits.map((h) => resolve(h));
      }
      return [];
    }),
  first_found: (terms, kwargs, ctx) => {
    const { candidates, skip } = firstFoundCandidates(terms, kwargs);
    for (const { file, paths } of candidates) {
      const needles = paths.length > 0 ? paths.map((p) => join(p, file)) : [file];
      for (const needle of needles) {
        const found = findInSearchPath(ctx, 'files', needle);
        if (found !== undefined) return [resolve(found)];
      }
    }
    if (skip) return [];
    throw new PyError('No file was found when using first_found.');
  },
  template: (terms, _kwargs, ctx) =>
    terms.map((t) => {
      const name = pyStr(t);
      const found = findInSearchPath(ctx, 'templates', name);
      if (found === undefined || !statOk(found)) throw new PyError(`the template file ${name} could not be found for the lookup`);
      if (!ctx.renderText) throw new PyError('the template lookup needs a templar');
      return ctx.renderText(readFileSync(found, 'utf8'));
    }),
  random_choice: (terms) => (terms.length === 0 ? [] : [terms[Math.floor(Math.random() * terms.length)]]),
  env: (terms, kwargs) =>
    terms.map((t) => {
      const v = process.env[pyStr(t)];
      if (v !== undefined) return v;
      return kwargs.default === undefined ? '' : kwargs.default;
    }),
  file: (terms, kwargs, ctx) =>
    terms.map((t) => {
      const name = pyStr(t);
      const hit = findInSearchPath(ctx, 'files', name);
      const found = hit !== undefined && statOk(hit) ? hit : undefined;
      if (found === undefined) throw new PyError(`could not locate file in lookup: ${name}`);
      let content = readFileSync(found, 'utf8');
      if (truthy(kwargs.rstrip ?? true)) content = content.replace(/\s+$/, '');
      if (truthy(kwargs.lstrip ?? false)) content = content.replace(/^\s+/, '');
      return content;
    }),
  vars: (terms, kwargs, ctx) =>
    terms.map((t) => {
      const name = pyStr(t);
      const v = ctx.resolveVar(name);
      if (v === MISSING || v instanceof Undefined) {
        if (kwargs.default !== undefined) return kwargs.default;
        if (v instanceof Undefined && v.hint !== undefined) throw new UndefinedError(v);
        throw new UndefinedError(new Undefined(name, MISSING, `No variable found with this name: ${name}`));
      }
      return v;
    }),
  password: (terms, kwargs, ctx) =>
    terms.map((t) => {
      const value = passwordLookup(pyStr(t), kwargs, basedirOf(ctx));
      ctx.addSecret?.(value);
      return value;
    }),
  together: (terms) => {
    const lists = terms.map(listify);
    const len = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: len }, (_v, i) => flattenOnce(lists.map((l) => (i < l.length ? l[i] : null))));
  },
  nested: (terms) => {
    if (terms.length === 0) throw new PyError('with_nested requires at least one element in the nested list');
    return product(terms.map(listify));
  },
  cartesian: (terms) => product(terms.map(listify)),
  sequence: (terms) =>
    terms.flatMap((t) => {
      try {
        return sequenceItems(pyStr(t));
      } catch (err) {
        if (err instanceof SequenceError) throw new PyError(err.message);
        throw err;
      }
    }),
  varnames: (terms, _kwargs, ctx) => {
    const names = ctx.varNames?.() ?? [];
    return terms.flatMap((t) => {
      if (typeof t !== 'string') throw new PyError(`Invalid setting identifier, "${pyStr(t)}" is not a string, it is a ${typeof t}`);
      const re = pyRegex(t);
      return names.filter((n) => re.test(n));
    });
  },
  items: (terms) => flattenOnce(terms),
  list: (terms) => [...terms],
  indexed_items: (terms) => flattenOnce(terms).map((t, i) => makeTuple([i, t])),
  dict: (terms) => {
    const out: unknown[] = [];
    for (const t of terms) {
      if (!isPlainObject(t)) throw new PyError(`with_dict expects a dict`);
      for (const k of Object.keys(t)) out.push({ key: k, value: t[k] });
    }
    return out;
  },
};

export class LookupNotFound extends PyError {}

export function registerLookup(name: string, fn: LookupFn): void {
  LOOKUPS[name] = fn;
}

/** Runs a lookup by name (short or `ansible.builtin.` name). */
export function runLookup(name: string, terms: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, ctx: LookupContext): unknown[] {
  const short = name.startsWith('ansible.builtin.') ? name.slice('ansible.builtin.'.length) : name;
  const fn = Object.prototype.hasOwnProperty.call(LOOKUPS, short) ? LOOKUPS[short] : undefined;
  if (fn === undefined) throw new LookupNotFound(`lookup plugin (${name}) not found`);
  return fn(terms, kwargs, ctx);
}

/** lookup()'s non-list result: strings joined with ',', a single non-string item, or the list. */
export function lookupResult(ran: unknown[], wantlist: boolean): unknown {
  if (wantlist) return ran;
  if (ran.length === 0) return ran;
  if (ran.every((x) => typeof x === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}
