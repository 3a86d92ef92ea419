import type { FileDiff, Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, mutuallyExclusive, toBool } from './util/file-args.js';
import type { FileAttributes } from './util/file-state.js';
import { FILE_ATTRIBUTE_SCHEMA } from './util/file-state.js';
import { pyRegex } from './util/pyregex.js';
import { checkFileAttrs, editDiff, ensureParent, readForEdit, splitLinesKeep, writeChanges } from './util/text-edit.js';

export interface BlockinfileArgs extends FileAttributes {
  readonly path?: string;
  readonly dest?: string;
  readonly destfile?: string;
  readonly name?: string;
  readonly state?: 'present' | 'absent';
  readonly marker?: string;
  readonly block?: string;
  readonly content?: string;
  readonly insertafter?: string;
  readonly insertbefore?: string;
  readonly create?: boolean;
  readonly backup?: boolean;
  readonly validate?: string;
  readonly marker_begin?: string;
  readonly marker_end?: string;
}

/** The pure part of blockinfile: the new text for `original` (undefined: the file does not exist). */
export function applyBlock(
  original: string | undefined,
  o: { present: boolean; block: string; marker: string; markerBegin: string; markerEnd: string; insertafter?: string; insertbefore?: string },
): { text: string; msg: string; changed: boolean } {
  const lines = splitLinesKeep(original ?? '');
  let insertafter = o.insertafter;
  const insertbefore = o.insertbefore;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  let insertre: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') insertre = pyRegex(insertafter);
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insertre = pyRegex(insertbefore);
  const marker0 = o.marker.split('{mark}').join(o.markerBegin) + '\n';
  const marker1 = o.marker.split('{mark}').join(o.markerEnd) + '\n';
  let blocklines: string[] = [];
  if (o.present && o.block) {
    const block = o.block.endsWith('\n') ? o.block : o.block + '\n';
    blocklines = [marker0, ...splitLinesKeep(block), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre) {
      if (insertre.multiline) {
        const text = original ?? '';
        const m = insertre.exec(text);
        if (m) {
          if (insertafter) n0 = (text.slice(0, m.index + m[0].length).match(/\n/g) ?? []).length;
          else if (insertbefore) n0 = (text.slice(0, m.index).match(/\n/g) ?? []).length;
        }
      } else {
        lines.forEach((line, i) => {
          if (insertre!.test(line)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1].endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blocklines);
  const text = lines.join('');
  if (original === text) return { text, msg: '', changed: false };
  if (original === undefined) return { text, msg: 'File created', changed: true };
  if (blocklines.length === 0) return { text, msg: 'Block removed', changed: true };
  return { text, msg: 'Block inserted', changed: true };
}

export const blockinfileModule: Module<BlockinfileArgs> = {
  name: 'blockinfile',
  description: 'Insert, update or remove a block of lines surrounded by marker lines.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', description: 'The file to modify (aliases: dest, destfile, name).' },
      dest: { type: 'string', description: 'Alias of path.' },
      destfile: { type: 'string', description: 'Alias of path.' },
      name: { type: 'string', description: 'Alias of path.' },
      state: { type: 'string', enum: ['present', 'absent'], description: 'Whether the block should be there or not (default present).' },
      marker: { type: 'string', description: "Marker line template; '{mark}' becomes marker_begin/marker_end (default '# {mark} ANSIBLE MANAGED BLOCK')." },
      block: { type: 'string', description: 'The text to put between the markers (alias: content); empty removes the block.' },
      content: { type: 'string', description: 'Alias of block.' },
      insertafter: { type: 'string', description: "Insert after the last line matching this regex, or 'EOF' (default)." },
      insertbefore: { type: 'string', description: "Insert before the last line matching this regex, or 'BOF'." },
      create: { type: 'boolean', description: 'Create the file when it does not exist (default false).' },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of the file (returned as backup_file).' },
      validate: { type: 'string', description: "Command to validate the new file before it is written; '%s' is its path." },
      marker_begin: { type: 'string', description: "Replaces {mark} in the first marker (default 'BEGIN')." },
      marker_end: { type: 'string', description: "Replaces {mark} in the last marker (default 'END')." },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
  },
  async run(args, ctx): Promise<ModuleResult> {
    const path = firstOf(args.path, args.dest, args.destfile, args.name);
    if (path === undefined) throw new ModuleFailure('missing required arguments: path');
    mutuallyExclusive(args as Record<string, unknown>, 'insertbefore', 'insertafter');
    const target = await readForEdit(ctx, path);
    if (!target.exists) {
      if (!toBool(args.create)) throw new ModuleFailure(`Path ${path} does not exist !`, { rc: 257 });
      await ensureParent(ctx, path);
    }
    const present = (args.state ?? 'present') === 'present';
    if (!present && !target.exists) return { changed: false, msg: `File ${path} not present` };
    const r = applyBlock(target.exists ? target.text : undefined, {
      present,
      block: firstOf(args.block, args.content) ?? '',
      marker: args.marker ?? '# {mark} ANSIBLE MANAGED BLOCK',
      markerBegin: args.marker_begin ?? 'BEGIN',
      markerEnd: args.marker_end ?? 'END',
      insertafter: args.insertafter,
      insertbefore: args.insertbefore,
    });
    const content = editDiff(path, ctx.diff && target.exists ? target.text : '', ctx.diff ? r.text : '');
    let backupFile: string | undefined;
    if (r.changed && !ctx.check) {
      const b = await writeChanges(ctx, target, r.text, { backup: toBool(args.backup) && target.exists, validate: args.validate });
      if (b !== '') backupFile = b;
    }
    // Ansible registers the content diff (a dict here, [content, attributes] below) even without --diff.
    if (ctx.check && !target.exists) return { changed: r.changed, msg: r.msg, values: { diff: { ...content } }, ...(ctx.diff ? { diff: [content] } : {}) };
    const attrs: FileAttributes = { mode: args.mode, owner: args.owner, group: args.group };
    const a = await checkFileAttrs(ctx, path, attrs, r.changed, r.msg);
    const diff: FileDiff[] = [content, ...(a.diff ? [a.diff] : [])];
    return {
      changed: a.changed,
      msg: a.msg,
      values: { diff: [{ ...content }, a.registered], ...(backupFile !== undefined ? { backup_file: backupFile } : {}) },
      ...(ctx.diff ? { diff } : {}),
    };
  },
};
