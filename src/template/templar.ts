/**
 * The Templar: Ansible 2.14's templating (non-native jinja2 with ansible_eval_concat) over lazily,
 * recursively templated variables.
 */
import { randomBytes } from 'node:crypto';
import type { Expr, Stmt } from './ast.js';
import type { Source } from '../model/source.js';
import { TemplateError, TsbookError } from '../model/errors.js';
import { isUnsafeTree, UnsafeText, VaultText } from '../model/values.js';
import { Evaluator, FilterError, FilterNotFound, failOnUndefined, Namespace, shortName, type Environment, type FilterFn, type TestFn } from './evaluate.js';
import { FILTERS } from './filters.js';
import { TemplateSyntaxError } from './lexer.js';
import { LookupNotFound, lookupResult, runLookup, type LookupContext } from './lookups.js';
import { parseExpressionSource, parseTemplate } from './parser.js';
import { strftime } from './pyformat.js';
import { literalEval } from './pyliteral.js';
import {
  isOpaque,
  isPlainObject,
  isTuple,
  MISSING,
  PyCallable,
  PyError,
  PyFloat,
  pyStr,
  truthy,
  Undefined,
  UndefinedError,
  num,
  makeTuple,
  setKey,
  assignKeys,
} from './pyvalues.js';
import { TESTS } from './tests.js';

/** Ansible's `omit` value. */
export const OMIT_PLACEHOLDER = `__omit_place_holder__${randomBytes(20).toString('hex')}`;

export interface TemplarOptions {
  /** Where the templated value was written; attached to errors. */
  source?: Source;
  /** Directories searched for relative paths by `lookup('file', ...)` (role dir, playbook dir...). */
  searchPaths?: readonly string[];
  /** Decrypts `!vault` values when they are used (the vault helper provides it). */
  decryptVault?: (value: VaultText) => string;
  /** Told each secret a lookup generates (lookup('password')); the engine redacts them. */
  onSecret?: (value: string) => void;
}

/** An undefined variable or attribute was used. */
export class UndefinedVariableError extends TemplateError {
  constructor(
    message: string,
    /** Jinja2's message, e.g. `'x' is undefined` or `'dict object' has no attribute 'y'`. */
    readonly undefinedMessage: string,
    /** The template text being rendered. */
    readonly template: string,
    options: { source?: Source; cause?: unknown } = {},
  ) {
    super(message, options);
  }

  /** The text Ansible prints after "The error was: ". */
  get ansibleMessage(): string {
    return `${this.undefinedMessage}. ${this.undefinedMessage}`;
  }
}

/**
 * str() of Ansible's AnsibleTemplateSyntaxError: its message, then (no task attached) the original
 * Jinja2 error again after a period.
 */
export function syntaxErrorText(jinjaMessage: string, template: string): string {
  return `template error while templating string: ${jinjaMessage}. String: ${template}. ${jinjaMessage}`;
}

// ---------------------------------------------------------------- compiled template cache

const MAX_CACHE = 20000;
const templateCache = new Map<string, readonly Stmt[]>();
const exprCache = new Map<string, Expr>();

function compileTemplate(source: string, escapeBackslashes = true): readonly Stmt[] {
  const key = escapeBackslashes ? source : `\u0000raw:${source}`;
  let hit = templateCache.get(key);
  if (hit === undefined) {
    hit = parseTemplate(source, escapeBackslashes);
    if (templateCache.size >= MAX_CACHE) templateCache.clear();
    templateCache.set(key, hit);
  }
  return hit;
}

function compileExpression(source: string): Expr {
  let hit = exprCache.get(source);
  if (hit === undefined) {
    hit = parseExpressionSource(source);
    if (exprCache.size >= MAX_CACHE) exprCache.clear();
    exprCache.set(source, hit);
  }
  return hit;
}

// ---------------------------------------------------------------- template detection

function stringHasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

const containsCache = new WeakMap<object, boolean>();

/** True if a string anywhere in value (arrays, plain objects, keys excluded) contains `{{`, `{%` or `{#`. */
export function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return stringHasTemplate(value);
  if (value === null || typeof value !== 'object') return false;
  // A `!vault` value is decrypted when templated, like Ansible's AnsibleVaultEncryptedUnicode.
  if (value instanceof VaultText) return true;
  if (isUnsafeTree(value)) return false;
  if (Array.isArray(value)) {
    const hit = containsCache.get(value);
    if (hit !== undefined) return hit;
    const r = value.some(containsTemplate);
    containsCache.set(value, r);
    return r;
  }
  if (isPlainObject(value)) {
    const hit = containsCache.get(value);
    if (hit !== undefined) return hit;
    let r = false;
    for (const k of Object.keys(value)) {
      if (containsTemplate(value[k])) {
        r = true;
        break;
      }
    }
    containsCache.set(value, r);
    return r;
  }
  return false;
}

// ---------------------------------------------------------------- values leaving the templater

/** PyFloat -> number, deep; copies only what changes. Fails on nested Undefined. */
export function exportValue(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (v instanceof Undefined) throw new UndefinedError(v);
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = exportValue(x);
      if (y !== x || (out === undefined && x === undefined)) {
        out ??= v.slice(0, i);
      }
      if (out !== undefined) out.push(y === undefined ? null : y);
    }
    return out ?? v;
  }
  if (isPlainObject(v)) {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = v[k];
      const y = exportValue(x);
      if (y !== x && out === undefined) out = { ...v };
      if (out !== undefined) setKey(out, k, y);
    }
    return out ?? v;
  }
  if (v instanceof Namespace) return { ...v.attrs };
  return v;
}

/** Output of a string filter (to_json, string...) that Ansible keeps as text (NativeJinjaText). */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

class NativeText {
  constructor(readonly value: string) {}
}

/** Ansible's ansible_eval_concat: text, then literal_eval when it looks like a list/dict/bool. */
export function evalConcat(values: unknown[]): unknown {
  if (values.length === 0) return '';
  if (values.length === 1) {
    const only = values[0];
    if (only instanceof NativeText) return only.value;
    if ((Array.isArray(only) && !isTuple(only)) || isPlainObject(only)) return only;
  }
  let out = '';
  for (const v of values) out += v instanceof NativeText ? v.value : pyStr(v);
  const first = out.charCodeAt(0);
  if (first === 123 /* { */ || first === 91 /* [ */ || out === 'True' || out === 'False') {
    const parsed = literalEval(out);
    if (parsed !== undefined) return parsed.value;
  }
  return out;
}

function countTrailingNewlines(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\n'; i--) n++;
  return n;
}

const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}$/;

interface VarLayer {
  readonly vars: Readonly<Record<string, unknown>>;
  readonly parent: VarLayer | null;
}

/** Ansible's extract_defined_undefined: `(not) <var> is (not) (un)defined` in a conditional. */
function definedTests(conditional: string): [string, string, string][] {
  const re = /(not\s+)?(hostvars\[.+?\]|[\w_]+(?:\[[^\]]+\]|\.\w+)*)\s+(is\s+(?:not\s+)?)(defined|undefined)/g;
  const out: [string, string, string][] = [];
  for (const m of conditional.matchAll(re)) out.push([m[2] as string, `${m[1] ?? ''}${m[3] as string}`, m[4] as string]);
  return out;
}

function ownEntry<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

export class Templar {
  private readonly layer: VarLayer;
  private readonly cache = new Map<string, unknown>();
  private readonly resolving = new Set<string>();
  private readonly options: TemplarOptions;
  private readonly env: Environment;
  private globalsCache: Record<string, unknown> | undefined;

  constructor(vars: Readonly<Record<string, unknown>>, options: TemplarOptions = {}) {
    this.layer = { vars, parent: null };
    this.options = options;
    this.env = this.makeEnv();
  }

  /** Jinja2 globals (range, lookup...), made on first use. */
  private get globals(): Record<string, unknown> {
    this.globalsCache ??= this.makeGlobals();
    return this.globalsCache;
  }

  private static fromLayer(layer: VarLayer, options: TemplarOptions): Templar {
    const t = Object.create(Templar.prototype) as Templar;
    const init = t as unknown as {
      layer: VarLayer;
      cache: Map<string, unknown>;
      resolving: Set<string>;
      options: TemplarOptions;
      globalsCache: Record<string, unknown> | undefined;
      env: Environment;
    };
    init.layer = layer;
    init.cache = new Map();
    init.resolving = new Set();
    init.options = options;
    init.globalsCache = undefined;
    init.env = t.makeEnv();
    return t;
  }

  /** A Templar over the same vars plus an overriding layer (loop vars, item...). */
  child(extra: Readonly<Record<string, unknown>>): Templar {
    return Templar.fromLayer({ vars: extra, parent: this.layer }, this.options);
  }

  /** Same vars, other options (e.g. another source for error messages). */
  withOptions(options: TemplarOptions): Templar {
    return Templar.fromLayer(this.layer, { ...this.options, ...options });
  }

  // ------------------------------------------------------------ variables

  private rawVar(name: string): unknown {
    for (let l: VarLayer | null = this.layer; l !== null; l = l.parent) {
      if (Object.prototype.hasOwnProperty.call(l.vars, name)) return l.vars[name];
    }
    return MISSING;
  }

  /** True when the variable exists (untemplated). */
  has(name: string): boolean {
    return this.rawVar(name) !== MISSING;
  }

  /** A variable's templated value, MISSING if absent, or an Undefined when its template uses an undefined name. */
  resolve(name: string): unknown {
    const raw = this.rawVar(name);
    if (raw === MISSING) return MISSING;
    if (raw === undefined) return null;
    if (typeof raw !== 'object' && (typeof raw !== 'string' || !stringHasTemplate(raw))) return raw;
    if (raw === null) return null;
    if (raw instanceof UnsafeText || isOpaque(raw)) return raw;
    if (raw instanceof VaultText) return this.decrypt(raw);
    if (name === 'vars' && isPlainObject(raw)) return raw;
    if (!containsTemplate(raw)) return raw;
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    if (this.resolving.has(name)) throw new TemplateError(`recursive loop detected in template for variable '${name}'`, { source: this.options.source });
    this.resolving.add(name);
    try {
      const value = this.templateValue(raw);
      this.cache.set(name, value);
      return value;
    } catch (e) {
      if (e instanceof UndefinedVariableError) {
        const inner = e.ansibleMessage;
        return new Undefined(name, MISSING, `${pyStrSafe(raw)}: ${inner}`);
      }
      throw e;
    } finally {
      this.resolving.delete(name);
    }
  }

  private decrypt(v: VaultText): string {
    if (this.options.decryptVault) return this.options.decryptVault(v);
    throw new TemplateError('Attempting to decrypt but no vault secrets found', { source: this.options.source });
  }

  /** Looks up a (dotted) variable; for ModuleContext.lookupVar. */
  lookupVar(name: string): { defined: boolean; value?: unknown } {
    if (/^\w+$/.test(name)) {
      const v = this.resolve(name);
      if (v === MISSING || v instanceof Undefined) return { defined: false };
      return { defined: true, value: exportValue(v) };
    }
    try {
      return { defined: true, value: this.expression(name) };
    } catch (e) {
      if (e instanceof UndefinedVariableError) return { defined: false };
      throw e;
    }
  }

  // ------------------------------------------------------------ environment

  private makeEnv(): Environment {
    return {
      resolve: (name) => this.resolve(name),
      // Own keys only: `x | constructor` must not find Object.prototype.constructor.
      filter: (name): FilterFn | undefined => ownEntry(FILTERS, shortName(name)) ?? ownEntry(FILTERS, name),
      test: (name): TestFn | undefined => ownEntry(TESTS, shortName(name)) ?? ownEntry(TESTS, name),
      global: (name) => (Object.prototype.hasOwnProperty.call(this.globals, name) ? this.globals[name] : undefined),
      concat: evalConcat,
    };
  }

  private lookupContext(): LookupContext {
    return {
      resolveVar: (name) => this.resolve(name),
      searchPaths: this.options.searchPaths ?? [],
      renderText: (text) => this.renderText(text),
      addSecret: this.options.onSecret,
      varNames: () => {
        const names = new Set<string>();
        for (let l: VarLayer | null = this.layer; l !== null; l = l.parent) for (const k of Object.keys(l.vars)) names.add(k);
        return [...names];
      },
    };
  }

  /**
   * Runs lookup plugin `name` on already templated `terms` (the engine's `with_<name>` loops); its
   * errors are TemplateErrors with Ansible's message.
   */
  lookup(name: string, terms: readonly unknown[], kwargs: Readonly<Record<string, unknown>> = {}): unknown[] {
    try {
      return runLookup(name, terms, kwargs, this.lookupContext());
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      if (e instanceof LookupNotFound) throw new TemplateError(e.message, { source: this.options.source });
      const message = e instanceof Error ? e.message : String(e);
      throw new TemplateError(
        `An unhandled exception occurred while running the lookup plugin '${name}'. Error was a <class 'ansible.errors.AnsibleError'>, original message: ${message}. ${message}`,
        { source: this.options.source, cause: e },
      );
    }
  }

  private makeGlobals(): Record<string, unknown> {
    const lookup = (wantlistDefault: boolean) => (args: unknown[], kwargs: Record<string, unknown>): unknown => {
      if (args.length === 0) throw new PyError('lookup() needs a plugin name');
      const name = pyStr(args[0]);
      const { wantlist, errors, ...rest } = kwargs;
      const want = wantlistDefault || truthy(wantlist ?? false);
      for (const a of args) if (a instanceof Undefined) throw new UndefinedError(a);
      let ran: unknown[];
      try {
        ran = runLookup(name, args.slice(1).map((a) => exportValue(a)), rest, this.lookupContext());
      } catch (e) {
        if (e instanceof LookupNotFound || !(e instanceof PyError)) throw e instanceof LookupNotFound ? new FilterError(e.message) : e;
        const mode = errors === undefined ? 'strict' : pyStr(errors);
        if (mode === 'strict') {
          const m = `An unhandled exception occurred while running the lookup plugin '${name}'. Error was a <class 'ansible.errors.AnsibleError'>, original message: ${e.message}`;
          throw new FilterError(`${m}. ${e.message}`);
        }
        return want ? [] : null;
      }
      return lookupResult(ran, want);
    };
    return {
      range: new PyCallable('range', (args) => {
        const n = args.map((a) => num(a));
        const [start, stop, step] = n.length === 1 ? [0, n[0] as number, 1] : [n[0] as number, n[1] as number, n[2] ?? 1];
        if (step === 0) throw new PyError('range() arg 3 must not be zero');
        const out: number[] = [];
        for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
          out.push(i);
          if (out.length > 100000) throw new PyError('Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).');
        }
        return out;
      }),
      lookup: new PyCallable('lookup', lookup(false)),
      query: new PyCallable('query', lookup(true)),
      q: new PyCallable('q', lookup(true)),
      dict: new PyCallable('dict', (args, kwargs) => {
        const out: Record<string, unknown> = {};
        if (args[0] !== undefined) {
          if (isPlainObject(args[0])) assignKeys(out, args[0]);
          else for (const pair of args[0] as unknown[]) setKey(out, pyStr((pair as unknown[])[0]), (pair as unknown[])[1]);
        }
        return assignKeys(out, kwargs);
      }),
      namespace: new PyCallable('namespace', (args, kwargs) => new Namespace({ ...(isPlainObject(args[0]) ? args[0] : {}), ...kwargs })),
      omit: OMIT_PLACEHOLDER,
      now: new PyCallable('now', (args, kwargs) => {
        const utc = truthy(args[0] ?? kwargs.utc ?? false);
        const fmt = args[1] ?? kwargs.fmt;
        const d = new Date();
        if (fmt !== undefined && fmt !== null) return strftime(pyStr(fmt), d, utc);
        return strftime('%Y-%m-%d %H:%M:%S.%f', d, utc);
      }),
      undef: new PyCallable('undef', (args, kwargs) => {
        const hint = args[0] ?? kwargs.hint;
        return new Undefined(undefined, MISSING, hint === undefined || hint === null || hint === '' ? 'Mandatory variable has not been overridden' : pyStr(hint));
      }),
      joiner: new PyCallable('joiner', (args) => {
        const sep = args[0] === undefined ? ', ' : pyStr(args[0]);
        let used = false;
        return new PyCallable('joiner', () => {
          if (!used) {
            used = true;
            return '';
          }
          return sep;
        });
      }),
      cycler: new PyCallable('cycler', (items) => {
        let pos = 0;
        return new PyCallable('cycler.next', () => items[pos++ % items.length]);
      }),
      zip: new PyCallable('zip', (args) => {
        const lists = args.map((a) => a as unknown[]);
        const n = Math.min(...lists.map((l) => l.length));
        return Array.from({ length: n }, (_v, i) => makeTuple(lists.map((l) => l[i])));
      }),
    };
  }

  // ------------------------------------------------------------ templating

  /** Deep-templates strings anywhere in value (arrays, plain objects). */
  template(value: unknown): unknown {
    return this.wrapErrors(() => this.templateValue(value), typeof value === 'string' ? value : '');
  }

  private templateValue(value: unknown): unknown {
    if (typeof value === 'string') return this.templateString(value);
    if (value === null || typeof value !== 'object') return value;
    if (value instanceof VaultText) return this.decrypt(value);
    if (Array.isArray(value)) {
      if (!containsTemplate(value)) return value;
      return value.map((v) => this.templateValue(v));
    }
    if (isPlainObject(value)) {
      if (!containsTemplate(value)) return value;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) setKey(out, k, this.templateValue(value[k]));
      return out;
    }
    return value;
  }

  private templateString(s: string): unknown {
    if (!stringHasTemplate(s)) return s;
    const single = SINGLE_VAR.exec(s);
    if (single) {
      const raw = this.rawVar(single[1] as string);
      if (typeof raw === 'boolean' || typeof raw === 'number') return raw;
      if (raw === null) return null;
    }
    let body: readonly Stmt[];
    try {
      body = compileTemplate(s);
    } catch (e) {
      if (e instanceof TemplateSyntaxError) {
        throw new TemplateError(syntaxErrorText(e.message, s), { source: this.options.source });
      }
      throw e;
    }
    let result: unknown;
    try {
      const values = new Evaluator(this.env).render(body);
      if (values.length === 1 && body.length === 1 && body[0]?.t === 'output') {
        const expr = body[0].expr;
        if (expr.t === 'filter' && STRING_TYPE_FILTERS.has(shortName(expr.name)) && typeof values[0] === 'string') {
          values[0] = new NativeText(values[0]);
        }
      }
      result = evalConcat(values);
    } catch (e) {
      throw this.convertError(e, s);
    }
    if (typeof result === 'string') {
      const want = countTrailingNewlines(s);
      const have = countTrailingNewlines(result);
      if (want > have) result += '\n'.repeat(want - have);
      return result;
    }
    return exportValue(result);
  }

  private convertError(e: unknown, template: string): unknown {
    if (e instanceof TsbookError) return e;
    if (e instanceof UndefinedError) {
      const m = e.undef.message();
      const message = e.undef.obj === MISSING && e.undef.hint === undefined ? `undefined variable '${String(e.undef.name)}' in "${template}"` : `${m} in "${template}"`;
      return new UndefinedVariableError(message, m, template, { source: this.options.source });
    }
    if (e instanceof FilterNotFound) {
      return new TemplateError(syntaxErrorText(e.message, template), { source: this.options.source });
    }
    if (e instanceof FilterError) return new TemplateError(e.message, { source: this.options.source, cause: e });
    if (e instanceof PyError) return new TemplateError(`Unexpected templating type error occurred on (${template}): ${e.message}. ${e.message}`, { source: this.options.source, cause: e });
    if (e instanceof RangeError) return new TemplateError(`recursive loop detected in template string: ${template}`, { source: this.options.source, cause: e });
    if (e instanceof Error) return new TemplateError(`Unexpected templating type error occurred on (${template}): ${e.message}`, { source: this.options.source, cause: e });
    return e;
  }

  private wrapErrors<T>(fn: () => T, template: string): T {
    try {
      return fn();
    } catch (e) {
      throw this.convertError(e, template);
    }
  }

  /**
   * Renders a template file's text the way the `template` module (and `lookup('template')`) does:
   * no backslash escaping, no literal_eval of the result (Ansible's convert_data=False), always a string.
   */
  renderText(text: string): string {
    return this.wrapErrors(() => {
      if (!stringHasTemplate(text)) return text;
      let body: readonly Stmt[];
      try {
        body = compileTemplate(text, false);
      } catch (e) {
        if (e instanceof TemplateSyntaxError) {
          throw new TemplateError(syntaxErrorText(e.message, text), { source: this.options.source });
        }
        throw e;
      }
      let out: string;
      try {
        out = new Evaluator({ ...this.env, concat: (values) => values.map((v) => pyStr(v)).join('') }).render(body).map((v) => pyStr(v)).join('');
      } catch (e) {
        throw this.convertError(e, text);
      }
      const want = countTrailingNewlines(text);
      const have = countTrailingNewlines(out);
      return want > have ? out + '\n'.repeat(want - have) : out;
    }, text);
  }

  /** Evaluates a bare expression to its native value. */
  expression(expr: string): unknown {
    return this.wrapErrors(() => {
      let ast: Expr;
      try {
        ast = compileExpression(expr);
      } catch (e) {
        if (e instanceof TemplateSyntaxError) throw new TemplateError(syntaxErrorText(e.message, expr), { source: this.options.source });
        throw e;
      }
      try {
        const v = new Evaluator(this.env).evalExpr(ast);
        failOnUndefined(v);
        return exportValue(v);
      } catch (e) {
        throw this.convertError(e, `{{ ${expr} }}`);
      }
    }, expr);
  }

  /** Ansible's conditional evaluation (`when`, `changed_when`, `failed_when`, `until`). */
  evaluate(condition: string | boolean | readonly (string | boolean)[]): boolean {
    if (Array.isArray(condition)) {
      for (const c of condition as readonly (string | boolean)[]) if (!this.evaluateOne(c)) return false;
      return true;
    }
    return this.evaluateOne(condition as string | boolean);
  }

  private evaluateOne(conditional: string | boolean | null | undefined): boolean {
    if (conditional === null || conditional === undefined || conditional === '') return true;
    if (typeof conditional === 'boolean') return conditional;
    if (typeof conditional !== 'string') return truthy(this.template(conditional));
    try {
      const templated = this.template(conditional);
      if (typeof templated !== 'string' || templated === '') return truthy(templated);
      const presented = `{% if ${templated} %} True {% else %} False {% endif %}`;
      const val = pyStr(this.template(presented)).trim();
      if (val === 'True') return true;
      if (val === 'False') return false;
      throw new TemplateError(`unable to evaluate conditional: ${conditional}`, { source: this.options.source });
    } catch (e) {
      if (e instanceof UndefinedVariableError) {
        const m = /'(hostvars\[.+\]|[\w_]+)' is undefined/.exec(e.undefinedMessage);
        if (m) {
          const varName = (m[1] as string).replace(/'/g, '"');
          for (const [duVar, logic, state] of definedTests(conditional)) {
            if (varName === duVar.replace(/'/g, '"')) {
              const shouldExist = logic.includes('not') !== (state === 'defined');
              return !shouldExist;
            }
          }
        }
        throw new UndefinedVariableError(
          `The conditional check '${conditional}' failed. The error was: error while evaluating conditional (${conditional}): ${e.ansibleMessage}`,
          e.undefinedMessage,
          e.template,
          { source: this.options.source, cause: conditionalCause(e, conditional) },
        );
      }
      if (e instanceof TemplateError) {
        if (e.message.startsWith('The conditional check')) throw e;
        throw new TemplateError(`The conditional check '${conditional}' failed. The error was: ${e.message}`, { source: this.options.source, cause: e });
      }
      throw e;
    }
  }
}

/** The short error for a conditional: `undefined variable 'x' in "x == 1"` rather than the `{% if %}` wrapper. */
function conditionalCause(e: UndefinedVariableError, conditional: string): UndefinedVariableError {
  const suffix = ` in "${e.template}"`;
  if (e.template === conditional || !e.message.endsWith(suffix)) return e;
  const message = `${e.message.slice(0, -suffix.length)} in "${conditional}"`;
  return new UndefinedVariableError(message, e.undefinedMessage, conditional, { source: e.source });
}

function pyStrSafe(v: unknown): string {
  try {
    return pyStr(v);
  } catch {
    return String(v);
  }
}

