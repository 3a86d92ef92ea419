import type { Module, ModuleResult } from './types.js';
import { argString } from './util/args.js';
import { outputValues, truncationNotes } from './util/lines.js';
import { shellQuote } from './util/quote.js';

/** The line raw runs: the text as-is, or `<executable> -c '<text>'`. */
export function rawCommandLine(text: string, executable: string | undefined): string {
  return executable ? `exec ${shellQuote(executable)} -c ${shellQuote(text)}` : text;
}

export const rawModule: Module = {
  name: 'raw',
  description: 'Runs a command line over the connection as-is, with no module machinery; stdout and stderr are returned unmodified.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      _raw_params: { type: 'string', description: 'The command line to run (given free form: `raw: cmd args`).' },
      executable: { type: 'string', description: 'Absolute path of the shell that runs the command (`<executable> -c <command>`); by default the connection\'s /bin/sh.' },
    },
  },
  freeForm: { arg: '_raw_params', required: true },
  checkMode: 'full',
  async run(args, ctx): Promise<ModuleResult> {
    // Ansible's raw action always skips in check mode, without a message.
    if (ctx.check) return { changed: false, skipped: true, values: {} };
    const text = argString(args, '_raw_params', 'cmd') ?? '';
    const res = await ctx.run(rawCommandLine(text, argString(args, 'executable')), { signal: ctx.signal });
    const cut = truncationNotes(res.truncated);
    const notes = [...(Object.keys(ctx.env).length > 0 ? ['raw module does not support the environment keyword'] : []), ...cut.warnings];
    const warnings = notes.length > 0 ? notes : undefined;
    const values: Record<string, unknown> = { rc: res.rc, ...outputValues(res.stdout, res.stderr), ...cut.values };
    if (res.rc !== 0) {
      return { changed: true, failed: true, msg: 'non-zero return code', values: { ...values, msg: 'non-zero return code' }, warnings };
    }
    return { changed: true, values, warnings };
  },
};
