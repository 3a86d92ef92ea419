import { ModuleFailure } from '../types.js';

/**
 * Translates a Python `re` pattern into a JavaScript RegExp with the same meaning for the
 * constructs playbooks use: named groups `(?P<n>..)`/`(?P=n)`, leading inline flags `(?i)`,
 * `\A`/`\Z`, and Python's `$`, which also matches before a final newline.
 */
export function pyRegex(pattern: string, extraFlags = ''): RegExp {
  let flags = extraFlags;
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
      else if (f === 'x') throw new ModuleFailure(`unsupported regular expression flag (?x) in ${pattern}`);
    }
    src = src.slice(inline[0].length);
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      i++;
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?![\\s\\S])';
      else out += c + n;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
    if (c === '(' && src.startsWith('(?P=', i)) {
      const end = src.indexOf(')', i);
      out += `\\k<${src.slice(i + 4, end)}>`;
      i = end;
      continue;
    }
    if (c === '$') { out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))'; continue; }
    out += c;
  }
  try {
    return new RegExp(out, flags.replace('m', multiline ? 'm' : ''));
  } catch (e) {
    throw new ModuleFailure(`invalid regular expression ${pattern}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Python's Match.expand: `\1`, `\g<1>`, `\g<name>` and the usual escapes; unmatched groups are ''. */
export function pyExpand(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\') { out += c; continue; }
    const n = template[i + 1];
    if (n === undefined) throw new ModuleFailure('bad escape (end of pattern)');
    if (n === 'g') {
      const m = /^<([^>]+)>/.exec(template.slice(i + 2));
      if (!m) throw new ModuleFailure('missing group name in \\g<...>');
      const key = m[1];
      const v = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
      out += v ?? '';
      i += 1 + m[0].length;
      continue;
    }
    if (/\d/.test(n)) {
      const digits = /^\d{1,2}/.exec(template.slice(i + 1))![0];
      out += match[Number(digits)] ?? '';
      i += digits.length;
      continue;
    }
    if (n in ESCAPES) { out += ESCAPES[n]; i++; continue; }
    out += c + n;
    i++;
  }
  return out;
}
