/** Python methods on str, list and dict values (`s.split()`, `d.items()`, `l.index(x)`...). */
import { strFormat } from './pyformat.js';
import {
  asString,
  dictKey,
  isPlainObject,
  makeTuple,
  PyCallable,
  PyError,
  pyEquals,
  pyIter,
  pyStr,
  typeName,
  type PyDict,
  assignKeys,
  setKey,
} from './pyvalues.js';

function str(v: unknown, what = 'argument'): string {
  const s = asString(v);
  if (s === undefined) throw new PyError(`${what} must be str, not ${typeName(v)}`);
  return s;
}

function charsArg(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : str(v);
}

function stripChars(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const isStrip = (c: string): boolean => (chars === undefined ? /\s/.test(c) : chars.includes(c));
  let a = 0;
  let b = s.length;
  if (left) while (a < b && isStrip(s[a] as string)) a++;
  if (right) while (b > a && isStrip(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/** Python's str.split(sep=None, maxsplit=-1). */
export function pySplit(s: string, sep: string | undefined, maxsplit = -1): string[] {
  if (sep === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest.length > 0) {
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(rest);
        return out;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  if (sep === '') throw new PyError('empty separator');
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function pyRsplit(s: string, sep: string | undefined, maxsplit = -1): string[] {
  if (maxsplit < 0) return pySplit(s, sep);
  if (sep === undefined) {
    const out = pySplit(s, undefined);
    if (out.length <= maxsplit + 1) return out;
    const keep = out.slice(out.length - maxsplit);
    const trimmed = s.replace(/\s+$/, '');
    let end = trimmed.length;
    for (let i = 0; i < maxsplit; i++) {
      end = trimmed.lastIndexOf(keep[keep.length - 1 - i] as string, end);
    }
    return [trimmed.slice(0, end).replace(/\s+$/, ''), ...keep];
  }
  const parts = s.split(sep);
  if (parts.length <= maxsplit + 1) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(parts.length - maxsplit)];
}

function prefixes(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => str(x)) : [str(v)];
}

function intArg(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

function sliceBounds(len: number, start: unknown, end: unknown): [number, number] {
  const norm = (v: unknown, d: number): number => {
    if (typeof v !== 'number') return d;
    return v < 0 ? Math.max(0, len + v) : Math.min(v, len);
  };
  return [norm(start, 0), norm(end, len)];
}

const STR_METHODS: Record<string, (s: string, a: unknown[], k: Record<string, unknown>) => unknown> = {
  split: (s, a, k) => pySplit(s, charsArg(a[0] ?? k.sep), intArg(a[1] ?? k.maxsplit, -1)),
  rsplit: (s, a, k) => pyRsplit(s, charsArg(a[0] ?? k.sep), intArg(a[1] ?? k.maxsplit, -1)),
  splitlines: (s, a, k) => {
    const keep = Boolean(a[0] ?? k.keepends);
    const out: string[] = [];
    const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      out.push(s.slice(last, keep ? m.index + m[0].length : m.index));
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(s.slice(last));
    return out;
  },
  startswith: (s, a) => {
    const [st, en] = sliceBounds(s.length, a[1], a[2]);
    return prefixes(a[0]).some((p) => s.slice(st, en).startsWith(p));
  },
  endswith: (s, a) => {
    const [st, en] = sliceBounds(s.length, a[1], a[2]);
    return prefixes(a[0]).some((p) => s.slice(st, en).endsWith(p));
  },
  strip: (s, a) => stripChars(s, charsArg(a[0]), true, true),
  lstrip: (s, a) => stripChars(s, charsArg(a[0]), true, false),
  rstrip: (s, a) => stripChars(s, charsArg(a[0]), false, true),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  capitalize: (s) => (s.length === 0 ? s : (s[0] as string).toUpperCase() + s.slice(1).toLowerCase()),
  title: (s) => s.toLowerCase().replace(/(^|[^a-zA-Z0-9'])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()).replace(/([a-zA-Z])'([A-Z])/g, (_m, a: string, b: string) => `${a}'${b.toLowerCase()}`),
  replace: (s, a) => {
    const old = str(a[0]);
    const rep = str(a[1]);
    const count = intArg(a[2], -1);
    if (count < 0) return s.split(old).join(rep);
    const parts = s.split(old);
    if (parts.length - 1 <= count) return parts.join(rep);
    return parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
  },
  format: (s, a, k) => strFormat(s, a, k),
  join: (s, a) => pyIter(a[0]).map((x) => str(x, 'sequence item')).join(s),
  find: (s, a) => {
    const [st, en] = sliceBounds(s.length, a[1], a[2]);
    const i = s.slice(st, en).indexOf(str(a[0]));
    return i < 0 ? -1 : i + st;
  },
  rfind: (s, a) => {
    const [st, en] = sliceBounds(s.length, a[1], a[2]);
    const i = s.slice(st, en).lastIndexOf(str(a[0]));
    return i < 0 ? -1 : i + st;
  },
  index: (s, a) => {
    const i = s.indexOf(str(a[0]));
    if (i < 0) throw new PyError('substring not found');
    return i;
  },
  rindex: (s, a) => {
    const i = s.lastIndexOf(str(a[0]));
    if (i < 0) throw new PyError('substring not found');
    return i;
  },
  count: (s, a) => {
    const sub = str(a[0]);
    if (sub === '') return s.length + 1;
    return s.split(sub).length - 1;
  },
  isdigit: (s) => s.length > 0 && /^\d+$/.test(s),
  isnumeric: (s) => s.length > 0 && /^\d+$/.test(s),
  isdecimal: (s) => s.length > 0 && /^\d+$/.test(s),
  isalpha: (s) => s.length > 0 && /^\p{L}+$/u.test(s),
  isalnum: (s) => s.length > 0 && /^[\p{L}\d]+$/u.test(s),
  isspace: (s) => s.length > 0 && /^\s+$/.test(s),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  isidentifier: (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
  center: (s, a) => {
    const w = intArg(a[0], 0);
    const fill = a[1] === undefined ? ' ' : str(a[1]);
    if (s.length >= w) return s;
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total & w & 1);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  ljust: (s, a) => s.padEnd(intArg(a[0], 0), a[1] === undefined ? ' ' : str(a[1])),
  rjust: (s, a) => s.padStart(intArg(a[0], 0), a[1] === undefined ? ' ' : str(a[1])),
  zfill: (s, a) => {
    const w = intArg(a[0], 0);
    const sign = /^[-+]/.test(s) ? s[0] : '';
    return sign + s.slice(sign.length).padStart(w - sign.length, '0');
  },
  partition: (s, a) => {
    const sep = str(a[0]);
    const i = s.indexOf(sep);
    return makeTuple(i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = str(a[0]);
    const i = s.lastIndexOf(sep);
    return makeTuple(i < 0 ? ['', '', s] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s, a) => (s.startsWith(str(a[0])) ? s.slice(str(a[0]).length) : s),
  removesuffix: (s, a) => (str(a[0]) !== '' && s.endsWith(str(a[0])) ? s.slice(0, -str(a[0]).length) : s),
  expandtabs: (s, a) => s.replace(/\t/g, ' '.repeat(intArg(a[0], 8))),
  encode: (s) => s,
  decode: (s) => s,
};

const LIST_METHODS: Record<string, (l: unknown[], a: unknown[], k: Record<string, unknown>) => unknown> = {
  index: (l, a) => {
    const i = l.findIndex((x) => pyEquals(x, a[0]));
    if (i < 0) throw new PyError(`${pyStr(a[0])} is not in list`);
    return i;
  },
  count: (l, a) => l.filter((x) => pyEquals(x, a[0])).length,
  append: (l, a) => {
    l.push(a[0]);
    return null;
  },
  extend: (l, a) => {
    l.push(...pyIter(a[0]));
    return null;
  },
  insert: (l, a) => {
    l.splice(intArg(a[0], 0), 0, a[1]);
    return null;
  },
  pop: (l, a) => {
    if (l.length === 0) throw new PyError('pop from empty list');
    const i = intArg(a[0], -1);
    return l.splice(i < 0 ? l.length + i : i, 1)[0];
  },
  remove: (l, a) => {
    const i = l.findIndex((x) => pyEquals(x, a[0]));
    if (i < 0) throw new PyError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  copy: (l) => [...l],
  reverse: (l) => {
    l.reverse();
    return null;
  },
};

const DICT_METHODS: Record<string, (d: PyDict, a: unknown[], k: Record<string, unknown>) => unknown> = {
  items: (d) => Object.keys(d).map((key) => makeTuple([key, d[key]])),
  keys: (d) => Object.keys(d),
  values: (d) => Object.keys(d).map((key) => d[key]),
  get: (d, a) => {
    const key = dictKey(a[0]);
    return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : a[1] === undefined ? null : a[1];
  },
  copy: (d) => ({ ...d }),
  update: (d, a, k) => {
    if (a[0] !== undefined) {
      if (!isPlainObject(a[0])) throw new PyError('dict.update needs a mapping');
      assignKeys(d, a[0]);
    }
    assignKeys(d, k);
    return null;
  },
  setdefault: (d, a) => {
    const key = dictKey(a[0]);
    if (!Object.prototype.hasOwnProperty.call(d, key)) setKey(d, key, a[1] === undefined ? null : a[1]);
    return d[key];
  },
  pop: (d, a) => {
    const key = dictKey(a[0]);
    if (Object.prototype.hasOwnProperty.call(d, key)) {
      const v = d[key];
      delete d[key];
      return v;
    }
    if (a.length > 1) return a[1];
    throw new PyError(`KeyError: '${key}'`);
  },
};

/** A bound method of a str/list/dict value, or undefined when there is none with that name. */
export function boundMethod(obj: unknown, name: string): PyCallable | undefined {
  const s = asString(obj);
  if (s !== undefined) {
    const m = Object.prototype.hasOwnProperty.call(STR_METHODS, name) ? STR_METHODS[name] : undefined;
    return m ? new PyCallable(`str.${name}`, (a, k) => m(s, a, k)) : undefined;
  }
  if (Array.isArray(obj)) {
    const m = Object.prototype.hasOwnProperty.call(LIST_METHODS, name) ? LIST_METHODS[name] : undefined;
    return m ? new PyCallable(`list.${name}`, (a, k) => m(obj, a, k)) : undefined;
  }
  if (isPlainObject(obj)) {
    const m = Object.prototype.hasOwnProperty.call(DICT_METHODS, name) ? DICT_METHODS[name] : undefined;
    return m ? new PyCallable(`dict.${name}`, (a, k) => m(obj, a, k)) : undefined;
  }
  return undefined;
}

