import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join as joinLocal } from 'node:path';
import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { baseName, dirName, joinPath, toBool } from './util/file-args.js';
import { deployFile } from './util/copy-core.js';
import { runFile } from './file.js';
import type { FileAttributes } from './util/file-state.js';
import { applyAttributes, backupFile, FILE_ATTRIBUTE_SCHEMA, moveIntoPlace, tempPathFor } from './util/file-state.js';
import { formatMode, pathInfo, remoteMd5, remoteSha1, statPath } from './util/fs-probe.js';

export interface CopyArgs extends FileAttributes {
  readonly src?: string;
  readonly content?: unknown;
  readonly dest?: string;
  readonly backup?: boolean;
  readonly force?: boolean;
  readonly follow?: boolean;
  readonly local_follow?: boolean;
  readonly remote_src?: boolean;
  readonly directory_mode?: string | number;
  readonly validate?: string;
  readonly checksum?: string;
  readonly decrypt?: boolean;
}

function contentBytes(content: unknown): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (content !== null && typeof content === 'object') return Buffer.from(JSON.stringify(content), 'utf8');
  return Buffer.from(String(content), 'utf8');
}

/** copy with remote_src: the copy module run on the host with a host-side source. */
async function copyRemote(args: CopyArgs & { dest: string; src: string }, ctx: ModuleContext, attrs: FileAttributes): Promise<ModuleResult> {
  const src = args.src;
  const srcSt = await statPath(ctx, src, true);
  if (!srcSt) throw new ModuleFailure(`Source ${src} not found`);
  if (srcSt.type === 'directory') return copyRemoteDir(args, ctx, attrs);
  let dest = args.dest;
  if (dest.endsWith('/')) dest = joinPath(dest, baseName(src));
  const force = toBool(args.force, true);
  const follow = toBool(args.follow);
  let st = await statPath(ctx, dest, follow);
  if (st?.type === 'directory') {
    dest = joinPath(dest, baseName(src));
    st = await statPath(ctx, dest, follow);
  }
  const checksumSrc = await remoteSha1(ctx, src);
  if (checksumSrc === undefined) throw new ModuleFailure(`Source ${src} not readable`);
  const md5sumSrc = await remoteMd5(ctx, src);
  if (st && !force) return { changed: false, values: { src, dest }, msg: 'file already exists' };
  const checksumDest = st ? await remoteSha1(ctx, dest) : undefined;
  let changed = false;
  let backupName: string | undefined;
  if (checksumSrc !== checksumDest) {
    if (ctx.check) return { changed: true, values: { dest, src, md5sum: md5sumSrc, checksum: checksumSrc } };
    const parent = dirName(dest) || '.';
    if (!(await statPath(ctx, parent, true))) {
      if (!args.dest.endsWith('/')) throw new ModuleFailure(`Destination directory ${parent} does not exist`);
      const r = await ctx.run(`mkdir -p -- ${shellQuote(parent)}`);
      if (r.rc !== 0) throw new ModuleFailure(`Destination directory ${parent} is not accessible`);
    }
    if (toBool(args.backup) && st) backupName = await backupFile(ctx, dest);
    const tmp = tempPathFor(dest);
    const cp = await ctx.run(`cp -- ${shellQuote(src)} ${shellQuote(tmp)}`);
    if (cp.rc !== 0) throw new ModuleFailure(`failed to copy: ${src} to ${dest}`, { stderr: cp.stderr });
    if (args.validate !== undefined) {
      const v = await ctx.run(args.validate.split('%s').join(shellQuote(tmp)));
      if (v.rc !== 0) {
        await ctx.run(`rm -f -- ${shellQuote(tmp)}`);
        throw new ModuleFailure('failed to validate', { exit_status: v.rc, stdout: v.stdout, stderr: v.stderr });
      }
    }
    await moveIntoPlace(ctx, tmp, dest, st !== undefined);
    changed = true;
  }
  changed = (await applyAttributes(ctx, dest, attrs, await statPath(ctx, dest, false))) || changed;
  const values: Record<string, unknown> = {
    dest,
    src,
    md5sum: md5sumSrc,
    checksum: checksumSrc,
    ...(backupName !== undefined ? { backup_file: backupName } : {}),
    ...(await pathInfo(ctx, dest)),
  };
  return { changed, values };
}

/** os.path.basename / os.path.join, which treat a trailing slash as an empty last component. */
const pyBase = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const pyJoin = (a: string, b: string): string => (b.startsWith('/') ? b : a.endsWith('/') || a === '' ? a + b : `${a}/${b}`);

/**
 * filecmp.dircmp-style sync of a host directory into another, as the copy module's copy_diff_files,
 * copy_left_only and copy_common_dirs: entries only in src are copied, common files with different
 * content replaced (keeping src's mode), common directories recursed. Prints one `C` per change;
 * with DRY set it only prints. Symlinks only in src follow Ansible 2.14 to the letter: with
 * local_follow unset ($LF empty) they count as a change but are not copied, with local_follow=true
 * their target is copied, with false the link is recreated; broken links are never copied.
 */
const SYNC_FN =
  'sync_dir() { for s in "$1"/* "$1"/.[!.]* "$1"/..?*; do [ -e "$s" ] || [ -L "$s" ] || continue; n=${s##*/}; d="$2/$n"; ' +
  'if [ ! -e "$d" ] && [ ! -L "$d" ]; then echo C; [ -n "$DRY" ] && continue; ' +
  'if [ ! -L "$s" ]; then cp -RP --preserve=mode,timestamps -- "$s" "$d" || exit 1; ' +
  'elif [ -e "$s" ] && [ "$LF" = 1 ]; then if [ -d "$s" ]; then cp -RL --preserve=mode,timestamps -- "$s" "$d" || exit 1; else cat -- "$s" > "$d" || exit 1; fi; ' +
  'elif [ -e "$s" ] && [ "$LF" = 0 ]; then cp -P -- "$s" "$d" || exit 1; fi; ' +
  'elif [ -d "$s" ] && [ ! -L "$s" ] && [ -d "$d" ] && [ ! -L "$d" ]; then sync_dir "$s" "$d" || exit 1; ' +
  'elif [ -f "$s" ] && [ -f "$d" ] && ! cmp -s -- "$s" "$d"; then echo C; [ -n "$DRY" ] || { cp -- "$s" "$d" && chmod --reference="$s" -- "$d"; } || exit 1; fi; done; }';

/** Runs a directory change: recorded + dry-run probed in check mode. Returns whether anything changed. */
async function dirChange(ctx: ModuleContext, script: string): Promise<boolean> {
  if (ctx.check) {
    await ctx.run(script);
    return (await ctx.probe(`DRY=1; ${script}`)).stdout.includes('C');
  }
  const r = await ctx.run(`DRY=; ${script}`);
  if (r.rc !== 0) throw new ModuleFailure(`failed to copy: ${r.stderr.trim()}`, { stderr: r.stderr });
  return r.stdout.includes('C');
}

const lfValue = (localFollow: boolean | undefined): string => (localFollow === undefined ? '' : localFollow ? '1' : '0');

async function syncDir(ctx: ModuleContext, src: string, dest: string, localFollow: boolean | undefined): Promise<boolean> {
  return dirChange(ctx, `LF=${lfValue(localFollow)}; ${SYNC_FN}; sync_dir ${shellQuote(src.replace(/\/+$/, '') || '/')} ${shellQuote(dest)}`);
}

/** shutil.copytree(symlinks=not local_follow). */
async function copyTree(ctx: ModuleContext, src: string, dest: string, localFollow: boolean | undefined): Promise<boolean> {
  const cmd = `cp -R${localFollow === true ? 'L' : 'P'} --preserve=mode,timestamps -- ${shellQuote(src.replace(/\/+$/, '') || '/')} ${shellQuote(dest.replace(/\/+$/, ''))}`;
  const r = await ctx.run(cmd);
  if (r.rc !== 0) throw new ModuleFailure(`failed to copy: ${src} to ${dest}`, { stderr: r.stderr });
  return true;
}

/** chown_recursive: owner/group on a whole tree; changed when anything had another owner. */
async function chownTree(ctx: ModuleContext, path: string, attrs: FileAttributes): Promise<boolean> {
  if (!attrs.owner && !attrs.group) return false;
  const q = shellQuote(path);
  const tests = [attrs.owner ? `! -user ${shellQuote(String(attrs.owner))}` : '', attrs.group ? `! -group ${shellQuote(String(attrs.group))}` : ''].filter(Boolean);
  const differs = await ctx.probe(`find ${q} \\( ${tests.join(' -o ')} \\) -print 2>/dev/null | head -n 1`);
  if (differs.stdout.trim() === '') return false;
  const spec = `${attrs.owner ?? ''}${attrs.group ? `:${attrs.group}` : ''}`;
  const r = await ctx.run(`chown -R -- ${shellQuote(spec)} ${q}`);
  if (r.rc !== 0) throw new ModuleFailure(`chown failed: ${r.stderr.trim()}`, { path });
  return true;
}

/** The copy module's remote_src directory branch (Ansible 2.14 copy.py main()). */
async function copyRemoteDir(args: CopyArgs & { dest: string; src: string }, ctx: ModuleContext, attrs: FileAttributes): Promise<ModuleResult> {
  const src = args.src;
  const slash = src.endsWith('/');
  let dest = args.dest;
  if (dest.endsWith('/')) {
    const dirname = dest.replace(/\/+$/, '') || '/';
    if (!(await statPath(ctx, dirname, true))) {
      if (ctx.check) return { changed: true, msg: `dest directory ${dirname} would be created`, values: { src } };
      const r = await ctx.run(`mkdir -p -- ${shellQuote(dirname)}`);
      if (r.rc !== 0) throw new ModuleFailure(`Destination directory ${dirname} is not accessible`);
      if (args.directory_mode !== undefined) await applyAttributes(ctx, dirname, { ...attrs, mode: args.directory_mode }, await statPath(ctx, dirname));
    }
  }
  const paramSt = await statPath(ctx, args.dest, true);
  if (paramSt?.type === 'directory') dest = pyJoin(dest, pyBase(src));
  const destSt = await statPath(ctx, dest, true);
  if (destSt && !toBool(args.force, true)) return { changed: false, msg: 'file already exists', values: { src, dest } };
  if (!destSt) {
    const parent = dirName(dest) || '.';
    if (!(await statPath(ctx, parent, true))) throw new ModuleFailure(`Destination directory ${parent} does not exist`);
  }
  let changed = false;
  const paramIsDir = paramSt?.type === 'directory';
  const lf = args.local_follow === undefined ? undefined : toBool(args.local_follow);
  if (slash && paramIsDir) {
    changed = (await syncDir(ctx, src, args.dest, lf)) || changed;
    changed = (await chownTree(ctx, args.dest, attrs)) || changed;
  } else if (slash && !paramSt) {
    changed = await copyTree(ctx, src, args.dest, lf);
    if (!ctx.check) await chownTree(ctx, args.dest, attrs);
  } else if (!slash && paramIsDir) {
    const target = pyJoin(args.dest, pyBase(src));
    if (!(await statPath(ctx, target, false))) {
      changed = await copyTree(ctx, src, target, lf);
      if (!ctx.check) await chownTree(ctx, args.dest, attrs);
    } else {
      changed = (await syncDir(ctx, src, target, lf)) || changed;
      changed = (await chownTree(ctx, target, attrs)) || changed;
    }
  } else if (!slash && !paramSt) {
    const target = pyJoin(args.dest, pyBase(src));
    if (ctx.check) {
      await ctx.run(`mkdir -p -- ${shellQuote(target)}`);
      changed = true;
    } else {
      const r = await ctx.run(`mkdir -p -- ${shellQuote(target)}`);
      if (r.rc !== 0) throw new ModuleFailure(`failed to create ${target}: ${r.stderr.trim()}`);
      changed = (await syncDir(ctx, src, target, lf)) || changed;
      changed = (await chownTree(ctx, target, attrs)) || changed;
    }
  }
  if (!ctx.check || (await statPath(ctx, dest, false))) {
    changed = (await applyAttributes(ctx, dest, attrs, await statPath(ctx, dest, false))) || changed;
  }
  return { changed, values: { dest, src, md5sum: null, checksum: null, ...(await pathInfo(ctx, dest)) } };
}

interface LocalTree {
  readonly files: [string, string][];
  readonly dirs: [string, string][];
  readonly links: [string, string][];
}

/**
 * The copy action's _walk_dirs: the files, directories and symlinks under a controller directory,
 * with their paths relative to dest (the directory's own name first unless src ends with '/').
 * With local_follow, symlinks to files are copied as files and symlinked directories walked,
 * unless that would loop.
 */
async function walkLocal(top: string, localFollow: boolean): Promise<LocalTree> {
  const tree: LocalTree = { files: [], dirs: [], links: [] };
  const root = top.replace(/\/+$/, '') || '/';
  const base = top.endsWith('/') ? '' : pyBase(root);
  const visit = async (dir: string, rel: string, parents: ReadonlySet<string>): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
    const subdirs: string[] = [];
    const kinds = await Promise.all(entries.map(async (e) => ({ e, dir: e.isDirectory() || (e.isSymbolicLink() && (await isDir(joinLocal(dir, e.name)))) })));
    for (const { e } of kinds.filter((k) => !k.dir)) {
      const abs = joinLocal(dir, e.name);
      const relPath = pyJoin(rel, e.name);
      if (!e.isSymbolicLink()) tree.files.push([abs, relPath]);
      else {
        const real = await realpath(abs).catch(() => undefined);
        const isFile = real !== undefined && (await stat(real)).isFile();
        if (localFollow && isFile) tree.files.push([real, relPath]);
        else tree.links.push([await readlink(abs), relPath]);
      }
    }
    for (const { e } of kinds.filter((k) => k.dir)) {
      const abs = joinLocal(dir, e.name);
      const relPath = pyJoin(rel, e.name);
      if (!e.isSymbolicLink()) {
        tree.dirs.push([abs, relPath]);
        subdirs.push(e.name);
      } else if (!localFollow) tree.links.push([await readlink(abs), relPath]);
      else {
        const real = await realpath(abs);
        if (parents.has(real) || [...parents].some((p) => p.startsWith(`${real}/`))) tree.links.push([await readlink(abs), relPath]);
        else {
          tree.dirs.push([real, relPath]);
          await visit(real, relPath, new Set([...parents, real]));
        }
      }
    }
    for (const name of subdirs) await visit(joinLocal(dir, name), pyJoin(rel, name), new Set([...parents, await realpath(joinLocal(dir, name))]));
  };
  const lst = await lstat(root);
  if (lst.isSymbolicLink() && !localFollow) return { ...tree, links: [[await readlink(root), pyBase(root)]] };
  await visit(root, base, new Set([await realpath(root)]));
  return tree;
}

/** The copy action for a controller directory src: every file through copy, directories and links through file. */
async function copyLocalDir(args: CopyArgs & { dest: string; src: string }, source: string, ctx: ModuleContext, attrs: FileAttributes): Promise<ModuleResult> {
  const tree = await walkLocal(source, toBool(args.local_follow, true));
  const dest = args.dest.endsWith('/') ? args.dest : `${args.dest}/`;
  const follow = tree.dirs.length > 0 ? false : toBool(args.follow);
  let changed = false;
  let executed = false;
  let last: ModuleResult = { changed: false };
  for (const [abs, rel] of tree.files) {
    let mode = attrs.mode;
    const content = await readFile(abs);
    if (mode === 'preserve') mode = formatMode((await stat(abs)).mode & 0o7777);
    const r = await deployFile(ctx, {
      content, sourcePath: abs, sourceRel: rel, isContent: false, dest, force: toBool(args.force, true), follow,
      backup: toBool(args.backup), attrs: { ...attrs, mode }, directoryMode: args.directory_mode, validate: args.validate,
    });
    executed = true;
    changed = changed || r.changed;
    last = r;
  }
  const fileAttrs = { owner: attrs.owner, group: attrs.group };
  for (const [, rel] of tree.dirs) {
    last = await runFile({ path: pyJoin(dest, rel), state: 'directory', ...fileAttrs, mode: args.directory_mode, recurse: false }, ctx);
    executed = true;
    changed = changed || last.changed;
  }
  for (const [target, rel] of tree.links) {
    const mode = attrs.mode === 'preserve' ? undefined : attrs.mode;
    last = await runFile({ path: pyJoin(dest, rel), src: target, state: 'link', force: true, ...fileAttrs, mode, ...(tree.dirs.length > 0 ? { follow: false } : {}) }, ctx);
    executed = true;
    changed = changed || last.changed;
  }
  if (executed && tree.files.length === 1) {
    const values: Record<string, unknown> = { ...(last.values ?? {}) };
    if (values.path !== undefined && values.dest === undefined) values.dest = values.path;
    return { ...last, values };
  }
  return { changed, values: { dest, src: source } };
}

export const copyModule: Module<CopyArgs> = {
  name: 'copy',
  description: 'Copy a controller file, or inline content, to the host (or a host file with remote_src).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    properties: {
      src: { type: 'string', description: "Controller file to copy (looked up in the role's files/ then the playbook dir); a host path with remote_src." },
      content: { description: 'Inline content for dest instead of src (dicts and lists are written as JSON).' },
      dest: { type: 'string', description: 'Host path to write; a trailing slash (or an existing directory) puts the file inside it.' },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of the replaced file (returned as backup_file).' },
      force: { type: 'boolean', description: 'Replace dest when its content differs (default true); false only creates missing files.' },
      follow: { type: 'boolean', description: 'Follow a symlink at dest (write to its target).' },
      local_follow: { type: 'boolean', description: 'Follow symlinks in the controller source (default true).' },
      remote_src: { type: 'boolean', description: 'src is a path on the host, not on the controller.' },
      directory_mode: { type: ['string', 'integer'], description: 'Mode of directories created for dest.' },
      validate: { type: 'string', description: "Command to validate the new file before it replaces dest; '%s' is its path." },
      checksum: { type: 'string', description: 'Expected sha1 of the file being transferred.' },
      decrypt: { type: 'boolean', description: 'Decrypt vault-encrypted source files (default true).' },
      ...FILE_ATTRIBUTE_SCHEMA,
      mode: { ...FILE_ATTRIBUTE_SCHEMA.mode, description: `${FILE_ATTRIBUTE_SCHEMA.mode.description} 'preserve' keeps the source's mode.` },
    },
  },
  async run(args, ctx) {
    const hasContent = args.content !== undefined && args.content !== null;
    if (!args.src && !hasContent) throw new ModuleFailure('src (or content) is required');
    if (!args.dest) throw new ModuleFailure('dest is required');
    if (args.src && hasContent) throw new ModuleFailure('src and content are mutually exclusive');
    if (hasContent && args.dest.endsWith('/')) throw new ModuleFailure('can not use content with a dir as dest');
    const attrs: FileAttributes = { mode: args.mode, owner: args.owner, group: args.group };
    if (toBool(args.remote_src)) {
      const remote = { ...args, dest: args.dest, src: args.src as string };
      if (attrs.mode === 'preserve') {
        const st = await statPath(ctx, remote.src, true);
        return copyRemote(remote, ctx, { ...attrs, mode: st ? formatMode(st.mode) : undefined });
      }
      return copyRemote(remote, ctx, attrs);
    }
    let content: Buffer;
    let sourcePath: string;
    let sourceRel: string;
    let mode = attrs.mode;
    if (hasContent) {
      content = contentBytes(args.content);
      sourcePath = `${ctx.host}:content`;
      sourceRel = 'source';
    } else {
      const src = args.src as string;
      try {
        sourcePath = await ctx.findLocalFile(src, 'files');
      } catch (e) {
        throw new ModuleFailure(`Could not find or access '${src}'${e instanceof Error && !e.message.includes(src) ? `: ${e.message}` : ''}`);
      }
      const st = await stat(sourcePath);
      if (st.isDirectory()) {
        const source = src.endsWith('/') && !sourcePath.endsWith('/') ? `${sourcePath}/` : sourcePath;
        return copyLocalDir({ ...args, dest: args.dest, src }, source, ctx, attrs);
      }
      content = await readFile(sourcePath);
      sourceRel = baseName(src);
      if (mode === 'preserve') mode = formatMode(st.mode & 0o7777);
    }
    return deployFile(ctx, {
      content,
      sourcePath,
      sourceRel,
      isContent: hasContent,
      dest: args.dest,
      force: toBool(args.force, true),
      follow: toBool(args.follow),
      backup: toBool(args.backup),
      attrs: { ...attrs, mode },
      directoryMode: args.directory_mode,
      validate: args.validate,
      checksum: args.checksum,
    });
  },
};
