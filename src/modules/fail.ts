import type { Module, ModuleResult } from './types.js';

export const DEFAULT_FAIL_MSG = 'Failed as requested from task';

export const failModule: Module = {
  name: 'fail',
  description: 'Fails the task with a message (usually combined with `when:`).',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      msg: { description: `The failure message; defaults to "${DEFAULT_FAIL_MSG}".` },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args): Promise<ModuleResult> {
    const msg = args['msg'] ?? DEFAULT_FAIL_MSG;
    return { changed: false, failed: true, msg: typeof msg === 'string' ? msg : JSON.stringify(msg), values: { msg } };
  },
};
