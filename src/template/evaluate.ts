/** Walks the Jinja2 syntax tree with Python semantics. */
import type { Args, CompareOp, Expr, Stmt, Target } from './ast.js';
import { boundMethod } from './methods.js';
import { percentFormat } from './pyformat.js';
import {
  asString,
  dictKey,
  isFloat,
  isMapping,
  isNumber,
  isOpaque,
  isPlainObject,
  isTuple,
  makeTuple,
  MISSING,
  mkFloat,
  num,
  PyCallable,
  pyCompare,
  pyContains,
  pyEquals,
  PyError,
  PyFloat,
  PyTypeError,
  pyIter,
  pyLen,
  pyStr,
  truthy,
  typeName,
  Undefined,
  UndefinedError,
  setKey,
  assignKeys,
  pyRepr,
} from './pyvalues.js';

/** What the evaluator needs from its caller: variables, filters, tests, globals. */
export interface Environment {
  /** A variable by name (templated lazily), or MISSING. */
  resolve(name: string): unknown;
  filter(name: string): FilterFn | undefined;
  test(name: string): TestFn | undefined;
  global(name: string): unknown;
  /** Joins output values the way Ansible's concat does (for set blocks, macros, filter blocks). */
  concat(values: unknown[]): unknown;
}

export type FilterFn = (ctx: CallContext, value: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown;
export type TestFn = (ctx: CallContext, value: unknown, args: unknown[], kwargs: Record<string, unknown>) => boolean;

/** Given to filters and tests so they can call other filters/tests and read attributes. */
export interface CallContext {
  readonly env: Environment;
  callFilter(name: string, value: unknown, args: unknown[], kwargs?: Record<string, unknown>): unknown;
  callTest(name: string, value: unknown, args: unknown[], kwargs?: Record<string, unknown>): boolean;
  getattr(obj: unknown, name: string): unknown;
  getitem(obj: unknown, key: unknown): unknown;
  call(fn: unknown, args: unknown[], kwargs?: Record<string, unknown>): unknown;
}

/** Filters/tests that receive an Undefined value without failing. */
const UNDEFINED_OK_FILTERS = new Set(['default', 'd', 'mandatory', 'type_debug']);
const UNDEFINED_OK_TESTS = new Set(['defined', 'undefined', 'none', 'string', 'number', 'mapping', 'sequence', 'boolean', 'integer', 'float', 'callable', 'sameas', 'true', 'false']);
const UNDEFINED_ARGS_OK_FILTERS = new Set(['default', 'd', 'ternary', 'mandatory']);

export class LoopContext {
  index0 = 0;
  previtem: unknown;
  nextitem: unknown;
  readonly depth = 1;
  readonly depth0 = 0;
  private lastChanged: unknown = MISSING;
  readonly cycle: PyCallable;
  readonly changed: PyCallable;

  constructor(private readonly items: readonly unknown[]) {
    this.cycle = new PyCallable('loop.cycle', (args) => {
      if (args.length === 0) throw new PyError('no items for cycling given');
      return args[this.index0 % args.length];
    });
    this.changed = new PyCallable('loop.changed', (args) => {
      const value = makeTuple(args);
      if (this.lastChanged === MISSING || !pyEquals(this.lastChanged, value)) {
        this.lastChanged = value;
        return true;
      }
      return false;
    });
  }

  get index(): number {
    return this.index0 + 1;
  }
  get length(): number {
    return this.items.length;
  }
  get revindex(): number {
    return this.items.length - this.index0;
  }
  get revindex0(): number {
    return this.items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.items.length - 1;
  }
}

export class Namespace {
  constructor(readonly attrs: Record<string, unknown>) {}

  /** Jinja2's repr, which pyRepr falls back to: `<Namespace {'a': 1}>`. */
  toString(): string {
    return `<Namespace ${pyRepr(this.attrs)}>`;
  }
}

const LOOP_ATTRS = new Set(['index', 'index0', 'revindex', 'revindex0', 'first', 'last', 'length', 'previtem', 'nextitem', 'depth', 'depth0', 'cycle', 'changed']);

class Frame {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Frame | null) {}

  lookup(name: string): unknown {
    for (let f: Frame | null = this; f !== null; f = f.parent) {
      if (f.vars.has(name)) return f.vars.get(name);
    }
    return MISSING;
  }
}

function requireDefined(v: unknown): unknown {
  if (v instanceof Undefined) throw new UndefinedError(v);
  return v;
}

/** Python semantics of binary arithmetic. */
export function arith(op: string, a: unknown, b: unknown): unknown {
  requireDefined(a);
  requireDefined(b);
  const numeric = (isNumber(a) || typeof a === 'boolean') && (isNumber(b) || typeof b === 'boolean');
  const anyFloat = isFloat(a) || isFloat(b);
  const fl = (n: number): unknown => (anyFloat ? mkFloat(n) : n);
  const unsupported = (): PyError => new PyError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  switch (op) {
    case '+': {
      if (numeric) return fl(num(a) + num(b));
      const sa = asString(a);
      const sb = asString(b);
      if (sa !== undefined && sb !== undefined) return sa + sb;
      if (sa !== undefined) throw new PyError(`can only concatenate str (not "${typeName(b)}") to str`);
      if (Array.isArray(a) && Array.isArray(b)) {
        if (isTuple(a) && isTuple(b)) return makeTuple([...a, ...b]);
        if (!isTuple(a) && !isTuple(b)) return [...a, ...b];
      }
      if (Array.isArray(a)) throw new PyError(`can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`);
      throw unsupported();
    }
    case '-':
      if (numeric) return fl(num(a) - num(b));
      throw unsupported();
    case '*': {
      if (numeric) return fl(num(a) * num(b));
      const [seq, n] = typeof b === 'number' ? [a, b] : [b, a];
      if (typeof n === 'number' && Number.isInteger(n)) {
        const s = asString(seq);
        if (s !== undefined) return s.repeat(Math.max(0, n));
        if (Array.isArray(seq)) {
          const out: unknown[] = [];
          for (let i = 0; i < n; i++) out.push(...seq);
          return isTuple(seq) ? makeTuple(out) : out;
        }
      }
      throw new PyError(`can't multiply sequence by non-int of type '${typeName(b)}'`);
    }
    case '/':
      if (numeric) {
        if (num(b) === 0) throw new PyError('division by zero');
        return mkFloat(num(a) / num(b));
      }
      throw unsupported();
    case '//':
      if (numeric) {
        if (num(b) === 0) throw new PyError('integer division or modulo by zero');
        return fl(Math.floor(num(a) / num(b)));
      }
      throw unsupported();
    case '%': {
      const s = asString(a);
      if (s !== undefined) return percentFormat(s, b);
      if (numeric) {
        const y = num(b);
        if (y === 0) throw new PyError('integer division or modulo by zero');
        const x = num(a);
        return fl(x - y * Math.floor(x / y));
      }
      throw unsupported();
    }
    case '**': {
      if (numeric) {
        const r = num(a) ** num(b);
        return anyFloat || num(b) < 0 ? mkFloat(r) : r;
      }
      throw unsupported();
    }
    case '~':
      return pyStr(a) + pyStr(b);
    default:
      throw new PyError(`unknown operator ${op}`);
  }
}

function compareOp(op: CompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'eq':
      return pyEquals(a, b);
    case 'ne':
      return !pyEquals(a, b);
    case 'lt':
      return pyCompare(a, b) < 0;
    case 'lteq':
      return pyCompare(a, b) <= 0;
    case 'gt':
      return pyCompare(a, b) > 0;
    case 'gteq':
      return pyCompare(a, b) >= 0;
    case 'in':
      return pyContains(b, a);
    case 'notin':
      return !pyContains(b, a);
  }
}

function toIndex(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export class SliceValue {
  constructor(readonly start: unknown, readonly stop: unknown, readonly step: unknown) {}
}

/** Python slicing for str and list. */
export function pySlice(seq: string | readonly unknown[], s: SliceValue): string | unknown[] {
  const len = seq.length;
  const step = s.step === null || s.step === undefined ? 1 : num(s.step);
  if (step === 0) throw new PyError('slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt;
    let n = num(v);
    if (n < 0) n += len;
    return Math.min(Math.max(n, lo), hi);
  };
  const start = step > 0 ? norm(s.start, 0, 0, len) : norm(s.start, len - 1, -1, len - 1);
  const stop = step > 0 ? norm(s.stop, len, 0, len) : norm(s.stop, -1, -1, len - 1);
  const idx: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) idx.push(i);
  else for (let i = start; i > stop; i += step) idx.push(i);
  if (typeof seq === 'string') {
    const chars = [...seq];
    return idx.map((i) => chars[i]).join('');
  }
  return idx.map((i) => seq[i]);
}

/** Jinja2's environment.getattr: attribute (methods) first, then item. */
export function getattr(obj: unknown, name: string): unknown {
  if (obj instanceof Undefined) return obj;
  if (isPlainObject(obj)) {
    const m = boundMethod(obj, name);
    if (m) return m;
    return Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : new Undefined(name, obj);
  }
  if (isOpaque(obj)) {
    const v = (obj as Record<string, unknown>)[name];
    return v === undefined ? new Undefined(name, obj) : v;
  }
  const m = boundMethod(obj, name);
  if (m) return m;
  if (obj instanceof LoopContext && LOOP_ATTRS.has(name)) return (obj as unknown as Record<string, unknown>)[name] ?? null;
  if (obj instanceof Namespace) return Object.prototype.hasOwnProperty.call(obj.attrs, name) ? obj.attrs[name] : new Undefined(name, obj);
  return new Undefined(name, obj);
}

/** Jinja2's environment.getitem: item first, then attribute. */
export function getitem(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) return obj;
  if (key instanceof Undefined) throw new UndefinedError(key);
  const s = asString(obj);
  if (s !== undefined || Array.isArray(obj)) {
    const seq: string | readonly unknown[] = s ?? (obj as unknown[]);
    if (key instanceof SliceValue) return s !== undefined ? pySlice(s, key) : pySlice(obj as unknown[], key);
    const i = toIndex(key);
    if (i !== undefined) {
      if (s !== undefined) {
        const chars = [...s];
        const j = i < 0 ? chars.length + i : i;
        return j >= 0 && j < chars.length ? chars[j] : new Undefined(key as number, obj);
      }
      const j = i < 0 ? seq.length + i : i;
      return j >= 0 && j < seq.length ? (seq as unknown[])[j] : new Undefined(i, obj);
    }
    const name = asString(key);
    if (name !== undefined) return getattr(obj, name);
    return new Undefined(typeof key === 'number' ? key : pyStr(key), obj);
  }
  if (isPlainObject(obj)) {
    const k = dictKey(key);
    if (Object.prototype.hasOwnProperty.call(obj, k)) return obj[k];
    const name = asString(key);
    if (name !== undefined) {
      const m = boundMethod(obj, name);
      if (m) return m;
      return new Undefined(name, obj);
    }
    return new Undefined(typeof key === 'number' ? key : k, obj);
  }
  if (isOpaque(obj)) {
    const k = dictKey(key);
    const v = (obj as Record<string, unknown>)[k];
    return v === undefined ? new Undefined(k, obj) : v;
  }
  const name = asString(key);
  if (name !== undefined) return getattr(obj, name);
  return new Undefined(typeof key === 'number' ? key : pyStr(key), obj);
}

export function callValue(fn: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
  if (fn instanceof PyCallable) return fn.fn(args, kwargs);
  if (fn instanceof Undefined) throw new UndefinedError(fn);
  throw new PyError(`'${typeName(fn)}' object is not callable`);
}

/** One rendering of one template: frames, filters, tests. */
export class Evaluator implements CallContext {
  constructor(readonly env: Environment) {}

  // ------------------------------------------------------------ statements

  render(body: readonly Stmt[], frame: Frame | null = null): unknown[] {
    const out: unknown[] = [];
    this.exec(body, frame ?? new Frame(null), out);
    return out;
  }

  private exec(body: readonly Stmt[], frame: Frame, out: unknown[]): void {
    for (const stmt of body) {
      switch (stmt.t) {
        case 'data':
          out.push(stmt.text);
          break;
        case 'output':
          out.push(finalize(this.eval(stmt.expr, frame)));
          break;
        case 'if': {
          let done = false;
          for (const [cond, branch] of stmt.tests) {
            if (truthy(this.eval(cond, frame))) {
              this.exec(branch, frame, out);
              done = true;
              break;
            }
          }
          if (!done) this.exec(stmt.else_, frame, out);
          break;
        }
        case 'for':
          this.execFor(stmt, frame, out);
          break;
        case 'set':
          this.assign(stmt.target, this.eval(stmt.value, frame), frame);
          break;
        case 'setblock': {
          let value: unknown = this.env.concat(this.render(stmt.body, new Frame(frame)));
          if (stmt.filter) value = this.evalFilterChain(stmt.filter, frame, value);
          this.assign(stmt.target, value, frame);
          break;
        }
        case 'macro':
          frame.vars.set(stmt.name, this.makeMacro(stmt, frame));
          break;
        case 'filterblock': {
          const value = this.env.concat(this.render(stmt.body, new Frame(frame)));
          out.push(finalize(this.evalFilterChain(stmt.filter, frame, value)));
          break;
        }
        case 'with': {
          const inner = new Frame(frame);
          for (const [target, expr] of stmt.targets) this.assign(target, this.eval(expr, frame), inner);
          this.exec(stmt.body, inner, out);
          break;
        }
        case 'do':
          this.eval(stmt.expr, frame);
          break;
      }
    }
  }

  private execFor(stmt: Extract<Stmt, { t: 'for' }>, frame: Frame, out: unknown[]): void {
    const iterable = this.eval(stmt.iter, frame);
    if (iterable === null || iterable === undefined) throw new PyError("'NoneType' object is not iterable");
    let items = pyIter(requireDefined(iterable));
    if (stmt.filter) {
      const filter = stmt.filter;
      items = items.filter((item) => {
        const f = new Frame(frame);
        this.assign(stmt.target, item, f);
        return truthy(this.eval(filter, f));
      });
    }
    if (items.length === 0) {
      this.exec(stmt.else_, frame, out);
      return;
    }
    const loop = new LoopContext(items);
    for (let i = 0; i < items.length; i++) {
      const inner = new Frame(frame);
      loop.index0 = i;
      loop.previtem = i > 0 ? items[i - 1] : new Undefined('previtem', null, 'there is no previous item');
      loop.nextitem = i < items.length - 1 ? items[i + 1] : new Undefined('nextitem', null, 'there is no next item');
      inner.vars.set('loop', loop);
      this.assign(stmt.target, items[i], inner);
      this.exec(stmt.body, inner, out);
    }
  }

  private assign(target: Target, value: unknown, frame: Frame): void {
    if (target.t === 'name') {
      frame.vars.set(target.name, value);
      return;
    }
    if (target.t === 'nsattr') {
      const ns = frame.lookup(target.name);
      if (!(ns instanceof Namespace)) throw new PyError('cannot assign attribute on non-namespace object');
      setKey(ns.attrs, target.attr, value);
      return;
    }
    const items = pyIter(requireDefined(value));
    if (items.length !== target.items.length) {
      throw new PyError(items.length > target.items.length ? `too many values to unpack (expected ${target.items.length})` : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`);
    }
    target.items.forEach((t, i) => this.assign(t, items[i], frame));
  }

  private makeMacro(stmt: Extract<Stmt, { t: 'macro' }>, defFrame: Frame): PyCallable {
    return new PyCallable(stmt.name, (args, kwargs) => {
      const frame = new Frame(defFrame);
      const extra: unknown[] = [];
      const kw = { ...kwargs };
      stmt.params.forEach((p, i) => {
        if (i < args.length) frame.vars.set(p.name, args[i]);
        else if (Object.prototype.hasOwnProperty.call(kw, p.name)) {
          frame.vars.set(p.name, kw[p.name]);
          delete kw[p.name];
        } else if (p.default) frame.vars.set(p.name, this.eval(p.default, frame));
        else frame.vars.set(p.name, new Undefined(p.name, MISSING, `parameter '${p.name}' was not provided`));
      });
      for (let i = stmt.params.length; i < args.length; i++) extra.push(args[i]);
      frame.vars.set('varargs', extra);
      frame.vars.set('kwargs', kw);
      return this.env.concat(this.render(stmt.body, frame));
    });
  }

  // ------------------------------------------------------------ expressions

  evalExpr(expr: Expr): unknown {
    return this.eval(expr, new Frame(null));
  }

  private eval(e: Expr, frame: Frame): unknown {
    switch (e.t) {
      case 'const':
        return e.value;
      case 'name': {
        const local = frame.lookup(e.name);
        if (local !== MISSING) return local;
        const v = this.env.resolve(e.name);
        if (v !== MISSING) return v;
        const g = this.env.global(e.name);
        return g === undefined ? new Undefined(e.name) : g;
      }
      case 'list':
        return e.items.map((x) => this.eval(x, frame));
      case 'tuple':
        return makeTuple(e.items.map((x) => this.eval(x, frame)));
      case 'dict': {
        const d: Record<string, unknown> = {};
        for (const [k, v] of e.pairs) setKey(d, dictKey(requireDefined(this.eval(k, frame))), this.eval(v, frame));
        return d;
      }
      case 'getattr':
        return getattr(this.eval(e.obj, frame), e.attr);
      case 'getitem':
        return getitem(this.eval(e.obj, frame), this.eval(e.index, frame));
      case 'slice':
        return new SliceValue(
          e.start ? requireDefined(this.eval(e.start, frame)) : null,
          e.stop ? requireDefined(this.eval(e.stop, frame)) : null,
          e.step ? requireDefined(this.eval(e.step, frame)) : null,
        );
      case 'call': {
        const fn = this.eval(e.fn, frame);
        const [args, kwargs] = this.evalArgs(e.args, frame);
        return callValue(fn, args, kwargs);
      }
      case 'filter':
        return this.evalFilter(e, frame, e.value ? this.eval(e.value, frame) : null);
      case 'test': {
        const value = this.eval(e.value, frame);
        const [args, kwargs] = this.evalArgs(e.args, frame);
        return this.callTest(e.name, value, args, kwargs);
      }
      case 'unary': {
        const v = this.eval(e.value, frame);
        if (e.op === 'not') return !truthy(v);
        requireDefined(v);
        if (!isNumber(v) && typeof v !== 'boolean') throw new PyError(`bad operand type for unary ${e.op}: '${typeName(v)}'`);
        if (e.op === '+') return typeof v === 'boolean' ? num(v) : v;
        return v instanceof PyFloat ? new PyFloat(-v.value) : -num(v);
      }
      case 'binary':
        return arith(e.op, this.eval(e.left, frame), this.eval(e.right, frame));
      case 'and': {
        const l = this.eval(e.left, frame);
        return truthy(l) ? this.eval(e.right, frame) : l;
      }
      case 'or': {
        const l = this.eval(e.left, frame);
        return truthy(l) ? l : this.eval(e.right, frame);
      }
      case 'compare': {
        let left = this.eval(e.first, frame);
        for (const [op, rexpr] of e.ops) {
          const right = this.eval(rexpr, frame);
          if (op !== 'eq' && op !== 'ne') {
            requireDefined(left);
            requireDefined(right);
          } else if (left instanceof Undefined || right instanceof Undefined) {
            // Jinja2's StrictUndefined fails on == as well.
            requireDefined(left);
            requireDefined(right);
          }
          if (!compareOp(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'condexpr':
        if (truthy(this.eval(e.cond, frame))) return this.eval(e.then, frame);
        return e.else_ ? this.eval(e.else_, frame) : new Undefined(undefined, MISSING, 'the inline if-expression evaluated to false and no else section was defined.', true);
    }
  }

  private evalArgs(a: Args, frame: Frame): [unknown[], Record<string, unknown>] {
    const args = a.positional.map((x) => this.eval(x, frame));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of a.keywords) setKey(kwargs, k, this.eval(v, frame));
    if (a.star) args.push(...pyIter(requireDefined(this.eval(a.star, frame))));
    if (a.starstar) {
      const extra = requireDefined(this.eval(a.starstar, frame));
      if (!isMapping(extra)) throw new PyError('argument after ** must be a mapping');
      assignKeys(kwargs, extra as Record<string, unknown>);
    }
    return [args, kwargs];
  }

  private evalFilter(e: Extract<Expr, { t: 'filter' }>, frame: Frame, input: unknown): unknown {
    const [args, kwargs] = this.evalArgs(e.args, frame);
    return this.callFilter(e.name, input, args, kwargs);
  }

  /** A filter chain whose innermost value is `null` (filter blocks, `{% set x | f %}`). */
  private evalFilterChain(e: Expr, frame: Frame, input: unknown): unknown {
    if (e.t !== 'filter') return this.eval(e, frame);
    const inner = e.value ? this.evalFilterChain(e.value, frame, input) : input;
    return this.evalFilter(e, frame, inner);
  }

  // ------------------------------------------------------------ CallContext

  callFilter(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
    const fn = this.env.filter(name);
    if (!fn) throw new FilterNotFound('filter', name);
    const short = shortName(name);
    if (value instanceof Undefined && !UNDEFINED_OK_FILTERS.has(short)) throw new UndefinedError(value);
    if (!UNDEFINED_ARGS_OK_FILTERS.has(short)) {
      for (const a of args) requireDefined(a);
      for (const k of Object.keys(kwargs)) requireDefined(kwargs[k]);
    }
    try {
      return fn(this, value, args, kwargs);
    } catch (e) {
      throw asFilterError(e);
    }
  }

  callTest(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): boolean {
    const fn = this.env.test(name);
    if (!fn) throw new FilterNotFound('test', name);
    if (value instanceof Undefined && !UNDEFINED_OK_TESTS.has(shortName(name))) throw new UndefinedError(value);
    for (const a of args) requireDefined(a);
    try {
      return fn(this, value, args, kwargs);
    } catch (e) {
      throw asFilterError(e);
    }
  }

  getattr(obj: unknown, name: string): unknown {
    return getattr(obj, name);
  }

  getitem(obj: unknown, key: unknown): unknown {
    return getitem(obj, key);
  }

  call(fn: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
    return callValue(fn, args, kwargs);
  }
}

/** An error raised inside a filter or test (AnsibleFilterError): its message is shown as it is. */
export class FilterError extends PyError {}

function asFilterError(e: unknown): unknown {
  if (e instanceof PyError && !(e instanceof FilterError) && !(e instanceof FilterNotFound) && !(e instanceof PyTypeError)) return new FilterError(e.message);
  return e;
}

export class FilterNotFound extends PyError {
  constructor(readonly kind: 'filter' | 'test', readonly filterName: string) {
    super(`Could not load "${filterName}": '${filterName}'`);
  }
}

/** `ansible.builtin.to_json` -> `to_json`. */
export function shortName(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}

/** Ansible's _ansible_finalize: fail on (nested) Undefined, None renders as ''. */
export function finalize(v: unknown): unknown {
  failOnUndefined(v);
  return v === null || v === undefined || v instanceof Undefined ? '' : v;
}

export function failOnUndefined(v: unknown, depth = 0): void {
  if (v instanceof Undefined) {
    if (v.lenient) return;
    throw new UndefinedError(v);
  }
  if (depth > 100) return;
  if (Array.isArray(v)) for (const x of v) failOnUndefined(x, depth + 1);
  else if (isPlainObject(v)) for (const k of Object.keys(v)) failOnUndefined(v[k], depth + 1);
}

export { Frame, pyLen };
