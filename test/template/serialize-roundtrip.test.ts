import { describe, expect, it } from 'vitest';
import { Templar } from '../../src/template/index.js';

describe('from_yaml reads YAML like PyYAML (SafeLoader)', () => {
  const t = new Templar({ data: { name: 'x', list: [1, 2], nested: { t: true, n: null, y: 'y' } } });

  it('keeps y/n keys and values as strings', () => {
    expect(t.template("{{ 'n: 1\ny: n\nyes: on\n' | from_yaml }}")).toStrictEqual({ n: 1, y: 'n', true: true });
  });

  it('round-trips to_yaml | from_yaml', () => {
    expect(t.template('{{ (data | to_yaml | from_yaml) == data }}')).toBe(true);
    expect(t.template('{{ (data | to_nice_yaml | from_yaml) == data }}')).toBe(true);
  });

  it('from_yaml_all uses the same booleans and merge keys', () => {
    expect(t.template("{{ 'a: n\n---\nb: &x {c: 1}\nd:\n  <<: *x\n' | from_yaml_all | list }}")).toStrictEqual([{ a: 'n' }, { b: { c: 1 }, d: { c: 1 } }]);
  });
});
