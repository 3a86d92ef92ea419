import type { Module } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf } from './util/file-args.js';
import { statPath } from './util/fs-probe.js';

export interface SlurpArgs {
  readonly src?: string;
  readonly path?: string;
}

export const slurpModule: Module<SlurpArgs> = {
  name: 'slurp',
  description: 'Read a file from the host; its content is returned base64-encoded (read-only).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      src: { type: 'string', description: 'The file on the host to fetch (alias: path). Must be a file, not a directory.' },
      path: { type: 'string', description: 'Alias of src.' },
    },
    anyOf: [{ required: ['src'] }, { required: ['path'] }],
  },
  async run(args, ctx) {
    const source = firstOf(args.src, args.path);
    if (source === undefined) throw new ModuleFailure('missing required arguments: src');
    const st = await statPath(ctx, source, true);
    if (!st) throw new ModuleFailure(`file not found: ${source}`);
    if (st.type === 'directory') throw new ModuleFailure(`source is a directory and must be a file: ${source}`);
    let data: Buffer;
    try {
      data = await ctx.get(source);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/EACCES|ermission denied/.test(message)) throw new ModuleFailure(`file is not readable: ${source}`);
      throw new ModuleFailure(`Unable to slurp file: ${message}`);
    }
    return { changed: false, values: { content: data.toString('base64'), source, encoding: 'base64' } };
  },
};
