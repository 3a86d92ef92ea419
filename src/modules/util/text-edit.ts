import { shellQuote } from '../../connection/types.js';
import type { FileDiff, ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';
import { attributeDiff } from './diff.js';
import { dirName } from './file-args.js';
import type { AttrDiff, FileAttributes } from './file-state.js';
import { applyAttributes, backupFile, writeFileAtomic } from './file-state.js';
import { readText, realPath, statPath } from './fs-probe.js';

/** The current text of a file that lineinfile/blockinfile edit. */
export interface EditTarget {
  readonly path: string;
  readonly exists: boolean;
  readonly text: string;
}

/** Reads `path` for editing; fails like Ansible when it is a directory (rc 256). */
export async function readForEdit(ctx: ModuleContext, path: string): Promise<EditTarget> {
  const st = await statPath(ctx, path, true);
  if (st?.type === 'directory') throw new ModuleFailure(`Path ${path} is a directory !`, { rc: 256 });
  if (!st) return { path, exists: false, text: '' };
  return { path, exists: true, text: (await readText(ctx, path)) ?? '' };
}

/** Python's readlines()/splitlines(True) on '\n': lines keep their newline. */
export function splitLinesKeep(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

/** Creates the parent directory of a file about to be created (`create: true`). */
export async function ensureParent(ctx: ModuleContext, path: string): Promise<void> {
  const parent = dirName(path);
  if (parent === '' || ctx.check) return;
  if (await statPath(ctx, parent, true)) return;
  const r = await ctx.run(`mkdir -p -- ${shellQuote(parent)}`);
  if (r.rc !== 0) throw new ModuleFailure(`Error creating ${parent} (${r.stderr.trim()})`);
}

/**
 * write_changes: validates (when asked) and atomically writes the new text to the real path.
 * Returns the backup file name ('' when none was made).
 */
export async function writeChanges(
  ctx: ModuleContext,
  target: EditTarget,
  text: string,
  options: { backup: boolean; validate?: string },
): Promise<string> {
  let backup = '';
  if (options.backup && target.exists) backup = await backupFile(ctx, target.path);
  const real = await realPath(ctx, target.path);
  if (options.validate !== undefined) {
    if (!options.validate.includes('%s')) throw new ModuleFailure(`validate must contain %s: ${options.validate}`);
    const tmp = `${real}.tsbook-validate-${process.pid}`;
    await ctx.put({ content: text }, tmp);
    const v = await ctx.run(options.validate.split('%s').join(shellQuote(tmp)));
    await ctx.run(`rm -f -- ${shellQuote(tmp)}`);
    if (v.rc !== 0) throw new ModuleFailure(`failed to validate: rc:${v.rc} error:${v.stderr}`);
  }
  await writeFileAtomic(ctx, real, text, target.exists);
  return backup;
}

/**
 * check_file_attrs: applies mode/owner/group after an edit; returns the message and changed flag
 * Ansible reports, plus the attribute diff.
 */
export async function checkFileAttrs(
  ctx: ModuleContext,
  path: string,
  attrs: FileAttributes,
  changed: boolean,
  message: string,
): Promise<{ msg: string; changed: boolean; diff: FileDiff | undefined; registered: Record<string, unknown> }> {
  const d: AttrDiff = { before: {}, after: {} };
  const st = await statPath(ctx, path, true);
  const attrChanged = await applyAttributes(ctx, st ? await realPath(ctx, path) : path, attrs, st, d);
  let msg = message;
  let ch = changed;
  if (attrChanged) {
    if (ch) msg += ' and ';
    ch = true;
    msg += 'ownership, perms or SE linux context changed';
  }
  const headers = { before_header: `${path} (file attributes)`, after_header: `${path} (file attributes)` };
  const registered = Object.keys(d.before).length > 0 || Object.keys(d.after).length > 0 ? { before: d.before, after: d.after, ...headers } : headers;
  return { msg, changed: ch, diff: attributeDiff(path, d.before, d.after), registered };
}

/** The content diff both editors produce. */
export function editDiff(path: string, before: string, after: string): FileDiff {
  return { before, after, before_header: `${path} (content)`, after_header: `${path} (content)` };
}
