import { describe, expect, it } from 'vitest';
import { failModule } from '../../src/modules/fail.js';
import { createModuleContext } from '../support/module-context.js';

describe('fail', () => {
  it('fails with the default or given message', async () => {
    expect(await failModule.run({}, createModuleContext())).toEqual({
      changed: false,
      failed: true,
      msg: 'Failed as requested from task',
      values: { msg: 'Failed as requested from task' },
    });
    expect((await failModule.run({ msg: 'custom' }, createModuleContext())).msg).toBe('custom');
  });
});
