import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool, invalidVariableName, isIdentifier } from './util/args.js';

/** What set_fact stores for a value: 'yes'/'no'/'true'/'false' strings become booleans (Ansible without jinja2_native). */
export function setFactValue(value: unknown): unknown {
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no') return false;
  }
  return value;
}

export const setFactModule: Module = {
  name: 'set_fact',
  description: 'Sets host variables (facts) from key/value pairs; they persist for the rest of the run at set_fact precedence.',
  args: {
    type: 'object',
    additionalProperties: true,
    properties: {
      cacheable: {
        type: 'boolean',
        default: false,
        description: 'Also store the facts in the fact cache (they are then visible as ansible_facts too).',
      },
    },
    minProperties: 1,
    description: 'Each key is a variable name (letters, digits, underscore; not starting with a digit) and its value (any type).',
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args): Promise<ModuleResult> {
    const cacheable = argBool(args, 'cacheable', false);
    const facts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(args)) {
      if (key === 'cacheable') continue;
      if (!isIdentifier(key)) throw new ModuleFailure(invalidVariableName(key));
      facts[key] = setFactValue(value);
    }
    if (Object.keys(facts).length === 0) throw new ModuleFailure('No key/value pairs provided, at least one is required for this action to succeed');
    return { changed: false, facts, factsCacheable: cacheable, values: { ansible_facts: facts } };
  },
};
