import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { baseName, dirName, firstOf, joinPath, optString, toBool } from './util/file-args.js';
import { dictDiff } from './util/diff.js';
import type { AttrDiff, FileAttributes } from './util/file-state.js';
import { applyAttributes, FILE_ATTRIBUTE_SCHEMA } from './util/file-state.js';
import type { RemoteStat } from './util/fs-probe.js';
import { fileState, parseStatLine, pathInfo, prefetchProbes, readLink, realPath, statBothCommand, statPath } from './util/fs-probe.js';

export type FileState = 'absent' | 'directory' | 'file' | 'hard' | 'link' | 'touch';

export interface FileArgs extends FileAttributes {
  readonly path?: string;
  readonly dest?: string;
  readonly name?: string;
  readonly state?: FileState;
  readonly recurse?: boolean;
  readonly force?: boolean;
  readonly follow?: boolean;
  readonly src?: string;
  readonly modification_time?: string;
  readonly modification_time_format?: string;
  readonly access_time?: string;
  readonly access_time_format?: string;
}

type Ctx = ModuleContext;
type Diff = AttrDiff;
type Out = Record<string, unknown> & { changed: boolean; diff?: Diff };

const DEFAULT_TIME_FORMAT = '%Y%m%d%H%M.%S';

/** 'preserve' | 'now' | epoch seconds. */
type Stamp = 'preserve' | 'now' | number;

async function parseStamp(ctx: Ctx, value: string | undefined, format: string, state: FileState): Promise<Stamp> {
  const v = value ?? (state === 'touch' ? 'now' : 'preserve');
  if (v === 'preserve' || v === 'now') return v;
  if (format !== DEFAULT_TIME_FORMAT) {
    throw new ModuleFailure(`Error while obtaining timestamp for time ${v} using format ${format}: only the default format ${DEFAULT_TIME_FORMAT} is supported`);
  }
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{2})$/.exec(v);
  if (!m) throw new ModuleFailure(`Error while obtaining timestamp for time ${v} using format ${format}: time data '${v}' does not match format '${format}'`);
  // Local time of the host, as Ansible's time.mktime on the host.
  const r = await ctx.probe(`date -d ${shellQuote(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`)} +%s`);
  if (r.rc !== 0) throw new ModuleFailure(`Error while obtaining timestamp for time ${v} using format ${format}: ${r.stderr.trim()}`);
  return Number(r.stdout.trim());
}

/** Ansible's update_timestamp_for_file. */
async function updateTimestamps(ctx: Ctx, path: string, mtime: Stamp, atime: Stamp, diff?: Diff): Promise<boolean> {
  if (mtime === 'preserve' && atime === 'preserve') return false;
  const st = await statPath(ctx, path, true);
  if (!st) {
    if (ctx.check) return true;
    throw new ModuleFailure(`Error while updating modification or access time: [Errno 2] No such file or directory: '${path}'`, { path });
  }
  const now = Date.now() / 1000;
  const newM = mtime === 'preserve' ? st.mtime : mtime === 'now' ? now : mtime;
  const newA = atime === 'preserve' ? st.atime : atime === 'now' ? now : atime;
  const both = mtime === 'now' && atime === 'now';
  if (!both && newM === st.mtime && newA === st.atime) return false;
  const q = shellQuote(path);
  const cmd = both
    ? `touch -c -- ${q}`
    : [
        newM !== st.mtime ? `touch -c -m -d @${newM} -- ${q}` : '',
        newA !== st.atime ? `touch -c -a -d @${newA} -- ${q}` : '',
      ].filter(Boolean).join(' && ');
  if (cmd) {
    const r = await ctx.run(cmd);
    if (r.rc !== 0) throw new ModuleFailure(`Error while updating modification or access time: ${r.stderr.trim()}`, { path });
  }
  if (diff) {
    if (newM !== st.mtime || both) { diff.before.mtime = st.mtime; diff.after.mtime = newM; }
    if (newA !== st.atime || both) { diff.before.atime = st.atime; diff.after.atime = newA; }
  }
  return true;
}

async function initialDiff(ctx: Ctx, path: string, state: string, prev: string): Promise<Diff> {
  const diff: Diff = { before: { path }, after: { path } };
  if (prev !== state) {
    diff.before.state = prev;
    diff.after.state = state;
    if (state === 'absent' && prev === 'directory') {
      const dirs = await ctx.probe(`find ${shellQuote(path)} -mindepth 1 -type d`);
      const files = await ctx.probe(`find ${shellQuote(path)} -mindepth 1 ! -type d`);
      const lines = (s: string) => s.split('\n').filter((l) => l !== '');
      diff.before.path_content = { directories: lines(dirs.stdout), files: lines(files.stdout) };
    }
  }
  return diff;
}

interface Common {
  readonly attrs: FileAttributes;
  readonly follow: boolean;
  readonly mtime: Stamp;
  readonly atime: Stamp;
}

/** The path the attributes apply to: a link's target when following (load_file_common_arguments). */
async function attrTarget(ctx: Ctx, path: string, follow: boolean): Promise<string> {
  if (!follow) return path;
  const st = await statPath(ctx, path, false);
  return st?.type === 'link' ? realPath(ctx, path) : path;
}

async function setAttrs(ctx: Ctx, path: string, c: Common, diff: Diff | undefined): Promise<boolean> {
  const target = await attrTarget(ctx, path, c.follow);
  const st = await statPath(ctx, target, false);
  let changed = await applyAttributes(ctx, target, c.attrs, st, diff);
  changed = (await updateTimestamps(ctx, target, c.mtime, c.atime, diff)) || changed;
  return changed;
}

async function ensureAbsent(ctx: Ctx, path: string): Promise<Out> {
  const prev = fileState(await statPath(ctx, path));
  if (prev === 'absent') return { path, changed: false, state: 'absent' };
  const diff = await initialDiff(ctx, path, 'absent', prev);
  const r = await ctx.run(prev === 'directory' ? `rm -rf -- ${shellQuote(path)}` : `rm -f -- ${shellQuote(path)}`);
  if (r.rc !== 0) {
    throw new ModuleFailure(prev === 'directory' ? `rmtree failed: ${r.stderr.trim()}` : `unlinking failed: ${r.stderr.trim()} `, { path });
  }
  return { path, changed: true, diff, state: 'absent' };
}

async function touch(ctx: Ctx, path: string, c: Common): Promise<Out> {
  const prev = fileState(await statPath(ctx, path));
  let changed = false;
  if (prev === 'absent') {
    const r = await ctx.run(`touch -- ${shellQuote(path)}`);
    if (ctx.check) return { dest: path, changed: true };
    if (r.rc !== 0) throw new ModuleFailure(`Error, could not touch target: ${r.stderr.trim()}`, { path });
    changed = true;
  }
  const diff = await initialDiff(ctx, path, 'touch', prev);
  try {
    changed = (await setAttrs(ctx, path, c, diff)) || changed;
  } catch (e) {
    if (prev === 'absent') await ctx.run(`rm -f -- ${shellQuote(path)}`);
    throw e;
  }
  return { dest: path, changed, diff };
}

async function ensureFile(ctx: Ctx, path0: string, c: Common): Promise<Out> {
  let path = path0;
  let prev = fileState(await statPath(ctx, path));
  if (prev !== 'file' && c.follow && prev === 'link') {
    path = await realPath(ctx, path);
    prev = fileState(await statPath(ctx, path));
  }
  if (prev !== 'file' && prev !== 'hard') {
    throw new ModuleFailure(`file (${path}) is ${prev}, cannot continue`, { path, state: prev });
  }
  const diff = await initialDiff(ctx, path, 'file', prev);
  const changed = await setAttrs(ctx, path, { ...c, follow: false }, diff);
  return { path, changed, diff };
}

/** `mkdir` one directory and, in the same round trip, stat it (remembered for statPath). */
async function mkdirAndStat(ctx: Ctx, dir: string): Promise<{ readonly made: boolean; readonly error: string }> {
  const stat = statBothCommand(dir);
  const r = await ctx.run(`mkdir -- ${shellQuote(dir)} || exit $?\n${stat}`);
  if (r.rc !== 0) return { made: false, error: r.stderr.trim() };
  ctx.rememberProbe?.(stat, { rc: 0, stdout: r.stdout, stderr: '' });
  return { made: true, error: '' };
}

async function ensureDirectory(ctx: Ctx, path0: string, recurse: boolean, c: Common): Promise<Out> {
  let path = path0;
  let prev = fileState(await statPath(ctx, path));
  if (c.follow && prev === 'link') {
    path = await realPath(ctx, path);
    prev = fileState(await statPath(ctx, path));
  }
  const diff = await initialDiff(ctx, path, 'directory', prev);
  if (prev === 'absent') {
    if (ctx.check) {
      await ctx.run(`mkdir -p -- ${shellQuote(path)}`); // recorded for the check-mode plan, not run
      return { path, changed: true, diff };
    }
    // Create each missing component, applying attributes to each one created (as Ansible does).
    const parts = path.replace(/^\/+|\/+$/g, '').split('/');
    const components: string[] = [];
    for (const part of parts) {
      const last = components.at(-1) ?? '';
      components.push(path.startsWith('/') ? `${last}/${part}` : last === '' ? part : `${last}/${part}`);
    }
    await prefetchProbes(ctx, components.map(statBothCommand));
    let changed = false;
    let createdParent = false;
    for (const cur of components) {
      // below a directory this task just made there is nothing yet
      const st = createdParent ? undefined : await statPath(ctx, cur, true);
      if (st) continue;
      const { made, error } = await mkdirAndStat(ctx, cur);
      if (!made && !(await statPath(ctx, cur, true))) {
        throw new ModuleFailure(`There was an issue creating ${cur} as requested: ${error}`, { path });
      }
      createdParent = made;
      changed = true;
      changed = (await applyAttributes(ctx, cur, c.attrs, await statPath(ctx, cur), diff)) || changed;
      changed = (await updateTimestamps(ctx, path, c.mtime, c.atime, diff)) || changed;
    }
    return { path, changed, diff };
  }
  if (prev !== 'directory') throw new ModuleFailure(`${path} already exists as a ${prev}`, { path });
  let changed = await setAttrs(ctx, path, { ...c, follow: false }, diff);
  if (recurse) changed = (await recursiveAttrs(ctx, path, c)) || changed;
  return { path, changed, diff };
}

/** Every entry under `path` with its lstat, one probe. */
async function walk(ctx: Ctx, path: string): Promise<RemoteStat[]> {
  const format = '%f|%s|%u|%g|%U|%G|%.9X|%.9Y|%.9Z|%i|%d|%h|%b|%B|%t|%T|%n';
  const r = await ctx.probe(`find ${shellQuote(path)} -mindepth 1 -exec stat -c ${shellQuote(format)} -- {} +`);
  if (r.rc !== 0) throw new ModuleFailure(`Could not recursively set attributes on ${path}. Original error was: '${r.stderr.trim()}'`);
  const out: RemoteStat[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split('|');
    const name = fields.slice(16).join('|');
    out.push(parseStatLine(name, fields.slice(0, 16).join('|')));
  }
  return out;
}

async function recursiveAttrs(ctx: Ctx, path: string, c: Common): Promise<boolean> {
  let changed = false;
  for (const st of await walk(ctx, path)) {
    changed = (await applyAttributes(ctx, st.path, c.attrs, st)) || changed;
    changed = (await updateTimestamps(ctx, st.path, c.mtime, c.atime)) || changed;
    if (st.type === 'link' && c.follow) {
      const target = await statPath(ctx, st.path, true);
      if (target) {
        const real = await realPath(ctx, st.path);
        if (target.type === 'directory') changed = (await recursiveAttrs(ctx, real, c)) || changed;
        changed = (await applyAttributes(ctx, real, c.attrs, await statPath(ctx, real))) || changed;
      }
    }
  }
  return changed;
}

async function ensureSymlink(ctx: Ctx, path: string, src0: string | undefined, force: boolean, c: Common): Promise<Out> {
  let src = src0;
  const st = await statPath(ctx, path);
  const prev = fileState(st);
  if (src === undefined && c.follow && (await statPath(ctx, path, true))) src = await readLink(ctx, path);
  const relpath = st && st.type === 'directory' ? path : dirName(path);
  const absrc = src === undefined ? undefined : joinPath(relpath, src);
  if (!force && absrc !== undefined && !(await statPath(ctx, absrc, true))) {
    throw new ModuleFailure(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`, { path, src });
  }
  if (prev === 'directory') {
    if (!force) throw new ModuleFailure(`refusing to convert from ${prev} to symlink for ${path}`, { path });
    const ls = await ctx.probe(`ls -A -- ${shellQuote(path)}`);
    if (ls.stdout.trim() !== '') throw new ModuleFailure(`the directory ${path} is not empty, refusing to convert it`, { path });
  } else if ((prev === 'file' || prev === 'hard') && !force) {
    throw new ModuleFailure(`refusing to convert from ${prev} to symlink for ${path}`, { path });
  }
  const diff = await initialDiff(ctx, path, 'link', prev);
  let changed = false;
  if (prev !== 'link') {
    if (src === undefined) throw new ModuleFailure('src is required for creating new symlinks');
    changed = true;
  } else if (src !== undefined) {
    const old = await readLink(ctx, path);
    if (old !== src) {
      diff.before.src = old;
      diff.after.src = src;
      changed = true;
    }
  }
  if (changed && src !== undefined) {
    const q = shellQuote;
    const cmd = prev === 'absent'
      ? `ln -s -- ${q(src)} ${q(path)}`
      : `${prev === 'directory' ? `rmdir -- ${q(path)} && ` : ''}ln -sfn -- ${q(src)} ${q(path)}`;
    const r = await ctx.run(cmd);
    if (r.rc !== 0) {
      throw new ModuleFailure(`${prev === 'absent' ? 'Error while linking' : 'Error while replacing'}: ${r.stderr.trim()}`, { path });
    }
  }
  if (ctx.check && !(await statPath(ctx, path, true))) return { dest: path, src, changed, diff };
  if (c.follow && !(await statPath(ctx, path, true))) {
    ctx.warn('Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.');
  } else {
    changed = (await setAttrs(ctx, path, c, diff)) || changed;
  }
  return { dest: path, src, changed, diff };
}

async function ensureHardlink(ctx: Ctx, path: string, src: string | undefined, force: boolean, c: Common): Promise<Out> {
  const st = await statPath(ctx, path);
  const prev = fileState(st);
  if (prev !== 'hard' && src === undefined) throw new ModuleFailure('src is required for creating new hardlinks');
  const srcSt = src === undefined ? undefined : await statPath(ctx, src, true);
  if (src !== undefined && !srcSt) throw new ModuleFailure('src does not exist', { dest: path, src });
  const diff = await initialDiff(ctx, path, 'hard', prev);
  let changed = false;
  if (prev === 'absent') changed = true;
  else if (prev === 'link') {
    const old = await readLink(ctx, path);
    if (old !== src) {
      diff.before.src = old;
      diff.after.src = src;
      changed = true;
    }
  } else if (prev === 'hard') {
    if (srcSt && st && st.inode !== srcSt.inode) {
      changed = true;
      if (!force) throw new ModuleFailure('Cannot link, different hard link exists at destination', { dest: path, src });
    }
  } else if (prev === 'file') {
    changed = true;
    if (!force) throw new ModuleFailure(`Cannot link, ${prev} exists at destination`, { dest: path, src });
  } else if (prev === 'directory') {
    changed = true;
    if (st && srcSt && st.inode === srcSt.inode) return { path, changed: false };
    if (!force) throw new ModuleFailure('Cannot link: different hard link exists at destination', { dest: path, src });
  }
  if (changed && src !== undefined) {
    const q = shellQuote;
    const cmd = prev === 'absent' ? `ln -- ${q(src)} ${q(path)}` : `ln -f -- ${q(src)} ${q(path)}`;
    const r = await ctx.run(cmd);
    if (r.rc !== 0) {
      throw new ModuleFailure(`${prev === 'absent' ? 'Error while linking' : 'Error while replacing'}: ${r.stderr.trim()}`, { path });
    }
  }
  if (ctx.check && !(await statPath(ctx, path, true))) return { dest: path, src, changed, diff };
  changed = (await setAttrs(ctx, path, c, diff)) || changed;
  return { dest: path, src, changed, diff };
}

/** Applies the file module to the host; the whole module result (before path info is added). */
export async function runFile(args: FileArgs, ctx: Ctx): Promise<ModuleResult> {
  let path = firstOf(args.path, args.dest, args.name);
  if (path === undefined) throw new ModuleFailure('missing required arguments: path');
  const recurse = toBool(args.recurse);
  const force = toBool(args.force);
  const follow = toBool(args.follow, true);
  const src = optString(args.src);
  let state = args.state;

  if (state !== 'link' && state !== 'absent' && src !== undefined) {
    const st = await statPath(ctx, path, true);
    if (st?.type === 'directory') path = joinPath(path, baseName(src));
  }
  if (state === undefined) {
    const prev = fileState(await statPath(ctx, path));
    state = prev !== 'absent' ? prev : recurse ? 'directory' : 'file';
  }
  if (recurse && state !== 'directory') throw new ModuleFailure("recurse option requires state to be 'directory'", { path });
  if (src !== undefined && state !== 'link' && state !== 'hard') {
    throw new ModuleFailure("src option requires state to be 'link' or 'hard'", { path });
  }
  const attrs: FileAttributes = { mode: args.mode, owner: args.owner, group: args.group };
  if (ctx.check && state !== 'absent') await warnMissingOwners(ctx, attrs);
  const common: Common = {
    attrs,
    follow,
    mtime: await parseStamp(ctx, args.modification_time, args.modification_time_format ?? DEFAULT_TIME_FORMAT, state),
    atime: await parseStamp(ctx, args.access_time, args.access_time_format ?? DEFAULT_TIME_FORMAT, state),
  };

  let out: Out;
  switch (state) {
    case 'absent': out = await ensureAbsent(ctx, path); break;
    case 'touch': out = await touch(ctx, path, common); break;
    case 'file': out = await ensureFile(ctx, path, common); break;
    case 'directory': out = await ensureDirectory(ctx, path, recurse, common); break;
    case 'link': out = await ensureSymlink(ctx, path, src, force, common); break;
    case 'hard': out = await ensureHardlink(ctx, path, src, force, common); break;
  }
  const { changed, diff, ...rest } = out;
  const infoPath = (typeof rest.path === 'string' ? rest.path : undefined) ?? (typeof rest.dest === 'string' ? rest.dest : undefined);
  const info = infoPath === undefined ? {} : await pathInfo(ctx, infoPath);
  const values: Record<string, unknown> = { ...rest, ...info };
  if (values.src === undefined) delete values.src;
  // the file module always returns its before/after dicts as `diff`; --diff only decides the display
  if (diff) values.diff = { before: { ...diff.before }, after: { ...diff.after } };
  return {
    changed,
    values,
    ...(diff && ctx.diff ? { diff: [dictDiff(diff.before, diff.after)] } : {}),
  };
}

async function warnMissingOwners(ctx: Ctx, attrs: FileAttributes): Promise<void> {
  for (const [db, value, word, idWord] of [
    ['passwd', attrs.owner, 'user', 'uid'],
    ['group', attrs.group, 'group', 'gid'],
  ] as const) {
    if (value === undefined || value === '') continue;
    const r = await ctx.probe(`getent ${db} ${shellQuote(String(value))}`);
    if (r.rc === 0) continue;
    const numeric = /^\d+$/.test(String(value));
    ctx.warn(
      numeric
        ? `failed to look up ${word} with ${idWord} ${value}. Create ${word} up to this point in real play`
        : `failed to look up ${word} ${value}. Create ${word} up to this point in real play`,
    );
  }
}

export const fileModule: Module<FileArgs> = {
  name: 'file',
  description: 'Manage files, directories, symlinks and hard links and their attributes.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', description: 'Path to the file being managed (aliases: dest, name).' },
      dest: { type: 'string', description: 'Alias of path.' },
      name: { type: 'string', description: 'Alias of path.' },
      state: {
        type: 'string',
        enum: ['absent', 'directory', 'file', 'hard', 'link', 'touch'],
        description:
          'absent removes (recursively); directory creates parents; file only sets attributes of an existing file; ' +
          'touch creates or updates timestamps; link/hard create symbolic/hard links to src. Default: the current state, or file.',
      },
      recurse: { type: 'boolean', description: 'Set attributes recursively (state=directory only).' },
      force: { type: 'boolean', description: 'Replace an existing file or empty directory with the link, or link to a missing src.' },
      follow: { type: 'boolean', description: 'Follow symlinks when setting attributes (default true).' },
      src: { type: 'string', description: 'Target of the link (state=link or hard).' },
      modification_time: { type: 'string', description: "mtime to set: 'preserve', 'now' or a time in modification_time_format." },
      modification_time_format: { type: 'string', description: "strftime format of modification_time (default '%Y%m%d%H%M.%S')." },
      access_time: { type: 'string', description: "atime to set: 'preserve', 'now' or a time in access_time_format." },
      access_time_format: { type: 'string', description: "strftime format of access_time (default '%Y%m%d%H%M.%S')." },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
  },
  run: runFile,
};
