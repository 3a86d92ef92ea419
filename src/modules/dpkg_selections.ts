import { shellJoin } from '../connection/types.js';
import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { required } from './util/file-args.js';
import { requireBin } from './util/bin-path.js';

export type DpkgSelection = 'install' | 'hold' | 'deinstall' | 'purge';

export interface DpkgSelectionsArgs {
  readonly name?: string;
  readonly selection?: DpkgSelection;
}

/** The selection `dpkg --get-selections NAME` printed, or 'not present' (as Ansible reports it). */
export function parseSelection(stdout: string): string {
  const words = stdout.split(/\s+/).filter((w) => w !== '');
  return words.length === 0 ? 'not present' : (words[1] ?? 'not present');
}

export const dpkgSelectionsModule: Module<DpkgSelectionsArgs> = {
  name: 'dpkg_selections',
  description: "Set a package's dpkg selection state (install, hold, deinstall, purge).",
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'selection'],
    properties: {
      name: { type: 'string', description: 'Name of the package.' },
      selection: { type: 'string', enum: ['install', 'hold', 'deinstall', 'purge'], description: 'The selection state to set the package to.' },
    },
  },
  async run(args, ctx): Promise<ModuleResult> {
    const name = required(args.name, 'name');
    const selection = required(args.selection, 'selection');
    const dpkg = await requireBin(ctx, 'dpkg');
    const getCmd = [dpkg, '--get-selections', name];
    const got = await ctx.probe(shellJoin(getCmd));
    if (got.rc !== 0) {
      throw new ModuleFailure(got.stderr.trimEnd(), { cmd: getCmd.join(' '), rc: got.rc, stdout: got.stdout, stderr: got.stderr });
    }
    const current = parseSelection(got.stdout);
    const changed = current !== selection;
    const values = { before: current, after: selection };
    if (!changed) return { changed, values };
    const setCmd = [dpkg, '--set-selections'];
    const set = await ctx.run(shellJoin(setCmd), { stdin: `${name} ${selection}` });
    if (set.rc !== 0) {
      throw new ModuleFailure(set.stderr.trimEnd(), { cmd: setCmd.join(' '), rc: set.rc, stdout: set.stdout, stderr: set.stderr });
    }
    return { changed, values };
  },
};
