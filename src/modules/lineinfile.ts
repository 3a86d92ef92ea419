import type { FileDiff, Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, mutuallyExclusive, toBool } from './util/file-args.js';
import type { FileAttributes } from './util/file-state.js';
import { FILE_ATTRIBUTE_SCHEMA } from './util/file-state.js';
import { pyExpand, pyRegex } from './util/pyregex.js';
import { checkFileAttrs, editDiff, ensureParent, readForEdit, splitLinesKeep, writeChanges } from './util/text-edit.js';

export interface LineinfileArgs extends FileAttributes {
  readonly path?: string;
  readonly dest?: string;
  readonly destfile?: string;
  readonly name?: string;
  readonly state?: 'present' | 'absent';
  readonly regexp?: string;
  readonly regex?: string;
  readonly search_string?: string;
  readonly line?: string;
  readonly value?: string;
  readonly insertafter?: string;
  readonly insertbefore?: string;
  readonly backrefs?: boolean;
  readonly create?: boolean;
  readonly backup?: boolean;
  readonly firstmatch?: boolean;
  readonly validate?: string;
}

/** The pure part of lineinfile state=present: Ansible's present() on a list of lines. */
export function presentLines(
  lines0: readonly string[],
  o: { regexp?: string; searchString?: string; line: string; insertafter?: string; insertbefore?: string; backrefs: boolean; firstmatch: boolean },
): { lines: string[]; changed: boolean; msg: string } {
  const lines = [...lines0];
  const re = o.regexp !== undefined ? pyRegex(o.regexp) : undefined;
  let insRe: RegExp | undefined;
  if (o.insertafter !== undefined && o.insertafter !== 'BOF' && o.insertafter !== 'EOF') insRe = pyRegex(o.insertafter);
  else if (o.insertbefore !== undefined && o.insertbefore !== 'BOF') insRe = pyRegex(o.insertbefore);
  const index = [-1, -1];
  let match: RegExpExecArray | boolean | null = null;
  let exact = false;
  const line = o.line;
  const strip = (s: string) => s.replace(/[\r\n]+$/, '');

  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(lines[i]);
      if (m) {
        index[0] = i;
        match = m;
        if (o.firstmatch) break;
      }
    }
  }
  if (o.searchString !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].includes(o.searchString)) {
        index[0] = i;
        match = true;
        if (o.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      if (line === strip(lines[i])) {
        index[0] = i;
        exact = true;
      } else if (insRe && insRe.test(lines[i])) {
        if (o.insertafter) {
          index[1] = i + 1;
          if (o.firstmatch) break;
        }
        if (o.insertbefore) {
          index[1] = i;
          if (o.firstmatch) break;
        }
      }
    }
  }
  let msg = '';
  let changed = false;
  const added = () => { msg = 'line added'; changed = true; };
  if (index[0] !== -1) {
    let newLine = o.backrefs && match && match !== true ? pyExpand(line, match) : line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    if (o.regexp === undefined && o.searchString === undefined && !match && !exact) {
      // unreachable in practice (index[0] set means a match or an exact line), kept for parity
    } else if (lines[index[0]] !== newLine) {
      lines[index[0]] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (o.backrefs) {
    // backrefs: do nothing when the regexp did not match
  } else if (o.insertbefore === 'BOF' || o.insertafter === 'BOF') {
    lines.unshift(line + '\n');
    added();
  } else if (o.insertafter === 'EOF' || index[1] === -1) {
    if (lines.length > 0 && !/[\n\r]$/.test(lines[lines.length - 1])) lines.push('\n');
    lines.push(line + '\n');
    added();
  } else if (o.insertafter && index[1] !== -1) {
    if (lines.length === index[1]) {
      if (strip(lines[index[1] - 1]) !== line) {
        lines.push(line + '\n');
        added();
      }
    } else if (line !== strip(lines[index[1]])) {
      lines.splice(index[1], 0, line + '\n');
      added();
    }
  } else {
    lines.splice(index[1], 0, line + '\n');
    added();
  }
  return { lines, changed, msg };
}

/** The pure part of lineinfile state=absent. */
export function absentLines(
  lines: readonly string[],
  o: { regexp?: string; searchString?: string; line?: string },
): { lines: string[]; found: number } {
  const re = o.regexp !== undefined ? pyRegex(o.regexp) : undefined;
  const kept: string[] = [];
  let found = 0;
  for (const l of lines) {
    const hit = re ? re.test(l) : o.searchString !== undefined ? l.includes(o.searchString) : o.line === l.replace(/[\r\n]+$/, '');
    if (hit) found++;
    else kept.push(l);
  }
  return { lines: kept, found };
}

export const lineinfileModule: Module<LineinfileArgs> = {
  name: 'lineinfile',
  description: 'Ensure a particular line is in a file, or replace an existing line matched by a regular expression.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', description: 'The file to modify (aliases: dest, destfile, name).' },
      dest: { type: 'string', description: 'Alias of path.' },
      destfile: { type: 'string', description: 'Alias of path.' },
      name: { type: 'string', description: 'Alias of path.' },
      state: { type: 'string', enum: ['present', 'absent'], description: 'Whether the line should be there or not (default present).' },
      regexp: { type: 'string', description: 'Python regular expression searched in every line; the last match is replaced (or removed).' },
      regex: { type: 'string', description: 'Alias of regexp.' },
      search_string: { type: 'string', description: 'Literal string searched in every line (instead of regexp).' },
      line: { type: 'string', description: 'The line to insert or replace with (required for state=present).' },
      value: { type: 'string', description: 'Alias of line.' },
      insertafter: { type: 'string', description: "Insert after the last line matching this regex, or 'EOF' (default)/'BOF'." },
      insertbefore: { type: 'string', description: "Insert before the last line matching this regex, or 'BOF'." },
      backrefs: { type: 'boolean', description: 'Expand \\1 / \\g<name> in line from the regexp match; do nothing when it does not match.' },
      create: { type: 'boolean', description: 'Create the file when it does not exist (default false).' },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of the file (returned as backup).' },
      firstmatch: { type: 'boolean', description: 'Use the first match of regexp/insertafter/insertbefore instead of the last.' },
      validate: { type: 'string', description: "Command to validate the new file before it is written; '%s' is its path." },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
  },
  async run(args, ctx): Promise<ModuleResult> {
    const path = firstOf(args.path, args.dest, args.destfile, args.name);
    if (path === undefined) throw new ModuleFailure('missing required arguments: path');
    mutuallyExclusive(args as Record<string, unknown>, 'insertbefore', 'insertafter');
    const regexp = firstOf(args.regexp, args.regex);
    const searchString = args.search_string;
    if (regexp !== undefined && searchString !== undefined) throw new ModuleFailure('parameters are mutually exclusive: regexp|search_string');
    const backrefs = toBool(args.backrefs);
    if (backrefs && searchString !== undefined) throw new ModuleFailure('parameters are mutually exclusive: backrefs|search_string');
    const line = firstOf(args.line, args.value);
    if (regexp === '' || searchString === '') {
      const param = regexp === '' ? 'regular expression' : 'search string';
      let msg = `The ${param} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.`;
      if (regexp === '') msg += " If this is desired, use '^' to match every line in the file and avoid this warning.";
      ctx.warn(msg);
    }
    const attrs: FileAttributes = { mode: args.mode, owner: args.owner, group: args.group };
    const backup = toBool(args.backup);
    const state = args.state ?? 'present';

    if (state === 'present') {
      if (backrefs && regexp === undefined) throw new ModuleFailure('regexp is required with backrefs=true');
      if (line === undefined) throw new ModuleFailure('line is required with state=present');
      const target = await readForEdit(ctx, path);
      if (!target.exists) {
        if (!toBool(args.create)) throw new ModuleFailure(`Destination ${path} does not exist !`, { rc: 257 });
        await ensureParent(ctx, path);
      }
      const insertafter = args.insertafter === undefined && args.insertbefore === undefined ? 'EOF' : args.insertafter;
      const r = presentLines(splitLinesKeep(target.text), {
        regexp,
        searchString,
        line,
        insertafter,
        insertbefore: args.insertbefore,
        backrefs,
        firstmatch: toBool(args.firstmatch),
      });
      const after = r.lines.join('');
      const content = editDiff(path, ctx.diff ? target.text : '', ctx.diff ? after : '');
      let backupName = '';
      if (r.changed && !ctx.check) backupName = await writeChanges(ctx, target, after, { backup, validate: args.validate });
      if (ctx.check && !target.exists) {
        return { changed: r.changed, msg: r.msg, values: { backup: backupName, diff: { ...content } }, ...(ctx.diff ? { diff: [content] } : {}) };
      }
      const a = await checkFileAttrs(ctx, path, attrs, r.changed, r.msg);
      const diff: FileDiff[] = [content, ...(a.diff ? [a.diff] : [])];
      // Ansible registers [content diff, attribute diff] even without --diff (before/after then empty).
      const registered = [{ ...content }, a.registered];
      return { changed: a.changed, msg: a.msg, values: { backup: backupName, diff: registered }, ...(ctx.diff ? { diff } : {}) };
    }

    if (regexp === undefined && searchString === undefined && line === undefined) {
      throw new ModuleFailure('one of line, search_string, or regexp is required with state=absent');
    }
    const target = await readForEdit(ctx, path);
    if (!target.exists) return { changed: false, msg: 'file not present' };
    const r = absentLines(splitLinesKeep(target.text), { regexp, searchString, line });
    const after = r.lines.join('');
    const changed = r.found > 0;
    let backupName = '';
    if (changed && !ctx.check) backupName = await writeChanges(ctx, target, after, { backup, validate: args.validate });
    const msg = changed ? `${r.found} line(s) removed` : '';
    const a = await checkFileAttrs(ctx, path, attrs, changed, msg);
    const content = editDiff(path, ctx.diff ? target.text : '', ctx.diff ? after : '');
    return {
      changed: a.changed,
      msg: a.msg,
      values: { found: r.found, backup: backupName, diff: [{ ...content }, a.registered] },
      ...(ctx.diff ? { diff: [content, ...(a.diff ? [a.diff] : [])] } : {}),
    };
  },
};
