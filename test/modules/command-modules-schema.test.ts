import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { allActionNames, canonicalModuleName, findModule } from '../../src/modules/registry.js';

const NAMES = ['command', 'shell', 'raw', 'script', 'debug', 'set_fact', 'assert', 'fail', 'ping', 'setup', 'pause', 'wait_for', 'include_vars', 'add_host', 'group_by', 'set_stats'];

describe('command & controller module declarations', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });

  it.each(NAMES)('%s is registered with a compilable, documented schema', (name) => {
    const module = findModule(`ansible.builtin.${name}`);
    expect(module?.name).toBe(name);
    const schema = module!.args as { properties?: Record<string, { description?: string }>; additionalProperties?: boolean };
    expect(() => ajv.compile(schema)).not.toThrow();
    for (const [prop, spec] of Object.entries(schema.properties ?? {})) expect({ prop, described: Boolean(spec.description) }).toEqual({ prop, described: true });
    if (module!.freeForm) expect(Object.keys(schema.properties ?? {})).toContain(module!.freeForm.arg);
  });

  it('validates typical arguments and rejects unknown ones', () => {
    const check = (name: string, args: unknown) => ajv.compile(findModule(name)!.args)(args);
    expect(check('command', { cmd: 'echo hi', chdir: '/tmp', creates: '/x' })).toBe(true);
    expect(check('command', { cmd: 'echo hi', bogus: 1 })).toBe(false);
    expect(check('wait_for', { port: 22, state: 'drained' })).toBe(false);
    expect(check('set_fact', { anything: [1], cacheable: true })).toBe(true);
    expect(check('add_host', { name: 'h', groups: 'a,b', ansible_host: '10.0.0.1' })).toBe(true);
    expect(check('assert', { that: ['a', 'b'], quiet: true })).toBe(true);
    expect(check('assert', { fail_msg: 'x' })).toBe(false);
  });

  it('resolves gather_facts, also with a collection prefix, to setup', () => {
    expect(canonicalModuleName('gather_facts')).toBe('setup');
    expect(canonicalModuleName('ansible.builtin.gather_facts')).toBe('setup');
    expect(canonicalModuleName('ansible.builtin.command')).toBe('command');
    expect(allActionNames()).toContain('ansible.builtin.gather_facts');
  });
});
