import { shellQuote } from '../../connection/types.js';
import type { ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';
import type { RemoteStat } from './fs-probe.js';
import { formatMode, statBothCommand, statPath } from './fs-probe.js';

/** Ansible's file common arguments (mode, owner, group), as the modules take them. */
export interface FileAttributes {
  readonly mode?: string | number;
  readonly owner?: string | number;
  readonly group?: string | number;
}

/** JSON-schema properties for the file common arguments, shared by every file module. */
export const FILE_ATTRIBUTE_SCHEMA = {
  mode: {
    type: ['string', 'integer'],
    description:
      "Permissions of the resulting file or directory: an octal string such as '0644' (quote it), an integer, " +
      "or a symbolic mode such as 'u=rw,g=r,o=r' or 'u+rwx'.",
  },
  owner: { type: ['string', 'integer'], description: 'Name (or uid) of the user that should own the file.' },
  group: { type: ['string', 'integer'], description: 'Name (or gid) of the group that should own the file.' },
  seuser: { type: 'string', description: 'SELinux user (accepted for compatibility, not applied).' },
  serole: { type: 'string', description: 'SELinux role (accepted for compatibility, not applied).' },
  setype: { type: 'string', description: 'SELinux type (accepted for compatibility, not applied).' },
  selevel: { type: 'string', description: 'SELinux level (accepted for compatibility, not applied).' },
  attributes: { type: 'string', description: 'chattr attributes (accepted for compatibility, not applied).' },
  unsafe_writes: { type: 'boolean', description: 'Accepted for compatibility; writes are always atomic renames.' },
} as const;

const PERM_BITS = 0o7777;
const DEFAULT_UMASK = 0o022;

/** A mode diff record: what changed, in Ansible's diff dict form ({mode: '0644'}, {owner: 0}). */
export type AttrDiff = { before: Record<string, unknown>; after: Record<string, unknown> };

function userBits(user: 'u' | 'g' | 'o', perms: string, prev: number, isDir: boolean, useUmask: boolean, umask: number): number {
  const rev = umask ^ PERM_BITS;
  const shift = user === 'u' ? 6 : user === 'g' ? 3 : 0;
  const um = (bit: number) => (useUmask ? rev & bit : bit);
  const applyX = isDir || (prev & 0o111) > 0;
  let out = 0;
  for (const p of perms) {
    switch (p) {
      case 'r': out |= um(0o4 << shift); break;
      case 'w': out |= um(0o2 << shift); break;
      case 'x': out |= um(0o1 << shift); break;
      case 'X': if (applyX) out |= 0o1 << shift; break;
      case 's': if (user === 'u') out |= 0o4000; else if (user === 'g') out |= 0o2000; break;
      case 't': if (user === 'o') out |= 0o1000; break;
      case 'u': out |= ((prev >> 6) & 0o7) << shift; break;
      case 'g': out |= ((prev >> 3) & 0o7) << shift; break;
      case 'o': out |= (prev & 0o7) << shift; break;
      default: throw new Error(`bad symbolic permission for mode: ${perms}`);
    }
  }
  return out;
}

/** Applies a symbolic chmod mode ('u=rw,g+r,o-w', 'a+X') to `prev`, as Ansible's _symbolic_mode_to_octal. */
export function symbolicToOctal(symbolic: string, prev: number, isDir: boolean, umask = DEFAULT_UMASK): number {
  let mode = prev & PERM_BITS;
  for (const part of symbolic.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(part);
    if (!m) throw new Error(`bad symbolic permission for mode: ${part}`);
    const useUmask = m[1] === '';
    const users = (m[1] === '' || m[1].includes('a') ? 'ugo' : m[1]) as string;
    for (const op of m[2].match(/[-+=][rwxXstugo]*/g) ?? []) {
      const operator = op[0];
      const perms = op.slice(1);
      for (const u of new Set(users)) {
        const user = u as 'u' | 'g' | 'o';
        const bits = userBits(user, perms, prev & PERM_BITS, isDir, useUmask, umask);
        if (operator === '=') {
          const mask = user === 'u' ? 0o4700 : user === 'g' ? 0o2070 : 0o1007;
          mode = (mode & (mask ^ PERM_BITS)) | bits;
        } else if (operator === '+') mode |= bits;
        else mode &= ~bits & PERM_BITS;
      }
    }
  }
  return mode;
}

/**
 * The numeric mode `mode` asks for, given the path's current mode. Octal strings and integers are
 * taken as they are (an integer is already the numeric mode, as YAML 1.1 reads 0644); anything else
 * is a symbolic mode. Throws ModuleFailure with Ansible's message when it is neither.
 */
export function resolveMode(mode: string | number, current: number, isDir: boolean, path: string): number {
  if (typeof mode === 'number') return mode;
  if (/^[0-7]+$/.test(mode)) return parseInt(mode, 8);
  try {
    return symbolicToOctal(mode, current, isDir);
  } catch (e) {
    throw new ModuleFailure('mode must be in octal or symbolic form', { path, details: e instanceof Error ? e.message : String(e) });
  }
}

/** Mode for a file created from scratch when no mode is given (0666 & ~umask, as Ansible). */
export const DEFAULT_FILE_MODE = 0o644;

function ownerMatches(want: string | number, st: RemoteStat, kind: 'owner' | 'group'): boolean {
  const s = String(want);
  if (/^\d+$/.test(s)) return Number(s) === (kind === 'owner' ? st.uid : st.gid);
  return s === (kind === 'owner' ? st.owner : st.group);
}

async function lookupId(ctx: Pick<ModuleContext, 'probe'>, db: 'passwd' | 'group', name: string | number): Promise<number | undefined> {
  const s = String(name);
  if (/^\d+$/.test(s)) return Number(s);
  const r = await ctx.probe(`getent ${db} ${shellQuote(s)}`);
  if (r.rc !== 0) return undefined;
  const id = r.stdout.split(':')[2];
  return id === undefined ? undefined : Number(id);
}

/**
 * Ansible's set_fs_attributes_if_different: brings owner, group and mode of `path` to `attrs`
 * with chown/chgrp/chmod through ctx.run (recorded, not run, in check mode). `st` is the current
 * lstat of the path; when it is undefined (the file does not exist yet in check mode) any
 * requested attribute counts as a change. Records before/after in `diff` the way Ansible does.
 */
export async function applyAttributes(
  ctx: Pick<ModuleContext, 'run' | 'probe' | 'check'>,
  path: string,
  attrs: FileAttributes,
  st: RemoteStat | undefined,
  diff?: AttrDiff,
): Promise<boolean> {
  if (!st) return attrs.mode !== undefined || attrs.owner !== undefined || attrs.group !== undefined;
  let changed = false;
  const record = (key: string, before: unknown, after: unknown) => {
    if (!diff) return;
    diff.before[key] = before;
    diff.after[key] = after;
  };
  const link = st.type === 'link';
  if (attrs.owner !== undefined && attrs.owner !== '' && !ownerMatches(attrs.owner, st, 'owner')) {
    const uid = await lookupId(ctx, 'passwd', attrs.owner);
    if (uid === undefined) throw new ModuleFailure(`chown failed: failed to look up user ${attrs.owner}`, { path });
    record('owner', st.uid, uid);
    const r = await ctx.run(`chown ${link ? '-h ' : ''}${shellQuote(String(attrs.owner))} -- ${shellQuote(path)}`);
    if (r.rc !== 0) throw new ModuleFailure(`chown failed: ${r.stderr.trim()}`, { path });
    changed = true;
  }
  if (attrs.group !== undefined && attrs.group !== '' && !ownerMatches(attrs.group, st, 'group')) {
    const gid = await lookupId(ctx, 'group', attrs.group);
    if (gid === undefined) throw new ModuleFailure(`chgrp failed: failed to look up group ${attrs.group}`, { path });
    record('group', st.gid, gid);
    const r = await ctx.run(`chgrp ${link ? '-h ' : ''}${shellQuote(String(attrs.group))} -- ${shellQuote(path)}`);
    if (r.rc !== 0) throw new ModuleFailure(`chgrp failed: ${r.stderr.trim()}`, { path });
    changed = true;
  }
  if (attrs.mode !== undefined && attrs.mode !== '' && !link) {
    const want = resolveMode(attrs.mode, st.mode, st.type === 'directory', path);
    if ((want & ~PERM_BITS) !== 0) {
      throw new ModuleFailure('Invalid mode supplied, only permission info is allowed', { path, details: want });
    }
    if (want !== st.mode) {
      record('mode', formatMode(st.mode), formatMode(want));
      const r = await ctx.run(`chmod ${formatMode(want)} -- ${shellQuote(path)}`);
      if (r.rc !== 0) throw new ModuleFailure('chmod failed', { path, details: r.stderr.trim() });
      changed = true;
    }
  }
  return changed;
}

/** Stats `path` (lstat) and applies `attrs`; a convenience over statPath + applyAttributes. */
export async function applyAttributesToPath(
  ctx: Pick<ModuleContext, 'run' | 'probe' | 'check'>,
  path: string,
  attrs: FileAttributes,
  diff?: AttrDiff,
): Promise<boolean> {
  return applyAttributes(ctx, path, attrs, await statPath(ctx, path, false), diff);
}

/**
 * Ansible's backup_local: copies `path` to `path.<n>.<YYYY-MM-DD@HH:MM:SS>~` keeping its
 * attributes, returns the backup's name. A change: recorded, not run, in check mode.
 */
export async function backupFile(ctx: Pick<ModuleContext, 'run'>, path: string, now = new Date()): Promise<string> {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}@${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}~`;
  const name = `${path}.${process.pid}.${stamp}`;
  const r = await ctx.run(`cp -p -- ${shellQuote(path)} ${shellQuote(name)}`);
  if (r.rc !== 0) throw new ModuleFailure(`Could not make backup of ${path} to ${name}: ${r.stderr.trim()}`, { path });
  return name;
}

/** A temp path next to `dest`, for atomic replacement by rename. */
export function tempPathFor(dest: string): string {
  const slash = dest.lastIndexOf('/');
  const dir = slash >= 0 ? dest.slice(0, slash + 1) : '';
  return `${dir}.tsbook_tmp_${process.pid}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * Writes `content` to `dest` atomically (a temp file next to it, then `mv`), keeping the mode and
 * ownership of an existing dest as Ansible's atomic_move does; a new file gets 0644 unless the caller
 * applies a mode afterwards. A change: in check mode nothing is written.
 */
export async function writeFileAtomic(
  ctx: Pick<ModuleContext, 'run' | 'put'>,
  dest: string,
  content: string | Buffer,
  existed: boolean,
): Promise<string> {
  const tmp = tempPathFor(dest);
  await ctx.put({ content }, tmp);
  return moveIntoPlace(ctx, tmp, dest, existed);
}

/** `mv` a staged temp file onto dest, copying the old dest's mode/owner first (or 0644 when new). */
export async function moveIntoPlace(ctx: Pick<ModuleContext, 'run'>, tmp: string, dest: string, existed: boolean): Promise<string> {
  const r = await ctx.run(moveCommand(tmp, dest, existed));
  await failedMove(ctx, r, tmp, dest);
  return tmp;
}

function moveCommand(tmp: string, dest: string, existed: boolean): string {
  const q = shellQuote;
  const keep = existed
    ? `chmod --reference=${q(dest)} ${q(tmp)} && { chown --reference=${q(dest)} ${q(tmp)} 2>/dev/null || true; }`
    : `chmod ${formatMode(DEFAULT_FILE_MODE)} ${q(tmp)}`;
  return `${keep} && mv -f -- ${q(tmp)} ${q(dest)}`;
}

/**
 * moveIntoPlace, then both stats of `statTarget` in the same round trip, remembered for the
 * module's next statPath (what it reports and the attributes it applies come from that stat).
 */
export async function moveIntoPlaceAndStat(ctx: Pick<ModuleContext, 'run' | 'rememberProbe'>, tmp: string, dest: string, existed: boolean, statTarget: string): Promise<void> {
  if (!ctx.rememberProbe) {
    await moveIntoPlace(ctx, tmp, dest, existed);
    return;
  }
  const stat = statBothCommand(statTarget);
  const r = await ctx.run(`${moveCommand(tmp, dest, existed)} || exit $?\n${stat}`);
  await failedMove(ctx, r, tmp, dest);
  ctx.rememberProbe(stat, { rc: 0, stdout: r.stdout, stderr: '' });
}

async function failedMove(ctx: Pick<ModuleContext, 'run'>, r: { rc: number; stderr: string }, tmp: string, dest: string): Promise<void> {
  const q = shellQuote;
  if (r.rc !== 0) {
    await ctx.run(`rm -f -- ${q(tmp)}`);
    throw new ModuleFailure(`Could not replace file: ${tmp} to ${dest}: ${r.stderr.trim()}`, { dest });
  }
}
