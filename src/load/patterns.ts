/**
 * Host patterns, exactly as ansible-core 2.14's InventoryManager.get_hosts evaluates them
 * (ansible/inventory/manager.py): `all`, `*`, groups, hosts, `a:b`, `a,b`, `a:&b`, `a:!b`, globs,
 * `~regex`, subscripts `g[0]`, `g[-1]`, `g[1:3]`, `g[:2]`... and `--limit` (with `@file`).
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Inventory } from '../model/inventory.js';
import { LoadError } from '../model/errors.js';
import { parseAddress } from './inventory-address.js';
import { LOCALHOST_NAMES } from './inventory-data.js';
import { hostsOfGroup } from './inventory-graph.js';
import { fnmatchRegex } from '../util/fnmatch.js';

export { fnmatchToRegex } from '../util/fnmatch.js';

export type HostOrder = 'inventory' | 'reverse_inventory' | 'sorted' | 'reverse_sorted' | 'shuffle';

export interface SelectHostsOptions {
  /** `--limit`: a pattern (or several) further restricting the result; `@file` reads one pattern a line. */
  readonly limit?: string | readonly string[];
  /** Directory `@file` limits are resolved against (default process.cwd()). */
  readonly cwd?: string;
  /** The play's `order` keyword (default inventory order). */
  readonly order?: HostOrder;
  /**
   * Receives Ansible's warnings: "Could not match supplied host pattern, ignoring: X" for each part
   * that matches nothing, and the deprecated `[x-y]` subscript warning.
   */
  readonly onWarning?: (message: string) => void;
}

const SPLIT_RE = /(?:[^\s:[\]]|\[[^\]]*\])+/gu;

/** split_host_pattern: `a,b`, `a:b`, `a:&b`, whitespace; ranges and IPv6 addresses kept whole. */
export function splitHostPattern(pattern: string | readonly string[]): string[] {
  if (typeof pattern !== 'string') return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else {
    try {
      parseAddress(pattern, true);
      parts = [pattern];
    } catch {
      parts = pattern.match(SPLIT_RE) ?? [];
    }
  }
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** order_patterns: plain patterns first, then `&` intersections, then `!` exclusions; `all` if no plain one. */
export function orderPatterns(patterns: readonly string[]): string[] {
  const regular: string[] = [];
  const intersection: string[] = [];
  const exclude: string[] = [];
  for (const p of patterns) {
    if (!p) continue;
    if (p[0] === '!') exclude.push(p);
    else if (p[0] === '&') intersection.push(p);
    else regular.push(p);
  }
  return [...(regular.length > 0 ? regular : ['all']), ...intersection, ...exclude];
}


/** A Python `re` pattern as a JS RegExp used with re.match (anchored at the start only). */
export function pythonRegex(source: string): RegExp {
  let flags = 'u';
  let src = source;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
    src = src.slice(inline[0].length);
  }
  src = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$')
    .replace(/\\A/g, '^');
  try {
    return new RegExp(`^(?:${src})`, flags);
  } catch {
    // Python is lenient where JS's unicode mode is strict (e.g. `\-` outside a class); retry without it.
    return new RegExp(`^(?:${src})`, flags.replace('u', ''));
  }
}

/** The implicit localhost's name per inventory, fixed by the first pattern that created it. */
const implicitLocalhosts = new WeakMap<Inventory, string>();

const SUBSCRIPT_RE = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

type Subscript = readonly [number, number | undefined];

class PatternEvaluator {
  private readonly cache = new Map<string, readonly string[]>();
  constructor(private readonly inv: Inventory, private readonly warn: (m: string) => void) {}

  private matchList(items: Iterable<string>, pattern: string): string[] {
    let re: RegExp;
    try {
      re = pattern[0] !== '~' ? fnmatchRegex(pattern) : pythonRegex(pattern.slice(1));
    } catch {
      throw new LoadError(`Invalid host list pattern: ${pattern}`);
    }
    const out: string[] = [];
    for (const item of items) if (re.test(item)) out.push(item);
    return out;
  }

  /**
   * The implicit localhost: an inventory host named like localhost if any, else a host named by the
   * first pattern that asked for it; like InventoryData.localhost it then stays for this inventory.
   */
  private implicitLocalhost(pattern: string): string {
    for (const name of this.inv.hosts.keys()) if (LOCALHOST_NAMES.includes(name)) return name;
    const known = implicitLocalhosts.get(this.inv);
    if (known !== undefined) return known;
    implicitLocalhosts.set(this.inv, pattern);
    return pattern;
  }

  private splitSubscript(pattern: string): [string, Subscript | undefined] {
    if (pattern[0] === '~') return [pattern, undefined];
    const m = SUBSCRIPT_RE.exec(pattern);
    if (!m) return [pattern, undefined];
    const [, expr, idx, start, sep, end] = m;
    if (idx !== undefined) return [expr!, [Number.parseInt(idx, 10), undefined]];
    if (sep === '-') this.warn('Use [x:y] inclusive subscripts instead of [x-y] which has been removed');
    return [expr!, [Number.parseInt(start!, 10), end ? Number.parseInt(end, 10) : -1]];
  }

  private applySubscript(hosts: readonly string[], subscript: Subscript | undefined, pattern: string): readonly string[] {
    if (hosts.length === 0 || !subscript) return hosts;
    const [start, rawEnd] = subscript;
    if (rawEnd) {
      const end = rawEnd === -1 ? hosts.length - 1 : rawEnd;
      return pySlice(hosts, start, end + 1);
    }
    const index = start < 0 ? hosts.length + start : start;
    if (index < 0 || index >= hosts.length) throw new LoadError(`No hosts matched the subscripted pattern '${pattern}'`);
    return [hosts[index]!];
  }

  private enumerateMatches(pattern: string): string[] {
    const results: string[] = [];
    const groups = this.matchList(this.inv.groups.keys(), pattern);
    for (const g of groups) results.push(...hostsOfGroup(this.inv, g));
    if (groups.length === 0 || pattern[0] === '~' || ['.', '?', '*', '['].some((s) => pattern.includes(s))) {
      results.push(...this.matchList(this.inv.hosts.keys(), pattern));
    }
    if (results.length === 0 && LOCALHOST_NAMES.includes(pattern)) results.push(this.implicitLocalhost(pattern));
    if (results.length === 0 && groups.length === 0 && pattern !== 'all') this.warn(`Could not match supplied host pattern, ignoring: ${pattern}`);
    return results;
  }

  matchOnePattern(raw: string): readonly string[] {
    const pattern = raw[0] === '&' || raw[0] === '!' ? raw.slice(1) : raw;
    const hit = this.cache.get(pattern);
    if (hit) return hit;
    const [expr, subscript] = this.splitSubscript(pattern);
    const hosts = this.applySubscript(this.enumerateMatches(expr), subscript, pattern);
    this.cache.set(pattern, hosts);
    return hosts;
  }

  evaluate(patterns: readonly string[]): string[] {
    let hosts: string[] = [];
    for (const p of orderPatterns(patterns)) {
      if (this.inv.hosts.has(p)) {
        hosts.push(p);
        continue;
      }
      const that = this.matchOnePattern(p);
      if (p[0] === '!') {
        const set = new Set(that);
        hosts = hosts.filter((h) => !set.has(h));
      } else if (p[0] === '&') {
        const set = new Set(that);
        hosts = hosts.filter((h) => set.has(h));
      } else {
        const existing = new Set(hosts);
        hosts.push(...that.filter((h) => !existing.has(h)));
      }
    }
    return hosts;
  }
}

/** Python's list[start:stop] for non-negative start. */
function pySlice<T>(list: readonly T[], start: number, stop: number): T[] {
  const s = Math.max(0, start);
  const e = stop < 0 ? Math.max(0, list.length + stop) : stop;
  return list.slice(s, e);
}

/** InventoryManager.subset: split the limit, reading `@file` limits one pattern a line. */
export function limitPatterns(limit: string | readonly string[], cwd: string = process.cwd()): string[] {
  const out: string[] = [];
  for (const x of splitHostPattern(limit)) {
    if (x[0] !== '@') {
      out.push(x);
      continue;
    }
    const path = resolve(cwd, x.slice(1));
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new LoadError(`Unable to find limit file ${x.slice(1)}`);
    }
    if (!isFile) throw new LoadError(`Limit starting with "@" must be a file, not a directory: ${x.slice(1)}`);
    out.push(...readFileSync(path, 'utf8').split('\n').map((l) => l.trim()));
  }
  return out;
}

/**
 * The hosts a pattern selects, in Ansible's order (InventoryManager.get_hosts): names, deduplicated.
 * A pattern part that matches nothing is ignored with a warning (via `onWarning`); `localhost`,
 * `127.0.0.1` and `::1` give the implicit localhost when the inventory lacks them. Throws LoadError
 * for an invalid `~regex`, an out-of-range `group[N]` subscript or a missing `@limit` file.
 */
export function selectHosts(inv: Inventory, pattern: string | readonly string[], options: SelectHostsOptions = {}): string[] {
  const warn = options.onWarning ?? ((): void => undefined);
  const evaluator = new PatternEvaluator(inv, warn);
  let hosts = evaluator.evaluate(splitHostPattern(pattern));
  if (options.limit !== undefined) {
    const allowed = new Set(evaluator.evaluate(limitPatterns(options.limit, options.cwd)));
    hosts = hosts.filter((h) => allowed.has(h));
  }
  const unique = [...new Set(hosts)];
  switch (options.order) {
    case 'sorted':
      return unique.sort(compareNames);
    case 'reverse_sorted':
      return unique.sort(compareNames).reverse();
    case 'reverse_inventory':
      return unique.reverse();
    case 'shuffle':
      for (let i = unique.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [unique[i], unique[j]] = [unique[j]!, unique[i]!];
      }
      return unique;
    default:
      return unique;
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** InventoryManager.list_hosts: like selectHosts, but a lone localhost name gives itself when nothing matched. */
export function listHosts(inv: Inventory, pattern: string, options: SelectHostsOptions = {}): string[] {
  const hosts = selectHosts(inv, pattern, options);
  return hosts.length === 0 && LOCALHOST_NAMES.includes(pattern) ? [pattern] : hosts;
}
