/**
 * A Jinja2 lexer with the settings Ansible uses: default delimiters, trim_blocks=True,
 * lstrip_blocks=False, whitespace control with `-` (and `+`), `{% raw %}` blocks, balanced braces
 * inside `{{ }}` and Python string literal escapes. With `escapeBackslashes` (Ansible's default in
 * Templar.template) backslashes inside string literals of `{{ }}` blocks are taken literally.
 */
import { PyError } from './pyvalues.js';

export type TokenType =
  | 'data'
  | 'var_begin'
  | 'var_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'int'
  | 'float'
  | 'op'
  | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  /** For numbers: the parsed value. */
  readonly num?: number;
  readonly pos: number;
}

export class TemplateSyntaxError extends PyError {}

const OPERATORS = ['//', '**', '==', '!=', '<=', '>=', '+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '<', '>', '=', '.', ':', '|', ',', ';'];

const NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const FLOAT_RE = /(?:\d(?:_?\d)*)(?:\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|[eE][+-]?\d(?:_?\d)*)/y;
const INT_RE = /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*/y;
const WS_RE = /\s+/y;

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '',
};

/** Decodes Python unicode-escape sequences; unknown escapes stay as they are (like Python). */
export function decodeEscapes(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch !== '\\' || i === raw.length - 1) {
      out += ch;
      continue;
    }
    const next = raw[i + 1] as string;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined && !(next === '0' && /[0-7]/.test(raw[i + 2] ?? ''))) {
      out += simple;
      i++;
      continue;
    }
    const hexLen = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const hex = raw.slice(i + 2, i + 2 + hexLen);
      if (hex.length === hexLen && /^[0-9a-fA-F]+$/.test(hex)) {
        out += String.fromCodePoint(parseInt(hex, 16));
        i += 1 + hexLen;
        continue;
      }
    }
    const oct = /^[0-7]{1,3}/.exec(raw.slice(i + 1));
    if (oct) {
      out += String.fromCharCode(parseInt(oct[0], 8));
      i += oct[0].length;
      continue;
    }
    out += ch;
  }
  return out;
}

interface LexOptions {
  readonly escapeBackslashes: boolean;
}

export function tokenize(source: string, options: LexOptions = { escapeBackslashes: true }): Token[] {
  // keep_trailing_newline=False: Jinja2 drops one trailing newline from the source.
  let src = source;
  if (src.endsWith('\r\n')) src = src.slice(0, -2);
  else if (src.endsWith('\n')) src = src.slice(0, -1);
  const literalBackslashes = options.escapeBackslashes && source.includes('\\') && source.includes('{{');
  const tokens: Token[] = [];
  let pos = 0;
  let stripNextData = false;
  let trimNextNewline = false;

  const pushData = (text: string, at: number, rstrip: boolean): void => {
    let data = text;
    if (stripNextData) data = data.replace(/^\s+/, '');
    else if (trimNextNewline) data = data.replace(/^\r?\n/, '');
    if (rstrip) data = data.replace(/\s+$/, '');
    stripNextData = false;
    trimNextNewline = false;
    if (data.length > 0) tokens.push({ type: 'data', value: data, pos: at });
  };

  while (pos < src.length) {
    const next = findTagStart(src, pos);
    if (next < 0) {
      pushData(src.slice(pos), pos, false);
      break;
    }
    const kind = src[next + 1] as '{' | '%' | '#';
    const rstrip = src[next + 2] === '-';
    pushData(src.slice(pos, next), pos, rstrip);
    let p = next + 2 + (rstrip || src[next + 2] === '+' ? 1 : 0);
    if (kind === '#') {
      const end = src.indexOf('#}', p);
      if (end < 0) throw new TemplateSyntaxError('Missing end of comment tag');
      stripNextData = src[end - 1] === '-' && end - 1 >= p;
      trimNextNewline = !stripNextData && src[end - 1] !== '+';
      pos = end + 2;
      continue;
    }
    if (kind === '%') {
      const raw = /\s*raw\s*(-?)%\}/y;
      raw.lastIndex = p;
      const rm = raw.exec(src);
      if (rm) {
        const endRe = /\{%(-?)\s*endraw\s*(-?)%\}/g;
        endRe.lastIndex = raw.lastIndex;
        const em = endRe.exec(src);
        if (!em) throw new TemplateSyntaxError('Missing end of raw directive');
        stripNextData = rm[1] === '-';
        trimNextNewline = !stripNextData;
        pushData(src.slice(raw.lastIndex, em.index), raw.lastIndex, em[1] === '-');
        stripNextData = em[2] === '-';
        trimNextNewline = !stripNextData;
        pos = em.index + em[0].length;
        continue;
      }
    }
    tokens.push({ type: kind === '{' ? 'var_begin' : 'block_begin', value: src.slice(next, p), pos: next });
    p = lexCode(src, p, kind, tokens, literalBackslashes && kind === '{');
    const endTag = kind === '{' ? '}}' : '%}';
    let endStart = p;
    let lstrip = false;
    let plus = false;
    if (src[p] === '-') {
      lstrip = true;
      p++;
    } else if (src[p] === '+') {
      plus = true;
      p++;
    }
    if (src.slice(p, p + 2) !== endTag) throw new TemplateSyntaxError(`unexpected end of template, expected '${endTag}'`);
    tokens.push({ type: kind === '{' ? 'var_end' : 'block_end', value: src.slice(endStart, p + 2), pos: endStart });
    pos = p + 2;
    stripNextData = lstrip;
    trimNextNewline = kind === '%' && !lstrip && !plus;
  }
  tokens.push({ type: 'eof', value: '', pos: src.length });
  return tokens;
}

function findTagStart(src: string, from: number): number {
  let i = src.indexOf('{', from);
  while (i >= 0 && i < src.length - 1) {
    const c = src[i + 1];
    if (c === '{' || c === '%' || c === '#') return i;
    i = src.indexOf('{', i + 1);
  }
  return -1;
}

/** Lexes code until the closing tag (outside any open bracket); returns the position of the end tag (or its `-`). */
function lexCode(src: string, start: number, kind: '{' | '%', tokens: Token[], literalStrings: boolean): number {
  let p = start;
  const endTag = kind === '{' ? '}}' : '%}';
  const stack: string[] = [];
  let prevDot = false;
  for (;;) {
    WS_RE.lastIndex = p;
    const ws = WS_RE.exec(src);
    if (ws) p = WS_RE.lastIndex;
    if (p >= src.length) throw new TemplateSyntaxError(`unexpected end of template, expected '${endTag}'`);
    if (stack.length === 0) {
      if (src.startsWith(endTag, p)) return p;
      if ((src[p] === '-' || src[p] === '+') && src.startsWith(endTag, p + 1)) return p;
    }
    const ch = src[p] as string;
    if (ch === '"' || ch === "'") {
      let q = p + 1;
      while (q < src.length && src[q] !== ch) {
        if (src[q] === '\\') q++;
        q++;
      }
      if (q >= src.length) throw new TemplateSyntaxError('unexpected end of string');
      const raw = src.slice(p + 1, q);
      let value = literalStrings ? raw : decodeEscapes(raw);
      const last = tokens[tokens.length - 1];
      if (last?.type === 'string') {
        // Adjacent string literals are concatenated, like Python.
        tokens.pop();
        value = last.value + value;
      }
      tokens.push({ type: 'string', value, pos: p });
      p = q + 1;
      prevDot = false;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      if (!prevDot) {
        FLOAT_RE.lastIndex = p;
        const fm = FLOAT_RE.exec(src);
        if (fm) {
          tokens.push({ type: 'float', value: fm[0], num: parseFloat(fm[0].replace(/_/g, '')), pos: p });
          p = FLOAT_RE.lastIndex;
          continue;
        }
      }
      INT_RE.lastIndex = p;
      const im = INT_RE.exec(src);
      if (im) {
        const text = im[0].replace(/_/g, '');
        const n = /^0[xob]/i.test(text) ? Number(text.toLowerCase()) : parseInt(text, 10);
        tokens.push({ type: 'int', value: im[0], num: n, pos: p });
        p = INT_RE.lastIndex;
        prevDot = false;
        continue;
      }
    }
    NAME_RE.lastIndex = p;
    const nm = NAME_RE.exec(src);
    if (nm) {
      tokens.push({ type: 'name', value: nm[0], pos: p });
      p = NAME_RE.lastIndex;
      prevDot = false;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, p));
    if (op === undefined) throw new TemplateSyntaxError(`unexpected char ${JSON.stringify(ch)} at ${p}`);
    if (op === '(' || op === '[' || op === '{') stack.push(op);
    else if (op === ')' || op === ']' || op === '}') {
      const open = stack.pop();
      const expected = op === ')' ? '(' : op === ']' ? '[' : '{';
      if (open !== expected) throw new TemplateSyntaxError(`unexpected '${op}'`);
    }
    tokens.push({ type: 'op', value: op, pos: p });
    p += op.length;
    prevDot = op === '.';
  }
}
