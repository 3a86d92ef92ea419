/** Jinja2's builtin tests and Ansible's core/files/mathstuff tests. */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { TestFn } from './evaluate.js';
import { pyRegex } from './pyregex.js';
import { toBool } from './filters.js';
import {
  asString,
  isFloat,
  isMapping,
  isNumber,
  isPlainObject,
  num,
  PyCallable,
  pyCompare,
  pyContains,
  pyEquals,
  PyError,
  PyFloat,
  pyIter,
  pyStr,
  truthy,
  typeName,
  Undefined,
} from './pyvalues.js';

type Kw = Record<string, unknown>;

function param(args: unknown[], kwargs: Kw, index: number, name: string, dflt: unknown): unknown {
  if (args.length > index) return args[index];
  if (Object.prototype.hasOwnProperty.call(kwargs, name)) return kwargs[name];
  return dflt;
}

function resultDict(v: unknown, test: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw new PyError(`The '${test}' test expects a dictionary`);
  return v;
}

function regexTest(value: unknown, args: unknown[], kwargs: Kw, matchType: 'match' | 'search'): boolean {
  const s = pyStr(value);
  const pattern = pyStr(param(args, kwargs, 0, 'pattern', ''));
  let flags = '';
  if (truthy(param(args, kwargs, 1, 'ignorecase', false))) flags += 'i';
  if (truthy(param(args, kwargs, 2, 'multiline', false))) flags += 'm';
  const type = pyStr(param(args, kwargs, 3, 'match_type', matchType));
  if (type === 'match') return pyRegex(`^(?:${pattern})`, flags).test(s);
  if (type === 'fullmatch') return pyRegex(`^(?:${pattern})$`, flags).test(s);
  return pyRegex(pattern, flags).test(s);
}

type VersionKey = unknown[];

function looseVersion(s: string): VersionKey {
  return s
    .split(/(\d+|[a-z]+|\.)/)
    .filter((x) => x !== '' && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? parseInt(x, 10) : x));
}

function strictVersion(s: string): VersionKey {
  const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$/.exec(s);
  if (!m) throw new PyError(`invalid version number '${s}'`);
  const pre = m[5] ? [m[5][0], parseInt(m[6] as string, 10)] : ['~'];
  return [parseInt(m[1] as string, 10), parseInt(m[2] as string, 10), m[4] ? parseInt(m[4], 10) : 0, pre];
}

function semverKey(s: string): VersionKey {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
  if (!m) throw new PyError(`invalid semantic version '${s}'`);
  const pre = m[4] ? [0, ...m[4].split('.').map((p) => (/^\d+$/.test(p) ? [0, parseInt(p, 10)] : [1, p]))] : [1];
  return [parseInt(m[1] as string, 10), parseInt(m[2] as string, 10), parseInt(m[3] as string, 10), pre];
}

function compareKeys(a: VersionKey, b: VersionKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (Array.isArray(x) && Array.isArray(y)) {
      const c = compareKeys(x, y);
      if (c !== 0) return c;
      continue;
    }
    if (typeof x !== typeof y) throw new PyError(`'<' not supported between instances of '${typeName(x)}' and '${typeName(y)}'`);
    if (pyEquals(x, y)) continue;
    return pyCompare(x, y);
  }
  return a.length - b.length;
}

const VERSION_OPS: Record<string, string> = { '==': 'eq', '=': 'eq', eq: 'eq', '<': 'lt', lt: 'lt', '<=': 'le', le: 'le', '>': 'gt', gt: 'gt', '>=': 'ge', ge: 'ge', '!=': 'ne', '<>': 'ne', ne: 'ne' };

export function versionCompare(value: unknown, args: unknown[], kwargs: Kw): boolean {
  const version = param(args, kwargs, 0, 'version', null);
  const operator = pyStr(param(args, kwargs, 1, 'operator', 'eq'));
  const strict = param(args, kwargs, 2, 'strict', null);
  const versionType = param(args, kwargs, 3, 'version_type', null);
  if (strict !== null && versionType !== null) throw new PyError("Cannot specify both 'strict' and 'version_type'");
  if (!truthy(value)) throw new PyError('Input version value cannot be empty');
  if (!truthy(version)) throw new PyError('Version parameter to compare against cannot be empty');
  const op = VERSION_OPS[operator];
  if (op === undefined) throw new PyError(`Invalid operator type (${operator}). Must be one of ${Object.keys(VERSION_OPS).map((k) => `'${k}'`).join(', ')}`);
  let parse = looseVersion;
  if (truthy(strict)) parse = strictVersion;
  else if (versionType !== null) {
    const t = pyStr(versionType);
    if (t === 'strict') parse = strictVersion;
    else if (t === 'semver' || t === 'semantic') parse = semverKey;
    else if (t !== 'loose') throw new PyError(`Invalid version type (${t}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'`);
  }
  let c: number;
  try {
    c = compareKeys(parse(pyStr(value)), parse(pyStr(version)));
  } catch (e) {
    throw new PyError(`Version comparison failed: ${(e as Error).message}`);
  }
  switch (op) {
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'gt':
      return c > 0;
    default:
      return c >= 0;
  }
}

function isSubset(a: unknown, b: unknown): boolean {
  const lb = pyIter(b);
  return pyIter(a).every((x) => lb.some((y) => pyEquals(x, y)));
}

function changed(v: unknown): boolean {
  const r = resultDict(v, 'changed');
  if (!('changed' in r)) {
    const results = r.results;
    if (Array.isArray(results) && isPlainObject(results[0])) return results.some((x) => isPlainObject(x) && truthy(x.changed ?? false));
    return false;
  }
  return truthy(r.changed);
}

function statOk(p: unknown, check: (path: string) => boolean): boolean {
  try {
    return check(pyStr(p));
  } catch {
    return false;
  }
}

export const TESTS: Record<string, TestFn> = {
  defined: (_c, v) => !(v instanceof Undefined),
  undefined: (_c, v) => v instanceof Undefined,
  none: (_c, v) => v === null || v === undefined,
  true: (_c, v) => v === true,
  false: (_c, v) => v === false,
  boolean: (_c, v) => typeof v === 'boolean',
  integer: (_c, v) => typeof v === 'number' && Number.isInteger(v),
  float: (_c, v) => isNumber(v) && isFloat(v),
  number: (_c, v) => isNumber(v) || typeof v === 'boolean',
  string: (_c, v) => asString(v) !== undefined,
  mapping: (_c, v) => isMapping(v),
  sequence: (_c, v) => asString(v) !== undefined || Array.isArray(v) || isMapping(v),
  iterable: (_c, v) => asString(v) !== undefined || Array.isArray(v) || isMapping(v),
  callable: (_c, v) => v instanceof PyCallable,
  sameas: (_c, v, a) => v === a[0] || (v === null && a[0] === undefined),
  escaped: () => false,
  lower: (_c, v) => {
    const s = pyStr(v);
    return s === s.toLowerCase();
  },
  upper: (_c, v) => {
    const s = pyStr(v);
    return s === s.toUpperCase();
  },
  even: (_c, v) => num(v) % 2 === 0,
  odd: (_c, v) => Math.abs(num(v) % 2) === 1,
  divisibleby: (_c, v, a) => num(v) % num(a[0]) === 0,
  eq: (_c, v, a) => pyEquals(v, a[0]),
  ne: (_c, v, a) => !pyEquals(v, a[0]),
  lt: (_c, v, a) => pyCompare(v, a[0]) < 0,
  le: (_c, v, a) => pyCompare(v, a[0]) <= 0,
  gt: (_c, v, a) => pyCompare(v, a[0]) > 0,
  ge: (_c, v, a) => pyCompare(v, a[0]) >= 0,
  in: (_c, v, a) => pyContains(a[0], v),
  contains: (_c, v, a) => pyContains(v, a[0]),
  // Ansible result tests
  failed: (_c, v) => truthy(resultDict(v, 'failed').failed ?? false),
  succeeded: (_c, v) => !truthy(resultDict(v, 'succeeded').failed ?? false),
  unreachable: (_c, v) => truthy(resultDict(v, 'unreachable').unreachable ?? false),
  reachable: (_c, v) => !truthy(resultDict(v, 'reachable').unreachable ?? false),
  changed: (_c, v) => changed(v),
  skipped: (_c, v) => truthy(resultDict(v, 'skipped').skipped ?? false),
  finished: (_c, v) => {
    const r = resultDict(v, 'finished');
    return 'finished' in r ? pyEquals(r.finished, 1) : true;
  },
  started: (_c, v) => {
    const r = resultDict(v, 'started');
    return 'started' in r ? pyEquals(r.started, 1) : true;
  },
  // regex
  match: (_c, v, a, k) => regexTest(v, a, k, 'match'),
  search: (_c, v, a, k) => regexTest(v, a, k, 'search'),
  regex: (_c, v, a, k) => regexTest(v, a, k, 'search'),
  version: (_c, v, a, k) => versionCompare(v, a, k),
  version_compare: (_c, v, a, k) => versionCompare(v, a, k),
  truthy: (_c, v, a, k) => {
    const convert = truthy(param(a, k, 0, 'convert_bool', false));
    return truthy(convert ? booleanish(v) : v);
  },
  falsy: (_c, v, a, k) => {
    const convert = truthy(param(a, k, 0, 'convert_bool', false));
    return !truthy(convert ? booleanish(v) : v);
  },
  vault_encrypted: () => false,
  // math
  subset: (_c, v, a) => isSubset(v, a[0]),
  superset: (_c, v, a) => isSubset(a[0], v),
  contains_all: (_c, v, a) => isSubset(a[0], v),
  nan: (_c, v) => (typeof v === 'number' || v instanceof PyFloat) && Number.isNaN(num(v)),
  any: (_c, v) => pyIter(v).some((x) => truthy(x)),
  all: (_c, v) => pyIter(v).every((x) => truthy(x)),
  // files (controller)
  abs: (_c, v) => isAbsolute(pyStr(v)),
  exists: (_c, v) => statOk(v, (p) => existsSync(p)),
  file: (_c, v) => statOk(v, (p) => statSync(p).isFile()),
  directory: (_c, v) => statOk(v, (p) => statSync(p).isDirectory()),
  link: (_c, v) => statOk(v, (p) => lstatSync(p).isSymbolicLink()),
  mount: (_c, v) => statOk(v, (p) => {
    if (p === '/') return true;
    const s = statSync(p);
    const parent = statSync(`${p.replace(/\/+$/, '')}/..`);
    return s.dev !== parent.dev || s.ino === parent.ino;
  }),
  same_file: (_c, v, a) => statOk(v, (p) => {
    const x = statSync(p);
    const y = statSync(pyStr(a[0]));
    return x.dev === y.dev && x.ino === y.ino;
  }),
};

const ALIASES: Record<string, string> = {
  '==': 'eq',
  equalto: 'eq',
  '!=': 'ne',
  '<': 'lt',
  lessthan: 'lt',
  '<=': 'le',
  '>': 'gt',
  greaterthan: 'gt',
  '>=': 'ge',
  failure: 'failed',
  success: 'succeeded',
  successful: 'succeeded',
  change: 'changed',
  skip: 'skipped',
  issubset: 'subset',
  issuperset: 'superset',
  is_abs: 'abs',
  is_dir: 'directory',
  is_file: 'file',
  is_link: 'link',
  is_mount: 'mount',
  is_same_file: 'same_file',
};
for (const [alias, target] of Object.entries(ALIASES)) TESTS[alias] = TESTS[target] as TestFn;

function booleanish(v: unknown): unknown {
  const s = asString(v);
  if (s === undefined) return v;
  const l = s.toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't'].includes(l)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f'].includes(l)) return false;
  return toBool(v);
}

export function registerTest(name: string, fn: TestFn): void {
  TESTS[name] = fn;
}
