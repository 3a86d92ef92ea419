import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, toBool } from './util/file-args.js';
import type { RemoteStat } from './util/fs-probe.js';
import { hashOf, readLink, realPath, statPath } from './util/fs-probe.js';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface StatArgs {
  readonly path?: string;
  readonly dest?: string;
  readonly name?: string;
  readonly follow?: boolean;
  readonly get_checksum?: boolean;
  readonly checksum_algorithm?: ChecksumAlgorithm;
  readonly checksum?: ChecksumAlgorithm;
  readonly checksum_algo?: ChecksumAlgorithm;
  readonly get_mime?: boolean;
  readonly get_attributes?: boolean;
  readonly get_md5?: boolean;
}

const FILE_ATTRIBUTES: Readonly<Record<string, string>> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents',
  E: 'encrypted', h: 'blocksize', i: 'immutable', I: 'indexed', j: 'journalled', N: 'inline', s: 'zero',
  S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

/** Ansible's format_output: the mode booleans and numbers of a stat. */
export function formatStat(path: string, st: RemoteStat): Record<string, unknown> {
  const m = st.mode;
  return {
    exists: true,
    path,
    mode: (m & 0o7777).toString(8).padStart(4, '0'),
    isdir: st.type === 'directory',
    ischr: st.type === 'char',
    isblk: st.type === 'block',
    isreg: st.type === 'file',
    isfifo: st.type === 'fifo',
    islnk: st.type === 'link',
    issock: st.type === 'socket',
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    inode: st.inode,
    dev: st.dev,
    nlink: st.nlink,
    atime: st.atime,
    mtime: st.mtime,
    ctime: st.ctime,
    wusr: (m & 0o200) !== 0,
    rusr: (m & 0o400) !== 0,
    xusr: (m & 0o100) !== 0,
    wgrp: (m & 0o020) !== 0,
    rgrp: (m & 0o040) !== 0,
    xgrp: (m & 0o010) !== 0,
    woth: (m & 0o002) !== 0,
    roth: (m & 0o004) !== 0,
    xoth: (m & 0o001) !== 0,
    isuid: (m & 0o4000) !== 0,
    isgid: (m & 0o2000) !== 0,
    blocks: st.blocks,
    block_size: st.blockSize,
    device_type: st.rdev,
  };
}

async function access(ctx: ModuleContext, path: string): Promise<{ readable: boolean; writeable: boolean; executable: boolean }> {
  const q = shellQuote(path);
  const r = await ctx.probe(`for t in r w x; do if test -$t ${q}; then printf 1; else printf 0; fi; done`);
  const s = r.stdout.trim();
  return { readable: s[0] === '1', writeable: s[1] === '1', executable: s[2] === '1' };
}

async function mime(ctx: ModuleContext, path: string): Promise<{ mimetype: string; charset: string }> {
  const r = await ctx.probe(`command -v file >/dev/null 2>&1 && file --mime-type --mime-encoding -- ${shellQuote(path)}`);
  if (r.rc === 0) {
    const tail = r.stdout.trim().split(':').pop() ?? '';
    const [type, charset] = tail.split(';');
    if (type !== undefined && charset !== undefined && charset.includes('=')) {
      return { mimetype: type.trim(), charset: charset.split('=')[1].trim() };
    }
  }
  return { mimetype: 'unknown', charset: 'unknown' };
}

async function attributes(ctx: ModuleContext, path: string): Promise<{ version: string | null; attributes: string[]; attr_flags: string }> {
  const out: { version: string | null; attributes: string[]; attr_flags: string } = { version: null, attributes: [], attr_flags: '' };
  const r = await ctx.probe(`command -v lsattr >/dev/null 2>&1 && lsattr -vd -- ${shellQuote(path)} 2>/dev/null`);
  if (r.rc === 0) {
    const res = r.stdout.trim().split(/\s+/);
    if (res.length >= 2) {
      out.version = res[0];
      out.attr_flags = res[1].replace(/-/g, '');
      out.attributes = [...out.attr_flags].filter((c) => c in FILE_ATTRIBUTES).map((c) => FILE_ATTRIBUTES[c]);
    }
  }
  return out;
}

export const statModule: Module<StatArgs> = {
  name: 'stat',
  description: 'Retrieve file or file system status (read-only).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', description: 'The full path of the file/object to get the facts of (aliases: dest, name).' },
      dest: { type: 'string', description: 'Alias of path.' },
      name: { type: 'string', description: 'Alias of path.' },
      follow: { type: 'boolean', description: 'Follow symlinks (default false).' },
      get_checksum: { type: 'boolean', description: 'Return a checksum of regular readable files (default true).' },
      checksum_algorithm: {
        type: 'string',
        enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'],
        description: 'Algorithm of the checksum (default sha1; aliases: checksum, checksum_algo).',
      },
      checksum: { type: 'string', enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], description: 'Alias of checksum_algorithm.' },
      checksum_algo: { type: 'string', enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], description: 'Alias of checksum_algorithm.' },
      get_mime: { type: 'boolean', description: "Return mimetype and charset using the host's `file` command (default true)." },
      get_attributes: { type: 'boolean', description: 'Return attributes from `lsattr` (default true).' },
      get_md5: { type: 'boolean', description: 'Also return the md5 of regular files (default false).' },
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
  },
  async run(args, ctx) {
    const path = firstOf(args.path, args.dest, args.name);
    if (path === undefined) throw new ModuleFailure('missing required arguments: path');
    const st = await statPath(ctx, path, toBool(args.follow));
    if (!st) return { changed: false, values: { stat: { exists: false } } };
    const out = formatStat(path, st);
    Object.assign(out, await access(ctx, path));
    if (st.type === 'link') {
      out.lnk_source = await realPath(ctx, path);
      out.lnk_target = await readLink(ctx, path);
    }
    if (st.owner !== String(st.uid)) out.pw_name = st.owner;
    if (st.group !== String(st.gid)) out.gr_name = st.group;
    if (st.type === 'file' && out.readable === true) {
      if (toBool(args.get_md5)) out.md5 = (await hashOf(ctx, 'md5sum', path)) ?? null;
      if (toBool(args.get_checksum, true)) {
        const algo = firstOf(args.checksum_algorithm, args.checksum, args.checksum_algo) ?? 'sha1';
        out.checksum = await hashOf(ctx, `${algo}sum`, path);
      }
    }
    if (toBool(args.get_mime, true)) Object.assign(out, await mime(ctx, path));
    if (toBool(args.get_attributes, true)) Object.assign(out, await attributes(ctx, path));
    return { changed: false, values: { stat: out } };
  },
};
