import { describe, expect, it } from 'vitest';
import { setFactModule } from '../../src/modules/set_fact.js';
import { createModuleContext } from '../support/module-context.js';

describe('set_fact', () => {
  it('returns the facts with native types, converting boolean-like strings', async () => {
    const result = await setFactModule.run({ a: 1, b: [1, 2], c: 'world', d: 'yes', e: 'False' }, createModuleContext());
    const facts = { a: 1, b: [1, 2], c: 'world', d: true, e: false };
    expect(result).toEqual({ changed: false, facts, factsCacheable: false, values: { ansible_facts: facts } });
  });

  it('takes cacheable out of the facts', async () => {
    const result = await setFactModule.run({ d: 1, cacheable: 'yes' }, createModuleContext());
    expect(result.facts).toEqual({ d: 1 });
    expect(result.factsCacheable).toBe(true);
  });

  it('rejects invalid names and empty input', async () => {
    await expect(setFactModule.run({ '1x': 1 }, createModuleContext())).rejects.toThrow("The variable name '1x' is not valid.");
    await expect(setFactModule.run({ cacheable: true }, createModuleContext())).rejects.toThrow('No key/value pairs provided');
  });
});
