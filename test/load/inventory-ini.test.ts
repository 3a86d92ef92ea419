import { describe, expect, it } from 'vitest';
import { iniValue, pyLiteralEval, PyLiteralTypeError, shlexSplit } from '../../src/load/py-literal.js';

describe('shlexSplit (shlex.split(s, comments=True))', () => {
  it('splits on whitespace and drops comments', () => {
    expect(shlexSplit('h1 a=1  b=2 # comment')).toEqual(['h1', 'a=1', 'b=2']);
    expect(shlexSplit('h1 a=1#c')).toEqual(['h1', 'a=1']);
  });
  it('handles quotes and escapes like POSIX shlex', () => {
    expect(shlexSplit(`h x="a b" y='c d' z=e\\ f`)).toEqual(['h', 'x=a b', "y=c d", 'z=e f']);
    expect(shlexSplit(`h x="a \\"q\\" \\n"`)).toEqual(['h', 'x=a "q" \\n']);
    expect(shlexSplit(`h x="'05'" y=''`)).toEqual(['h', "x='05'", 'y=']);
    expect(shlexSplit(`h x="#not comment"`)).toEqual(['h', 'x=#not comment']);
  });
  it('fails on unclosed quotes', () => {
    expect(() => shlexSplit('h x="open')).toThrow('No closing quotation');
  });
});

describe('pyLiteralEval (ast.literal_eval)', () => {
  const ok = (src: string): unknown => {
    const r = pyLiteralEval(src);
    expect(r.ok, src).toBe(true);
    return r.ok ? r.value : undefined;
  };
  it('reads numbers', () => {
    expect(ok('5')).toBe(5);
    expect(ok('-5')).toBe(-5);
    expect(ok('+5')).toBe(5);
    expect(ok('1_000')).toBe(1000);
    expect(ok('0x10')).toBe(16);
    expect(ok('0o17')).toBe(15);
    expect(ok('0b101')).toBe(5);
    expect(ok('1.5')).toBe(1.5);
    expect(ok('.5')).toBe(0.5);
    expect(ok('1e3')).toBe(1000);
    expect(ok('-(5)')).toBe(-5);
    expect(ok('5 # comment')).toBe(5);
  });
  it('reads strings with prefixes, escapes and implicit concatenation', () => {
    expect(ok(`'a\\tb'`)).toBe('a\tb');
    expect(ok(`r'a\\tb'`)).toBe('a\\tb');
    expect(ok(`"x" 'y'`)).toBe('xy');
    expect(ok(`b'bytes'`)).toBe('bytes');
    expect(ok(`'\\x41\\u00e9\\101'`)).toBe('AéA');
    expect(ok(`'''tri"ple'''`)).toBe('tri"ple');
  });
  it('reads constants and containers', () => {
    expect(ok('True')).toBe(true);
    expect(ok('None')).toBe(null);
    expect(ok('[1, "a", [True]]')).toEqual([1, 'a', [true]]);
    expect(ok('(1, 2)')).toEqual([1, 2]);
    expect(ok('1, 2,')).toEqual([1, 2]);
    expect(ok('(1,)')).toEqual([1]);
    expect(ok('()')).toEqual([]);
    expect(ok('{"a": {"b": [1]}, 2: None}')).toEqual({ a: { b: [1] }, 2: null });
    expect(ok('{1, 2, 1}')).toEqual([1, 2]);
    expect(ok('set()')).toEqual([]);
    expect(ok('{}')).toEqual({});
  });
  it('rejects what literal_eval rejects', () => {
    for (const src of ['hello', 'hello world', '05', 'null', 'true', '--5', '-True', '1 + 2', 'f"x"', 'x=1', '[1, 2', '', '1 2', 'a.b', '1j', "b'a' 'b'"]) {
      expect(pyLiteralEval(src).ok, src).toBe(false);
    }
  });
  it('raises a TypeError for unhashable keys, as Python does', () => {
    expect(() => pyLiteralEval('{[1]: 2}')).toThrow(PyLiteralTypeError);
    expect(() => pyLiteralEval('{[1], 2}')).toThrow("unhashable type: 'list'");
  });
  it('falls back to the raw text (iniValue)', () => {
    expect(iniValue('hello world # x')).toBe('hello world # x');
    expect(iniValue('{a:1}')).toBe('{a:1}');
    expect(iniValue("'05'")).toBe('05');
    expect(iniValue('23')).toBe(23);
  });
});
