import type { ModuleContext } from '../types.js';
import { shellQuote } from './quote.js';

export interface PathInfo {
  readonly uid: number;
  readonly gid: number;
  readonly owner: string;
  readonly group: string;
  readonly mode: string;
  readonly state: 'link' | 'directory' | 'hard' | 'file';
  readonly size: number;
}

/** One probe printing `uid|gid|owner|group|mode|size` and the state, or exiting 1 when the path does not exist. */
export function pathInfoScript(path: string): string {
  const p = shellQuote(path);
  return (
    `p=${p}; [ -e "$p" ] || exit 1; stat -c '%u|%g|%U|%G|%a|%s' -- "$p" || exit 2; ` +
    `if [ -L "$p" ]; then echo link; elif [ -d "$p" ]; then echo directory; ` +
    `elif [ "$(stat -L -c %h -- "$p")" -gt 1 ]; then echo hard; else echo file; fi`
  );
}

export function parsePathInfo(stdout: string): PathInfo | undefined {
  const [statLine, stateLine] = stdout.trim().split('\n');
  const f = statLine?.split('|');
  if (!f || f.length < 6) return undefined;
  const uid = Number(f[0]);
  const gid = Number(f[1]);
  const state = (stateLine?.trim() ?? 'file') as PathInfo['state'];
  return {
    uid,
    gid,
    owner: f[2] === 'UNKNOWN' ? String(uid) : f[2]!,
    group: f[3] === 'UNKNOWN' ? String(gid) : f[3]!,
    mode: `0${f[4]!.padStart(3, '0')}`,
    state,
    size: Number(f[5]),
  };
}

/** The path facts Ansible's add_path_info adds to a result (uid, gid, owner, group, mode, state, size). */
export async function pathInfo(ctx: ModuleContext, path: string): Promise<PathInfo | undefined> {
  const res = await ctx.probe(pathInfoScript(path));
  return res.rc === 0 ? parsePathInfo(res.stdout) : undefined;
}
