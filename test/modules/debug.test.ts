import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/model/errors.js';
import { debugModule } from '../../src/modules/debug.js';
import { ModuleFailure } from '../../src/modules/types.js';
import { createModuleContext } from '../support/module-context.js';

const vars = { who: 'world', nested: { a: { b: 3 } } };

describe('debug', () => {
  it('says Hello world! by default', async () => {
    expect(await debugModule.run({}, createModuleContext())).toEqual({ changed: false, msg: 'Hello world!', values: { msg: 'Hello world!' } });
  });

  it('returns msg of any type', async () => {
    expect((await debugModule.run({ msg: [1, 2] }, createModuleContext())).values).toEqual({ msg: [1, 2] });
  });

  it('keys var results by the expression', async () => {
    const ctx = createModuleContext({ vars });
    expect((await debugModule.run({ var: 'who' }, ctx)).values).toEqual({ who: 'world' });
    expect((await debugModule.run({ var: 'nested.a' }, ctx)).values).toEqual({ 'nested.a': { b: 3 } });
    expect((await debugModule.run({ var: 'undefined_thing' }, ctx)).values).toEqual({ undefined_thing: 'VARIABLE IS NOT DEFINED!' });
  });

  it('templates expressions and maps undefined errors to the Ansible text', async () => {
    const template = (value: unknown): unknown => {
      if (value === "{{ who ~ '!' }}") return 'world!';
      throw new TemplateError("'nope' is undefined");
    };
    const ctx = createModuleContext({ vars, template, verbosity: 1 });
    expect((await debugModule.run({ var: "who ~ '!'" }, ctx)).values).toEqual({ "who ~ '!'": 'world!' });
    expect((await debugModule.run({ var: 'nope | default(x)' }, ctx)).values).toEqual({
      'nope | default(x)': "VARIABLE IS NOT DEFINED!: 'nope' is undefined. 'nope' is undefined",
    });
    expect((await debugModule.run({ var: 'undefined_thing.x' }, ctx)).values).toEqual({
      'undefined_thing.x': "VARIABLE IS NOT DEFINED!: 'undefined_thing' is undefined. 'undefined_thing' is undefined",
    });
    expect((await debugModule.run({ var: 'nested.a.c' }, ctx)).values).toEqual({
      'nested.a.c': "VARIABLE IS NOT DEFINED!: 'dict object' has no attribute 'c'. 'dict object' has no attribute 'c'",
    });
  });

  it('skips below the verbosity threshold', async () => {
    const result = await debugModule.run({ msg: 'x', verbosity: 2 }, createModuleContext({ verbosity: 1 }));
    expect(result).toEqual({ changed: false, skipped: true, values: { skipped_reason: 'Verbosity threshold not met.' } });
    expect((await debugModule.run({ msg: 'x', verbosity: '2' }, createModuleContext({ verbosity: 2 }))).values).toEqual({ msg: 'x' });
  });

  it('rejects msg with var', async () => {
    await expect(debugModule.run({ msg: 'a', var: 'b' }, createModuleContext())).rejects.toThrow(new ModuleFailure("'msg' and 'var' are incompatible options"));
  });

  it('is controller-only', () => {
    expect(debugModule.controllerOnly).toBe(true);
  });
});
