import type { Module, ModuleResult } from './types.js';

export const groupByModule: Module = {
  name: 'group_by',
  description: 'Adds the current host to a group named from a variable (e.g. `os_{{ ansible_distribution }}`), creating it if needed.',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['key'],
    properties: {
      key: { type: 'string', description: 'The group name (spaces become dashes).' },
      parents: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        default: ['all'],
        description: 'Parent group(s) of the new group.',
      },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args): Promise<ModuleResult> {
    if (args['key'] === undefined || args['key'] === null) {
      const msg = "the 'key' param is required when using group_by";
      return { changed: false, failed: true, msg, values: { msg } };
    }
    const key = String(args['key']);
    const parentsArg = args['parents'] ?? ['all'];
    const parents = Array.isArray(parentsArg) ? parentsArg.map(String) : [String(parentsArg)];
    // As for add_host, the engine sets `changed` when the host was newly added to the group.
    return { changed: false, values: { add_group: key.replace(/ /g, '-'), parent_groups: parents.map((p) => p.replace(/ /g, '-')) } };
  },
};
