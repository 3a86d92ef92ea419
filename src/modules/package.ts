import type { Module } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf } from './util/file-args.js';
import { runApt } from './apt.js';

export interface PackageArgs {
  readonly name?: string | readonly string[];
  readonly state?: 'present' | 'absent' | 'latest' | 'installed' | 'removed';
  readonly use?: string;
}

/** The generic package module: on Debian hosts (ansible_pkg_mgr apt) it runs apt. */
export const packageModule: Module<PackageArgs> = {
  name: 'package',
  description: 'Generic package manager: installs or removes packages with the host\'s manager (apt only).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'state'],
    properties: {
      name: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Package name(s), optionally name=version.' },
      state: { type: 'string', enum: ['present', 'absent', 'latest', 'installed', 'removed'], description: 'Whether to install (present, latest) or remove (absent) the packages.' },
      use: { type: 'string', description: "Package manager to use (default 'auto': the ansible_pkg_mgr fact); only apt is supported." },
    },
  },
  async run(args, ctx) {
    let manager = args.use ?? 'auto';
    if (manager === 'auto') {
      const fact = firstOf(ctx.lookupVar('ansible_facts.pkg_mgr').value, ctx.lookupVar('ansible_pkg_mgr').value);
      manager = typeof fact === 'string' ? fact : 'apt';
    }
    if (manager !== 'apt') throw new ModuleFailure(`tsbook's package module only supports apt, but this host uses ${manager}`);
    const state = args.state === 'installed' ? 'present' : args.state === 'removed' ? 'absent' : args.state;
    return runApt({ name: args.name, state }, ctx);
  },
};
