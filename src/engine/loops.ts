import type { LoopKind } from '../model/playbook.js';
import { isPlainObject, toBool } from './vars.js';
import { SequenceError, sequenceItems as parseSequence } from '../util/sequence.js';

/** A loop that cannot be expanded; the task fails with this message on that host. */
export class LoopError extends Error {}

export interface LoopTemplar {
  template(value: unknown): unknown;
  /** Runs a lookup plugin (with_fileglob, with_first_found, with_lines...). */
  lookup?(name: string, terms: readonly unknown[]): unknown[];
}

/** ansible's listify_lookup_plugin_terms: template, then wrap scalars (and strings) in a list. */
export function listifyTerms(terms: unknown, templar: LoopTemplar): unknown[] | Record<string, unknown> {
  const value = typeof terms === 'string' ? templar.template(terms.trim()) : templar.template(terms);
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) return value;
  return [value];
}

/** LookupBase._flatten: one level. */
function flattenOnce(terms: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const term of terms) {
    if (Array.isArray(term)) out.push(...term);
    else out.push(term);
  }
  return out;
}

function flattenDeep(terms: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const term of terms) {
    if (Array.isArray(term)) out.push(...flattenDeep(term));
    else if (term !== null && term !== undefined) out.push(term);
  }
  return out;
}

function asList(value: unknown[] | Record<string, unknown>): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function pyRepr(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function dictItems(terms: unknown[] | Record<string, unknown>): unknown[] {
  const list = Array.isArray(terms) ? terms : [terms];
  const out: unknown[] = [];
  for (const term of list) {
    if (!isPlainObject(term)) throw new LoopError(`with_dict expects a dict`);
    for (const [key, value] of Object.entries(term)) out.push({ key, value });
  }
  return out;
}

/** with_sequence for one term; a bad term is a LoopError. */
export function sequenceItems(term: string): string[] {
  try {
    return parseSequence(term);
  } catch (err) {
    if (err instanceof SequenceError) throw new LoopError(err.message);
    throw err;
  }
}

function subelementItems(terms: unknown[] | Record<string, unknown>, templar: LoopTemplar): unknown[] {
  const list = asList(terms);
  if (list.length < 2 || list.length > 3) throw new LoopError('subelements lookup expects a list of two or three items, ');
  const first = listifyTerms(list[0], templar);
  const key = list[1];
  if (typeof key !== 'string') {
    throw new LoopError('subelements lookup expects a list of two or three items, first a dict or a list, second a string pointing to the subkey');
  }
  const flags = list[2];
  const skipMissing = isPlainObject(flags) ? toBool(flags.skip_missing) : false;
  const elements = Array.isArray(first) ? first : Object.values(first);
  const path = key.split('.');
  const out: unknown[] = [];
  for (const element of elements) {
    if (!isPlainObject(element)) throw new LoopError(`subelements lookup expects a dictionary, got '${pyRepr(element)}'`);
    if (element.skipped !== undefined && element.skipped !== false) continue;
    let sub: Record<string, unknown> = element;
    let sublist: unknown[] = [];
    let missing = false;
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      if (!(part in sub)) {
        if (skipMissing) {
          missing = true;
          break;
        }
        throw new LoopError(`could not find '${part}' key in iterated item '${pyRepr(sub)}'`);
      }
      const next = sub[part];
      if (i < path.length - 1) {
        if (!isPlainObject(next)) {
          if (skipMissing) {
            missing = true;
            break;
          }
          throw new LoopError(`the key ${part} should point to a dictionary, got '${pyRepr(next)}'`);
        }
        sub = next;
      } else {
        if (!Array.isArray(next)) throw new LoopError(`the key ${part} should point to a list, got '${pyRepr(next)}'`);
        sublist = next;
      }
    }
    if (missing) continue;
    // Ansible pops the subkey from the parent it yields.
    const parent = path.length === 1 ? Object.fromEntries(Object.entries(element).filter(([k]) => k !== path[0])) : element;
    for (const item of sublist) out.push([parent, item]);
  }
  return out;
}

/**
 * The items a task loops over, per ansible-core's TaskExecutor._get_loop_items and the with_* lookups.
 * Throws the templar's error for undefined variables and LoopError for bad data.
 */
export function loopItems(kind: LoopKind, loop: unknown, templar: LoopTemplar, random: () => number = Math.random): unknown[] {
  if (kind === 'loop') {
    const items = templar.template(loop);
    if (!Array.isArray(items)) {
      throw new LoopError(
        `Invalid data passed to 'loop', it requires a list, got this instead: ${pyRepr(items)}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`,
      );
    }
    return items;
  }
  const terms = listifyTerms(loop, templar);
  switch (kind) {
    case 'with_items':
      return flattenOnce(asList(terms));
    case 'with_list':
      return asList(terms);
    case 'with_flattened':
      return flattenDeep(asList(terms).map((t) => (typeof t === 'string' ? listifyTerms(t, templar) : t)));
    case 'with_dict':
      return dictItems(terms);
    case 'with_indexed_items': {
      const items = flattenOnce(asList(terms));
      return items.map((item, i) => [i, item]);
    }
    case 'with_together': {
      const lists = asList(terms).map((t) => asList(listifyTerms(t, templar)));
      if (lists.length === 0) throw new LoopError('with_together requires at least one element in each list');
      const len = Math.max(...lists.map((l) => l.length));
      const out: unknown[] = [];
      for (let i = 0; i < len; i++) out.push(flattenOnce(lists.map((l) => (i < l.length ? l[i] : null))));
      return out;
    }
    case 'with_nested': {
      const lists = asList(terms).map((t) => asList(listifyTerms(t, templar)));
      if (lists.length === 0) throw new LoopError('with_nested requires at least one element in the nested list');
      let result: unknown[] = lists[0]!;
      for (const next of lists.slice(1)) {
        const combined: unknown[] = [];
        for (const x of result) for (const y of next) combined.push(flattenOnce([x, y]));
        result = combined;
      }
      return result.map((x) => (Array.isArray(x) ? flattenOnce(x) : [x]));
    }
    case 'with_cartesian': {
      const lists = asList(terms).map((t) => asList(listifyTerms(t, templar)));
      let result: unknown[][] = [[]];
      for (const next of lists) result = result.flatMap((prefix) => next.map((x) => [...prefix, x]));
      return result.map((x) => flattenOnce(x));
    }
    case 'with_sequence':
      return asList(terms).flatMap((t) => sequenceItems(String(t)));
    case 'with_subelements':
      return subelementItems(terms, templar);
    case 'with_random_choice': {
      const list = asList(terms);
      return list.length === 0 ? list : [list[Math.floor(random() * list.length)]];
    }
    case 'with_fileglob':
    case 'with_first_found':
    case 'with_lines': {
      const name = kind.slice('with_'.length);
      if (!templar.lookup) throw new LoopError(`the ${name} lookup is not available here`);
      return templar.lookup(name, asList(terms));
    }
  }
}
