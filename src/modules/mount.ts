import { shellJoin, shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { requireBin } from './util/bin-path.js';
import { backupFile, writeFileAtomic } from './util/file-state.js';
import { dirName, required, toBool } from './util/file-args.js';
import { readText, statPath } from './util/fs-probe.js';

export type MountState = 'absent' | 'absent_from_fstab' | 'mounted' | 'present' | 'unmounted' | 'remounted' | 'ephemeral';

export interface MountArgs {
  readonly path?: string;
  readonly name?: string;
  readonly src?: string;
  readonly fstype?: string;
  readonly opts?: string;
  readonly dump?: string | number;
  readonly passno?: string | number;
  readonly state?: MountState;
  readonly fstab?: string;
  readonly boot?: boolean;
  readonly backup?: boolean;
}

/** The fields Ansible keeps for one mount (its `args` dict, also the module's return values). */
export interface MountSpec {
  readonly name: string;
  readonly src?: string;
  readonly fstype?: string;
  readonly opts: string;
  readonly dump: string;
  readonly passno: string;
  readonly fstab: string;
  readonly boot: string;
}

const FIELDS = ['src', 'fstype', 'opts', 'dump', 'passno'] as const;
type Field = (typeof FIELDS)[number];

/** _escape_fstab: space, & and \ as octal escapes. */
export function escapeFstab(value: string): string {
  return value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

/** Python's str.split(): runs of whitespace, no empty words. */
function words(line: string): string[] {
  return line.split(/\s+/).filter((w) => w !== '');
}

/** Python's readlines(): lines keep their '\n'. */
function readLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

function fstabLine(f: Record<'name' | Field, string | undefined>): string {
  return `${f.src} ${f.name} ${f.fstype} ${f.opts} ${f.dump} ${f.passno}\n`;
}

/** Whether an fstab entry is another swap entry than the one asked for (swap entries share the name 'none'). */
function otherSwap(entry: { name?: string; fstype?: string; src?: string }, spec: MountSpec): boolean {
  return spec.src !== undefined && entry.name === 'none' && entry.fstype === 'swap' && entry.src !== spec.src;
}

/**
 * _set_mount_save_old on fstab text (Linux layout): adds or rewrites the entry for spec.name.
 * Lines with 4-6 fields are entries; a missing dump/passno never equals the wanted one.
 */
export function setMountLines(text: string, spec: MountSpec): { lines: string[]; changed: boolean } {
  const wanted: Record<'name' | Field, string | undefined> = {
    name: escapeFstab(spec.name),
    src: spec.src === undefined ? undefined : escapeFstab(spec.src),
    fstype: spec.fstype === undefined ? undefined : escapeFstab(spec.fstype),
    opts: escapeFstab(spec.opts),
    dump: escapeFstab(spec.dump),
    passno: escapeFstab(spec.passno),
  };
  const out: string[] = [];
  let exists = false;
  let changed = false;
  for (let line of readLines(text)) {
    if (!line.endsWith('\n')) line += '\n';
    const fields = words(line);
    if (line.trim() === '' || line.trim().startsWith('#') || fields.length < 4 || fields.length > 6) {
      out.push(line);
      continue;
    }
    const entry: Record<'name' | Field, string | undefined> = {
      src: fields[0], name: fields[1], fstype: fields[2], opts: fields[3], dump: fields[4], passno: fields[5],
    };
    if (entry.name !== wanted.name || otherSwap(entry, spec)) {
      out.push(line);
      continue;
    }
    exists = true;
    for (const f of FIELDS) {
      if (entry[f] !== wanted[f]) {
        entry[f] = wanted[f];
        changed = true;
      }
    }
    // Ansible formats a missing dump/passno as 0 (its int default) when it rewrites the line
    out.push(changed ? fstabLine({ ...entry, dump: entry.dump ?? '0', passno: entry.passno ?? '0' }) : line);
  }
  if (!exists) {
    out.push(fstabLine(wanted));
    changed = true;
  }
  return { lines: out, changed };
}

/** unset_mount on fstab text: drops the 6-field entries for spec.name. */
export function unsetMountLines(text: string, spec: MountSpec): { lines: string[]; changed: boolean } {
  const name = escapeFstab(spec.name);
  const out: string[] = [];
  let changed = false;
  for (const line of readLines(text)) {
    const fields = words(line);
    if (line.trim() === '' || line.trim().startsWith('#') || fields.length !== 6) {
      out.push(line);
      continue;
    }
    const entry = { src: fields[0], name: fields[1], fstype: fields[2] };
    if (entry.name !== name || otherSwap(entry, spec)) out.push(line);
    else changed = true;
  }
  return { lines: out, changed };
}

/** get_linux_mounts: mount point -> {src, opts, fs}, with bind mounts' src as their root path. */
export function parseMountinfo(text: string): Map<string, { src: string; opts: string; fs: string }> {
  interface Rec { id: number; parent: number; root: string; dst: string; opts: string; fs: string; src: string }
  const info = new Map<number, Rec>();
  for (const raw of text.split('\n')) {
    const f = words(raw);
    if (f.length < 7) continue;
    info.set(Number(f[0]), { id: Number(f[0]), parent: Number(f[1]), root: f[3]!, dst: f[4]!, opts: f[5]!, fs: f.at(-3)!, src: f.at(-2)! });
  }
  const mounts = new Map<string, { src: string; opts: string; fs: string }>();
  for (const m of info.values()) {
    let src = m.src;
    const parent = info.get(m.parent);
    if (m.parent !== 1 && parent) {
      if (parent.root.length > 1 && m.root.startsWith(`${parent.root}/`)) m.root = m.root.slice(parent.root.length);
      if (parent.dst !== '/') m.root = `${parent.dst}${m.root}`;
      src = m.root;
    }
    mounts.set(m.dst, { src, opts: m.opts, fs: m.fs });
  }
  return mounts;
}

/** os.path.ismount for a host path, as a sh snippet printing yes/no. */
function isMountCommand(path: string): string {
  const q = shellQuote(path);
  return (
    `if [ -L ${q} ] || [ ! -e ${q} ]; then echo no; else a=$(stat -c %d:%i -- ${q}) && b=$(stat -c %d:%i -- ${q}/..) && ` +
    `if [ "\${a%%:*}" != "\${b%%:*}" ] || [ "$a" = "$b" ]; then echo yes; else echo no; fi; fi`
  );
}

interface Host {
  readonly ctx: ModuleContext;
  readonly state: MountState;
  mounts?: Map<string, { src: string; opts: string; fs: string }>;
}

async function linuxMounts(h: Host): Promise<Map<string, { src: string; opts: string; fs: string }>> {
  if (h.mounts === undefined) {
    const r = await h.ctx.probe('cat /proc/self/mountinfo');
    h.mounts = parseMountinfo(r.rc === 0 ? r.stdout : '');
  }
  return h.mounts;
}

/** ismount(path) or is_bind_mounted(path, src). */
async function isMounted(h: Host, path: string, src?: string): Promise<boolean> {
  const r = await h.ctx.probe(isMountCommand(path));
  if (r.stdout.trim() === 'yes') return true;
  const m = (await linuxMounts(h)).get(path);
  return m !== undefined && (src === undefined || m.src === src);
}

function fstabArgs(spec: MountSpec): string[] {
  return spec.fstab !== '/etc/fstab' ? ['-T', spec.fstab] : [];
}

async function mountCmd(h: Host, spec: MountSpec): Promise<{ rc: number; msg: string }> {
  const r = await h.ctx.run(shellJoin([await requireBin(h.ctx, 'mount'), ...fstabArgs(spec), spec.name]));
  return { rc: r.rc, msg: r.rc === 0 ? '' : r.stdout + r.stderr };
}

async function umountCmd(h: Host, path: string): Promise<{ rc: number; msg: string }> {
  const r = await h.ctx.run(shellJoin([await requireBin(h.ctx, 'umount'), path]));
  return { rc: r.rc, msg: r.rc === 0 ? '' : r.stdout + r.stderr };
}

/** mount -o remount, falling back to umount + mount when remount is unsupported. */
async function remountCmd(h: Host, spec: MountSpec): Promise<{ rc: number; msg: string }> {
  const withOpts = h.state === 'remounted' && spec.opts !== 'defaults';
  const cmd = [await requireBin(h.ctx, 'mount'), '-o', withOpts ? `remount,${spec.opts}` : 'remount', ...fstabArgs(spec), spec.name];
  const r = await h.ctx.run(shellJoin(cmd));
  if (r.rc === 0) return { rc: 0, msg: '' };
  if (withOpts) {
    throw new ModuleFailure(
      'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.',
    );
  }
  const u = await umountCmd(h, spec.name);
  return u.rc === 0 ? mountCmd(h, spec) : u;
}

async function writeFstab(ctx: ModuleContext, path: string, lines: readonly string[], backup: boolean): Promise<string> {
  const backupName = backup ? await backupFile(ctx, path) : '';
  await writeFileAtomic(ctx, path, lines.join(''), true);
  return backupName;
}

/** The module's `args`: defaults, then the given options, then the boot/noauto rule. */
export function mountSpec(args: MountArgs, warnings: string[]): MountSpec {
  const name = required(args.path ?? args.name, 'path');
  let opts = args.opts ?? 'defaults';
  let boot = 'yes';
  const list = opts.split(',');
  if (list.includes('noauto')) warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
  else if (!toBool(args.boot, true)) {
    boot = 'no';
    if (list.includes('defaults')) warnings.push("Ignore the 'boot' due to 'opts' contains 'defaults'.");
    else opts = [...list, 'noauto'].join(',');
  }
  return {
    name,
    ...(args.src !== undefined ? { src: args.src } : {}),
    ...(args.fstype !== undefined ? { fstype: args.fstype } : {}),
    opts,
    dump: String(args.dump ?? '0'),
    passno: String(args.passno ?? '0'),
    fstab: args.fstab ?? '/etc/fstab',
    boot,
  };
}

const REQUIRES_SRC: readonly MountState[] = ['mounted', 'present', 'ephemeral'];

async function runMount(args: MountArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const state = required(args.state, 'state');
  if (REQUIRES_SRC.includes(state)) {
    const missing = (['src', 'fstype'] as const).filter((k) => args[k] === undefined);
    if (missing.length > 0) throw new ModuleFailure(`state is ${state} but all of the following are missing: ${missing.join(', ')}`);
  }
  if (state === 'ephemeral') throw new ModuleFailure("state=ephemeral is not supported by tsbook's mount module");
  const warnings: string[] = [];
  const spec = mountSpec(args, warnings);
  const h: Host = { ctx, state };
  const backup = toBool(args.backup);
  let backupName = '';

  // Ansible creates a missing fstab (and its directory) even in check mode.
  let fstabText = await readText(ctx, spec.fstab);
  if (fstabText === undefined) {
    const r = await ctx.run(`mkdir -p -- ${shellQuote(dirName(spec.fstab) || '.')} && touch -- ${shellQuote(spec.fstab)}`);
    if (r.rc !== 0) throw new ModuleFailure(`Failed to open ${spec.fstab} due to ${r.stderr.trim()}`);
    fstabText = '';
  }
  const name = spec.name;
  let changed = false;

  const unset = async () => {
    const r = unsetMountLines(fstabText!, spec);
    if (r.changed && !ctx.check) backupName = await writeFstab(ctx, spec.fstab, r.lines, backup);
    return r.changed;
  };

  if (state === 'absent_from_fstab') changed = await unset();
  else if (state === 'absent') {
    changed = await unset();
    if (changed) {
      if (await isMounted(h, name)) {
        const u = await umountCmd(h, name);
        if (u.rc !== 0) throw new ModuleFailure(`Error unmounting ${name}: ${u.msg}`);
      }
      if (await statPath(ctx, name, true)) {
        const r = await ctx.run(`rmdir -- ${shellQuote(name)}`);
        if (r.rc !== 0) throw new ModuleFailure(`Error rmdir ${name}: ${r.stderr.trim()}`);
      }
    }
  } else if (state === 'unmounted') {
    if (await isMounted(h, name)) {
      const u = await umountCmd(h, name);
      if (u.rc !== 0) throw new ModuleFailure(`Error unmounting ${name}: ${u.msg}`);
      changed = true;
    }
  } else if (state === 'present') {
    const r = setMountLines(fstabText, spec);
    if (r.changed && !ctx.check) backupName = await writeFstab(ctx, spec.fstab, r.lines, backup);
    changed = r.changed;
  } else if (state === 'remounted') {
    const r = await remountCmd(h, spec);
    if (r.rc !== 0) throw new ModuleFailure(`Error remounting ${name}: ${r.msg}`);
    changed = true;
  } else {
    const created = !(await statPath(ctx, name, true)) && !ctx.check;
    if (created) {
      const r = await ctx.run(`mkdir -p -- ${shellQuote(name)}`);
      if (r.rc !== 0) throw new ModuleFailure(`Error making dir ${name}: ${r.stderr.trim()}`);
    }
    const r = setMountLines(fstabText, spec);
    if (r.changed && !ctx.check) backupName = await writeFstab(ctx, spec.fstab, r.lines, backup);
    changed = r.changed;
    let res = { rc: 0, msg: '' };
    if (await isMounted(h, name, spec.src)) {
      if (changed) res = await remountCmd(h, spec);
    } else {
      changed = true;
      res = await mountCmd(h, spec);
    }
    if (res.rc !== 0) {
      if (r.changed && !ctx.check) await writeFileAtomic(ctx, spec.fstab, fstabText, true);
      if (created) await ctx.run(`rmdir -p --ignore-fail-on-non-empty -- ${shellQuote(name)}`);
      throw new ModuleFailure(`Error mounting ${name}: ${res.msg}`);
    }
  }
  return { changed, values: { ...spec, backup_file: backupName }, ...(warnings.length > 0 ? { warnings } : {}) };
}

const STR_OR_INT = { anyOf: [{ type: 'string' }, { type: 'integer' }] } as const;

export const mountModule: Module<MountArgs> = {
  name: 'ansible.posix.mount',
  aliases: ['mount'],
  description: 'Control active and configured mount points: edit fstab entries and mount/unmount them.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['state'],
    anyOf: [{ required: ['path'] }, { required: ['name'] }],
    properties: {
      path: { type: 'string', description: 'The mount point (alias name).' },
      name: { type: 'string', description: 'Alias of path.' },
      src: { type: 'string', description: 'Device (or NFS volume, etc.) to mount; required for state=present/mounted.' },
      fstype: { type: 'string', description: 'Filesystem type; required for state=present/mounted.' },
      opts: { type: 'string', description: "Mount options (default 'defaults')." },
      dump: { ...STR_OR_INT, description: "fstab dump field (default '0')." },
      passno: { ...STR_OR_INT, description: "fstab passno field (default '0')." },
      state: {
        type: 'string',
        enum: ['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral'],
        description: 'mounted: in fstab and mounted; present: in fstab only; unmounted: unmount only; absent: remove from fstab and unmount; remounted: remount.',
      },
      fstab: { type: 'string', description: "The fstab file to edit (default /etc/fstab); passed as mount -T when it is another file." },
      boot: { type: 'boolean', description: "false adds 'noauto' to opts (unless opts contains 'defaults')." },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of the fstab when it changes.' },
    },
  },
  run: runMount,
};
