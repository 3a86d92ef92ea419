import { shellJoin } from '../connection/types.js';
import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { toBool, required } from './util/file-args.js';
import { getGroup } from './util/accounts.js';

export interface GroupArgs {
  readonly name?: string;
  readonly gid?: number;
  readonly state?: 'absent' | 'present';
  readonly system?: boolean;
  readonly non_unique?: boolean;
  readonly force?: boolean;
  readonly local?: boolean;
}

export const groupModule: Module<GroupArgs> = {
  name: 'group',
  description: 'Add, modify or remove groups (groupadd/groupmod/groupdel).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the group.' },
      gid: { type: 'integer', description: 'Group id to set.' },
      state: { type: 'string', enum: ['absent', 'present'], description: 'Whether the group should exist (default present).' },
      system: { type: 'boolean', description: 'Create a system group (groupadd -r).' },
      non_unique: { type: 'boolean', description: 'Allow a non-unique gid (with gid).' },
      force: { type: 'boolean', description: "Remove the group even when it is a user's primary group (groupdel -f)." },
      local: { type: 'boolean', description: 'Accepted for compatibility: tsbook always uses groupadd.' },
    },
  },
  async run(input, ctx): Promise<ModuleResult> {
    const args = { ...input, name: required(input.name, 'name') };
    const state = args.state ?? 'present';
    const system = toBool(args.system);
    const values: Record<string, unknown> = { name: args.name, state };
    const existing = await getGroup(ctx, args.name);
    let ran: { rc: number; stdout: string; stderr: string } | undefined;
    if (state === 'absent') {
      if (existing) {
        if (ctx.check) return { changed: true };
        ran = await ctx.run(shellJoin(['groupdel', ...(toBool(args.force) ? ['-f'] : []), args.name]));
      }
    } else if (!existing) {
      if (ctx.check) return { changed: true };
      const argv = ['groupadd'];
      if (args.gid !== undefined) argv.push('-g', String(args.gid));
      if (args.gid !== undefined && toBool(args.non_unique)) argv.push('-o');
      if (system) argv.push('-r');
      ran = await ctx.run(shellJoin([...argv, args.name]));
    } else if (args.gid !== undefined && existing.gid !== args.gid) {
      ran = await ctx.run(shellJoin(['groupmod', '-g', String(args.gid), ...(toBool(args.non_unique) ? ['-o'] : []), args.name]));
    }
    if (ran && ran.rc !== 0) throw new ModuleFailure(ran.stderr, { name: args.name });
    if (ran?.stdout) values.stdout = ran.stdout;
    if (ran?.stderr) values.stderr = ran.stderr;
    const now = ctx.check ? existing : await getGroup(ctx, args.name);
    if (now && state === 'present') {
      values.system = system;
      values.gid = now.gid;
    }
    return { changed: ran !== undefined, values };
  },
};
