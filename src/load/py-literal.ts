/**
 * Python's `shlex.split(s, comments=True)` and `ast.literal_eval`, as far as Ansible's INI inventory
 * uses them. Values become plain JS values: tuples and sets become arrays, bytes become strings.
 */

/** shlex.split in POSIX mode with comments. Throws Error('No closing quotation' | 'No escaped character'). */
export function shlexSplit(input: string, comments = true): string[] {
  const whitespace = ' \t\r\n';
  const quotes = `'"`;
  const tokens: string[] = [];
  let state: string | null = ' ';
  let token = '';
  let quoted = false;
  let escapedState = ' ';
  let i = 0;
  const emit = (): void => {
    if (token !== '' || quoted) tokens.push(token);
    token = '';
    quoted = false;
  };
  const skipLine = (): void => {
    const nl = input.indexOf('\n', i);
    i = nl < 0 ? input.length : nl + 1;
  };
  for (;;) {
    const ch = i < input.length ? input[i]! : '';
    i++;
    if (state === ' ') {
      if (!ch) break;
      if (whitespace.includes(ch)) {
        if (token !== '' || quoted) emit();
        continue;
      }
      if (comments && ch === '#') {
        skipLine();
        continue;
      }
      if (ch === '\\') {
        escapedState = 'a';
        state = ch;
      } else if (quotes.includes(ch)) {
        state = ch;
      } else {
        token = ch;
        state = 'a';
      }
    } else if (state === "'" || state === '"') {
      quoted = true;
      if (!ch) throw new Error('No closing quotation');
      if (ch === state) state = 'a';
      else if (ch === '\\' && state === '"') {
        escapedState = state;
        state = ch;
      } else token += ch;
    } else if (state === '\\') {
      if (!ch) throw new Error('No escaped character');
      if (quotes.includes(escapedState) && ch !== state && ch !== escapedState) token += state;
      token += ch;
      state = escapedState;
    } else {
      // word state 'a'
      if (!ch) {
        state = null;
        break;
      }
      if (whitespace.includes(ch)) {
        state = ' ';
        if (token !== '' || quoted) emit();
        continue;
      }
      if (comments && ch === '#') {
        skipLine();
        state = ' ';
        if (token !== '' || quoted) emit();
        continue;
      }
      if (quotes.includes(ch)) state = ch;
      else if (ch === '\\') {
        escapedState = 'a';
        state = ch;
      } else token += ch;
    }
  }
  if (token !== '' || quoted) emit();
  return tokens;
}

/** literal_eval raised a TypeError (unhashable key); Ansible fails the whole file on it. */
export class PyLiteralTypeError extends Error {}

type Tok =
  | { t: 'num'; v: number; complex: boolean }
  | { t: 'str'; v: string; bytes: boolean }
  | { t: 'name'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

class Fail extends Error {}
const fail = (): never => {
  throw new Fail();
};

const digitpart = String.raw`\d(?:_?\d)*`;
const NUMBER_RE = new RegExp(
  [
    String.raw`0[xX](?:_?[0-9a-fA-F])+`,
    String.raw`0[oO](?:_?[0-7])+`,
    String.raw`0[bB](?:_?[01])+`,
    // floats: pointfloat or exponentfloat, optionally imaginary
    String.raw`(?:(?:${digitpart})?\.${digitpart}|${digitpart}\.)(?:[eE][+-]?${digitpart})?[jJ]?`,
    String.raw`${digitpart}[eE][+-]?${digitpart}[jJ]?`,
    String.raw`${digitpart}[jJ]`,
    String.raw`[1-9](?:_?\d)*`,
    String.raw`0+(?:_?0)*`,
  ]
    .map((p) => `(?:${p})`)
    .join('|'),
  'y',
);

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function decodeEscapes(body: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      if (bytes && ch.charCodeAt(0) > 0x7f) fail();
      out += ch;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) fail();
    i++;
    if (next === '\n') continue;
    if (next! in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next!];
    } else if (/[0-7]/.test(next!)) {
      let digits = next!;
      while (digits.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) digits += body[++i];
      out += String.fromCodePoint(Number.parseInt(digits, 8));
    } else if (next === 'x') {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail();
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else if (!bytes && (next === 'u' || next === 'U')) {
      const n = next === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail();
      const cp = Number.parseInt(hex, 16);
      if (cp > 0x10ffff) fail();
      out += String.fromCodePoint(cp);
      i += n;
    } else if (!bytes && next === 'N') {
      // \N{NAME} needs the Unicode name database; treat it as not a literal.
      fail();
    } else {
      out += `\\${next}`;
    }
  }
  if (bytes) {
    // to_text(bytes): decode as UTF-8.
    const buf = Buffer.from(Array.from(out, (c) => c.charCodeAt(0)));
    return buf.toString('utf8');
  }
  return out;
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let depth = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      i++;
      continue;
    }
    if (ch === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      if (depth === 0) {
        // A newline ends the expression; only blank lines and comments may follow.
        const rest = src.slice(i).replace(/#[^\n]*/g, '');
        if (rest.trim() !== '') fail();
        break;
      }
      i++;
      continue;
    }
    if (ch === '#') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    const strStart = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(src.slice(i));
    if (strStart && (strStart[1] === '' || /^(?:[rR]|[uU]|[bB]|[fF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])$/.test(strStart[1]!))) {
      const prefix = strStart[1]!.toLowerCase();
      if (prefix.includes('f')) fail();
      const q = strStart[2]!;
      const raw = prefix.includes('r');
      const bytes = prefix.includes('b');
      let j = i + strStart[0].length;
      let body = '';
      for (;;) {
        if (j >= src.length) fail();
        const c = src[j]!;
        if (c === '\\') {
          if (j + 1 >= src.length) fail();
          body += c + src[j + 1];
          j += 2;
          continue;
        }
        if (src.startsWith(q, j)) {
          j += q.length;
          break;
        }
        if (c === '\n' && q.length === 1) fail();
        body += c;
        j++;
      }
      let value: string;
      if (raw) {
        if (bytes && /[^\x00-\x7f]/.test(body)) fail();
        value = bytes ? Buffer.from(Array.from(body, (c) => c.charCodeAt(0))).toString('utf8') : body;
      } else value = decodeEscapes(body, bytes);
      toks.push({ t: 'str', v: value, bytes });
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(src);
      if (!m) fail();
      const text = m![0];
      const after = src[i + text.length] ?? '';
      if (/[\p{L}\p{N}_.]/u.test(after)) fail();
      const complex = /[jJ]$/.test(text);
      const clean = text.replace(/_/g, '').replace(/[jJ]$/, '');
      let v: number;
      if (/^0[xX]/.test(clean)) v = Number.parseInt(clean.slice(2), 16);
      else if (/^0[oO]/.test(clean)) v = Number.parseInt(clean.slice(2), 8);
      else if (/^0[bB]/.test(clean)) v = Number.parseInt(clean.slice(2), 2);
      else v = Number(clean);
      toks.push({ t: 'num', v, complex });
      i += text.length;
      continue;
    }
    const name = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(src.slice(i));
    if (name) {
      toks.push({ t: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    // CPython's tokenizer stops at 200 open brackets ("too many nested parentheses", a SyntaxError).
    if ('([{'.includes(ch) && ++depth > 200) fail();
    if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
    if ('()[]{},:+-'.includes(ch)) {
      toks.push({ t: 'op', v: ch });
      i++;
      continue;
    }
    fail();
  }
  toks.push({ t: 'end' });
  return toks;
}

type PyValue = { readonly kind: 'scalar'; readonly value: unknown; readonly hashable: boolean; readonly num: boolean };

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) fail();
    this.pos++;
  }

  /** eval-mode input: an expression or a bare tuple. */
  top(): PyValue {
    const first = this.expr();
    let result = first;
    if (this.isOp(',')) {
      const items = [first];
      while (this.isOp(',')) {
        this.pos++;
        if (this.peek().t === 'end') break;
        items.push(this.expr());
      }
      result = tuple(items);
    }
    if (this.peek().t !== 'end') fail();
    return result;
  }

  private expr(): PyValue {
    const t = this.peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      this.pos++;
      const operand = this.atom(true);
      if (!operand.num) fail();
      return { kind: 'scalar', value: t.v === '-' ? -(operand.value as number) : operand.value, hashable: true, num: false };
    }
    const value = this.atom(false);
    if (this.isOp('+') || this.isOp('-')) fail(); // only num +/- complex, which is not supported here
    return value;
  }

  /** An atom; `forSign` keeps the numeric flag of a (possibly parenthesized) number constant. */
  private atom(forSign: boolean): PyValue {
    const t = this.peek();
    this.pos++;
    switch (t.t) {
      case 'num':
        if (t.complex) fail();
        return { kind: 'scalar', value: t.v, hashable: true, num: true };
      case 'str': {
        let value = t.v;
        while (this.peek().t === 'str') {
          const next = this.peek() as Extract<Tok, { t: 'str' }>;
          if (next.bytes !== t.bytes) fail();
          value += next.v;
          this.pos++;
        }
        return { kind: 'scalar', value, hashable: true, num: false };
      }
      case 'name':
        if (t.v === 'True') return { kind: 'scalar', value: true, hashable: true, num: false };
        if (t.v === 'False') return { kind: 'scalar', value: false, hashable: true, num: false };
        if (t.v === 'None') return { kind: 'scalar', value: null, hashable: true, num: false };
        if (t.v === 'set' && this.isOp('(')) {
          this.pos++;
          this.expectOp(')');
          return { kind: 'scalar', value: [], hashable: false, num: false };
        }
        return fail();
      case 'op':
        if (t.v === '(') return this.paren(forSign);
        if (t.v === '[') return this.list();
        if (t.v === '{') return this.brace();
        return fail();
      default:
        return fail();
    }
  }

  private paren(forSign: boolean): PyValue {
    if (this.isOp(')')) {
      this.pos++;
      return tuple([]);
    }
    const first = this.expr();
    if (this.isOp(')')) {
      this.pos++;
      return forSign ? first : { ...first };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.isOp(')')) break;
      items.push(this.expr());
    }
    this.expectOp(')');
    return tuple(items);
  }

  private list(): PyValue {
    const items: PyValue[] = [];
    while (!this.isOp(']')) {
      items.push(this.expr());
      if (this.isOp(',')) this.pos++;
      else if (!this.isOp(']')) fail();
    }
    this.pos++;
    return { kind: 'scalar', value: items.map((i) => i.value), hashable: false, num: false };
  }

  private brace(): PyValue {
    if (this.isOp('}')) {
      this.pos++;
      return { kind: 'scalar', value: {}, hashable: false, num: false };
    }
    const first = this.expr();
    if (this.isOp(':')) {
      this.pos++;
      const entries: [PyValue, PyValue][] = [[first, this.expr()]];
      while (this.isOp(',')) {
        this.pos++;
        if (this.isOp('}')) break;
        const k = this.expr();
        this.expectOp(':');
        entries.push([k, this.expr()]);
      }
      this.expectOp('}');
      const obj: Record<string, unknown> = {};
      for (const [k, v] of entries) {
        if (!k.hashable) throw new PyLiteralTypeError(`unhashable type: '${Array.isArray(k.value) ? 'list' : 'dict'}'`);
        obj[jsonKey(k.value)] = v.value;
      }
      return { kind: 'scalar', value: obj, hashable: false, num: false };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.isOp('}')) break;
      items.push(this.expr());
    }
    this.expectOp('}');
    const out: unknown[] = [];
    for (const item of items) {
      if (!item.hashable) throw new PyLiteralTypeError(`unhashable type: '${Array.isArray(item.value) ? 'list' : 'dict'}'`);
      if (!out.some((o) => o === item.value)) out.push(item.value);
    }
    return { kind: 'scalar', value: out, hashable: false, num: false };
  }
}

function tuple(items: readonly PyValue[]): PyValue {
  return { kind: 'scalar', value: items.map((i) => i.value), hashable: items.every((i) => i.hashable), num: false };
}

/** How Python's json.dumps writes a non-string dict key. */
function jsonKey(key: unknown): string {
  if (key === true) return 'true';
  if (key === false) return 'false';
  if (key === null) return 'null';
  return String(key);
}

/** ast.literal_eval(text): `{ ok: false }` where Python raises ValueError/SyntaxError. Throws PyLiteralTypeError. */
export function pyLiteralEval(text: string): { ok: true; value: unknown } | { ok: false } {
  const src = text.replace(/^[ \t]+/, '');
  if (src.includes('\0')) return { ok: false };
  try {
    return { ok: true, value: new Parser(tokenize(src)).top().value };
  } catch (err) {
    if (err instanceof Fail) return { ok: false };
    throw err;
  }
}

/** The INI plugin's _parse_value: a Python literal when it is one, else the text itself. */
export function iniValue(text: string): unknown {
  const r = pyLiteralEval(text);
  return r.ok ? r.value : text;
}
