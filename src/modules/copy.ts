import { readFile, stat } from 'node:fs/promises';
import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { baseName, dirName, joinPath, toBool } from './util/file-args.js';
import { deployFile } from './util/copy-core.js';
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
  if (srcSt.type === 'directory') {
    throw new ModuleFailure('copying a directory with remote_src is not supported by tsbook yet');
  }
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
      if (st.isDirectory()) throw new ModuleFailure(`copying a directory (${src}) is not supported by tsbook yet`);
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
