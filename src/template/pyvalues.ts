/**
 * Python value semantics for the Jinja2 evaluator: truthiness, equality, ordering, str() and repr().
 *
 * Mapping: None = null (JS undefined is treated as None too), bool = boolean, int/float = number,
 * str = string, list = array, tuple = array registered in TUPLES, dict = plain object. A float whose
 * value is integral (1.0) is boxed in PyFloat while inside the evaluator so it renders as `1.0`;
 * it is unboxed when values leave the templater (see exportValue in templar.ts).
 */
import { OPAQUE, UnsafeText, VaultText } from '../model/values.js';

/** An integral float (Python's 1.0). Non-integral floats are plain numbers. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A callable value: a global function, a bound method, a macro. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
  ) {}
}

/** Jinja2's Undefined: chained attribute access keeps the first failure (AnsibleUndefined). */
export class Undefined {
  constructor(
    readonly name: string | number | undefined,
    readonly obj: unknown = MISSING,
    readonly hint?: string,
    /** Jinja2's plain (non-strict) Undefined, as made by `x if c` without else: renders as ''. */
    readonly lenient = false,
  ) {}

  /** Jinja2's `_undefined_message`. */
  message(): string {
    if (this.hint !== undefined) return this.hint;
    if (this.obj === MISSING) return `${pyRepr(String(this.name))} is undefined`;
    if (typeof this.name !== 'string') return `${objectTypeRepr(this.obj)} has no element ${pyRepr(this.name)}`;
    return `${pyRepr(objectTypeRepr(this.obj))} has no attribute ${pyRepr(this.name)}`;
  }
}

export const MISSING: unique symbol = Symbol('missing');

/** Thrown (as a JS exception inside the evaluator) when an Undefined is used in a way that needs a value. */
export class UndefinedError extends Error {
  constructor(readonly undef: Undefined) {
    super(undef.message());
  }
}

/** Errors raised by filters/tests/operators with Python-like messages. */
export class PyError extends Error {}

/** A TypeError raised by a filter (AnsibleFilterTypeError): shown as an unexpected templating type error. */
export class PyTypeError extends PyError {}

/** Python's repr of a type: `<class 'int'>`. */
export function classRepr(v: unknown): string {
  return `<class '${typeName(v)}'>`;
}

const TUPLES = new WeakSet<readonly unknown[]>();

export function makeTuple(items: unknown[]): unknown[] {
  TUPLES.add(items);
  return items;
}

export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && TUPLES.has(v);
}

export type PyDict = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PyDict {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `obj[key] = value` as Python's `d[key] = value`: a key named `__proto__` becomes an ordinary own
 * entry instead of replacing the object's prototype (which would lose the key and turn the dict
 * into something that is no longer a plain object).
 */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** `Object.assign(target, source)` with setKey's handling of `__proto__` (Python's dict.update). */
export function assignKeys(target: Record<string, unknown>, source: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const key of Object.keys(source)) setKey(target, key, source[key]);
  return target;
}

export function isOpaque(v: unknown): boolean {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && (v as { [OPAQUE]?: unknown })[OPAQUE] === true;
}

/** A mapping for Jinja2 purposes: plain objects and OPAQUE objects (hostvars). */
export function isMapping(v: unknown): v is PyDict {
  return isPlainObject(v) || isOpaque(v);
}

export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new PyError(`unsupported operand type: ${typeName(v)}`);
}

/** Makes a float result: integral values are boxed so they render as `1.0`. */
export function mkFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export function unsafeText(v: unknown): string | undefined {
  return v instanceof UnsafeText ? v.value : undefined;
}

/** Python's type(x).__name__. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (v instanceof Undefined) return 'AnsibleUndefined';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof UnsafeText) return 'AnsibleUnsafeText';
  if (v instanceof VaultText) return 'AnsibleVaultEncryptedUnicode';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (v instanceof PyCallable) return 'function';
  if (isOpaque(v)) return 'HostVars';
  if (isPlainObject(v)) return 'dict';
  return 'object';
}

/** Jinja2's object_type_repr. */
export function objectTypeRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  return `${typeName(v)} object`;
}

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (v instanceof Undefined) {
    if (v.lenient) return false;
    throw new UndefinedError(v);
  }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof UnsafeText) return v.value.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Strings, including UnsafeText, as a JS string; otherwise undefined. */
export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof UnsafeText) return v.value;
  return undefined;
}

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a instanceof Undefined || b instanceof Undefined) return a === b;
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if ((isNumber(a) || typeof a === 'boolean') && (isNumber(b) || typeof b === 'boolean')) return num(a) === num(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b)) return false;
    return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEquals(a[k], b[k]));
  }
  return a === b;
}

/** Python ordering (<): numbers with numbers, strings with strings, sequences lexicographically. */
export function pyCompare(a: unknown, b: unknown): number {
  if (a instanceof Undefined) throw new UndefinedError(a);
  if (b instanceof Undefined) throw new UndefinedError(b);
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if ((isNumber(a) || typeof a === 'boolean') && (isNumber(b) || typeof b === 'boolean')) {
    const x = num(a);
    const y = num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  throw new PyError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function pyContains(container: unknown, item: unknown): boolean {
  if (container instanceof Undefined) throw new UndefinedError(container);
  const s = asString(container);
  if (s !== undefined) {
    const i = asString(item);
    if (i === undefined) throw new PyError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return s.includes(i);
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (isPlainObject(container)) {
    const k = dictKey(item);
    return Object.prototype.hasOwnProperty.call(container, k);
  }
  if (isOpaque(container)) return dictKey(item) in (container as object);
  throw new PyError(`argument of type '${typeName(container)}' is not iterable`);
}

/** Converts a Python dict key to a JS property name. */
export function dictKey(k: unknown): string {
  const s = asString(k);
  if (s !== undefined) return s;
  if (k === null || k === undefined) return 'None';
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  return pyStr(k);
}

// ---------------------------------------------------------------- str() / repr()

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n.toFixed(0)}.0`;
  // Python's repr switches to exponent form at 1e16 and below 1e-4.
  const abs = Math.abs(n);
  if (abs >= 1e16 || abs < 1e-4) {
    const e = n.toExponential();
    const [mant, exp] = e.split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

export function formatNumber(v: number | PyFloat): string {
  if (v instanceof PyFloat) return formatFloat(v.value);
  if (Number.isInteger(v)) return Math.abs(v) >= 1e21 ? BigInt(v).toString() : String(v);
  return formatFloat(v);
}

/** Python's str(). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || v instanceof PyFloat) return formatNumber(v);
  if (v instanceof UnsafeText) return v.value;
  if (v instanceof Undefined) {
    if (v.lenient) return '';
    throw new UndefinedError(v);
  }
  return pyRepr(v);
}

const REPR_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const esc = REPR_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (ch === quote) out += `\\${ch}`;
    else {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else out += ch;
    }
  }
  return out + quote;
}

/** Python's repr(). */
export function pyRepr(v: unknown, seen: Set<unknown> = new Set()): string {
  if (typeof v === 'string') return reprString(v);
  if (v instanceof UnsafeText) return reprString(v.value);
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number' || v instanceof PyFloat) return pyStr(v);
  if (v instanceof Undefined) throw new UndefinedError(v);
  if (seen.has(v)) return Array.isArray(v) ? '[...]' : '{...}';
  if (Array.isArray(v)) {
    seen.add(v);
    const parts = v.map((x) => pyRepr(x, seen));
    seen.delete(v);
    if (isTuple(v)) return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    return `[${parts.join(', ')}]`;
  }
  if (v instanceof PyCallable) return `<function ${v.name}>`;
  if (v instanceof VaultText) return reprString(v.ciphertext);
  if (isPlainObject(v)) {
    seen.add(v);
    const parts = Object.keys(v).map((k) => `${reprString(k)}: ${pyRepr(v[k], seen)}`);
    seen.delete(v);
    return `{${parts.join(', ')}}`;
  }
  if (isOpaque(v)) return '<hostvars>';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** Length of a sized value (len()). */
export function pyLen(v: unknown): number {
  const s = asString(v);
  if (s !== undefined) return [...s].length;
  if (Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  if (v instanceof Undefined) throw new UndefinedError(v);
  throw new PyError(`object of type '${typeName(v)}' has no len()`);
}

/** Iterating a value like Python's iter(): dicts give keys, strings characters. */
export function pyIter(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const s = asString(v);
  if (s !== undefined) return [...s];
  if (isPlainObject(v)) return Object.keys(v);
  if (v instanceof Undefined) {
    if (v.lenient) return [];
    throw new UndefinedError(v);
  }
  if (isOpaque(v)) return Object.keys(v as object);
  throw new PyError(`'${typeName(v)}' object is not iterable`);
}
