import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { globWord, pathWord, shlexSplit } from '../../../src/modules/util/quote.js';
import { splitLines } from '../../../src/modules/util/lines.js';
import { pythonDateTime, pythonTimedelta } from '../../../src/modules/util/time.js';

describe('shlexSplit', () => {
  it.each([
    ['echo hello   "big world"', ['echo', 'hello', 'big world']],
    ["printf 'a\\n\\n'", ['printf', 'a\\n\\n']],
    ['a\\ b "c\\"d" \'e\\f\'', ['a b', 'c"d', 'e\\f']],
    ['x"y z"w', ['xy zw']],
    ['"" a', ['', 'a']],
    ['  ', []],
  ])('splits %s as Python does', (input, expected) => {
    expect(shlexSplit(input)).toEqual(expected);
  });

  it('rejects unbalanced quotes with Python\'s message', () => {
    expect(() => shlexSplit('echo "a')).toThrow('No closing quotation');
    expect(() => shlexSplit('echo a\\')).toThrow('No escaped character');
  });

  it('agrees with Python shlex on a tricky line', () => {
    const line = `cmd --opt="a b" 'c d'\\ e f\\"g "h\\\\i" $x`;
    const py = execFileSync('python3', ['-c', 'import shlex,sys,json; print(json.dumps(shlex.split(sys.argv[1])))', line], { encoding: 'utf8' });
    expect(shlexSplit(line)).toEqual(JSON.parse(py));
  });
});

describe('shell words', () => {
  const sh = (word: string) => execFileSync('/bin/sh', ['-c', `HOME=/home/u; printf '%s\\n' ${word}`], { encoding: 'utf8', cwd: '/' }).trimEnd();
  it('keeps a leading tilde active and the rest literal', () => {
    expect(pathWord('~/a b')).toBe("~/'a b'");
    expect(sh(pathWord('~/a b'))).toBe('/home/u/a b');
    expect(sh(pathWord('$HOME/x'))).toBe('$HOME/x');
  });
  it('keeps glob characters active and the rest literal', () => {
    expect(globWord('/tmp/my dir/*.txt')).toBe("'/tmp/my dir/'*.txt");
    expect(sh(globWord('/nonexistent $x/[ab]?*'))).toBe('/nonexistent $x/[ab]?*');
    expect(sh(globWord('/e[t]c'))).toBe('/etc');
  });
});

describe('Python formatting helpers', () => {
  it('splits lines like str.splitlines', () => {
    expect(splitLines('a\nb\r\nc\rd\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitLines('a\n\n')).toEqual(['a', '']);
    expect(splitLines('')).toEqual([]);
  });
  it('formats datetimes and timedeltas like str()', () => {
    expect(pythonDateTime(new Date(2024, 0, 31, 5, 6, 7, 250))).toBe('2024-01-31 05:06:07.250000');
    expect(pythonDateTime(new Date(2024, 0, 31, 5, 6, 7, 0))).toBe('2024-01-31 05:06:07');
    expect(pythonTimedelta(5)).toBe('0:00:00.005000');
    expect(pythonTimedelta(3_723_000)).toBe('1:02:03');
    expect(pythonTimedelta(90_000_000)).toBe('1 day, 1:00:00');
  });
});
