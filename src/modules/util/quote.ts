import { shellQuote } from '../../connection/types.js';

export { shellQuote, shellJoin } from '../../connection/types.js';

/** Thrown by shlexSplit on input Python's shlex.split rejects. */
export class ShlexError extends Error {}

/**
 * Splits a command line the way Python's `shlex.split(s)` does (POSIX mode, no comments):
 * whitespace separates words, '…' is literal, "…" honours \\ and \" only, \\ escapes outside quotes.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShlexError('No escaped character');
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) throw new ShlexError('No closing quotation');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Quotes a leading `~` or `~user` so the shell still expands it, and the rest literally. */
function tildePrefix(path: string): { prefix: string; rest: string } {
  const m = /^~[A-Za-z0-9._-]*(\/|$)/.exec(path);
  if (!m) return { prefix: '', rest: path };
  return { prefix: m[0], rest: path.slice(m[0].length) };
}

/** A shell word for a path: literal except a leading `~`/`~user`, which expands as in Ansible's `path` type. */
export function pathWord(path: string): string {
  const { prefix, rest } = tildePrefix(path);
  return prefix + (rest === '' && prefix !== '' ? '' : shellQuote(rest));
  // `~/` keeps its slash unquoted: the tilde prefix ends at the first unquoted slash.
}

/**
 * A shell word that expands like Python's glob.glob(pattern): `*`, `?` and `[...]` stay active,
 * everything else (spaces, `$`, quotes) is literal. A leading `~` expands.
 */
export function globWord(pattern: string): string {
  const { prefix, rest } = tildePrefix(pattern);
  let out = prefix;
  let literal = '';
  const flush = () => {
    if (literal !== '') out += shellQuote(literal);
    literal = '';
  };
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '*' || c === '?') {
      flush();
      out += c;
    } else if (c === '[') {
      const end = rest.indexOf(']', i + 2);
      if (end < 0) {
        literal += c;
        continue;
      }
      flush();
      const body = rest.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      const chars = negate ? body.slice(1) : body;
      out += `[${negate ? '!' : ''}${chars.replace(/[\\'"$`!\s]/g, (ch) => `\\${ch}`)}]`;
      i = end;
    } else {
      literal += c;
    }
  }
  flush();
  return out === '' ? "''" : out;
}

/** True when `pattern` has glob magic characters (as Python's glob.has_magic). */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * A sh snippet that exits 0 when `pattern` matches an existing path (glob.glob semantics, broken
 * symlinks included), else 1.
 */
export function globExistsTest(pattern: string): string {
  return `for f in ${globWord(pattern)}; do if [ -e "$f" ] || [ -L "$f" ]; then exit 0; fi; done; exit 1`;
}
