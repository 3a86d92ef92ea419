/**
 * Templates cannot reach the controller's process, environment or filesystem except through the
 * documented lookups: Python escape hatches (`__class__`, `__globals__`, `self`) and JavaScript ones
 * (`constructor`, `__proto__`) give an error or an inert value, never a JS object or function.
 * Recursive and very deep variables fail with a clear TemplateError.
 */
import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/model/errors.js';
import { Templar } from '../../src/template/index.js';

const VARS = { x: 1, s: 'text', d: { a: 1 }, l: [1, 2] };

/** The result of templating `expr`: an error message or the value (which must be plain data). */
function render(expr: string, vars: Record<string, unknown> = VARS): { error?: string; value?: unknown } {
  try {
    return { value: new Templar(vars).template(expr) };
  } catch (e) {
    expect(e, expr).toBeInstanceOf(TemplateError);
    return { error: (e as Error).message };
  }
}

/** Plain data only: strings, numbers, booleans, null, arrays and objects with Object.prototype. */
function isInert(v: unknown, depth = 0): boolean {
  if (depth > 50) return false;
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every((x) => isInert(x, depth + 1));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(v as object).every((x) => isInert(x, depth + 1));
  }
  return false;
}

const HOSTILE = [
  "{{ ''.__class__ }}",
  "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  '{{ self }}',
  '{{ self.__init__.__globals__ }}',
  '{{ cycler.__init__.__globals__ }}',
  '{{ cycler.__init__.__globals__.os.popen("id").read() }}',
  '{{ joiner.__init__.__globals__ }}',
  '{{ namespace.__init__.__globals__ }}',
  '{{ lipsum.__globals__ }}',
  "{{ lipsum.__globals__['os'].popen('id').read() }}",
  '{{ range.__class__ }}',
  '{{ range.constructor }}',
  "{{ ''.constructor.constructor('return process')() }}",
  "{{ ''['constructor']['constructor']('return process')() }}",
  "{{ x.constructor.constructor('return process.env')() }}",
  '{{ x.__proto__ }}',
  "{{ {}['constructor'] }}",
  '{{ {}.constructor }}',
  '{{ [].constructor }}',
  "{{ l['constructor'] }}",
  '{{ d.__proto__ }}',
  "{{ d['__proto__'] }}",
  '{{ d.toString }}',
  '{{ d.hasOwnProperty("a") }}',
  '{{ d.valueOf() }}',
  '{{ s.constructor }}',
  '{{ s.upper.constructor }}',
  "{{ s.upper.constructor('return process')() }}",
  "{{ s.format.__globals__ }}",
  "{{ d | attr('constructor') }}",
  "{{ '' | attr('__class__') }}",
  "{{ [d] | map(attribute='constructor') | list }}",
  "{{ [d] | map(attribute='__proto__') | list }}",
  "{{ [d] | selectattr('constructor') | list }}",
  "{{ [d] | sum(attribute='constructor') }}",
  "{{ 'constructor' | extract(d) }}",
  "{{ [{'a': 1}] | items2dict(key_name='a', value_name='constructor') }}",
  '{% set y = d.__proto__ %}{{ y }}',
  '{{ process }}',
  '{{ globalThis }}',
  '{{ require }}',
  '{{ module }}',
  '{{ config }}',
  '{{ request }}',
  '{{ this }}',
  '{{ __import__ }}',
  "{{ __import__('os') }}",
  '{{ eval }}',
  '{{ Function }}',
  '{{ Object }}',
  '{{ import }}',
  '{{ range(10) | map("constructor") | list }}',
  '{{ x | constructor }}',
  '{{ s | toString }}',
  '{{ d | hasOwnProperty }}',
  "{{ s | __defineGetter__('a') }}",
  '{{ x is constructor }}',
  '{{ d is hasOwnProperty }}',
  "{{ lookup('constructor', 'x') }}",
  "{{ query('toString') }}",
  "{{ s | ansible.builtin.constructor }}",
  '{{ constructor }}',
  '{{ toString }}',
  '{{ __proto__ }}',
  '{{ hasOwnProperty }}',
  '{{ vars.constructor }}',
  "{{ vars['__proto__'] }}",
  '{{ hostvars.constructor }}',
  "{{ hostvars['constructor'] }}",
  '{% for i in l %}{{ loop.constructor }}{% endfor %}',
  '{% for i in l %}{{ loop.cycle.constructor }}{% endfor %}',
  '{% macro m() %}{% endmacro %}{{ m.constructor }}',
  '{{ omit.constructor }}',
];

describe('template sandbox', () => {
  it.each(HOSTILE)('%s errors or gives inert data', (expr) => {
    const r = render(expr);
    if (r.error === undefined) expect(isInert(r.value), `${expr} gave ${String(r.value)}`).toBe(true);
    const text = r.error ?? JSON.stringify(r.value);
    expect(text).not.toMatch(/uid=\d+|\[native code\]|PATH=\/|HOME=\/|function \w*\(/);
  });

  it('callable globals are shown as Python shows functions, not as JS source', () => {
    expect(render('{{ range }}').value).toBe('<function range>');
    expect(render('{{ cycler }}').value).toBe('<function cycler>');
    expect(render('{% set ns = namespace(a=1) %}{{ ns }}').value).toBe("<Namespace {'a': 1}>");
  });

  it('a `__proto__` key is an ordinary key, never a prototype, and nothing global is polluted', () => {
    expect(render("{{ {'__proto__': 1} }}").value).toEqual(JSON.parse('{"__proto__": 1}'));
    expect(render("{{ {'__proto__': {'a': 1}} | to_json }}").value).toBe('{"__proto__": {"a": 1}}');
    expect(render("{{ {'__proto__': {'a': 1}}.a }}").error).toContain("has no attribute 'a'");
    for (const expr of [
      "{{ d | combine({'__proto__': {'polluted': 1}}) }}",
      "{{ d | combine({'__proto__': {'polluted': 1}}, recursive=true) }}",
      "{{ [{'key': '__proto__', 'value': {'polluted': 1}}] | items2dict }}",
      "{{ [['__proto__', {'polluted': 1}]] | community.general.dict }}",
      "{{ dict([['__proto__', {'polluted': 1}]]) }}",
      "{{ dict(__proto__={'polluted': 1}) }}",
      "{{ '{\"__proto__\": {\"polluted\": 1}}' | from_json }}",
      "{{ '__proto__: {polluted: 1}' | from_yaml }}",
    ]) {
      const r = render(expr);
      expect(r.error, expr).toBeUndefined();
      expect(isInert(r.value), expr).toBe(true);
      expect(Object.keys(r.value as object), expr).toContain('__proto__');
      expect((r.value as Record<string, unknown>)['polluted'], expr).toBeUndefined();
    }
    expect(render("{% set ns = namespace() %}{% set ns.__proto__ = 5 %}{{ ns }}").value).toBe("<Namespace {'__proto__': 5}>");
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('`in` and .get() see only own keys', () => {
    expect(render("{{ 'constructor' in {} }}").value).toBe(false);
    expect(render("{{ 'toString' in d }}").value).toBe(false);
    expect(render("{{ d.get('constructor', 'none') }}").value).toBe('none');
  });
});

describe('recursive and deep variables', () => {
  it('a: "{{ b }}", b: "{{ a }}" is a recursive loop error', () => {
    expect(render('{{ a }}', { a: '{{ b }}', b: '{{ a }}' }).error).toBe("recursive loop detected in template for variable 'a'");
    expect(render('{{ a }}', { a: '{{ a }}' }).error).toBe("recursive loop detected in template for variable 'a'");
    expect(render('{{ a }}', { a: ['{{ b }}'], b: { c: '{{ a[0] }}' } }).error).toContain('recursive loop detected');
  });

  it('a 10,000-deep nested list or dict fails with a clear error, not a stack overflow', () => {
    let list: unknown = ['{{ x }}'];
    let dict: unknown = { leaf: '{{ x }}' };
    for (let i = 0; i < 10_000; i++) {
      list = [list];
      dict = { a: dict };
    }
    for (const [name, value] of [['list', list], ['dict', dict]] as const) {
      for (const expr of ['{{ deep }}', '{{ deep | to_json }}', '{{ deep | length }}']) {
        const r = render(expr, { x: 1, deep: value });
        expect(r.error, `${name} ${expr}`).toMatch(/^recursive loop detected in template string: /);
      }
    }
  });
});
