/** Lookup plugins (`lookup()`, `query()`/`q()`, and the engine's `with_<name>`). Registry easy to extend. */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isPlainObject, makeTuple, MISSING, PyError, pyStr, truthy, UndefinedError, Undefined } from './pyvalues.js';

export interface LookupContext {
  /** A variable's templated value, or MISSING. */
  resolveVar(name: string): unknown;
  /** Directories searched (in order) for relative paths of `file`-like lookups. */
  readonly searchPaths: readonly string[];
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

export const LOOKUPS: Record<string, LookupFn> = {
  env: (terms, kwargs) =>
    terms.map((t) => {
      const v = process.env[pyStr(t)];
      if (v !== undefined) return v;
      return kwargs.default === undefined ? '' : kwargs.default;
    }),
  file: (terms, kwargs, ctx) =>
    terms.map((t) => {
      const name = pyStr(t);
      const found = findControllerFile(name, ctx.searchPaths);
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
