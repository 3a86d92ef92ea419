import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool } from './util/args.js';

function isMessage(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function pyTypeName(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  if (typeof value === 'boolean') return "<class 'bool'>";
  if (Array.isArray(value)) return "<class 'list'>";
  return "<class 'dict'>";
}

export const assertModule: Module = {
  name: 'assert',
  description: 'Checks that expressions are true; fails the task at the first one that is not.',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['that'],
    properties: {
      that: {
        anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }],
        description: 'A Jinja2 expression (as in `when:`, without braces) or a list of them; all must be true.',
      },
      fail_msg: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'The message when an assertion fails; defaults to "Assertion failed".',
      },
      msg: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'Alias of `fail_msg`.',
      },
      success_msg: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'The message when all assertions pass; defaults to "All assertions passed".',
      },
      quiet: { type: 'boolean', default: false, description: 'Do not show the result unless it fails.' },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args, ctx): Promise<ModuleResult> {
    if (args['that'] === undefined || args['that'] === null) throw new ModuleFailure('conditional required in "that" string');
    const failMsg = args['fail_msg'] ?? args['msg'] ?? 'Assertion failed';
    if (!isMessage(failMsg)) throw new ModuleFailure(`Incorrect type for fail_msg or msg, expected a string or list and got ${pyTypeName(failMsg)}`);
    const successMsg = args['success_msg'] ?? 'All assertions passed';
    if (!isMessage(successMsg)) throw new ModuleFailure(`Incorrect type for success_msg, expected a string or list and got ${pyTypeName(successMsg)}`);
    argBool(args, 'quiet', false);

    const thats = Array.isArray(args['that']) ? (args['that'] as unknown[]) : [args['that']];
    for (const that of thats) {
      const expression = typeof that === 'boolean' ? that : String(that);
      if (!ctx.evaluate(expression)) {
        return {
          changed: false,
          failed: true,
          msg: typeof failMsg === 'string' ? failMsg : undefined,
          values: { evaluated_to: false, assertion: that, msg: failMsg },
        };
      }
    }
    return { changed: false, msg: typeof successMsg === 'string' ? successMsg : undefined, values: { msg: successMsg } };
  },
};
