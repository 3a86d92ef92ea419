import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/model/errors.js';
import { OPAQUE, UnsafeText, VaultText } from '../../src/model/values.js';
import {
  containsTemplate,
  OMIT_PLACEHOLDER,
  registerFilter,
  registerLookup,
  runLookup,
  Templar,
  UndefinedVariableError,
} from '../../src/template/index.js';

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

describe('native types (Ansible 2.14, non-native jinja2 + ansible_eval_concat)', () => {
  const t = new Templar({ n: 5, l: ['a', 'b'], d: { a: 1 }, s: '[1, 2]', b: true, z: null, f: 1.5 });
  it.each([
    ['{{ [1,2] }}', [1, 2]],
    ['{{ 5 }}', '5'],
    ['{{ n }}', 5],
    ['{{ b }}', true],
    ['{{ z }}', null],
    ['{{ f }}', 1.5],
    ["{{ 'a' }}", 'a'],
    ['{{ d }}', { a: 1 }],
    ['{{ l }}', ['a', 'b']],
    ['n{{ 1 }}', 'n1'],
    ["{{ '[1,2]' }}", [1, 2]],
    ['{{ s }}', [1, 2]],
    ['{{ n }}{{ n }}', '55'],
    ['{{ true }}', true],
    ["{{ 'False' }}", false],
    ['{{ none }}', ''],
    ['{{ 1.0 }}', '1.0'],
    ['{{ (1, 2) }}', '(1, 2)'],
    ["{{ {'x': [1.0, none]} }}", { x: [1, null] }],
    ['{{ d | to_json }}', '{"a": 1}'],
  ])('%s', (src, want) => {
    expect(t.template(src)).toStrictEqual(want);
  });

  it('renders Python reprs inside larger strings', () => {
    expect(t.template("x{{ [1, 'a', none, true, 1.0] }}")).toBe("x[1, 'a', None, True, 1.0]");
    expect(t.template('x{{ d }}')).toBe("x{'a': 1}");
    expect(t.template('{{ b }}!')).toBe('True!');
    expect(t.template('a{{ z }}b')).toBe('ab');
    expect(t.template("{{ \"it's\" ~ '' }}|{{ [\"it's\"] }}")).toBe('it\'s|["it\'s"]');
  });

  it('templates deeply and leaves other values alone', () => {
    const unsafe = new UnsafeText('{{ n }}');
    const value = { a: ['{{ n }}', { b: '{{ l }}' }], c: 3, u: unsafe, plain: 'x' };
    const out = t.template(value) as Record<string, unknown>;
    expect(out).toStrictEqual({ a: [5, { b: ['a', 'b'] }], c: 3, u: unsafe, plain: 'x' });
    const noTemplates = { a: [1, 'x'] };
    expect(t.template(noTemplates)).toBe(noTemplates);
  });

  it('keeps trailing newlines and applies trim_blocks', () => {
    expect(t.template('{% if b %}\nyes\n{% endif %}\n')).toBe('yes\n');
    expect(t.template('a {{ n }}\n\n')).toBe('a 5\n\n');
    expect(t.template('  {%- if b -%}  x  {%- endif %}')).toBe('x');
  });
});

describe('lazy, recursive variables', () => {
  it('templates a variable on access, deeply, once per Templar', () => {
    let calls = 0;
    registerFilter('test_count_calls', (_c, v) => {
      calls++;
      return v;
    });
    const vars = { base: '/opt', dir: '{{ base }}/app', conf: { path: '{{ dir }}/conf', list: ['{{ base }}'] }, c: '{{ 1 | test_count_calls }}' };
    const t = new Templar(vars);
    expect(t.template('{{ conf.path }}')).toBe('/opt/app/conf');
    expect(t.template('{{ conf }}')).toStrictEqual({ path: '/opt/app/conf', list: ['/opt'] });
    t.template('{{ c }} {{ c }}');
    t.template('{{ c }}');
    expect(calls).toBe(1);
    t.child({}).template('{{ c }}');
    expect(calls).toBe(2);
    expect(vars.dir).toBe('{{ base }}/app');
  });

  it('child layers override variables that templated values refer to', () => {
    const t = new Templar({ item: 'none', msg: 'item={{ item }}' });
    expect(t.template('{{ msg }}')).toBe('item=none');
    expect(t.child({ item: 'a' }).template('{{ msg }}')).toBe('item=a');
    expect(t.child({ item: 'a' }).child({ item: 'b' }).template('{{ msg }}')).toBe('item=b');
  });

  it('detects recursion instead of overflowing the stack', () => {
    const t = new Templar({ x: '{{ x }}', a: '{{ b }}', b: '{{ a }}' });
    expect(errorOf(() => t.template('{{ x }}')).message).toBe("recursive loop detected in template for variable 'x'");
    expect(errorOf(() => t.template('{{ a }}')).message).toMatch(/^recursive loop detected in template for variable '(a|b)'$/);
  });

  it('returns OPAQUE objects unchanged and reads through them', () => {
    const target = { web1: { ansible_host: '10.0.0.1' } };
    const hostvars = new Proxy(target, {
      get: (o, k) => (k === OPAQUE ? true : (o as Record<string | symbol, unknown>)[k]),
    });
    const t = new Templar({ hostvars });
    expect(t.template('{{ hostvars }}')).toBe(hostvars);
    expect(t.template("{{ hostvars['web1'].ansible_host }}")).toBe('10.0.0.1');
    expect(t.template('{{ hostvars.web1.ansible_host }}')).toBe('10.0.0.1');
    expect(t.template("{{ hostvars['nope'] is defined }}")).toBe(false);
  });

  it('never templates UnsafeText', () => {
    const t = new Templar({ u: new UnsafeText('{{ secret }}'), secret: 'x' });
    expect(t.template('{{ u }}')).toBe('{{ secret }}');
    expect(t.template(new UnsafeText('{{ secret }}'))).toBeInstanceOf(UnsafeText);
  });

  it('decrypts vault values with the given hook', () => {
    const v = new VaultText('$ANSIBLE_VAULT;1.1;AES256\n...', 'f.yml');
    expect(new Templar({ v }, { decryptVault: () => 'plain' }).template('{{ v }}!')).toBe('plain!');
    expect(errorOf(() => new Templar({ v }).template('{{ v }}')).message).toMatch(/vault/);
  });

  it('lookupVar reports definedness and the templated value', () => {
    const t = new Templar({ a: '{{ b }}', b: 2, c: '{{ nope }}', d: { e: ['{{ b }}'] } });
    expect(t.lookupVar('a')).toStrictEqual({ defined: true, value: 2 });
    expect(t.lookupVar('d.e[0]')).toStrictEqual({ defined: true, value: 2 });
    expect(t.lookupVar('d.zz')).toStrictEqual({ defined: false });
    expect(t.lookupVar('zz')).toStrictEqual({ defined: false });
    expect(t.lookupVar('c')).toStrictEqual({ defined: false });
  });
});

describe('undefined variables', () => {
  const t = new Templar({ d: { a: 1 }, l: [1], lazy: '{{ y }}', x1: { y: 1 } });
  it.each([
    ['{{ x }}', `undefined variable 'x' in "{{ x }}"`, "'x' is undefined"],
    ['{{ x.y }}', `undefined variable 'x' in "{{ x.y }}"`, "'x' is undefined"],
    ['{{ x + 1 }}', `undefined variable 'x' in "{{ x + 1 }}"`, "'x' is undefined"],
    ['{{ d.missing }}', `'dict object' has no attribute 'missing' in "{{ d.missing }}"`, "'dict object' has no attribute 'missing'"],
    ["{{ d['missing'] }}", `'dict object' has no attribute 'missing' in "{{ d['missing'] }}"`, "'dict object' has no attribute 'missing'"],
    ['{{ l[4] }}', 'list object has no element 4 in "{{ l[4] }}"', 'list object has no element 4'],
    ['{{ [x] }}', `undefined variable 'x' in "{{ [x] }}"`, "'x' is undefined"],
  ])('%s', (src, message, jinja) => {
    const e = errorOf(() => t.template(src));
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect(e.message).toBe(message);
    expect((e as UndefinedVariableError).undefinedMessage).toBe(jinja);
    expect((e as UndefinedVariableError).ansibleMessage).toBe(`${jinja}. ${jinja}`);
  });

  it('names the inner variable of a lazily templated one', () => {
    const e = errorOf(() => t.template('{{ lazy }}')) as UndefinedVariableError;
    expect(e.undefinedMessage).toBe("{{ y }}: 'y' is undefined. 'y' is undefined");
  });

  it.each([
    ['{{ x is defined }}', false],
    ['{{ x is undefined }}', true],
    ['{{ x.y is defined }}', false],
    ['{{ x1.y is defined }}', true],
    ['{{ x1.z is defined }}', false],
    ["{{ x | default('a') }}", 'a'],
    ["{{ x | d('b') }}", 'b'],
    ["{{ lazy | default('c') }}", 'c'],
    ["{{ '' | default('e', true) }}", 'e'],
    ["{{ '' | default('e') }}", ''],
    ["{{ x.y.z | default('deep') }}", 'deep'],
  ])('%s', (src, want) => {
    expect(t.template(src)).toBe(want);
  });

  it('omit is the placeholder', () => {
    expect(t.template('{{ x | default(omit) }}')).toBe(OMIT_PLACEHOLDER);
    expect(OMIT_PLACEHOLDER).toMatch(/^__omit_place_holder__[0-9a-f]{40}$/);
  });

  it('mandatory names the variable', () => {
    expect(errorOf(() => t.template('{{ x | mandatory }}')).message).toBe("Mandatory variable 'x'  not defined.");
    expect(errorOf(() => t.template("{{ x | mandatory('set x!') }}")).message).toBe('set x!');
  });
});

describe('expression() and evaluate()', () => {
  const t = new Templar({ n: 5, f: 'false', e: '', l: [], list2: [1, 2], res: { changed: true, rc: 0 }, flag: '{{ false }}' });
  it('evaluates bare expressions to native values', () => {
    expect(t.expression('n + 1')).toBe(6);
    expect(t.expression('[1.0, n / 2]')).toStrictEqual([1, 2.5]);
    expect(t.expression("{'a': n}")).toStrictEqual({ a: 5 });
    expect(t.expression('res is changed')).toBe(true);
    expect(errorOf(() => t.expression('nope')).message).toBe(`undefined variable 'nope' in "{{ nope }}"`);
    expect(errorOf(() => t.expression('n +')).message).toMatch(/^template error while templating string/);
  });

  it.each([
    [true, true],
    [false, false],
    ['n == 5', true],
    ['n > 5', false],
    ['f', true], // the string 'false' is truthy: Ansible templates `{% if f %}`
    ['flag', false], // '{{ false }}' becomes the boolean False
    ['e', false],
    ['l', false],
    ['list2', true],
    ['res.rc == 0 and res is changed', true],
    ['x is not defined', true],
    ['x.y is defined', false],
    ['{{ n == 5 }}', true],
  ] as const)('%s -> %s', (cond, want) => {
    expect(t.evaluate(cond)).toBe(want);
  });

  it('ANDs a list and stops at the first false', () => {
    expect(t.evaluate(['n == 5', true, 'list2'])).toBe(true);
    expect(t.evaluate(['n == 4', 'undefined_var'])).toBe(false);
  });

  it('wraps errors like Ansible', () => {
    expect(errorOf(() => t.evaluate('undefined_var')).message).toBe(
      "The conditional check 'undefined_var' failed. The error was: error while evaluating conditional (undefined_var): 'undefined_var' is undefined. 'undefined_var' is undefined",
    );
  });
});

describe('Jinja2 syntax and semantics', () => {
  const t = new Templar({ s: 'Hello World', d: { b: 2, a: 1 }, l: [3, 1, 2], users: [{ name: 'b', uid: 2 }, { name: 'a', uid: 1 }] });
  it.each([
    ['{{ True }} {{ False }} {{ None }}x', 'True False x'],
    ["{{ s.lower() }} {{ s.upper() }} {{ s.startswith('He') }} {{ s.endswith('x') }}", 'hello world HELLO WORLD True False'],
    ["{{ ' a '.strip() }}|{{ s.replace('l', 'L') }}|{{ '{0}-{1}'.format(1, 2) }}|{{ '-'.join(['a', 'b']) }}", 'a|HeLLo WorLd|1-2|a-b'],
    // Ansible escapes backslashes in string literals of {{ }}: '\n' stays two characters.
    ["{{ 'a\\nb'.splitlines() }}", ['a\\nb']],
    ["{% if 'a\\nb'.splitlines() | length == 2 %}split{% endif %}", 'split'],
    ['{{ l.index(1) }} {{ l.count(3) }}', '1 1'],
    ["{{ 'o' in s }} {{ 'z' not in s }} {{ 1 in l }}", 'True True True'],
    ["{{ 1 ~ 'a' ~ none }}", '1aNone'],
    ['{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ 3 / 2 }} {{ 4 / 2 }}', '3 -4 1 8 1.5 2.0'],
    ["{{ '%s-%d' % ('a', 3) }} {{ '%05.1f' % 3.14159 }} {{ '%(x)s' % {'x': 1} }}", 'a-3 003.1 1'],
    ['{{ l is not none }} {{ none is not none }}', 'True False'],
    ["{{ 'y' if l else 'n' }} {{ 'y' if [] else 'n' }}", 'y n'],
    ["{{ users | selectattr('uid', 'equalto', 1) | map(attribute='name') | first }}", 'a'],
    ["{{ users | sort(attribute='name', reverse=true) | map(attribute='uid') | list }}", [2, 1]],
    ["{{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }}", { a: { x: 1, y: 2 } }],
    ["{{ 'AbC' | regex_replace('b', 'x', ignorecase=true) }}", 'AxC'],
    ["{{ ['ab', 'cd'] | select('match', 'a') | list }}", ['ab']],
    ['{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}', 'b2a1'],
    ['{% for x in l %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{% endfor %}', '1TrueFalse32FalseFalse33FalseTrue3'],
    ['{% set x = 4 %}{% set y %}{{ x * 2 }}{% endset %}{{ x }}-{{ y }}', '4-8'],
    ['{{ s[1:3] }}|{{ s[-5:] }}|{{ s[::2] }}|{{ l[1:] }}|{{ l[-1] }}', 'el|World|HloWrd|[1, 2]|2'],
    ['{{ range(3) | list }} {{ range(5, 0, -2) | list }}', '[0, 1, 2] [5, 3, 1]'],
    ['{{ [] | length }} {% if [] %}t{% else %}f{% endif %}{% if {} %}t{% else %}f{% endif %}{% if "" %}t{% else %}f{% endif %}{% if 0.0 %}t{% else %}f{% endif %}', '0 ffff'],
    ['{{ 1 == 1.0 }} {{ "1" == 1 }} {{ [1, 2] == [1, 2] }} {{ {"a": 1} == {"a": 1} }}', 'True False True True'],
    ['{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 2.50 }} {{ 10 | float }} {{ 3.0 | int }}', '0.30000000000000004 1e+20 2.5 10.0 3'],
    ['{{ l | sort | first }}{{ l | max }}{{ l | min }}{{ l | sum }}', '1316'],
    ['{# c #}a{#- d -#} b', 'ab'],
    ['{% raw %}{{ x }}{% endraw %}', '{{ x }}'],
    ["{{ 'abc' | regex_search('(b)(c)', '\\2', '\\1') }}", ['c', 'b']],
    ["{{ 'abc' | regex_search('z') }}|", '|'],
    ["{{ 'abc' | hash('sha256') }}", 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['{{ 5 | random(seed=1) }} {{ 5 | random(seed=1) }}', '1 1'],
  ])('%s', (src, want) => {
    expect(t.template(src)).toStrictEqual(want);
  });

  it('reports syntax errors and unknown filters as TemplateError', () => {
    // str() of ansible's AnsibleTemplateSyntaxError (checked with ansible-core 2.14's Templar)
    expect(errorOf(() => t.template('{{ 1 + }}')).message).toBe("template error while templating string: unexpected 'end of print statement'. String: {{ 1 + }}. unexpected 'end of print statement'");
    expect(errorOf(() => t.template('{% if %}')).message).toMatch(/^template error while templating string/);
    expect(errorOf(() => t.template('{{ 1 | no_such_filter }}')).message).toBe(
      'template error while templating string: Could not load "no_such_filter": \'no_such_filter\'. String: {{ 1 | no_such_filter }}. Could not load "no_such_filter": \'no_such_filter\'',
    );
    expect(errorOf(() => t.template("{{ 'a' + 1 }}")).message).toMatch(/^Unexpected templating type error occurred on/);
    expect(errorOf(() => t.template('{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}')).message).toMatch(/^recursive loop detected in template string/);
  });

  it('accepts fully qualified filter and test names', () => {
    expect(t.template('{{ l | ansible.builtin.to_json }}')).toBe('[3, 1, 2]');
    expect(t.template("{{ '1.2' is ansible.builtin.version('1.1', '>') }}")).toBe(true);
  });
});

describe('renderText (template module)', () => {
  it('keeps text, does not escape backslashes and never converts the result', () => {
    const t = new Templar({ l: [1, 2], n: 3, name: 'web' });
    expect(t.renderText('{{ l }}')).toBe('[1, 2]');
    expect(t.renderText('{{ n }}')).toBe('3');
    expect(t.renderText("server {{ name }};\n{% for x in l %}\nport {{ x }}\n{% endfor %}\n")).toBe('server web;\nport 1\nport 2\n');
    expect(t.renderText("{{ 'a\\tb' }}")).toBe('a\tb');
    expect(t.renderText('no templates\n')).toBe('no templates\n');
  });
});

describe('lookups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-tpl-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello {{ not_templated }}\n\n');
  const t = new Templar({ n: 1, name: 'hello.txt' }, { searchPaths: [dir] });

  it('env, file, vars, items, list, dict, indexed_items', () => {
    process.env.TSBOOK_TPL_TEST = 'v1';
    expect(t.template("{{ lookup('env', 'TSBOOK_TPL_TEST') }}")).toBe('v1');
    expect(t.template("{{ lookup('env', 'TSBOOK_TPL_UNSET_VAR') }}")).toBe('');
    expect(t.template("{{ lookup('file', name) }}")).toBe('hello {{ not_templated }}');
    expect(t.template(`{{ lookup('file', '${join(dir, 'hello.txt')}') | length }}`)).toBe('25');
    expect(t.template("{{ lookup('vars', 'n') + 1 }}")).toBe('2');
    expect(t.template("{{ query('items', [1, [2]], 3) }}")).toStrictEqual([1, [2], 3]);
    expect(t.template("{{ q('dict', {'a': 1}) }}")).toStrictEqual([{ key: 'a', value: 1 }]);
    expect(t.template("{{ lookup('indexed_items', ['x', 'y'], wantlist=true) }}")).toStrictEqual([[0, 'x'], [1, 'y']]);
    expect(runLookup('list', [[1, 2], 3], {}, { resolveVar: () => undefined, searchPaths: [] })).toStrictEqual([[1, 2], 3]);
  });

  it('fails clearly and honours errors=ignore', () => {
    expect(errorOf(() => t.template("{{ lookup('file', 'nope.txt') }}")).message).toBe(
      "An unhandled exception occurred while running the lookup plugin 'file'. Error was a <class 'ansible.errors.AnsibleError'>, original message: could not locate file in lookup: nope.txt. could not locate file in lookup: nope.txt",
    );
    const undef = errorOf(() => t.template("{{ lookup('vars', 'zz') }}"));
    expect(undef).toBeInstanceOf(UndefinedVariableError);
    expect((undef as UndefinedVariableError).undefinedMessage).toBe('No variable found with this name: zz');
    expect(errorOf(() => t.template("{{ lookup('nope', 1) }}")).message).toBe('lookup plugin (nope) not found');
    expect(t.template("{{ lookup('file', 'nope.txt', errors='ignore') }}")).toBe('');
  });

  it('is extensible', () => {
    registerLookup('test_upper', (terms) => terms.map((x) => String(x).toUpperCase()));
    expect(t.template("{{ lookup('test_upper', 'a', 'b') }}")).toBe('A,B');
    expect(t.template("{{ query('test_upper', 'a') }}")).toStrictEqual(['A']);
  });
});

describe('containsTemplate', () => {
  it.each([
    ['{{ x }}', true],
    ['{% if %}', true],
    ['{# c #}', true],
    ['plain', false],
    [['a', { b: ['{{ c }}'] }], true],
    [{ a: 1, b: ['x'] }, false],
    [new UnsafeText('{{ x }}'), false],
    [5, false],
  ])('%j -> %s', (value, want) => {
    expect(containsTemplate(value)).toBe(want);
  });
});

describe('scale', () => {
  it('templates 1,000 tasks for 100 hosts (compiled templates are cached)', () => {
    let done = 0;
    for (let h = 0; h < 100; h++) {
      const t = new Templar({ inventory_hostname: `h${h}`, app: `app${h}`, dir: '/opt/{{ app }}', conf: { user: '{{ app }}' } });
      for (let i = 0; i < 1000; i++) {
        const c = t.child({ item: i });
        if (c.evaluate('item is defined')) {
          const out = c.template({ path: '{{ dir }}/f{{ item }}', owner: '{{ conf.user }}', mode: '0644' }) as Record<string, string>;
          if (out.path === `/opt/app${h}/f${i}` && out.owner === `app${h}`) done++;
        }
      }
    }
    expect(done).toBe(100000);
  });
});
