import type { Module, ModuleResult } from './types.js';
import { argString } from './util/args.js';

/** The probe ping runs: it proves a command can be run on the host. */
export const PING_PROBE = 'echo pong';

export const pingModule: Module = {
  name: 'ping',
  description: 'Checks that the host can be reached and can run commands; returns `pong`.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      data: { type: 'string', default: 'pong', description: 'The value returned in `ping`. The value `crash` makes the module fail, for testing.' },
    },
  },
  checkMode: 'full',
  async run(args, ctx): Promise<ModuleResult> {
    const data = argString(args, 'data') ?? 'pong';
    const res = await ctx.probe(PING_PROBE);
    if (res.rc !== 0) {
      const msg = `MODULE FAILURE\nSee stdout/stderr for the exact error`;
      return { changed: false, failed: true, msg, values: { msg, rc: res.rc, module_stdout: res.stdout, module_stderr: res.stderr } };
    }
    if (data === 'crash') {
      const msg = 'MODULE FAILURE\nSee stdout/stderr for the exact error';
      return { changed: false, failed: true, msg, values: { msg, rc: 1, module_stdout: '', module_stderr: 'Exception: boom\n' } };
    }
    return { changed: false, values: { ping: data } };
  },
};
