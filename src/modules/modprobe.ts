import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { required } from './util/file-args.js';
import { writeFileAtomic } from './util/file-state.js';
import { readText } from './util/fs-probe.js';

export interface ModprobeArgs {
  readonly name?: string;
  readonly state?: 'present' | 'absent';
  readonly params?: string;
  readonly persistent?: 'disabled' | 'absent' | 'present';
}

/** Whether `name` is loaded (/proc/modules; dashes and underscores are the same) or built in. */
export async function moduleLoaded(ctx: ModuleContext, name: string): Promise<boolean> {
  const norm = name.replace(/-/g, '_');
  const r = await ctx.probe('cat /proc/modules');
  if (r.stdout.split('\n').some((l) => l.split(' ')[0]?.replace(/-/g, '_') === norm)) return true;
  const b = await ctx.probe('cat "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null');
  return b.stdout.split('\n').some((l) => (l.split('/').pop() ?? '').replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_') === norm);
}

async function setFileLine(ctx: ModuleContext, path: string, line: string, present: boolean): Promise<boolean> {
  const exists = (await ctx.probe(`test -f ${shellQuote(path)}`)).rc === 0;
  const text = exists ? ((await readText(ctx, path)) ?? '') : '';
  const lines = text.split('\n').filter((l) => l !== '');
  const has = lines.includes(line);
  if (present === has) return false;
  const next = present ? [...lines, line] : lines.filter((l) => l !== line);
  if (ctx.check) return true;
  if (!present && next.length === 0) {
    const r = await ctx.run(`rm -f -- ${shellQuote(path)}`);
    if (r.rc !== 0) throw new ModuleFailure(`Failed to remove ${path}: ${r.stderr.trim()}`);
  } else {
    await ctx.run(`mkdir -p -- ${shellQuote(path.slice(0, path.lastIndexOf('/')))}`);
    await writeFileAtomic(ctx, path, next.join('\n') + '\n', exists);
  }
  return true;
}

export const modprobeModule: Module<ModprobeArgs> = {
  name: 'modprobe',
  aliases: ['community.general.modprobe'],
  description: 'Load or unload kernel modules, optionally persistently (modules-load.d / modprobe.d).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the kernel module.' },
      state: { type: 'string', enum: ['present', 'absent'], description: 'Whether the module should be loaded (default present).' },
      params: { type: 'string', description: "Module parameters, e.g. 'numdummies=2'." },
      persistent: {
        type: 'string',
        enum: ['disabled', 'absent', 'present'],
        description: "present writes /etc/modules-load.d/NAME.conf (and /etc/modprobe.d/NAME.conf for params); absent removes them; disabled (default) leaves them alone.",
      },
    },
  },
  async run(input, ctx): Promise<ModuleResult> {
    const args = { ...input, name: required(input.name, 'name') };
    const state = args.state ?? 'present';
    const params = args.params ?? '';
    const persistent = args.persistent ?? 'disabled';
    const loaded = await moduleLoaded(ctx, args.name);
    let changed = false;
    if (state === 'present' && !loaded) {
      const r = await ctx.run(`modprobe ${shellQuote(args.name)}${params ? ' ' + params.split(/\s+/).filter(Boolean).map(shellQuote).join(' ') : ''}`);
      if (r.rc !== 0) throw new ModuleFailure(r.stderr.trim(), { rc: r.rc, stdout: r.stdout, stderr: r.stderr, name: args.name, params, state });
      changed = true;
    } else if (state === 'absent' && loaded) {
      const r = await ctx.run(`modprobe -r ${shellQuote(args.name)}`);
      if (r.rc !== 0) throw new ModuleFailure(r.stderr.trim(), { rc: r.rc, stdout: r.stdout, stderr: r.stderr, name: args.name, params, state });
      changed = true;
    }
    if (persistent !== 'disabled') {
      const want = persistent === 'present';
      changed = (await setFileLine(ctx, `/etc/modules-load.d/${args.name}.conf`, args.name, want)) || changed;
      if (params !== '') {
        changed = (await setFileLine(ctx, `/etc/modprobe.d/${args.name}.conf`, `options ${args.name} ${params}`, want)) || changed;
      }
    }
    return { changed, values: { name: args.name, params, state } };
  },
};
