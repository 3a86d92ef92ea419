import { shellQuote } from '../../connection/types.js';
import type { ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';

const SBIN = ['/sbin', '/usr/sbin', '/usr/local/sbin'];

/**
 * The path of `name` on the host, searched like Ansible's get_bin_path: $PATH, then the sbin
 * directories that exist and are not in $PATH. Undefined when it is not found.
 */
export async function findBin(ctx: ModuleContext, name: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
  const dirs = [...extraDirs, '$PATH_DIRS', ...SBIN].map((d) => (d === '$PATH_DIRS' ? '$PATH_DIRS' : shellQuote(d)));
  const script =
    `IFS=:; PATH_DIRS=$PATH; set -f; for d in ${dirs.join(' ')}; do ` +
    `[ -n "$d" ] && [ -f "$d"/${shellQuote(name)} ] && [ -x "$d"/${shellQuote(name)} ] && { printf '%s\\n' "$d"/${shellQuote(name)}; exit 0; }; done; exit 1`;
  const r = await ctx.probe(script);
  return r.rc === 0 ? r.stdout.trim() : undefined;
}

/** The "paths" part of Ansible's get_bin_path failure: $PATH plus the existing sbin dirs not in it. */
export async function searchedPaths(ctx: ModuleContext): Promise<string> {
  const r = await ctx.probe(`p=$PATH; for d in ${SBIN.join(' ')}; do case ":$PATH:" in *":$d:"*) ;; *) [ -e "$d" ] && p="$p:$d";; esac; done; printf %s "$p"`);
  return r.stdout;
}

/** get_bin_path(name, required=True): the path, or Ansible's failure message. */
export async function requireBin(ctx: ModuleContext, name: string): Promise<string> {
  const found = await findBin(ctx, name);
  if (found !== undefined) return found;
  throw new ModuleFailure(`Failed to find required executable "${name}" in paths: ${await searchedPaths(ctx)}`);
}
