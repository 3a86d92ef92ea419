/**
 * Python's ast.literal_eval (with Ansible's Json2Python: `true`/`false`/`null` names allowed),
 * used by ansible_eval_concat to turn rendered text that looks like a list/dict/bool into data.
 */
import { decodeEscapes } from './lexer.js';
import { makeTuple, mkFloat } from './pyvalues.js';

class LiteralSyntaxError extends Error {}

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && /[ \t\n\r\f\v]/.test(this.s[this.i] as string)) this.i++;
  }

  private fail(): never {
    throw new LiteralSyntaxError('malformed node or string');
  }

  parseAll(): unknown {
    const v = this.parseExprList();
    this.ws();
    if (this.i !== this.s.length) this.fail();
    return v;
  }

  private parseExprList(): unknown {
    const first = this.parseValue();
    this.ws();
    if (this.s[this.i] !== ',') return first;
    const items = [first];
    while (this.s[this.i] === ',') {
      this.i++;
      this.ws();
      if (this.i >= this.s.length) break;
      items.push(this.parseValue());
      this.ws();
    }
    return makeTuple(items);
  }

  private parseValue(): unknown {
    this.ws();
    const ch = this.s[this.i];
    if (ch === undefined) this.fail();
    if (ch === '[') return this.parseSeq(']');
    if (ch === '(') {
      this.i++;
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        return makeTuple([]);
      }
      const first = this.parseValue();
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        return first;
      }
      const items = [first];
      while (this.s[this.i] === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === ')') break;
        items.push(this.parseValue());
        this.ws();
      }
      if (this.s[this.i] !== ')') this.fail();
      this.i++;
      return makeTuple(items);
    }
    if (ch === '{') return this.parseDictOrSet();
    if (ch === '-' || ch === '+') {
      this.i++;
      const v = this.parseValue();
      if (typeof v !== 'number' && !(typeof v === 'object' && v !== null && 'value' in v)) this.fail();
      const n = typeof v === 'number' ? v : (v as { value: number }).value;
      const r = ch === '-' ? -n : n;
      return typeof v === 'number' ? r : mkFloat(r);
    }
    const str = this.tryString();
    if (str !== undefined) {
      let out = str;
      for (;;) {
        this.ws();
        const more = this.tryString();
        if (more === undefined) break;
        out += more;
      }
      return out;
    }
    const num = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?\.?)/.exec(this.s.slice(this.i));
    if (num && num[0] !== '' && /\d/.test(num[0])) {
      const text = num[0].replace(/_/g, '');
      this.i += num[0].length;
      if (/^0[xob]/i.test(text)) return Number(text.toLowerCase());
      if (/[.eE]/.test(text)) return mkFloat(parseFloat(text));
      return parseInt(text, 10);
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (name) {
      this.i += name[0].length;
      switch (name[0]) {
        case 'True':
        case 'true':
          return true;
        case 'False':
        case 'false':
          return false;
        case 'None':
        case 'null':
          return null;
        default:
          this.fail();
      }
    }
    return this.fail();
  }

  private tryString(): string | undefined {
    const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    const prefix = (m[1] as string).toLowerCase();
    if (prefix !== '' && !/^(r|u|b|br|rb)$/.test(prefix)) return undefined;
    const quote = m[2] as string;
    let j = this.i + m[0].length;
    const start = j;
    for (;;) {
      if (j >= this.s.length) this.fail();
      const c = this.s[j];
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (this.s.startsWith(quote, j)) break;
      if (quote.length === 1 && c === '\n') this.fail();
      j++;
    }
    const raw = this.s.slice(start, j);
    this.i = j + quote.length;
    return prefix.includes('r') ? raw : decodeEscapes(raw);
  }

  private parseSeq(close: string): unknown[] {
    this.i++;
    const items: unknown[] = [];
    this.ws();
    while (this.s[this.i] !== close) {
      items.push(this.parseValue());
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        this.ws();
      } else if (this.s[this.i] !== close) this.fail();
    }
    this.i++;
    return items;
  }

  private parseDictOrSet(): unknown {
    this.i++;
    this.ws();
    const d: Record<string, unknown> = {};
    if (this.s[this.i] === '}') {
      this.i++;
      return d;
    }
    const firstKey = this.parseValue();
    this.ws();
    if (this.s[this.i] !== ':') {
      // A set literal: returned as a list.
      const items = [firstKey];
      while (this.s[this.i] === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === '}') break;
        items.push(this.parseValue());
        this.ws();
      }
      if (this.s[this.i] !== '}') this.fail();
      this.i++;
      return items;
    }
    let key = firstKey;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== ':') this.fail();
      this.i++;
      const value = this.parseValue();
      if (Array.isArray(key) || (typeof key === 'object' && key !== null && !('value' in key))) this.fail();
      d[keyString(key)] = value;
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        this.ws();
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return d;
      }
      key = this.parseValue();
    }
  }
}

function keyString(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'None';
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (typeof k === 'object' && k !== null && 'value' in k) return `${(k as { value: number }).value}.0`;
  return String(k);
}

/** Parses a Python literal; returns `undefined` when the text is not one. */
export function literalEval(text: string): { value: unknown } | undefined {
  try {
    return { value: new LiteralParser(text).parseAll() };
  } catch (e) {
    if (e instanceof LiteralSyntaxError) return undefined;
    throw e;
  }
}
