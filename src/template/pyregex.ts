/** Python `re` patterns and replacement templates translated to JavaScript RegExp. */
import { PyError } from './pyvalues.js';

const cache = new Map<string, RegExp>();

/** Translates a Python regex to JS; `flags` are JS flags ('i', 'm', 's', 'g'). */
export function pyRegex(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit) return new RegExp(hit.source, hit.flags);
  let src = pattern;
  let f = flags;
  // Leading inline flags: (?i), (?ms)...
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const c of inline[1] as string) {
      if ((c === 'i' || c === 'm' || c === 's') && !f.includes(c)) f += c;
    }
  }
  src = src
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  let re: RegExp;
  try {
    re = new RegExp(src, f);
  } catch (e) {
    throw new PyError(`invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, re);
  return new RegExp(re.source, re.flags);
}

/** Expands a Python re.sub replacement template (\1, \g<1>, \g<name>, \n...) for one match. */
export function expandReplacement(template: string, m: RegExpExecArray | RegExpMatchArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '\\' || i === template.length - 1) {
      out += ch;
      continue;
    }
    const next = template[i + 1] as string;
    if (/[0-9]/.test(next)) {
      const d = /^\d{1,2}/.exec(template.slice(i + 1)) as RegExpExecArray;
      const n = parseInt(d[0], 10);
      if (n >= m.length) throw new PyError(`invalid group reference ${n}`);
      out += m[n] ?? '';
      i += d[0].length;
      continue;
    }
    if (next === 'g') {
      const g = /^g<([^>]+)>/.exec(template.slice(i + 1));
      if (g) {
        const name = g[1] as string;
        out += (/^\d+$/.test(name) ? m[parseInt(name, 10)] : m.groups?.[name]) ?? '';
        i += g[0].length;
        continue;
      }
    }
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', f: '\f', v: '\v', b: '\b' };
    const e = escapes[next];
    if (e !== undefined) {
      out += e;
      i++;
      continue;
    }
    out += `\\${next}`;
    i++;
  }
  return out;
}

/** re.sub(pattern, repl, value, count) */
export function pySub(re: RegExp, repl: string, value: string, count = 0): string {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  let n = 0;
  return value.replace(g, (...args: unknown[]) => {
    if (count > 0 && n >= count) return args[0] as string;
    n++;
    const hasGroups = typeof args[args.length - 1] === 'object';
    const groupCount = args.length - (hasGroups ? 3 : 2);
    const m = args.slice(0, groupCount) as string[] as unknown as RegExpMatchArray;
    if (hasGroups) (m as { groups?: Record<string, string> }).groups = args[args.length - 1] as Record<string, string>;
    return expandReplacement(repl, m);
  });
}
