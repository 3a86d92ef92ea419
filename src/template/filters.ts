/** Jinja2's builtin filters and Ansible's core/mathstuff/urls filters. */
import { createHash } from 'node:crypto';
import { urldecode, urlsplit } from './filters-url.js';
import { homedir } from 'node:os';
import { posix as path } from 'node:path';
import { realpathSync } from 'node:fs';
import type { CallContext, FilterFn } from './evaluate.js';
import { getitem, pySlice, SliceValue } from './evaluate.js';
import { pySplit } from './methods.js';
import { formatFloatSpec, percentFormat, strFormat, strftime } from './pyformat.js';
import { PyRandom } from './pyrandom.js';
import { pyRegex, pySub } from './pyregex.js';
import { pyJsonDumps, pyYamlDump, yamlLoad, yamlLoadAll } from './serialize.js';
import {
  asString,
  dictKey,
  isFloat,
  isMapping,
  isNumber,
  isPlainObject,
  makeTuple,
  mkFloat,
  num,
  PyCallable,
  pyCompare,
  pyContains,
  pyEquals,
  PyError,
  PyFloat,
  PyTypeError,
  classRepr,
  pyIter,
  pyLen,
  pyRepr,
  pyStr,
  truthy,
  typeName,
  Undefined,
  UndefinedError,
  type PyDict,
  setKey,
  assignKeys,
} from './pyvalues.js';

type Kw = Record<string, unknown>;

/** Reads a parameter given positionally (index) or by keyword. */
function param(args: unknown[], kwargs: Kw, index: number, name: string, dflt: unknown): unknown {
  if (args.length > index) return args[index];
  if (Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return dflt;
}

function text(v: unknown): string {
  return pyStr(v);
}

function list(v: unknown): unknown[] {
  return [...pyIter(v)];
}

function seqOrFail(v: unknown, filter: string): unknown[] {
  if (v === null || v === undefined) throw new PyError(`'NoneType' object is not iterable (in ${filter})`);
  return list(v);
}

/** Jinja2's make_attrgetter: 'a.b.0' walks getitem on each part. */
function attrGetter(ctx: CallContext, attribute: unknown, dflt?: unknown): (item: unknown) => unknown {
  const parts: unknown[] = typeof attribute === 'number' ? [attribute] : text(attribute).split('.').map((p) => (/^\d+$/.test(p) ? parseInt(p, 10) : p));
  return (item) => {
    let v = item;
    for (const p of parts) v = ctx.getitem(v, p);
    if (v instanceof Undefined && dflt !== undefined) return dflt;
    return v;
  };
}

function sortKeyValue(v: unknown, caseSensitive: boolean): unknown {
  if (!caseSensitive) {
    const s = asString(v);
    if (s !== undefined) return s.toLowerCase();
  }
  return v;
}

function stableSort(items: unknown[], key: (x: unknown) => unknown, reverse: boolean): unknown[] {
  const decorated = items.map((item, i) => ({ k: key(item), i, item }));
  decorated.sort((a, b) => {
    const c = pyCompare(a.k, b.k);
    return c !== 0 ? (reverse ? -c : c) : a.i - b.i;
  });
  return decorated.map((d) => d.item);
}

function toInt(value: unknown, dflt: unknown = 0, base = 10): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || value instanceof PyFloat) return Math.trunc(num(value));
  const s = asString(value);
  if (s !== undefined) {
    const t = s.trim().replace(/_/g, '');
    if (base === 10 && /^[-+]?\d+$/.test(t)) return parseInt(t, 10);
    if (base !== 10) {
      const cleaned = t.replace(/^([-+]?)0[xob]/i, '$1');
      const n = parseInt(cleaned, base);
      if (!Number.isNaN(n) && /^[-+]?[0-9a-z]+$/i.test(cleaned)) return n;
    }
    const f = Number(t);
    if (t !== '' && !Number.isNaN(f) && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Math.trunc(f);
  }
  return dflt;
}

function toFloat(value: unknown, dflt: unknown = new PyFloat(0)): unknown {
  if (typeof value === 'boolean') return new PyFloat(value ? 1 : 0);
  if (typeof value === 'number' || value instanceof PyFloat) return mkFloat(num(value));
  const s = asString(value);
  if (s !== undefined) {
    const t = s.trim().toLowerCase();
    if (/^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(e[-+]?\d+)?$/.test(t)) return mkFloat(Number(t.replace(/_/g, '')));
    if (/^[-+]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/.test(t)) return NaN;
  }
  return dflt;
}

/** Ansible's to_bool. */
export function toBool(a: unknown): unknown {
  if (a === null || a === undefined || typeof a === 'boolean') return a ?? null;
  const s = asString(a);
  const v = s !== undefined ? s.toLowerCase() : a;
  return v === 'yes' || v === 'on' || v === '1' || v === 'true' || v === 1;
}

/** Ansible's merge_hash. */
export function mergeHash(x: PyDict, y: PyDict, recursive: boolean, listMerge: string): PyDict {
  if (!isPlainObject(x) || !isPlainObject(y)) throw new PyError(`failed to combine variables, expected dicts but got a '${typeName(x)}' and a '${typeName(y)}'`);
  if (Object.keys(x).length === 0 || pyEquals(x, y)) return { ...y };
  const out: PyDict = { ...x };
  if (!recursive && listMerge === 'replace') return assignKeys(out, y);
  for (const key of Object.keys(y)) {
    const yv = y[key];
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      setKey(out, key, yv);
      continue;
    }
    const xv = out[key];
    if (isPlainObject(xv) && isPlainObject(yv)) {
      setKey(out, key, recursive ? mergeHash(xv, yv, recursive, listMerge) : yv);
      continue;
    }
    if (Array.isArray(xv) && Array.isArray(yv)) {
      if (listMerge === 'replace') setKey(out, key, yv);
      else if (listMerge === 'append') setKey(out, key, [...xv, ...yv]);
      else if (listMerge === 'prepend') setKey(out, key, [...yv, ...xv]);
      else if (listMerge === 'append_rp') setKey(out, key, [...xv.filter((z) => !pyContains(yv, z)), ...yv]);
      else if (listMerge === 'prepend_rp') setKey(out, key, [...yv, ...xv.filter((z) => !pyContains(yv, z))]);
      continue;
    }
    setKey(out, key, yv);
  }
  return out;
}

function flatten(items: readonly unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const el of items) {
    if (skipNulls && (el === null || el === undefined || el === 'None' || el === 'null')) continue;
    if (Array.isArray(el)) {
      if (levels === null) out.push(...flatten(el, null, skipNulls));
      else if (levels >= 1) out.push(...flatten(el, levels - 1, skipNulls));
      else out.push(el);
    } else out.push(el);
  }
  return out;
}

function uniqueList(items: readonly unknown[], caseSensitive: boolean, key?: (x: unknown) => unknown): unknown[] {
  const seen: unknown[] = [];
  const out: unknown[] = [];
  for (const item of items) {
    let k = key ? key(item) : item;
    k = sortKeyValue(k, caseSensitive);
    if (!seen.some((s) => pyEquals(s, k))) {
      seen.push(k);
      out.push(item);
    }
  }
  return out;
}

function shellQuote(s: string): string {
  if (s === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

const SIZE_RANGES: [string, number][] = [
  ['Y', 2 ** 80],
  ['Z', 2 ** 70],
  ['E', 2 ** 60],
  ['P', 2 ** 50],
  ['T', 2 ** 40],
  ['G', 2 ** 30],
  ['M', 2 ** 20],
  ['K', 2 ** 10],
  ['B', 1],
];

function humanReadable(size: number, isbits: boolean, unit: string | null): string {
  const base = isbits ? 'bits' : 'Bytes';
  let suffix = '';
  let limit = 1;
  for ([suffix, limit] of SIZE_RANGES) {
    if ((unit === null && size >= limit) || (unit !== null && unit.toUpperCase() === suffix[0])) break;
  }
  suffix = limit !== 1 ? suffix + base[0] : base;
  return `${formatFloatSpec(size / limit, 'f', 2)} ${suffix}`;
}

function humanToBytes(value: unknown, defaultUnit: string | null, isbits: boolean): number {
  const s = text(value);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$/.exec(s);
  if (!m || m[1] === '') throw new PyError(`human_to_bytes() can't interpret following string: ${s}`);
  const n = parseFloat(m[1] as string);
  let unit = m[2] ?? defaultUnit ?? '';
  if (unit === '') return Math.round(n);
  const range = SIZE_RANGES.find(([k]) => k === (unit[0] as string).toUpperCase());
  if (!range) throw new PyError(`human_to_bytes() failed to convert ${s}. Value is not a valid string (${unit})`);
  const expectB = isbits ? 'b' : 'B';
  unit = unit.length > 1 ? unit : unit;
  if (unit.length > 1 && unit !== 'Bytes' && unit !== 'bits' && !unit.endsWith(expectB) && !unit.toLowerCase().endsWith('bytes') && !unit.toLowerCase().endsWith('bits')) {
    throw new PyError(`human_to_bytes() failed to convert ${s}. Value is not a valid string (${unit})`);
  }
  return Math.round(n * range[1]);
}

function urlQuote(s: string, forQs: boolean): string {
  const safe = forQs ? '' : '/';
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.~-]/.test(c) || safe.includes(c)) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return forQs ? out.replace(/%20/g, '+') : out;
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

function regexFlags(kwargs: Kw, args: unknown[] = [], offset = -1): string {
  let f = '';
  const ic = offset >= 0 && args.length > offset + 1 ? args[offset + 1] : kwargs.ignorecase;
  const ml = offset >= 0 && args.length > offset ? args[offset] : kwargs.multiline;
  if (truthy(ic ?? false)) f += 'i';
  if (truthy(ml ?? false)) f += 'm';
  return f;
}

function minMax(ctx: CallContext, value: unknown, kwargs: Kw, wantMax: boolean): unknown {
  const items = list(value);
  if (items.length === 0) return new Undefined(undefined, undefined, `No aggregated item, sequence was empty.`);
  const caseSensitive = truthy(kwargs.case_sensitive ?? false);
  const get = kwargs.attribute !== undefined && kwargs.attribute !== null ? attrGetter(ctx, kwargs.attribute) : (x: unknown) => x;
  let best = items[0];
  for (const item of items.slice(1)) {
    const c = pyCompare(sortKeyValue(get(item), caseSensitive), sortKeyValue(get(best), caseSensitive));
    if (wantMax ? c > 0 : c < 0) best = item;
  }
  return best;
}

function selectOrReject(ctx: CallContext, value: unknown, args: unknown[], kwargs: Kw, select: boolean, byAttr: boolean): unknown[] {
  const items = seqOrFail(value, select ? 'select' : 'reject');
  let getter = (x: unknown): unknown => x;
  let rest = args;
  if (byAttr) {
    if (rest.length === 0) throw new PyError('Missing parameter for attribute name');
    getter = attrGetter(ctx, rest[0]);
    rest = rest.slice(1);
  }
  let pred: (x: unknown) => boolean;
  if (rest.length === 0) pred = (x) => truthy(x);
  else {
    const name = text(rest[0]);
    const targs = rest.slice(1);
    pred = (x) => ctx.callTest(name, x, targs, kwargs);
  }
  return items.filter((item) => {
    const v = getter(item);
    if (byAttr && v instanceof Undefined && rest.length > 0 && !['defined', 'undefined'].includes(text(rest[0]))) throw new UndefinedError(v);
    return pred(v) === select;
  });
}

function regexSearch(value: unknown, args: unknown[], kwargs: Kw): unknown {
  const s = text(value);
  const pattern = text(args[0]);
  const groups: (number | string)[] = [];
  for (const arg of args.slice(1)) {
    const a = text(arg);
    const named = /^\\g<(\S+)>/.exec(a);
    const numbered = /^\\(\d+)/.exec(a);
    if (named) groups.push(/^\d+$/.test(named[1] as string) ? parseInt(named[1] as string, 10) : (named[1] as string));
    else if (numbered) groups.push(parseInt(numbered[1] as string, 10));
    else throw new PyError('Unknown argument');
  }
  const m = pyRegex(pattern, regexFlags(kwargs)).exec(s);
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => (typeof g === 'number' ? (m[g] ?? null) : (m.groups?.[g] ?? null)));
}

function regexFindall(value: unknown, args: unknown[], kwargs: Kw): unknown[] {
  const s = text(value);
  const re = pyRegex(text(args[0]), `${regexFlags(kwargs, args, 1)}g`);
  const out: unknown[] = [];
  for (const m of s.matchAll(re)) {
    if (m.length === 1) out.push(m[0]);
    else if (m.length === 2) out.push(m[1] ?? '');
    else out.push(makeTuple(m.slice(1).map((g) => g ?? '')));
  }
  return out;
}

function groupBy(ctx: CallContext, value: unknown, args: unknown[], kwargs: Kw): unknown[] {
  const get = attrGetter(ctx, param(args, kwargs, 0, 'attribute', undefined), param(args, kwargs, 1, 'default', undefined));
  const caseSensitive = truthy(param(args, kwargs, 2, 'case_sensitive', false));
  const sorted = stableSort(list(value), (x) => sortKeyValue(get(x), caseSensitive), false);
  const groups: unknown[] = [];
  let current: unknown[] | undefined;
  let currentKey: unknown;
  for (const item of sorted) {
    const k = sortKeyValue(get(item), caseSensitive);
    if (current === undefined || !pyEquals(k, currentKey)) {
      current = [];
      currentKey = k;
      groups.push(makeTuple([caseSensitive ? k : get(item), current]));
    }
    current.push(item);
  }
  return groups;
}

function indent(s: string, width: unknown, first: boolean, blank: boolean): string {
  const ind = typeof width === 'string' ? width : ' '.repeat(num(width));
  const src = `${s}\n`;
  const lines = src.split(/\r\n|\n|\r/);
  lines.pop();
  let rv: string;
  if (blank) rv = lines.join(`\n${ind}`);
  else {
    rv = lines.shift() ?? '';
    if (lines.length > 0) rv += `\n${lines.map((l) => (l ? ind + l : l)).join('\n')}`;
  }
  return first ? ind + rv : rv;
}

function roundHalfEven(n: number, precision: number): number {
  const f = 10 ** precision;
  const x = n * f;
  const r = Math.round(x);
  const diff = Math.abs(x - Math.trunc(x));
  if (Math.abs(diff - 0.5) < 1e-9 && Number.isInteger(x - 0.5)) {
    const down = Math.floor(x);
    return (down % 2 === 0 ? down : down + 1) / f;
  }
  return r / f;
}

function doRound(value: unknown, precision: number, method: string): unknown {
  const n = num(value);
  const f = 10 ** precision;
  if (method === 'common') return mkFloat(roundHalfEven(Number((n * f).toPrecision(15)) / f, precision));
  if (method === 'ceil') return mkFloat(Math.ceil(n * f) / f);
  if (method === 'floor') return mkFloat(Math.floor(n * f) / f);
  throw new PyError('method must be common, ceil or floor');
}

function toSetOps(ctx: CallContext, a: unknown, b: unknown, op: 'difference' | 'intersect' | 'union' | 'symmetric_difference'): unknown[] {
  const la = list(a);
  const lb = list(b);
  const inB = (x: unknown): boolean => lb.some((y) => pyEquals(x, y));
  switch (op) {
    case 'intersect':
      return uniqueList(la.filter(inB), true);
    case 'difference':
      return uniqueList(la.filter((x) => !inB(x)), true);
    case 'union':
      return uniqueList([...la, ...lb], true);
    case 'symmetric_difference': {
      const isect = uniqueList(la.filter(inB), true);
      return uniqueList([...la, ...lb], true).filter((x) => !isect.some((y) => pyEquals(x, y)));
    }
  }
}

function mapFilter(ctx: CallContext, value: unknown, args: unknown[], kwargs: Kw): unknown[] {
  const items = seqOrFail(value, 'map');
  if (args.length === 0 && kwargs.attribute !== undefined) {
    const get = attrGetter(ctx, kwargs.attribute, kwargs.default);
    return items.map(get);
  }
  if (args.length === 0) throw new PyError('map requires a filter argument');
  const name = text(args[0]);
  return items.map((item) => ctx.callFilter(name, item, args.slice(1), kwargs));
}

function dictsort(value: unknown, args: unknown[], kwargs: Kw): unknown[] {
  if (!isPlainObject(value)) throw new PyError('dictsort expects a dict');
  const caseSensitive = truthy(param(args, kwargs, 0, 'case_sensitive', false));
  const by = text(param(args, kwargs, 1, 'by', 'key'));
  const reverse = truthy(param(args, kwargs, 2, 'reverse', false));
  const pos = by === 'key' ? 0 : by === 'value' ? 1 : -1;
  if (pos < 0) throw new PyError('You can only sort by either "key" or "value"');
  const items = Object.keys(value).map((k) => makeTuple([k, value[k]]));
  return stableSort(items, (x) => sortKeyValue((x as unknown[])[pos], caseSensitive), reverse);
}

function b64decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function randomFilter(value: unknown, args: unknown[], kwargs: Kw): unknown {
  const seed = param(args, kwargs, 2, 'seed', null);
  const rng = seed === null ? null : new PyRandom(typeof seed === 'number' && Number.isInteger(seed) ? seed : pyStr(seed));
  const rand = (n: number): number => (rng ? rng.randbelow(n) : Math.floor(Math.random() * n));
  if (typeof value === 'number' && Number.isInteger(value)) {
    const start = num(param(args, kwargs, 0, 'start', 0) ?? 0) || 0;
    const step = num(param(args, kwargs, 1, 'step', 1) ?? 1) || 1;
    if (rng) return rng.randrange(start, value, step);
    const n = Math.ceil((value - start) / step);
    if (n <= 0) throw new PyError('empty range for randrange()');
    return start + step * rand(n);
  }
  const items = list(value);
  if (items.length === 0) throw new PyError('Cannot choose from an empty sequence');
  return rng ? rng.choice(items) : items[rand(items.length)];
}

function lengthOf(v: unknown): number {
  return pyLen(v);
}

function typeDebug(v: unknown): string {
  return typeName(v);
}

function checkDictList(v: unknown, filter: string): unknown[] {
  if (!Array.isArray(v)) throw new PyTypeError(`${filter} requires a list, got ${classRepr(v)} instead.`);
  return v;
}

function subelements(value: unknown, sub: unknown, skipMissing: boolean): unknown[] {
  let elements: unknown[];
  if (isPlainObject(value)) elements = Object.keys(value).map((k) => value[k]);
  else if (Array.isArray(value)) elements = [...value];
  else throw new PyError('obj must be a list of dicts or a nested dict');
  let subs: unknown[];
  if (Array.isArray(sub)) subs = sub;
  else if (typeof sub === 'string') subs = sub.split('.');
  else throw new PyError('subelements must be a list or a string');
  const results: unknown[] = [];
  for (const element of elements) {
    let values: unknown = element;
    let missing = false;
    for (const s of subs) {
      if (isPlainObject(values)) {
        const k = dictKey(s);
        if (!Object.prototype.hasOwnProperty.call(values, k)) {
          if (skipMissing) {
            values = [];
            missing = true;
            break;
          }
          throw new PyError(`could not find ${pyRepr(s)} key in iterated item ${pyRepr(values)}`);
        }
        values = values[k];
      } else throw new PyTypeError(`the key ${pyStr(s)} should point to a dictionary, got '${pyStr(values)}'`);
    }
    if (!Array.isArray(values)) throw new PyTypeError(`the key ${pyRepr(subs[subs.length - 1])} should point to a list, got ${pyRepr(values)}`);
    if (missing) continue;
    for (const v of values) results.push(makeTuple([element, v]));
  }
  return results;
}

function zipLists(lists: unknown[][], longest: boolean, fill: unknown): unknown[] {
  if (lists.length === 0) return [];
  const n = longest ? Math.max(...lists.map((l) => l.length)) : Math.min(...lists.map((l) => l.length));
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(makeTuple(lists.map((l) => (i < l.length ? l[i] : fill))));
  return out;
}

function product(lists: unknown[][]): unknown[] {
  let acc: unknown[][] = [[]];
  for (const l of lists) {
    const next: unknown[][] = [];
    for (const prefix of acc) for (const x of l) next.push([...prefix, x]);
    acc = next;
  }
  return acc.map((t) => makeTuple(t));
}

/** The `r` of itertools.combinations/permutations: an int. */
function lengthArg(r: unknown): number {
  if (typeof r === 'number' && Number.isInteger(r)) return r;
  if (typeof r === 'boolean') return r ? 1 : 0;
  throw new PyTypeError(`'${classRepr(r).replace(/^<class '(.*)'>$/, '$1')}' object cannot be interpreted as an integer`);
}

/** itertools.combinations: r-length tuples in input order, without repeats. */
function combinations(items: readonly unknown[], r: number): unknown[] {
  const out: unknown[] = [];
  const pick = (start: number, chosen: unknown[]): void => {
    if (chosen.length === r) {
      out.push(makeTuple([...chosen]));
      return;
    }
    for (let i = start; i < items.length; i++) pick(i + 1, [...chosen, items[i]]);
  };
  if (r >= 0 && r <= items.length) pick(0, []);
  return out;
}

/** itertools.permutations: r-length ordered tuples of distinct positions. */
function permutations(items: readonly unknown[], r: number): unknown[] {
  const out: unknown[] = [];
  const pick = (used: readonly boolean[], chosen: unknown[]): void => {
    if (chosen.length === r) {
      out.push(makeTuple([...chosen]));
      return;
    }
    items.forEach((x, i) => {
      if (!used[i]) pick(used.map((u, j) => u || j === i), [...chosen, x]);
    });
  };
  if (r >= 0 && r <= items.length) pick(items.map(() => false), []);
  return out;
}

function truncate(s: string, length: number, killwords: boolean, end: string, leeway: number): string {
  if (s.length <= length + leeway) return s;
  if (killwords) return s.slice(0, length - end.length) + end;
  const result = s.slice(0, length - end.length);
  const idx = result.lastIndexOf(' ');
  return (idx >= 0 ? result.slice(0, idx) : result) + end;
}

function filesizeformat(value: unknown, binary: boolean): string {
  const bytes = num(value);
  const base = binary ? 1024 : 1000;
  const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = 1;
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    if (bytes < unit) return `${formatFloatSpec((base * bytes) / unit, 'f', 1)} ${prefixes[i]}`;
  }
  return `${formatFloatSpec((base * bytes) / unit, 'f', 1)} ${prefixes[prefixes.length - 1]}`;
}

export const FILTERS: Record<string, FilterFn> = {
  // ---------------------------------------------------------------- undefined / defaults
  default: (_c, v, a, k) => {
    const dflt = param(a, k, 0, 'default_value', '');
    const boolean = truthy(param(a, k, 1, 'boolean', false));
    if (v instanceof Undefined || (boolean && !truthy(v))) return dflt;
    return v;
  },
  mandatory: (_c, v, a, k) => {
    if (v instanceof Undefined) {
      const msg = param(a, k, 0, 'msg', null);
      if (msg !== null) throw new PyError(pyStr(msg));
      const name = v.name !== undefined ? `'${String(v.name)}' ` : '';
      throw new PyError(`Mandatory variable ${name} not defined.`);
    }
    return v;
  },
  // ---------------------------------------------------------------- types
  bool: (_c, v) => toBool(v),
  int: (_c, v, a, k) => toInt(v, param(a, k, 0, 'default', 0), num(param(a, k, 1, 'base', 10))),
  float: (_c, v, a, k) => toFloat(v, param(a, k, 0, 'default', new PyFloat(0))),
  string: (_c, v) => text(v),
  list: (_c, v) => list(v),
  type_debug: (_c, v) => typeDebug(v),
  // ---------------------------------------------------------------- strings
  length: (_c, v) => lengthOf(v),
  count: (_c, v) => lengthOf(v),
  upper: (_c, v) => text(v).toUpperCase(),
  lower: (_c, v) => text(v).toLowerCase(),
  capitalize: (_c, v) => {
    const s = text(v);
    return s.length === 0 ? s : (s[0] as string).toUpperCase() + s.slice(1).toLowerCase();
  },
  title: (_c, v) => text(v).replace(/([\w'])+/g, (w) => (w[0] as string).toUpperCase() + w.slice(1).toLowerCase()),
  trim: (_c, v, a, k) => {
    const chars = param(a, k, 0, 'chars', null);
    const s = text(v);
    if (chars === null) return s.trim();
    const set = text(chars);
    let i = 0;
    let j = s.length;
    while (i < j && set.includes(s[i] as string)) i++;
    while (j > i && set.includes(s[j - 1] as string)) j--;
    return s.slice(i, j);
  },
  replace: (_c, v, a, k) => {
    const s = text(v);
    const old = text(a[0]);
    const rep = text(a[1]);
    const count = param(a, k, 2, 'count', null);
    if (count === null) return s.split(old).join(rep);
    let n = num(count);
    let out = '';
    let rest = s;
    while (n > 0) {
      const i = rest.indexOf(old);
      if (i < 0) break;
      out += rest.slice(0, i) + rep;
      rest = rest.slice(i + old.length);
      n--;
    }
    return out + rest;
  },
  center: (_c, v, a, k) => {
    const s = text(v);
    const w = num(param(a, k, 0, 'width', 80));
    if (s.length >= w) return s;
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total & w & 1);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  wordcount: (_c, v) => (text(v).match(/\w+/gu) ?? []).length,
  indent: (_c, v, a, k) => indent(text(v), param(a, k, 0, 'width', 4), truthy(param(a, k, 1, 'first', false)), truthy(param(a, k, 2, 'blank', false))),
  format: (_c, v, a, k) => (Object.keys(k).length > 0 && a.length === 0 ? percentFormat(text(v), k) : percentFormat(text(v), makeTuple(a))),
  truncate: (_c, v, a, k) => truncate(text(v), num(param(a, k, 0, 'length', 255)), truthy(param(a, k, 1, 'killwords', false)), text(param(a, k, 2, 'end', '...')), num(param(a, k, 3, 'leeway', 5))),
  striptags: (_c, v) => text(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, '').replace(/\s+/g, ' ').trim(),
  escape: (_c, v) => htmlEscape(text(v)),
  e: (_c, v) => htmlEscape(text(v)),
  forceescape: (_c, v) => htmlEscape(text(v)),
  safe: (_c, v) => v,
  split: (_c, v, a, k) => {
    const sep = param(a, k, 0, 'sep', null);
    return pySplit(text(v), sep === null ? undefined : text(sep), num(param(a, k, 1, 'maxsplit', -1)));
  },
  quote: (_c, v) => shellQuote(v === null || v === undefined ? '' : text(v)),
  urlencode: (_c, v) => {
    if (isPlainObject(v)) return Object.keys(v).map((key) => `${urlQuote(key, true)}=${urlQuote(text(v[key]), true)}`).join('&');
    if (typeof v === 'string') return urlQuote(v, false);
    if (Array.isArray(v)) return v.map((pair) => `${urlQuote(text((pair as unknown[])[0]), true)}=${urlQuote(text((pair as unknown[])[1]), true)}`).join('&');
    return urlQuote(text(v), false);
  },
  // ---------------------------------------------------------------- regex
  regex_replace: (_c, v, a, k) => {
    const s = v === null || v === undefined ? '' : text(v);
    const pattern = text(param(a, k, 0, 'pattern', ''));
    const repl = text(param(a, k, 1, 'replacement', ''));
    let f = '';
    if (truthy(param(a, k, 2, 'ignorecase', false))) f += 'i';
    if (truthy(param(a, k, 3, 'multiline', false))) f += 'm';
    return pySub(pyRegex(pattern, f), repl, s);
  },
  regex_search: (_c, v, a, k) => regexSearch(v, a, k),
  regex_findall: (_c, v, a, k) => regexFindall(v, a, k),
  regex_escape: (_c, v, a, k) => {
    const type = text(param(a, k, 0, 're_type', 'python'));
    const s = text(v);
    if (type === 'posix_basic') return s.replace(/[.[\]\\*^$]/g, '\\$&');
    if (type !== 'python') throw new PyError('Invalid regex type (%s)'.replace('%s', type));
    return s.replace(/[^A-Za-z0-9_]/g, (c) => (c === '\0' ? '\\000' : `\\${c}`));
  },
  // ---------------------------------------------------------------- lists
  join: (c, v, a, k) => {
    const sep = text(param(a, k, 0, 'd', ''));
    const attr = param(a, k, 1, 'attribute', null);
    let items = list(v);
    if (attr !== null) items = items.map(attrGetter(c, attr));
    return items.map(text).join(sep);
  },
  first: (_c, v) => {
    const items = list(v);
    return items.length > 0 ? items[0] : new Undefined(undefined, undefined, 'No first item, sequence was empty.');
  },
  last: (_c, v) => {
    const items = list(v);
    return items.length > 0 ? items[items.length - 1] : new Undefined(undefined, undefined, 'No last item, sequence was empty.');
  },
  min: (c, v, _a, k) => minMax(c, v, k, false),
  max: (c, v, _a, k) => minMax(c, v, k, true),
  sum: (c, v, a, k) => {
    const attr = param(a, k, 0, 'attribute', null);
    let items = list(v);
    if (attr !== null) items = items.map(attrGetter(c, attr));
    let total: unknown = param(a, k, 1, 'start', 0);
    for (const x of items) total = isNumber(total) && isNumber(x) ? (isFloat(total) || isFloat(x) ? mkFloat(num(total) + num(x)) : num(total) + num(x)) : addValues(total, x);
    return total;
  },
  unique: (c, v, a, k) => {
    const cs = truthy(param(a, k, 0, 'case_sensitive', false));
    const attr = param(a, k, 1, 'attribute', null);
    return uniqueList(list(v), cs, attr === null ? undefined : attrGetter(c, attr));
  },
  sort: (c, v, a, k) => {
    const reverse = truthy(param(a, k, 0, 'reverse', false));
    const cs = truthy(param(a, k, 1, 'case_sensitive', false));
    const attr = param(a, k, 2, 'attribute', null);
    const getters = attr === null ? [(x: unknown) => x] : text(attr).split(',').map((p) => attrGetter(c, p.trim()));
    return stableSort(list(v), (x) => (getters.length === 1 ? sortKeyValue((getters[0] as (y: unknown) => unknown)(x), cs) : getters.map((g) => sortKeyValue(g(x), cs))), reverse);
  },
  reverse: (_c, v) => {
    const s = asString(v);
    if (s !== undefined) return [...s].reverse().join('');
    return [...list(v)].reverse();
  },
  flatten: (_c, v, a, k) => {
    const levels = param(a, k, 0, 'levels', null);
    return flatten(list(v), levels === null ? null : num(levels), truthy(param(a, k, 1, 'skip_nulls', true)));
  },
  map: mapFilter,
  select: (c, v, a, k) => selectOrReject(c, v, a, k, true, false),
  reject: (c, v, a, k) => selectOrReject(c, v, a, k, false, false),
  selectattr: (c, v, a, k) => selectOrReject(c, v, a, k, true, true),
  rejectattr: (c, v, a, k) => selectOrReject(c, v, a, k, false, true),
  batch: (_c, v, a, k) => {
    const n = num(param(a, k, 0, 'linecount', 1));
    const fill = param(a, k, 1, 'fill_with', null);
    const items = list(v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
    const lastBatch = out[out.length - 1];
    if (fill !== null && lastBatch && lastBatch.length < n) while (lastBatch.length < n) lastBatch.push(fill);
    return out;
  },
  slice: (_c, v, a, k) => {
    const slices = num(param(a, k, 0, 'slices', 1));
    const fill = param(a, k, 1, 'fill_with', null);
    const seq = list(v);
    const length = seq.length;
    const per = Math.floor(length / slices);
    const extra = length % slices;
    let offset = 0;
    const out: unknown[][] = [];
    for (let i = 0; i < slices; i++) {
      const start = offset + i * per;
      if (i < extra) offset++;
      const end = offset + (i + 1) * per;
      const tmp = seq.slice(start, end);
      if (fill !== null && i >= extra) tmp.push(fill);
      out.push(tmp);
    }
    return out;
  },
  groupby: (c, v, a, k) => groupBy(c, v, a, k),
  dictsort: (_c, v, a, k) => dictsort(v, a, k),
  items: (_c, v) => {
    if (!isPlainObject(v)) throw new PyError(`Can only get item pairs from a mapping.`);
    return Object.keys(v).map((key) => makeTuple([key, v[key]]));
  },
  zip: (_c, v, a) => zipLists([list(v), ...a.map(list)], false, null),
  zip_longest: (_c, v, a, k) => zipLists([list(v), ...a.map(list)], true, k.fillvalue ?? null),
  product: (_c, v, a) => product([list(v), ...a.map(list)]),
  combinations: (_c, v, a, k) => combinations(list(v), lengthArg(param(a, k, 0, 'r', null))),
  permutations: (_c, v, a, k) => {
    const items = list(v);
    const r = param(a, k, 0, 'r', null);
    return permutations(items, r === null ? items.length : lengthArg(r));
  },
  difference: (c, v, a) => toSetOps(c, v, a[0], 'difference'),
  intersect: (c, v, a) => toSetOps(c, v, a[0], 'intersect'),
  union: (c, v, a) => toSetOps(c, v, a[0], 'union'),
  symmetric_difference: (c, v, a) => toSetOps(c, v, a[0], 'symmetric_difference'),
  subelements: (_c, v, a, k) => subelements(v, param(a, k, 0, 'subelements', null), truthy(param(a, k, 1, 'skip_missing', false))),
  extract: (c, v, a, k) => {
    const container = param(a, k, 0, 'container', null);
    const more = param(a, k, 1, 'morekeys', null);
    const keys = more === null ? [v] : Array.isArray(more) ? [v, ...more] : [v, more];
    let out = container;
    for (const key of keys) out = getitem(out, key);
    return out;
  },
  random: (_c, v, a, k) => randomFilter(v, a, k),
  shuffle: (_c, v, a, k) => {
    const items = [...list(v)];
    const seed = param(a, k, 0, 'seed', null);
    if (seed !== null && truthy(seed)) new PyRandom(typeof seed === 'number' ? seed : pyStr(seed)).shuffle(items);
    else for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  },
  // ---------------------------------------------------------------- dicts
  dict2items: (_c, v, a, k) => {
    if (!isMapping(v)) throw new PyTypeError(`dict2items requires a dictionary, got ${classRepr(v)} instead.`);
    const kn = text(param(a, k, 0, 'key_name', 'key'));
    const vn = text(param(a, k, 1, 'value_name', 'value'));
    return Object.keys(v).map((key) => ({ [kn]: key, [vn]: (v as PyDict)[key] }));
  },
  items2dict: (_c, v, a, k) => {
    const kn = text(param(a, k, 0, 'key_name', 'key'));
    const vn = text(param(a, k, 1, 'value_name', 'value'));
    const out: PyDict = {};
    for (const item of checkDictList(v, 'items2dict')) {
      if (!isPlainObject(item)) throw new PyTypeError(`items2dict requires a list of dictionaries, got ${pyRepr(v)} instead.`);
      if (!Object.prototype.hasOwnProperty.call(item, kn) || !Object.prototype.hasOwnProperty.call(item, vn)) throw new PyTypeError(`items2dict requires each dictionary in the list to contain the keys '${kn}' and '${vn}', got ${pyRepr(v)} instead.`);
      setKey(out, dictKey(item[kn]), item[vn]);
    }
    return out;
  },
  combine: (_c, v, a, k) => {
    const recursive = truthy(k.recursive ?? false);
    const listMerge = text(k.list_merge ?? 'replace');
    const extra = Object.keys(k).filter((key) => key !== 'recursive' && key !== 'list_merge');
    if (extra.length > 0) throw new PyError("'recursive' and 'list_merge' are the only valid keyword arguments");
    const dicts = flatten([v, ...a], 1, false);
    if (dicts.length === 0) return {};
    if (dicts.length === 1) return dicts[0];
    let result = dicts[dicts.length - 1] as PyDict;
    for (let i = dicts.length - 2; i >= 0; i--) result = mergeHash(dicts[i] as PyDict, result, recursive, listMerge);
    return result;
  },
  // ---------------------------------------------------------------- serialisation
  to_json: (_c, v, _a, k) => pyJsonDumps(v, { indent: k.indent === undefined || k.indent === null ? undefined : num(k.indent), sortKeys: truthy(k.sort_keys ?? false), ensureAscii: truthy(k.ensure_ascii ?? true) }),
  to_nice_json: (_c, v, a, k) => pyJsonDumps(v, { indent: num(param(a, k, 0, 'indent', 4)), sortKeys: truthy(param(a, k, 1, 'sort_keys', true)), separators: [',', ': '], ensureAscii: truthy(k.ensure_ascii ?? true) }),
  tojson: (_c, v, a, k) => {
    const ind = param(a, k, 0, 'indent', null);
    return pyJsonDumps(v, { indent: ind === null ? undefined : num(ind), sortKeys: true })
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027');
  },
  from_json: (_c, v) => {
    try {
      return JSON.parse(text(v)) as unknown;
    } catch (e) {
      throw new PyError(`Expecting value: ${(e as Error).message}`);
    }
  },
  to_yaml: (_c, v, a, k) => pyYamlDump(v, { defaultFlowStyle: (k.default_flow_style ?? null) === null ? null : truthy(k.default_flow_style), indent: k.indent === undefined ? 2 : num(k.indent), sortKeys: truthy(k.sort_keys ?? true) }),
  to_nice_yaml: (_c, v, a, k) => pyYamlDump(v, { defaultFlowStyle: false, indent: num(param(a, k, 0, 'indent', 4)), sortKeys: truthy(k.sort_keys ?? true) }),
  from_yaml: (_c, v) => (typeof v === 'string' ? yamlLoad(v) : v),
  from_yaml_all: (_c, v) => (typeof v === 'string' ? yamlLoadAll(v) : v),
  b64encode: (_c, v) => Buffer.from(text(v), 'utf8').toString('base64'),
  b64decode: (_c, v) => b64decode(text(v)),
  // ---------------------------------------------------------------- hashing
  hash: (_c, v, a, k) => {
    const type = text(param(a, k, 0, 'hashtype', 'sha1'));
    try {
      return createHash(type).update(text(v), 'utf8').digest('hex');
    } catch {
      throw new PyError(`unsupported hash type ${type}`);
    }
  },
  md5: (_c, v) => createHash('md5').update(text(v), 'utf8').digest('hex'),
  sha1: (_c, v) => createHash('sha1').update(text(v), 'utf8').digest('hex'),
  checksum: (_c, v) => createHash('sha1').update(text(v), 'utf8').digest('hex'),
  // ---------------------------------------------------------------- numbers
  abs: (_c, v) => (v instanceof PyFloat ? new PyFloat(Math.abs(v.value)) : Math.abs(num(v))),
  round: (_c, v, a, k) => doRound(v, num(param(a, k, 0, 'precision', 0)), text(param(a, k, 1, 'method', 'common'))),
  log: (_c, v, a, k) => {
    const base = param(a, k, 0, 'base', null);
    const n = num(v);
    return mkFloat(base === null ? Math.log(n) : Math.log(n) / Math.log(num(base)));
  },
  pow: (_c, v, a) => mkFloat(num(v) ** num(a[0])),
  root: (_c, v, a, k) => {
    const base = num(param(a, k, 0, 'base', 2));
    return mkFloat(base === 2 ? Math.sqrt(num(v)) : num(v) ** (1 / base));
  },
  human_readable: (_c, v, a, k) => humanReadable(num(toFloat(v, 0)), truthy(param(a, k, 0, 'isbits', false)), (param(a, k, 1, 'unit', null) as string | null) === null ? null : text(param(a, k, 1, 'unit', null))),
  human_to_bytes: (_c, v, a, k) => {
    const du = param(a, k, 0, 'default_unit', null);
    return humanToBytes(v, du === null ? null : text(du), truthy(param(a, k, 1, 'isbits', false)));
  },
  filesizeformat: (_c, v, a, k) => filesizeformat(v, truthy(param(a, k, 0, 'binary', false))),
  // ---------------------------------------------------------------- paths
  basename: (_c, v) => pyBasename(text(v)),
  dirname: (_c, v) => pyDirname(text(v)),
  splitext: (_c, v) => makeTuple(pySplitext(text(v))),
  realpath: (_c, v) => {
    const p = path.resolve(text(v));
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  },
  relpath: (_c, v, a) => path.relative(a[0] === undefined ? process.cwd() : text(a[0]), path.resolve(text(v))) || '.',
  expanduser: (_c, v) => text(v).replace(/^~(?=$|\/)/, process.env.HOME ?? homedir()),
  expandvars: (_c, v) => text(v).replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => process.env[(a ?? b) as string] ?? m),
  path_join: (_c, v) => {
    const parts = typeof v === 'string' ? [v] : list(v).map(text);
    let out = '';
    for (const p of parts) {
      if (p.startsWith('/')) out = p;
      else if (out === '' || out.endsWith('/')) out += p;
      else out += `/${p}`;
    }
    return out;
  },
  // ---------------------------------------------------------------- misc
  ternary: (_c, v, a, k) => {
    const t = param(a, k, 0, 'true_val', undefined);
    const f = param(a, k, 1, 'false_val', undefined);
    const n = param(a, k, 2, 'none_val', null);
    if ((v === null || v === undefined) && n !== null) return n;
    return truthy(v) ? t : f;
  },
  strftime: (_c, v, a, k) => {
    const second = param(a, k, 0, 'second', null);
    const utc = truthy(param(a, k, 1, 'utc', false));
    let date = new Date();
    if (second !== null) {
      const n = Number(pyStr(second));
      if (Number.isNaN(n)) throw new PyError(`Invalid value for epoch value (${pyStr(second)})`);
      date = new Date(n * 1000);
    }
    return strftime(text(v), date, utc);
  },
  attr: (c, v, a) => c.getattr(v, text(a[0])),
  comment: (_c, v) => `#\n# ${text(v).split('\n').join('\n# ')}\n#`,
  pprint: (_c, v) => pyRepr(v),
  dict: (_c, v) => {
    const out: PyDict = {};
    for (const pair of list(v)) {
      const p = list(pair);
      setKey(out, dictKey(p[0]), p[1]);
    }
    return out;
  },
  strformat: (_c, v, a, k) => strFormat(text(v), a, k),
  urlsplit: (_c, v, a, k) => urlsplit(text(v), text(param(a, k, 0, 'query', ''))),
  urldecode: (_c, v) => urldecode(text(v)),
};
FILTERS.d = FILTERS.default as FilterFn;

function addValues(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa + sb;
  throw new PyError(`unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`);
}

function pyBasename(p: string): string {
  const i = p.lastIndexOf('/');
  return p.slice(i + 1);
}

function pyDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

function pySplitext(p: string): [string, string] {
  const sep = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > sep) {
    let filenameIndex = sep + 1;
    while (filenameIndex < dot) {
      if (p[filenameIndex] !== '.') return [p.slice(0, dot), p.slice(dot)];
      filenameIndex++;
    }
  }
  return [p, ''];
}

/** Registers (or replaces) a filter. */
export function registerFilter(name: string, fn: FilterFn): void {
  FILTERS[name] = fn;
}

