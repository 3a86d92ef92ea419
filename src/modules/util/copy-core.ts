import { createHash } from 'node:crypto';
import { shellQuote } from '../../connection/types.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { ModuleFailure } from '../types.js';
import { runFile } from '../file.js';
import { baseName, dirName, joinPath } from './file-args.js';
import type { FileAttributes } from './file-state.js';
import { applyAttributes, backupFile, moveIntoPlaceAndStat, tempPathFor } from './file-state.js';
import { hashCommand, pathInfo, prefetchProbes, readLink, readText, remoteSha1, statBothCommand, statPath } from './fs-probe.js';

/** One file to deploy, as the copy and template action plugins hand it to the copy module. */
export interface DeployRequest {
  readonly content: Buffer;
  /** Controller-side name of the source, for the diff's after_header and `src` when nothing ran. */
  readonly sourcePath: string;
  /** The name used under a directory dest (basename of src). */
  readonly sourceRel: string;
  /** True for `content:` (a directory dest is an error). */
  readonly isContent: boolean;
  readonly dest: string;
  readonly force: boolean;
  readonly follow: boolean;
  readonly backup: boolean;
  readonly attrs: FileAttributes;
  readonly directoryMode?: string | number;
  readonly validate?: string;
  /** Expected sha1 of the content (copy's checksum argument). */
  readonly checksum?: string;
}

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

async function contentDiffFor(ctx: ModuleContext, destFile: string, exists: boolean, req: DeployRequest): Promise<FileDiff> {
  let before = '';
  let beforeHeader: string | undefined;
  if (exists) {
    const text = await readText(ctx, destFile);
    if (text !== undefined && !text.includes('\0')) {
      before = text;
      beforeHeader = destFile;
    }
  }
  const after = req.content.includes(0) ? '' : req.content.toString('utf8');
  return {
    before,
    after,
    ...(beforeHeader !== undefined ? { before_header: beforeHeader } : {}),
    after_header: req.sourcePath,
  };
}

/**
 * Ansible's copy action (one file) followed by the copy module: compares sha1 checksums, writes
 * atomically when they differ (backup and validate first), and otherwise only applies attributes
 * through the file module. Return keys are Ansible's (dest, src, checksum, md5sum, size, mode,
 * owner, group, uid, gid, state, backup_file).
 */
export async function deployFile(ctx: ModuleContext, req: DeployRequest): Promise<ModuleResult> {
  let destFile = req.dest.endsWith('/') ? joinPath(req.dest, req.sourceRel) : req.dest;
  // one round trip for everything the comparison may read: dest's stats and sha1, its parent's stats
  await prefetchProbes(ctx, [statBothCommand(destFile), hashCommand('sha1sum', destFile), statBothCommand(dirName(destFile) || '.')]);
  let st = await statPath(ctx, destFile, req.follow);
  if (st?.type === 'directory') {
    if (req.isContent) throw new ModuleFailure('can not use content with a dir as dest');
    destFile = joinPath(destFile, req.sourceRel);
    st = await statPath(ctx, destFile, req.follow);
  }
  if (st && !req.force) {
    return { changed: false, values: { dest: req.dest, src: req.sourcePath } };
  }
  const localSum = sha1(req.content);
  const remoteSum = st && st.type !== 'directory' ? await remoteSha1(ctx, destFile) : undefined;

  if (localSum !== remoteSum) {
    const diff = ctx.diff ? [await contentDiffFor(ctx, destFile, st !== undefined, req)] : undefined;
    // the copy action registers `diff` as a list, empty without --diff
    const registeredDiff = { diff: diff ? diff.map((d) => ({ ...d })) : [] };
    if (ctx.check) {
      await ctx.put({ content: req.content }, destFile); // recorded for the check-mode plan, not written
      return { changed: true, values: registeredDiff, ...(diff ? { diff } : {}) };
    }
    if (req.checksum !== undefined && req.checksum !== localSum) {
      throw new ModuleFailure('Copied file does not match the expected checksum. Transfer failed.', { checksum: localSum, expected_checksum: req.checksum });
    }
    const parent = dirName(destFile) || '.';
    if (!(await statPath(ctx, parent, true))) {
      if (!req.dest.endsWith('/')) throw new ModuleFailure(`Destination directory ${parent} does not exist`);
      const r = await ctx.run(`mkdir -p -- ${shellQuote(parent)}`);
      if (r.rc !== 0) throw new ModuleFailure(`Destination directory ${parent} is not accessible`);
      if (req.directoryMode !== undefined) {
        await applyAttributes(ctx, parent, { mode: req.directoryMode }, await statPath(ctx, parent));
      }
    }
    let backupName: string | undefined;
    if (req.backup && st) backupName = await backupFile(ctx, destFile);
    const tmp = tempPathFor(destFile);
    await ctx.put({ content: req.content }, tmp);
    if (req.validate !== undefined) {
      if (!req.validate.includes('%s')) throw new ModuleFailure(`validate must contain %s: ${req.validate}`);
      const v = await ctx.run(req.validate.split('%s').join(shellQuote(tmp)));
      if (v.rc !== 0) {
        await ctx.run(`rm -f -- ${shellQuote(tmp)}`);
        throw new ModuleFailure('failed to validate', { exit_status: v.rc, stdout: v.stdout, stderr: v.stderr });
      }
    }
    // follow: write through a symlink dest to its target, as atomic_move on realpath does.
    let target = destFile;
    if (req.follow) {
      const lst = await statPath(ctx, destFile, false);
      if (lst?.type === 'link') target = (await ctx.probe(`realpath -m -- ${shellQuote(destFile)}`)).stdout.trim() || destFile;
    }
    await moveIntoPlaceAndStat(ctx, tmp, target, st !== undefined, destFile);
    await applyAttributes(ctx, destFile, req.attrs, await statPath(ctx, destFile, false));
    const values: Record<string, unknown> = {
      dest: destFile,
      src: tmp,
      md5sum: md5(req.content),
      checksum: localSum,
      ...(backupName !== undefined ? { backup_file: backupName } : {}),
      ...(await pathInfo(ctx, destFile)),
      ...registeredDiff,
    };
    return { changed: true, values, ...(diff ? { diff } : {}) };
  }

  // Same content: only attributes may change (the file module, state=file).
  let fileDest = destFile;
  if (req.follow) {
    const lst = await statPath(ctx, destFile, false);
    if (lst?.type === 'link') fileDest = (await readLink(ctx, destFile)) ?? destFile;
  }
  const r = await runFile({ dest: fileDest, state: 'file', ...req.attrs }, ctx);
  const values: Record<string, unknown> = { ...(r.values ?? {}) };
  if (values.dest === undefined && values.path !== undefined) values.dest = values.path;
  values.checksum = localSum;
  return { ...r, values };
}

/** The basename Ansible uses for a source under a directory dest. */
export function sourceRelOf(src: string): string {
  return baseName(src);
}
