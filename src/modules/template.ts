import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Module, ModuleContext } from './types.js';
import { ModuleFailure } from './types.js';
import { baseName, toBool } from './util/file-args.js';
import { deployFile } from './util/copy-core.js';
import type { FileAttributes } from './util/file-state.js';
import { FILE_ATTRIBUTE_SCHEMA } from './util/file-state.js';
import { formatMode } from './util/fs-probe.js';

export interface TemplateArgs extends FileAttributes {
  readonly src?: string;
  readonly dest?: string;
  readonly backup?: boolean;
  readonly force?: boolean;
  readonly follow?: boolean;
  readonly newline_sequence?: '\n' | '\r' | '\r\n' | '\\n' | '\\r' | '\\r\\n';
  readonly trim_blocks?: boolean;
  readonly lstrip_blocks?: boolean;
  readonly validate?: string;
  readonly output_encoding?: string;
}

const SEQUENCES: Readonly<Record<string, string>> = { '\\n': '\n', '\\r': '\r', '\\r\\n': '\r\n', '\n': '\n', '\r': '\r', '\r\n': '\r\n' };

function trailingNewlines(s: string): number {
  const m = /(?:\r\n|\r|\n)+$/.exec(s);
  return m ? (m[0].match(/\r\n|\r|\n/g) ?? []).length : 0;
}

/**
 * Adapts template text to the options of Ansible's template module for an engine that renders
 * with Ansible's defaults (trim_blocks=True, lstrip_blocks=False, '\n' newlines).
 */
export function prepareTemplateSource(text: string, options: { trimBlocks: boolean; lstripBlocks: boolean; newline: string }): string {
  let out = text.replace(/\r\n|\r|\n/g, '\n');
  if (options.lstripBlocks) out = out.replace(/^[ \t]+(?=\{%(?![+-]))/gm, '');
  // trim_blocks=False: keep the newline after a block tag by doubling it (the engine removes one).
  if (!options.trimBlocks) out = out.replace(/([^-+])%\}\n/g, '$1%}\n\n');
  return out;
}

/** The rendered text, with Ansible's preserve_trailing_newlines and newline_sequence applied. */
export function finishRendered(source: string, rendered: string, newline: string): string {
  let out = rendered;
  const missing = trailingNewlines(source) - trailingNewlines(out);
  if (missing > 0) out += '\n'.repeat(missing);
  if (newline !== '\n') out = out.replace(/\r\n|\r|\n/g, newline);
  return out;
}

function pyDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

async function templateVars(path: string, dest: string): Promise<Record<string, unknown>> {
  const st = await stat(path);
  let uid: string;
  try {
    uid = st.uid === process.getuid?.() ? userInfo().username : String(st.uid);
  } catch {
    uid = String(st.uid);
  }
  return {
    template_host: hostname(),
    template_path: path,
    template_fullpath: path,
    template_destpath: dest,
    template_uid: uid,
    template_mtime: pyDate(st.mtime),
    template_run_date: pyDate(new Date()),
    ansible_managed: 'Ansible managed',
  };
}

async function render(args: TemplateArgs, ctx: ModuleContext, path: string, newline: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const prepared = prepareTemplateSource(text, {
    trimBlocks: toBool(args.trim_blocks, true),
    lstripBlocks: toBool(args.lstrip_blocks),
    newline,
  });
  const rendered = ctx.template(prepared, await templateVars(path, args.dest ?? ''));
  if (typeof rendered !== 'string') return finishRendered(prepared, String(rendered), newline);
  return finishRendered(prepared, rendered, newline);
}

/** Python codec names tsbook can write, normalised (lowercase, '_' as '-'). */
const CODECS: Readonly<Record<string, { name: string; max?: number; node: BufferEncoding; bom?: boolean }>> = {
  'utf-8': { name: 'utf-8', node: 'utf8' }, utf8: { name: 'utf-8', node: 'utf8' }, u8: { name: 'utf-8', node: 'utf8' },
  'latin-1': { name: 'latin-1', max: 0xff, node: 'latin1' }, latin1: { name: 'latin-1', max: 0xff, node: 'latin1' },
  'iso-8859-1': { name: 'latin-1', max: 0xff, node: 'latin1' }, 'iso8859-1': { name: 'latin-1', max: 0xff, node: 'latin1' },
  l1: { name: 'latin-1', max: 0xff, node: 'latin1' }, cp819: { name: 'latin-1', max: 0xff, node: 'latin1' },
  ascii: { name: 'ascii', max: 0x7f, node: 'ascii' }, 'us-ascii': { name: 'ascii', max: 0x7f, node: 'ascii' }, '646': { name: 'ascii', max: 0x7f, node: 'ascii' },
  'utf-16-le': { name: 'utf-16-le', node: 'utf16le' }, 'utf-16le': { name: 'utf-16-le', node: 'utf16le' },
  'utf-16': { name: 'utf-16', node: 'utf16le', bom: true }, utf16: { name: 'utf-16', node: 'utf16le', bom: true },
};

/** to_bytes(text, encoding=output_encoding, errors='surrogate_or_strict'), with Python's codec errors. */
export function encodeOutput(text: string, encoding: string): Buffer {
  const codec = CODECS[encoding.toLowerCase().replace(/_/g, '-')];
  if (!codec) throw new ModuleFailure(`unknown encoding: ${encoding}`);
  if (codec.max !== undefined) {
    let pos = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp > codec.max) {
        const hex = cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
        throw new ModuleFailure(`'${codec.name}' codec can't encode character '${hex}' in position ${pos}: ordinal not in range(${codec.max + 1})`);
      }
      pos++;
    }
  }
  const body = Buffer.from(text, codec.node);
  return codec.bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
}

export const templateModule: Module<TemplateArgs> = {
  name: 'template',
  description: 'Render a Jinja2 template from the controller to a file on the host.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', description: "Template on the controller (looked up in the role's templates/ then the playbook dir)." },
      dest: { type: 'string', description: 'Host path to write the rendered file to (an existing directory gets the template basename).' },
      backup: { type: 'boolean', description: 'Keep a timestamped backup of the replaced file (returned as backup_file).' },
      force: { type: 'boolean', description: 'Replace dest when its content differs (default true).' },
      follow: { type: 'boolean', description: 'Follow a symlink at dest.' },
      newline_sequence: { type: 'string', enum: ['\n', '\r', '\r\n', '\\n', '\\r', '\\r\\n'], description: "Newline sequence of the rendered file (default '\\n')." },
      trim_blocks: { type: 'boolean', description: 'Remove the first newline after a block tag (default true).' },
      lstrip_blocks: { type: 'boolean', description: 'Strip spaces and tabs before a block tag at the start of a line (default false).' },
      validate: { type: 'string', description: "Command to validate the rendered file before it replaces dest; '%s' is its path." },
      output_encoding: { type: 'string', description: "Encoding of the rendered file: utf-8 (default), latin-1 (iso-8859-1), ascii, utf-16, utf-16-le." },
      ...FILE_ATTRIBUTE_SCHEMA,
      mode: { ...FILE_ATTRIBUTE_SCHEMA.mode, description: `${FILE_ATTRIBUTE_SCHEMA.mode.description} 'preserve' keeps the template's mode.` },
    },
  },
  async run(args, ctx) {
    if ((args as { state?: unknown }).state !== undefined) throw new ModuleFailure("'state' cannot be specified on a template");
    if (!args.src || !args.dest) throw new ModuleFailure('src and dest are required');
    const newline = SEQUENCES[args.newline_sequence ?? '\n'];
    if (newline === undefined) throw new ModuleFailure('newline_sequence needs to be one of: \n, \r or \r\n');
    let path: string;
    try {
      path = await ctx.findLocalFile(args.src, 'templates');
    } catch (e) {
      throw new ModuleFailure(`Could not find or access '${args.src}'${e instanceof Error && !e.message.includes(args.src) ? `: ${e.message}` : ''}`);
    }
    let mode = args.mode;
    if (mode === 'preserve') mode = formatMode((await stat(path)).mode & 0o7777);
    const content = encodeOutput(await render(args, ctx, path, newline), args.output_encoding || 'utf-8');
    return deployFile(ctx, {
      content,
      sourcePath: path,
      sourceRel: baseName(args.src),
      isContent: false,
      dest: args.dest,
      force: toBool(args.force, true),
      follow: toBool(args.follow),
      backup: toBool(args.backup),
      attrs: { mode, owner: args.owner, group: args.group },
      validate: args.validate,
    });
  },
};
