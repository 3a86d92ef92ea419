import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inventory } from '../../src/model/inventory.js';
import { LoadError } from '../../src/model/errors.js';
import { loadInventory } from '../../src/load/inventory.js';
import { fnmatchToRegex, listHosts, orderPatterns, selectHosts, splitHostPattern } from '../../src/load/patterns.js';
import { FIXTURES } from './inventory-oracle-support.js';

let inv: Inventory;
let dir: string;
beforeAll(async () => {
  inv = await loadInventory([join(FIXTURES, 'nested.yaml'), join(FIXTURES, 'ranges.ini')]);
  dir = mkdtempSync(join(tmpdir(), 'tsbook-pat-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sel = (pattern: string | readonly string[], limit?: string): string[] => selectHosts(inv, pattern, limit === undefined ? {} : { limit, cwd: dir });

describe('splitHostPattern', () => {
  it('splits on commas, colons and whitespace, keeping ranges and IPv6 whole', () => {
    expect(splitHostPattern('a,b[1], c[2:3] , d')).toEqual(['a', 'b[1]', 'c[2:3]', 'd']);
    expect(splitHostPattern('web:&prod:!web01')).toEqual(['web', '&prod', '!web01']);
    expect(splitHostPattern('web[1:3]')).toEqual(['web[1:3]']);
    expect(splitHostPattern('2001:db8::1')).toEqual(['2001:db8::1']);
    expect(splitHostPattern('a b\tc')).toEqual(['a', 'b', 'c']);
    expect(splitHostPattern(['a:b', 'c'])).toEqual(['a', 'b', 'c']);
  });
  it('orders plain patterns, then intersections, then exclusions', () => {
    expect(orderPatterns(['!x', '&y', 'a', '', 'b'])).toEqual(['a', 'b', '&y', '!x']);
    expect(orderPatterns(['!x'])).toEqual(['all', '!x']);
  });
});

describe('fnmatch', () => {
  it('translates globs like Python', () => {
    const m = (pat: string, s: string): boolean => new RegExp(fnmatchToRegex(pat), 's').test(s);
    expect(m('web*', 'web01')).toBe(true);
    expect(m('web*', 'xweb')).toBe(false);
    expect(m('*.example.com', 'a.example.com')).toBe(true);
    expect(m('*.example.com', 'a-example.com')).toBe(false);
    expect(m('pi0[1-3]', 'pi02')).toBe(true);
    expect(m('pi0[!1-3]', 'pi02')).toBe(false);
    expect(m('pi0[!1-3]', 'pi05')).toBe(true);
    expect(m('h?', 'h1')).toBe(true);
    expect(m('web[', 'web[')).toBe(true);
  });
});

describe('selectHosts', () => {
  it('selects all hosts in group-tree order', () => {
    expect(sel('all')).toEqual(sel('*'));
    // Hosts of all's direct children first (monitoring: n1 n4, alpha: n3, ..., pis), deeper groups later.
    expect(sel('all').slice(0, 4)).toEqual(['n1', 'n4', 'n3', 'pi01']);
    expect(sel('all').indexOf('n2')).toBeGreaterThan(sel('all').indexOf('pi08'));
  });
  it('selects groups (with children) and hosts', () => {
    expect(sel('site')).toEqual(['n4', 'n1', 'n2', 'n3']);
    expect(sel('rack_a')).toEqual(['n1', 'n2']);
    expect(sel('n2')).toEqual(['n2']);
  });
  it('unions in pattern order, then intersects and excludes', () => {
    expect(sel('n3,n1,n3')).toEqual(['n3', 'n1']);
    expect(sel('rack_b:rack_a')).toEqual(['n3', 'n1', 'n2']);
    expect(sel('site:&monitoring')).toEqual(['n4', 'n1']);
    expect(sel('site:!dc2')).toEqual(['n1', 'n2', 'n3']);
    expect(sel('!site:&rack_a:rack_b')).toEqual([]);
    expect(sel('!n2:&site:rack_a:rack_b')).toEqual(['n1', 'n3']);
    expect(sel('!pis')).not.toContain('pi01');
  });
  it('matches wildcards against group names and host names', () => {
    expect(sel('rack*')).toEqual(['n1', 'n2', 'n3', 'rack1-ua', 'rack1-ub', 'rack2-ua', 'rack2-ub']);
    expect(sel('*.lab')).toEqual(['z0.lab', 'z5.lab', 'z10.lab', 'z15.lab', 'z20.lab']);
    expect(sel('10.9.9.*')).toEqual(['10.9.9.1', '10.9.9.2', '10.9.9.3']);
  });
  it('matches ~regex from the start of the name (re.match)', () => {
    expect(sel('~pi0[2-5]')).toEqual(['pi02', 'pi03', 'pi04', 'pi05']);
    expect(sel('~rack')).toEqual(['n1', 'n2', 'n3', 'rack1-ua', 'rack1-ub', 'rack2-ua', 'rack2-ub']);
    expect(sel('~ack')).toEqual([]);
  });
  it('applies subscripts to the matched hosts', () => {
    expect(sel('pis[0]')).toEqual(['pi01']);
    expect(sel('pis[-1]')).toEqual(['pi08']);
    expect(sel('pis[1:3]')).toEqual(['pi02', 'pi03', 'pi04']);
    expect(sel('pis[6:]')).toEqual(['pi07', 'pi08']);
    expect(sel('pis[6:20]')).toEqual(['pi07', 'pi08']);
  });
  it('warns about the deprecated [x-y] subscript but applies it', () => {
    const warnings: string[] = [];
    expect(selectHosts(inv, 'pis[2-3]', { onWarning: (w) => warnings.push(w) })).toEqual(['pi03', 'pi04']);
    expect(warnings).toEqual(['Use [x:y] inclusive subscripts instead of [x-y] which has been removed']);
  });
  it('returns [] and warns for patterns that match nothing', () => {
    const warnings: string[] = [];
    expect(selectHosts(inv, 'nope,pis[0]', { onWarning: (w) => warnings.push(w) })).toEqual(['pi01']);
    expect(warnings).toEqual(['Could not match supplied host pattern, ignoring: nope']);
  });
  it('gives the implicit localhost when the inventory has none', () => {
    expect(sel('localhost')).toEqual(['localhost']);
    expect(sel('all')).not.toContain('localhost');
    expect(listHosts(inv, 'nope')).toEqual([]);
  });
  it('prefers an inventory localhost to the implicit one', async () => {
    const withLocal = await loadInventory([join(FIXTURES, 'ini-basic.ini')]);
    expect(selectHosts(withLocal, '127.0.0.1')).toEqual(['localhost']);
  });
  it('throws LoadError for invalid regexes and out-of-range subscripts', () => {
    expect(() => sel('~(x')).toThrow(LoadError);
    expect(() => sel('~(x')).toThrow('Invalid host list pattern: ~(x');
    expect(() => sel('pis[8]')).toThrow("No hosts matched the subscripted pattern 'pis[8]'");
  });
  it('treats malformed subscripts as globs, as Ansible does', () => {
    expect(sel('pis[1:x]')).toEqual([]);
    expect(sel('node-[a')).toEqual([]);
  });
  it('applies --limit, including @file limits', () => {
    expect(sel('all', 'dc1')).toEqual(['n1', 'n3', 'n2']);
    expect(sel('site', 'rack_a,n4')).toEqual(['n4', 'n1', 'n2']);
    expect(sel('pis', '!pi01').length).toBe(7);
    writeFileSync(join(dir, 'limit.txt'), 'n3\n\nn1\n');
    expect(sel('all', '@limit.txt')).toEqual(['n1', 'n3']);
    expect(() => sel('all', '@missing.txt')).toThrow('Unable to find limit file missing.txt');
  });
  it('honours the play order keyword', () => {
    expect(selectHosts(inv, 'rack_a:n3', { order: 'reverse_inventory' })).toEqual(['n3', 'n2', 'n1']);
    expect(selectHosts(inv, 'n3,n1,n2', { order: 'sorted' })).toEqual(['n1', 'n2', 'n3']);
    expect(selectHosts(inv, 'n3,n1,n2', { order: 'reverse_sorted' })).toEqual(['n3', 'n2', 'n1']);
    expect([...selectHosts(inv, 'rack_a:n3', { order: 'shuffle' })].sort()).toEqual(['n1', 'n2', 'n3']);
  });
  it('accepts a list of patterns (play hosts as a YAML list)', () => {
    expect(sel(['rack_b', 'n1'])).toEqual(['n3', 'n1']);
  });
});
