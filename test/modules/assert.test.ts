import { describe, expect, it } from 'vitest';
import { assertModule } from '../../src/modules/assert.js';
import { createModuleContext } from '../support/module-context.js';

const ctx = createModuleContext({ vars: { who: 'world' } });

describe('assert', () => {
  it('passes when every expression is true', async () => {
    expect(await assertModule.run({ that: ['1 == 1', "who == 'world'"] }, ctx)).toEqual({
      changed: false,
      msg: 'All assertions passed',
      values: { msg: 'All assertions passed' },
    });
    expect((await assertModule.run({ that: true, success_msg: 'yes ok', quiet: true }, ctx)).values).toEqual({ msg: 'yes ok' });
  });

  it('reports the first failing assertion', async () => {
    const result = await assertModule.run({ that: ['1 == 1', '2 == 3', '4 == 5'], fail_msg: 'bad one' }, ctx);
    expect(result).toEqual({ changed: false, failed: true, msg: 'bad one', values: { evaluated_to: false, assertion: '2 == 3', msg: 'bad one' } });
    const dflt = await assertModule.run({ that: '1 == 2' }, ctx);
    expect(dflt.values).toEqual({ evaluated_to: false, assertion: '1 == 2', msg: 'Assertion failed' });
    expect((await assertModule.run({ that: 'who is not defined', msg: ['a', 'b'] }, ctx)).values!['msg']).toEqual(['a', 'b']);
  });

  it('validates its arguments like Ansible', async () => {
    await expect(assertModule.run({}, ctx)).rejects.toThrow('conditional required in "that" string');
    await expect(assertModule.run({ that: 'true', fail_msg: 3 }, ctx)).rejects.toThrow(
      "Incorrect type for fail_msg or msg, expected a string or list and got <class 'int'>",
    );
  });
});
