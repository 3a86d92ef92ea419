import { describe, expect, it } from 'vitest';
import { parseYaml, toValue } from '../../src/load/yaml.js';
import { LoadError } from '../../src/model/errors.js';
import { UnsafeText, VaultText } from '../../src/model/values.js';

const load = (text: string) => {
  const file = parseYaml('t.yml', text);
  return toValue(file, file.doc.contents as never);
};

describe('YAML as PyYAML (YAML 1.1) reads it', () => {
  it('keeps y/n as strings but reads yes/no/on/off as booleans', () => {
    expect(load('[y, n, Y, N, yes, No, ON, off, true, False]')).toEqual(['y', 'n', 'Y', 'N', true, false, true, false, true, false]);
  });

  it('reads octal and sexagesimal ints, and exponent floats only with a dot and a signed exponent', () => {
    expect(load('[0644, 1:20, 0x1f, 1e3, 1.0e3, 1.0e+3, 1.5]')).toEqual([420, 80, 31, '1e3', '1.0e3', 1000, 1.5]);
  });

  it('keeps !unsafe and !vault values as their classes', () => {
    const v = load('a: !unsafe "{{ x }}"\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n') as Record<string, unknown>;
    expect(v.a).toBeInstanceOf(UnsafeText);
    expect(v.b).toBeInstanceOf(VaultText);
  });

  it('reports duplicate keys with their position', () => {
    try {
      parseYaml('d.yml', 'a: 1\nb: 2\na: 3\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LoadError);
      const e = err as LoadError;
      expect(e.source).toEqual({ file: 'd.yml', line: 3, col: 1 });
      expect(e.message).toMatch(/^duplicate key/);
      expect(e.frame).toContain('> 3 | a: 3');
    }
  });
});
