import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argString } from './util/args.js';
import { pathInfo } from './util/fs-probe.js';
import { shellQuote } from './util/quote.js';

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';

/** A name like Python's tempfile would pick, for error messages only (mktemp picks the real one). */
function sampleName(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** Python's OSError text for mktemp's failure reasons. */
function osError(stderr: string, path: string): string {
  if (/No such file or directory/.test(stderr)) return `[Errno 2] No such file or directory: '${path}'`;
  if (/Permission denied/.test(stderr)) return `[Errno 13] Permission denied: '${path}'`;
  if (/Not a directory/.test(stderr)) return `[Errno 20] Not a directory: '${path}'`;
  return stderr.trim() || 'mktemp failed';
}

export const tempfileModule: Module = {
  name: 'tempfile',
  description: 'Creates a uniquely named temporary file or directory on the host (mode 0600/0700) and returns its path.',
  checkMode: 'skip',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      state: { type: 'string', enum: ['file', 'directory'], default: 'file', description: 'Create a file or a directory.' },
      path: { type: 'string', description: "Directory to create it in (default: the host's TMPDIR, else /tmp)." },
      prefix: { type: 'string', default: 'ansible.', description: 'Start of the name.' },
      suffix: { type: 'string', default: '', description: 'End of the name.' },
    },
  },
  async run(args, ctx): Promise<ModuleResult> {
    const state = argString(args, 'state') ?? 'file';
    if (state !== 'file' && state !== 'directory') {
      throw new ModuleFailure(`value of state must be one of: file, directory, got: ${state}`);
    }
    const prefix = argString(args, 'prefix') ?? 'ansible.';
    const suffix = argString(args, 'suffix') ?? '';
    const dir = argString(args, 'path');
    const dirWord = dir === undefined ? '"${TMPDIR:-/tmp}"' : shellQuote(dir);
    const flags = `${state === 'directory' ? '-d ' : ''}${suffix !== '' ? `--suffix=${shellQuote(suffix)} ` : ''}`;
    const r = await ctx.run(`mktemp ${flags}-p ${dirWord} ${shellQuote(`${prefix}XXXXXXXX`)}`);
    if (r.rc !== 0) {
      const base = (dir ?? '/tmp').replace(/\/+$/, '');
      throw new ModuleFailure(osError(r.stderr, `${base}/${prefix}${sampleName()}${suffix}`));
    }
    const path = r.stdout.trim();
    return { changed: true, values: { path, ...(await pathInfo(ctx, path)) } };
  },
};
