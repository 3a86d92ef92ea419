import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Chalk } from 'chalk';
import { renderDiffs } from '../../src/output/diff.js';
import { splitLinesKeepEnds, unifiedDiff } from '../../src/util/difflib.js';

const plain = new Chalk({ level: 0 });

/** Python's difflib as the oracle (python3 is on every machine that has ansible-core). */
function pythonUnifiedDiff(a: string, b: string): string {
  const script = `import difflib,json,sys
d=json.load(sys.stdin)
sys.stdout.write(''.join(difflib.unified_diff(d['a'].splitlines(True), d['b'].splitlines(True), 'before', 'after', n=3)))`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify({ a, b }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

function lines(n: number, f: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('');
}

describe('unified diff (difflib port)', () => {
  const cases: [string, string, string][] = [
    ['one change', 'a\nb\nc\n', 'a\nB\nc\n'],
    ['two hunks', lines(20, (i) => `line ${i}`), lines(20, (i) => (i === 2 || i === 15 ? `changed ${i}` : `line ${i}`))],
    ['insert at start and end', 'x\ny\n', 'new\nx\ny\nlast\n'],
    ['delete everything', 'a\nb\n', ''],
    ['from empty', '', 'a\nb\n'],
    ['repeated lines', lines(30, (i) => (i % 3 === 0 ? 'same' : `v${i}`)), lines(30, (i) => (i % 4 === 0 ? 'same' : `v${i}`))],
    ['popular lines (autojunk)', lines(250, (i) => (i % 2 ? '}' : `x${i}`)), lines(250, (i) => (i % 2 ? '}' : i === 100 ? 'changed' : `x${i}`))],
  ];
  for (const [name, a, b] of cases) {
    it(`matches Python's difflib: ${name}`, () => {
      expect(unifiedDiff(splitLinesKeepEnds(a), splitLinesKeepEnds(b), 'before', 'after').join('')).toBe(pythonUnifiedDiff(a, b));
    });
  }

  it('renders like the default callback, with headers and the no-newline marker', () => {
    const text = renderDiffs([{ before: 'a\n', after: 'a\nb', before_header: '/etc/x', after_header: '/etc/x' }], plain);
    expect(text).toBe('--- before: /etc/x\n+++ after: /etc/x\n@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n\n');
  });

  it('prints nothing when there is no change', () => {
    expect(renderDiffs([{ before: 'same\n', after: 'same\n' }], plain)).toBe('');
  });
});
