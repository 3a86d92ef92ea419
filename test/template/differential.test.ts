/**
 * Differential test: the same templates rendered by ansible-core's own Templar (python, one run) and
 * by ours must give the same values and Python types.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Templar } from '../../src/template/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function ansiblePython(): string | undefined {
  try {
    const bin = execFileSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' }).trim();
    const shebang = readFileSync(bin, 'utf8').split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)/.exec(shebang);
    if (m && existsSync(m[1] as string)) return m[1];
  } catch {
    // not installed
  }
  return undefined;
}

const VARS: Record<string, unknown> = {
  n: 5,
  f: 2.5,
  s: 'Hello World',
  l: [3, 1, 2],
  words: ['b', 'A', 'c', 'a'],
  d: { b: 2, a: 1 },
  nested: { x: { y: [10, 20] } },
  users: [
    { name: 'bob', uid: 1002, groups: ['wheel', 'dev'], active: true },
    { name: 'alice', uid: 1001, groups: ['dev'], active: false },
  ],
  t: true,
  none: null,
  lazy: '{{ n * 2 }}',
  lazylist: ['{{ n }}', '{{ s | lower }}'],
  chain: '{{ lazy }}-x',
  yes_str: 'yes',
  path: '/etc/nginx/nginx.conf',
  version: '2.14.3',
  text: 'line1\nline2\n',
  csv: 'a,b,,c',
  listish: '[1, 2]',
};

const TEMPLATES: string[] = [
  '{{ 5 }}',
  '{{ n }}',
  '{{ n + 1 }}',
  '{{ f * 2 }}',
  '{{ 1.0 }}',
  '{{ 7 / 2 }}',
  '{{ 7 // 2 }}',
  '{{ -7 % 3 }}',
  '{{ 2 ** 10 }}',
  '{{ [1, 2] }}',
  "{{ '[1,2]' }}",
  '{{ listish }}',
  '{{ l }}',
  '{{ d }}',
  '{{ none }}',
  '{{ t }}',
  "{{ 'True' }}",
  '{{ n }}{{ n }}',
  'a{{ l }}',
  'x{{ d }}',
  '{{ none }} is none',
  'v={{ t }} {{ none | string }}',
  '{{ lazy }}',
  '{{ lazylist }}',
  '{{ chain }}',
  '{{ s.split() }}',
  "{{ s.startswith('Hell') }}",
  "{{ s.replace('World', 'There').upper() }}",
  "{{ '%s-%03d' % ('a', n) }}",
  "{{ '{} and {:>4}'.format(s, n) }}",
  '{{ s[1:4] }} {{ s[-3:] }} {{ l[::-1] }}',
  '{{ d.items() | list }}',
  '{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}',
  '{% for u in users %}{{ loop.index }}:{{ u.name }}{{ "," if not loop.last }}{% endfor %}',
  "{{ users | map(attribute='name') | list }}",
  "{{ users | selectattr('active') | map(attribute='uid') | list }}",
  "{{ users | sort(attribute='uid') | map(attribute='name') | join(', ') }}",
  "{{ users | rejectattr('name', 'equalto', 'bob') | list | length }}",
  "{{ words | sort }}",
  "{{ words | unique }}",
  "{{ words | sort(case_sensitive=true, reverse=true) }}",
  "{{ l | select('odd') | list }}",
  "{{ l | sum }} {{ l | min }} {{ l | max }}",
  "{{ [[1, [2]], [3]] | flatten }}",
  "{{ [[1, [2]], [3]] | flatten(levels=1) }}",
  "{{ d | dict2items }}",
  "{{ d | dict2items | items2dict }}",
  "{{ {'a': {'x': 1}, 'l': [1]} | combine({'a': {'y': 2}, 'l': [2]}, recursive=true, list_merge='append') }}",
  "{{ d | to_json }}",
  "{{ users[0] | to_nice_json }}",
  "{{ nested | to_yaml }}",
  "{{ users | to_nice_yaml }}",
  "{{ 'a b' | quote }} {{ path | basename }} {{ path | dirname }}",
  "{{ path | splitext }}",
  "{{ 'abc' | b64encode }} {{ 'YWJj' | b64decode }}",
  "{{ 'abc' | hash('sha1') }} {{ 'abc' | md5 }}",
  "{{ yes_str | bool }} {{ 'off' | bool }} {{ '3.7' | float }} {{ '42' | int + 1 }}",
  "{{ 3.14159 | round(2) }} {{ 2.5 | round }} {{ 7 | float }}",
  "{{ 'foo123bar' | regex_replace('(\\\\d+)', '<\\\\1>') }}",
  "{{ 'foo123bar' | regex_search('\\\\d+') }}",
  "{{ 'k1=v1 k2=v2' | regex_findall('(\\\\w+)=(\\\\w+)') }}",
  "{{ version is version('2.9', '>=') }} {{ '1.10' is version('1.9', 'gt') }}",
  "{{ s is match('Hel') }} {{ s is search('World') }} {{ s is match('World') }}",
  "{{ x is defined }} {{ d.a is defined }} {{ d.zz is undefined }}",
  "{{ x | default('dflt') }} {{ '' | default('e', true) }}",
  "{{ l | length }} {{ s | length }} {{ d | length }}",
  "{{ csv.split(',') }}",
  "{{ text.splitlines() }}",
  "{{ 2 in l }} {{ 9 not in l }} {{ 'a' in d }}",
  "{{ n ~ '-' ~ t }}",
  "{{ 'yes' if t else 'no' }}",
  '{% set total = l | sum %}{{ total * 2 }}',
  "{{ range(3) | list }} {{ range(1, 10, 3) | list }}",
  "{{ l | zip(['a', 'b', 'c']) | list }}",
  "{{ [1, 2] | product(['x']) | list }}",
  "{{ users | subelements('groups') | map('last') | list }}",
  "{{ [1, 2, 3] | difference([2]) }} {{ [1, 2] | union([2, 3]) }} {{ [1, 2] | intersect([2, 3]) }}",
  "{{ 1024 | human_readable }} {{ '2K' | human_to_bytes }}",
  "{{ s | lower | title }} {{ '  pad ' | trim }} {{ 'ab' | center(6) }}",
  "{{ ['a', 'b'] | map('upper') | list }}",
  "{{ n | string }}",
  "{{ l | to_json }}",
  "{{ ['x', 'y', 'z'] | random(seed='myhost') }} {{ 100 | random(seed=42) }}",
  "{{ ['x', 'y', 'z', 'w'] | shuffle(seed='abc') }}",
  "{{ users | groupby('active') | map('first') | list }}",
  "{{ d | dictsort }}",
  "{{ 'a,b' | split(',') }}",
  "{{ [1, none, 2] | select | list }}",
  "{{ nested.x.y.1 }} {{ nested['x']['y'][0] }}",
  "{{ 'x' | ternary('a', 'b') }} {{ none | ternary(1, 2, 3) }}",
  "{{ nope }}",
  "{{ d.missing }}",
  "{{ l[10] }}",
  "{{ nope.attr }}",
  "{{ lazy_undefined }}",
  'text\n\n',
  '{% if t %}\nyes\n{% endif %}\n',
  "{{ {'k': none, 'v': [t, 1.5]} }}",
  "{{ 'a' ~ none }}",
  "{{ (1, 2) }}",
  "{{ 10 | abs }} {{ -3 | abs }} {{ 'hello world foo' | wordcount }}",
  "{{ [1,2,3,4,5] | batch(2) | list }}",
  "{{ 'x' * 3 }} {{ [0] * 2 }}",
  "{{ '%.2f' | format(f) }} {{ '%5s|%-5s|' % ('a', 'b') }}",
  // more filters
  "{{ x | mandatory }}",
  "{{ n | mandatory }} {{ l | count }} {{ 'hELLO' | capitalize }} {{ s | replace('l', 'L', 2) }}",
  "{{ 'a.b*c' | regex_escape }}",
  "{{ l | first }} {{ l | last }} {{ l | reverse | list }} {{ 'abc' | reverse }}",
  "{{ l | reject('odd') | list }} {{ [1, 2, 3] | zip_longest(['a'], fillvalue='-') | list }}",
  "{{ '{\"a\": [1, true, null]}' | from_json }}",
  "{{ 'a: [1, 2]\nb: yes\n' | from_yaml }}",
  "{{ {'z': 1, 'a': {'b': [1, {'c': 2}]}} | to_nice_yaml }}",
  "{{ {'a': 'yes', 'b': 'x: y', 'c': '', 'd': '123', 'e': 'null'} | to_yaml }}",
  "{{ [1, [2, 3], {'a': []}] | to_yaml }}",
  "{{ 'hello' | to_yaml }}",
  "{{ '/tmp/../tmp' | realpath }} {{ '~/x' | expanduser | regex_replace('^/.*/x$', 'ok') }}",
  "{{ n | type_debug }} {{ s | type_debug }} {{ l | type_debug }} {{ d | type_debug }} {{ none | type_debug }} {{ f | type_debug }}",
  "{{ text | indent(2) }}|{{ text | indent(2, first=true) }}",
  "{{ [1, 2, 3, 4, 5] | slice(2) | list }}",
  "{{ users | groupby('active') }}",
  "{{ d | dictsort(by='value', reverse=true) }}",
  "{{ {'a b': 'c&d'} | urlencode }} {{ 'a b/c' | urlencode }}",
  "{{ '%Y-%m-%d %H:%M:%S' | strftime(86400 * 365, utc=true) }}",
  "{{ ['a', 'b'] | map('extract', {'a': 1, 'b': 2}) | list }} {{ 'x' | extract({'x': {'y': 3}}, 'y') }}",
  "{{ [1, 2, 3] | symmetric_difference([3, 4]) }}",
  "{{ '1,2' | split(',') | map('int') | sum }} {{ 'nope' | int }} {{ 'x' | float(1.5) }}",
  "{{ [3, 1] | sort | first }} {{ {'a': 1} | combine({'b': 2}) }} {{ [{'a': 1}, {'a': 2}] | combine }}",
  "{{ (users | first).name }} {{ users | map(attribute='groups') | flatten | unique }}",
  // tests
  "{{ none is none }} {{ n is none }} {{ {'failed': true} is failed }} {{ {'failed': false} is succeeded }} {{ {} is success }}",
  "{{ {'changed': true} is changed }} {{ {'results': [{'changed': false}, {'changed': true}]} is changed }} {{ {'skipped': true} is skipped }}",
  "{{ 'abc' is regex('B', ignorecase=true) }} {{ 2 is in l }} {{ l is contains(3) }}",
  "{{ '1.2.3' is version('1.2.10', '<', strict=true) }} {{ '1.0' is version_compare('1.0', '==') }} {{ '2.0.0' is version('1.9.9', 'gt', version_type='semver') }}",
  "{{ 'yes' is truthy }} {{ '' is falsy }} {{ 'no' is truthy(convert_bool=true) }}",
  "{{ s is string }} {{ n is number }} {{ d is mapping }} {{ l is iterable }} {{ s is sequence }} {{ n is sequence }}",
  "{{ t is boolean }} {{ n is integer }} {{ f is float }} {{ n is float }} {{ 1 is boolean }}",
  "{{ n is equalto 5 }} {{ n is eq(5) }} {{ t is sameas true }} {{ n is sameas 5.0 }}",
  "{{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }}",
  "{{ [1, 2] is subset([1, 2, 3]) }} {{ [1, 2, 3] is superset([4]) }} {{ '/etc' is abs }} {{ 'etc' is abs }}",
  "{{ '/etc/passwd' is file }} {{ '/etc' is directory }} {{ '/nonexistent' is exists }} {{ '/etc' is exists }}",
  "{{ x is not defined }} {{ n is not none }} {{ not (n == 5) }}",
  // syntax
  "{%- if t -%}\n  a\n{%- endif %} b",
  "{% for i in [1, 2] %}\n{{ i }}\n{% endfor %}",
  "{% macro greet(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ greet('bob') }} {{ greet('al', p='?') }}",
  "{% set ns = namespace(total=0) %}{% for i in l %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
  "{% set block %}a{{ n }}b{% endset %}{{ block }}",
  "{% for i in l if i > 1 %}{{ i }}{% else %}none{% endfor %}",
  "{% for i in [] %}{{ i }}{% else %}empty{% endfor %}",
  "{# comment #}x{# another #}",
  "{% raw %}{{ not templated }}{% endraw %}",
  "{{ l | map('string') | map('regex_replace', '^', 'n') | list }}",
  "{{ d.get('a') }} {{ d.get('zz', 'dv') }} {{ d.keys() | list }} {{ d.values() | list }}",
  "{{ ['a', 'b'].index('b') }} {{ [1, 1, 2].count(1) }} {{ ', '.join(['x', 'y']) }}",
  "{{ 'a-b-c'.split('-', 1) }} {{ '  x  '.strip() }} {{ 'abc'.endswith(('c', 'z')) }}",
  "{{ 1 if n > 3 else 2 }} {{ n > 3 and 'big' or 'small' }}",
  "{{ l[0] }}{{ l.1 }}{{ s[0] }}",
  "{{ n == '5' }} {{ 1 == 1.0 }} {{ [1] == [1] }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }}",
  "{{ 'C:\\temp' }}",
  "{{ [] | default('empty', true) }} {{ none | default('d') }} {{ x | d('dd') }}",
  "{{ (n + 0.5) | int }} {{ 10 / 4 }} {{ 10 / 5 }} {{ 2 ** -1 }} {{ 0.1 + 0.2 }}",
  "{{ 1e3 }} {{ 1.5e-7 }} {{ 12345678901234 }}",
  "{{ 'a' + 1 }}",
  "{{ 5 | dict2items }}",
  "{{ [1, 2] | items2dict }}",
  "{{ ('word ' * 30) | to_nice_yaml }}",
  "{{ {'key': 'word ' * 30, 'nested': {'b': 'w ' * 50}, 'l': ['x ' * 45]} | to_nice_yaml }}",
  "{{ {'key': 'w1 ' * 30, 'm': 'multi\\nline\\n'} | to_yaml }}",
  "{{ {'a': {'b': 'w2 ' * 30}} | to_yaml }}",
  "{{ {'a': 1}.items() }}",
  "{{ range(3) }}",
  "{{ lookup('env', 'TSBOOK_TEST_ENV') }} {{ query('items', [1, 2]) }} {{ lookup('vars', 'n') }} {{ q('indexed_items', ['a']) }}",
  "{{ lookup('list', ['a', 'b']) }} {{ lookup('dict', {'k': 'v'}) }}",
  "{{ lookup('file', 'surely-missing.txt') }}",
  "{{ lookup('vars', 'zz') }}",
  "{{ lookup('nope', 1) }}",
];

const CONDITIONALS: (string | string[])[] = [
  'n == 5',
  'n > 5',
  'yes_str',
  "s is match('Hello')",
  'x is defined',
  'x is undefined',
  'x is not defined',
  'not x is defined',
  'x.y is defined',
  'd.a is defined and d.a == 1',
  'd.zz is defined',
  'l',
  '[]',
  'none',
  'lazy == "10"',
  ['n == 5', 't'],
  ['n == 5', 'not t'],
  '{{ t }}',
  'x',
  'x == 1',
  "'a' in d",
  "users | selectattr('active') | list | length == 1",
];

describe('differential: ansible-core Templar vs ours', () => {
  const python = ansiblePython();
  if (python === undefined && process.env.CI) throw new Error('ansible-core is required in CI');

  it.runIf(python !== undefined)('renders the same values and types', () => {
    const vars = { ...VARS, lazy_undefined: '{{ nope }}' };
    process.env.TSBOOK_TEST_ENV = 'env-value';
    const run = spawnSync(python as string, [join(here, 'oracle.py')], {
      input: JSON.stringify({ vars, templates: TEMPLATES, conditionals: CONDITIONALS }),
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_DEPRECATION_WARNINGS: '0' },
    });
    expect(run.status, run.stderr).toBe(0);
    const oracle = JSON.parse(run.stdout) as { templates: Outcome[]; conditionals: Outcome[] };
    const expected = oracle.templates.map((r) =>
      // Ansible's NativeJinjaText (output of string filters) is a str.
      'type' in r && (r.type === 'NativeJinjaText' || r.type === 'AnsibleUnsafeText') ? { ...r, type: 'str' } : r,
    );
    const templar = new Templar(vars);
    const mismatches: string[] = [];
    TEMPLATES.forEach((tpl, i) => {
      const want = expected[i];
      let got: { value: unknown; type: string } | { error: string };
      try {
        const value = templar.template(tpl);
        got = { value: JSON.parse(JSON.stringify(value)) as unknown, type: pyType(value) };
      } catch (e) {
        const err = e as { ansibleMessage?: string; message: string };
        got = { error: err.ansibleMessage ?? err.message };
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${JSON.stringify(tpl)}\n  ansible: ${JSON.stringify(want)}\n  tsbook:  ${JSON.stringify(got)}`);
    });
    CONDITIONALS.forEach((cond, i) => {
      const want = oracle.conditionals[i] as Outcome;
      const wantNorm = 'error' in want ? want : { value: truthyJson(want.value) };
      let got: { value: boolean } | { error: string };
      try {
        got = { value: templar.evaluate(cond) };
      } catch (e) {
        got = { error: (e as Error).message };
      }
      if (JSON.stringify(got) !== JSON.stringify(wantNorm)) mismatches.push(`when: ${JSON.stringify(cond)}\n  ansible: ${JSON.stringify(wantNorm)}\n  tsbook:  ${JSON.stringify(got)}`);
    });
    expect(mismatches.join('\n')).toBe('');
  });
});

type Outcome = { value: unknown; type: string } | { error: string };

function truthyJson(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}
