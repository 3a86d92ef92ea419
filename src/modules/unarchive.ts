import { readFile } from 'node:fs/promises';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { fnmatch } from '../util/fnmatch.js';
import { argBool, argList, argString } from './util/args.js';
import { joinPath, required } from './util/file-args.js';
import type { FileAttributes } from './util/file-state.js';
import { applyAttributes, FILE_ATTRIBUTE_SCHEMA, resolveMode } from './util/file-state.js';
import { pathInfo, statPath } from './util/fs-probe.js';
import { cleanup, httpRequest, NoHttpClientError } from './util/http.js';
import { shellJoin, shellQuote } from './util/quote.js';

type Args = Readonly<Record<string, unknown>>;
type Values = Record<string, unknown>;

/** What the host offers for unpacking, and who the module runs as (one probe). */
interface HostInfo {
  readonly unzip?: string;
  readonly zipinfo?: string;
  readonly tar?: string;
  readonly gnuTar: boolean;
  readonly uid: number;
  readonly user: string;
  readonly group: string;
}

interface Options {
  readonly src: string;
  readonly dest: string;
  readonly extraOpts: readonly string[];
  readonly excludes: readonly string[];
  readonly includes: readonly string[];
  readonly keepNewer: boolean;
  readonly attrs: FileAttributes;
}

interface Check {
  readonly unarchived: boolean;
  /** Zip only: the itemized changes ('' when none); undefined for tar, as Ansible's check_results. */
  readonly diff?: string;
}

/** One archive format: Ansible's ZipArchive / TgzArchive family. */
interface Handler {
  readonly name: string;
  files(): readonly string[];
  isUnarchived(ctx: ModuleContext): Promise<Check>;
  unarchive(ctx: ModuleContext): Promise<{ cmd: string[]; rc: number; out: string; err: string }>;
}

const C_LOCALE = 'LANG=C LC_ALL=C LC_MESSAGES=C LANGUAGE=C';

async function hostInfo(ctx: ModuleContext): Promise<HostInfo> {
  const r = await ctx.probe(
    'echo "unzip=$(command -v unzip)"; echo "zipinfo=$(command -v zipinfo)"; ' +
      't=$(command -v gtar || command -v tar); echo "tar=$t"; ' +
      'if [ -n "$t" ]; then echo "tarversion=$("$t" --version 2>/dev/null | head -n1)"; fi; ' +
      'echo "uid=$(id -u)"; echo "user=$(id -un)"; echo "group=$(id -gn)"',
  );
  const kv = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const opt = (k: string) => (kv.get(k) ? kv.get(k) : undefined);
  const version = kv.get('tarversion') ?? '';
  return {
    unzip: opt('unzip'),
    zipinfo: opt('zipinfo'),
    tar: opt('tar'),
    gnuTar: version.startsWith('tar') && version.includes('GNU'),
    uid: Number(kv.get('uid') ?? -1),
    user: kv.get('user') ?? '',
    group: kv.get('group') ?? '',
  };
}

/** GNU tar's quoting of odd names (\ooo octal, \\, \n...), undone as codecs.escape_decode does. */
export function tarUnescape(name: string): string {
  if (!name.includes('\\')) return name;
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34 };
  const raw = Buffer.from(name, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b !== 92 || i + 1 >= raw.length) {
      bytes.push(b);
      continue;
    }
    const rest = raw.subarray(i + 1, i + 4).toString('latin1');
    const oct = /^[0-7]{1,3}/.exec(rest);
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length;
    } else if (simple[rest[0]!] !== undefined) {
      bytes.push(simple[rest[0]!]!);
      i += 1;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

// Lines of `tar --diff` that mean the tree differs (Ansible's regexes).
const OWNER_DIFF_RE = /: Uid differs$/;
const GROUP_DIFF_RE = /: Gid differs$/;
const MODE_DIFF_RE = /: Mode differs$/;
const MOD_TIME_DIFF_RE = /: Mod time differs$/;
const EMPTY_FILE_RE = /: : Warning: Cannot stat: No such file or directory$/;
const MISSING_FILE_RE = /: Warning: Cannot stat: No such file or directory$/;
const INVALID_OWNER_RE = /: Invalid owner/;
const INVALID_GROUP_RE = /: Invalid group/;

/** True when `tar --diff` output shows a difference Ansible counts (Ansible's TgzArchive.is_unarchived). */
export function tarDiffDiffers(lines: readonly string[], uid: number, attrs: FileAttributes): boolean {
  for (const line of lines) {
    if (EMPTY_FILE_RE.test(line)) continue;
    if (uid === 0 && !attrs.owner && OWNER_DIFF_RE.test(line)) return true;
    if (uid === 0 && !attrs.group && GROUP_DIFF_RE.test(line)) return true;
    if (!attrs.mode && MODE_DIFF_RE.test(line)) return true;
    if (MOD_TIME_DIFF_RE.test(line) || MISSING_FILE_RE.test(line) || INVALID_OWNER_RE.test(line) || INVALID_GROUP_RE.test(line)) return true;
  }
  return false;
}

class TarHandler implements Handler {
  private list: string[] = [];
  constructor(
    readonly name: string,
    private readonly tar: string,
    private readonly flag: string,
    private readonly o: Options,
    private readonly uid: number,
  ) {}

  private argv(action: string, withOwner: boolean): string[] {
    const cmd = [this.tar, action, '-C', this.o.dest];
    if (this.flag) cmd.push(this.flag);
    if (this.o.extraOpts.length > 0) cmd.push('--show-transformed-names', ...this.o.extraOpts);
    if (withOwner && this.o.attrs.owner) cmd.push(`--owner=${String(this.o.attrs.owner)}`);
    if (withOwner && this.o.attrs.group) cmd.push(`--group=${String(this.o.attrs.group)}`);
    if (withOwner && this.o.keepNewer) cmd.push('--keep-newer-files');
    const excludes = this.o.excludes.map((e) => e.replace(/\/+$/, ''));
    cmd.push(...excludes.map((e) => `--exclude=${e}`), '-f', this.o.src, ...this.o.includes);
    return cmd;
  }

  private shell(argv: string[]): string {
    return `cd ${shellQuote(this.o.dest)} && ${C_LOCALE} ${shellJoin(argv)}`;
  }

  /** Lists the archive; false when this tar flavour cannot read it. */
  async load(ctx: ModuleContext): Promise<boolean> {
    const r = await ctx.probe(this.shell(this.argv('--list', false)));
    if (r.rc !== 0) return false;
    const excludes = this.o.excludes.map((e) => e.replace(/\/+$/, ''));
    for (const line of r.stdout.split('\n')) {
      if (line === '') continue;
      let name = tarUnescape(line);
      if (name.startsWith('/')) name = name.slice(1);
      if (!excludes.some((e) => fnmatch(name, e))) this.list.push(name);
    }
    return this.list.length > 0;
  }

  files(): readonly string[] {
    return this.list;
  }

  async isUnarchived(ctx: ModuleContext): Promise<Check> {
    const r = await ctx.probe(`${this.shell(this.argv('--diff', true))} 2>&1`);
    return { unarchived: !tarDiffDiffers(r.stdout.split('\n'), this.uid, this.o.attrs) };
  }

  async unarchive(ctx: ModuleContext): Promise<{ cmd: string[]; rc: number; out: string; err: string }> {
    const cmd = this.argv('--extract', true);
    const r = await ctx.run(this.shell(cmd));
    return { cmd, rc: r.rc, out: r.stdout, err: r.stderr };
  }
}

/** One entry of `zipinfo -T -s`. */
interface ZipEntry {
  readonly ztype: string;
  readonly permstr: string;
  readonly size: number;
  readonly stamp: string;
  readonly path: string;
}

/** Parses `zipinfo -T -s` lines as Ansible does (header and footer lines are skipped). */
export function parseZipinfo(out: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  for (const line of out.split('\n')) {
    const pcs = splitFields(line, 7);
    if (pcs.length !== 8) continue;
    const [perm, , , size, , , stamp, path] = pcs as [string, string, string, string, string, string, string, string];
    if ((perm.length !== 7 && perm.length !== 10) || stamp.length !== 15) continue;
    if (!'dl-?'.includes(perm[0]!) || ![...perm.slice(1)].every((c) => 'rwxstah-'.includes(c))) continue;
    entries.push({ ztype: perm[0]!, permstr: perm.slice(1), size: Number(size), stamp, path });
  }
  return entries;
}

/** Python's str.split(None, maxsplit). */
function splitFields(line: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = line.replace(/^\s+/, '');
  while (rest !== '' && out.length < maxsplit) {
    const m = /^(\S+)\s*/.exec(rest)!;
    out.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  if (rest !== '') out.push(rest.replace(/\s+$/, ''));
  return out;
}

/** rwxr-xr-x -> 0o755 (setuid/sticky letters count as the x bit, as Ansible's _permstr_to_octal). */
function permstrToMode(permstr: string): number {
  const rev = [...permstr].reverse();
  let mode = 0;
  for (let i = 0; i < 9; i++) if ('rwxst'.includes(rev[i] ?? '-')) mode += 2 ** i;
  return mode;
}

/** What the probe found at one archive path under dest. */
interface DestEntry {
  readonly type: 'd' | 'f' | 'L' | 'other';
  readonly mode: number;
  readonly size: number;
  readonly localStamp: string;
  readonly wholeSecond: boolean;
  readonly owner: string;
  readonly group: string;
  readonly crc?: string;
}

/** One probe: for each path (stdin, one per line) its lstat, local mtime stamp and CRC32 (gzip's trailer). */
const DEST_SCAN = String.raw`
while IFS= read -r p; do
  f="$D/$p"
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then printf '%s\tMISSING\n' "$p"; continue; fi
  s=$(stat -c '%F|%a|%s|%.9Y|%U|%G' -- "$f") || { printf '%s\tMISSING\n' "$p"; continue; }
  mt=$(stat -c %Y -- "$f"); ts=$(date -d "@$mt" +%Y%m%d.%H%M%S)
  c=
  if [ -f "$f" ] && [ ! -L "$f" ]; then c=$(gzip -c <"$f" | tail -c8 | od -An -tx4 -N4 | tr -d ' \n'); fi
  printf '%s\t%s|%s|%s\n' "$p" "$s" "$ts" "$c"
done`;

function parseDestScan(out: string): Map<string, DestEntry | undefined> {
  const map = new Map<string, DestEntry | undefined>();
  for (const line of out.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab < 0) continue;
    const path = line.slice(0, tab);
    const info = line.slice(tab + 1);
    if (info === 'MISSING') {
      map.set(path, undefined);
      continue;
    }
    const [kind = '', mode = '0', size = '0', mtime = '0', owner = '', group = '', stamp = '', crc = ''] = info.split('|');
    const type = kind === 'directory' ? 'd' : kind.startsWith('regular') ? 'f' : kind === 'symbolic link' ? 'L' : 'other';
    map.set(path, {
      type,
      mode: parseInt(mode, 8),
      size: Number(size),
      localStamp: stamp,
      wholeSecond: /\.0+$/.test(mtime) || !mtime.includes('.'),
      owner,
      group,
      crc: crc === '' ? undefined : crc.padStart(8, '0'),
    });
  }
  return map;
}

class ZipHandler implements Handler {
  readonly name = 'ZipArchive';
  private list: string[] = [];
  private crcs = new Map<string, string>();
  constructor(
    private readonly unzip: string,
    private readonly zipinfo: string,
    private readonly o: Options,
    private readonly host: HostInfo,
  ) {}

  async load(ctx: ModuleContext): Promise<boolean> {
    const r = await ctx.probe(`${C_LOCALE} ${shellJoin([this.unzip, '-l', this.o.src])} >/dev/null`);
    if (r.rc !== 0) return false;
    const names = await ctx.probe(`${C_LOCALE} ${shellJoin([this.unzip, '-Z1', this.o.src])}`);
    for (const member of names.stdout.split('\n')) {
      if (member === '') continue;
      if (this.o.includes.length > 0) {
        for (const inc of this.o.includes) if (fnmatch(member, inc)) this.list.push(member);
      } else if (!this.o.excludes.some((e) => fnmatch(member, e))) this.list.push(member);
    }
    const verbose = await ctx.probe(`${C_LOCALE} ${shellJoin([this.unzip, '-v', this.o.src])}`);
    for (const line of verbose.stdout.split('\n').slice(3, -3)) {
      const f = splitFields(line, 7);
      if (f.length === 8) this.crcs.set(f[7]!, f[6]!.toLowerCase());
    }
    return true;
  }

  files(): readonly string[] {
    return this.list;
  }

  private wantedMode(entry: ZipEntry, existing: DestEntry, path: string): number {
    const mode = this.o.attrs.mode;
    if (mode !== undefined && mode !== '') return resolveMode(mode, existing.mode, existing.type === 'd', path);
    let permstr = entry.permstr;
    if (permstr.length === 6) permstr = entry.path.endsWith('/') || permstr === 'rwx---' ? 'rwxrwxrwx' : 'rw-rw-rw-';
    return permstrToMode(permstr);
  }

  async isUnarchived(ctx: ModuleContext): Promise<Check> {
    const cmd = [this.zipinfo, '-T', '-s', this.o.src];
    if (this.o.excludes.length > 0) cmd.push('-x', ...this.o.excludes);
    cmd.push(...this.o.includes);
    const info = await ctx.probe(`${C_LOCALE} ${shellJoin(cmd)}`);
    const entries = parseZipinfo(info.stdout).filter((e) => !this.o.excludes.includes(e.path));
    const scan = await ctx.probe(`D=${shellQuote(this.o.dest)}; ${DEST_SCAN}`, { stdin: entries.map((e) => e.path).join('\n') + '\n' });
    const dest = parseDestScan(scan.stdout);
    const futOwner = this.o.attrs.owner !== undefined && this.o.attrs.owner !== '' ? String(this.o.attrs.owner) : this.host.user;
    const futGroup = this.o.attrs.group !== undefined && this.o.attrs.group !== '' ? String(this.o.attrs.group) : this.host.group;
    let diff = '';
    let changes = 0;
    for (const entry of entries) {
      const ftype = entry.path.endsWith('/') ? 'd' : entry.ztype === 'l' ? 'L' : 'f';
      const st = dest.get(entry.path);
      if (!st) {
        changes++;
        diff += `>${ftype}++++++.?? ${entry.path}\n`;
        continue;
      }
      if (st.type !== ftype) {
        changes++;
        diff += `c${ftype}++++++.?? ${entry.path}\n`;
        continue;
      }
      const itemized = [...`.${ftype}.......??`];
      if (st.type === 'f') {
        const newer = entry.stamp < st.localStamp;
        if (this.o.keepNewer ? entry.stamp > st.localStamp : entry.stamp !== st.localStamp || !st.wholeSecond) itemized[4] = 't';
        if (this.o.keepNewer && newer) continue;
        if (entry.size !== st.size) itemized[3] = 's';
        const crc = this.crcs.get(entry.path);
        if (crc !== undefined && crc !== st.crc) itemized[2] = 'c';
      }
      if (ftype !== 'L' && this.wantedMode(entry, st, joinPath(this.o.dest, entry.path)) !== st.mode) itemized[5] = 'p';
      if (st.owner !== futOwner && !/^\d+$/.test(futOwner)) itemized[6] = 'o';
      if (st.group !== futGroup && !/^\d+$/.test(futGroup)) itemized[6] = 'g';
      if (itemized.join('') !== `.${ftype}.......??`) {
        changes++;
        diff += `${itemized.join('')} ${entry.path}\n`;
      }
    }
    return { unarchived: info.rc === 0 && changes === 0, diff };
  }

  async unarchive(ctx: ModuleContext): Promise<{ cmd: string[]; rc: number; out: string; err: string }> {
    const cmd = [this.unzip, '-o', ...this.o.extraOpts, this.o.src];
    if (this.o.excludes.length > 0) cmd.push('-x', ...this.o.excludes);
    cmd.push(...this.o.includes, '-d', this.o.dest);
    const r = await ctx.run(shellJoin(cmd));
    return { cmd, rc: r.rc, out: r.stdout, err: r.stderr };
  }
}

const TAR_FLAVOURS: readonly (readonly [string, string])[] = [
  ['TgzArchive', '-z'],
  ['TarArchive', ''],
  ['TarBzipArchive', '-j'],
  ['TarXzArchive', '-J'],
  ['TarZstdArchive', '--use-compress-program=zstd'],
];

/** Ansible's pick_handler. `null` means: check mode reached a tar handler, which Ansible skips. */
async function pickHandler(ctx: ModuleContext, o: Options, host: HostInfo): Promise<Handler | null> {
  const reasons = new Set<string>();
  if (host.unzip && host.zipinfo) {
    const zip = new ZipHandler(host.unzip, host.zipinfo, o, host);
    if (await zip.load(ctx)) return zip;
    reasons.add(`Command "${host.unzip}" could not handle archive: End-of-central-directory signature not found.`);
  } else {
    reasons.add(`Unable to find required '${[host.unzip ? undefined : 'unzip', host.zipinfo ? undefined : 'zipinfo'].filter(Boolean).join("' or '")}' binary in the path.`);
  }
  if (ctx.check) return null;
  for (const [name, flag] of TAR_FLAVOURS) {
    if (!host.tar) {
      reasons.add("Unable to find required 'gtar' or 'tar' binary in the path");
      break;
    }
    if (!host.gnuTar) {
      reasons.add(`Command "${host.tar}" detected as tar type None. GNU tar required.`);
      break;
    }
    const tar = new TarHandler(name, host.tar, flag, o, host.uid);
    if (await tar.load(ctx)) return tar;
    reasons.add(`Command "${host.tar}" could not handle archive: Unable to list files in the archive`);
  }
  throw new ModuleFailure(`Failed to find handler for "${o.src}". Make sure the required command to extract the file is installed.\n${[...reasons].join('\n')}`);
}

/** Makes the archive available on the host: uploads a controller file, or downloads a URL there. */
async function stageSource(ctx: ModuleContext, src: string, remote: boolean, tmp: string): Promise<string> {
  if (!remote) {
    let local: string;
    try {
      local = await ctx.findLocalFile(src, 'files');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new ModuleFailure(message.startsWith('Could not find') ? message : `Could not find or access '${src}'`);
    }
    const dest = `${tmp}/source`;
    // the archive must be on the host in check mode too (zip is compared there): upload as a probe
    if (ctx.check) {
      await ctx.probe(`cat > ${shellQuote(dest)}`, { stdin: await readFile(local) });
    } else await ctx.put({ localPath: local }, dest);
    return dest;
  }
  const st = await statPath(ctx, src, true);
  if (st) return src;
  if (!src.includes('://')) throw new ModuleFailure(`Source '${src}' does not exist`);
  return download(ctx, src, tmp);
}

/** fetch_file: downloads a URL src (remote_src) into the host temp directory. */
async function download(ctx: ModuleContext, url: string, tmp: string): Promise<string> {
  let res;
  try {
    res = await httpRequest(ctx, { url, method: 'GET', headers: [], timeout: 10, followRedirects: 'urllib2', validateCerts: true }, 'probe');
  } catch (e) {
    if (e instanceof NoHttpClientError) throw new ModuleFailure(e.message);
    throw e;
  }
  try {
    if (res.status !== 200) throw new ModuleFailure(`Failure downloading ${url}, ${res.msg}`);
    const name = url.replace(/[?#].*$/, '').split('/').pop() || 'archive';
    const path = `${tmp}/${name}`;
    const r = await ctx.probe(`mv -f -- ${shellQuote(res.bodyPath)} ${shellQuote(path)}`);
    if (r.rc !== 0) throw new ModuleFailure(`Failure downloading ${url}, ${r.stderr.trim()}`);
    return path;
  } finally {
    await cleanup(ctx, res);
  }
}

/** Ansible's post-extraction pass: file attributes on every archive member and its top folders. */
async function applyMemberAttributes(ctx: ModuleContext, o: Options, files: readonly string[]): Promise<boolean> {
  const { mode, owner, group } = o.attrs;
  if ((mode === undefined || mode === '') && !owner && !group) return false;
  let changed = false;
  const top: string[] = [];
  for (const file of files) {
    const path = joinPath(o.dest, file);
    changed = (await applyAttributes(ctx, path, o.attrs, await statPath(ctx, path, false))) || changed;
    if (file.includes('/')) {
      const folder = file.split('/')[0]!;
      if (!top.includes(folder)) top.push(folder);
    }
  }
  for (const folder of top) {
    const path = `${o.dest}/${folder}`;
    changed = (await applyAttributes(ctx, path, o.attrs, await statPath(ctx, path, false))) || changed;
  }
  return changed;
}

function options(args: Args, src: string, dest: string): Options {
  const includes = argList(args, 'include') ?? [];
  const excludes = argList(args, 'exclude') ?? [];
  if (includes.length > 0 && excludes.length > 0) throw new ModuleFailure('parameters are mutually exclusive: include|exclude');
  return {
    src,
    dest,
    extraOpts: argList(args, 'extra_opts') ?? [],
    excludes,
    includes,
    keepNewer: argBool(args, 'keep_newer', false),
    attrs: { mode: args.mode as FileAttributes['mode'], owner: args.owner as FileAttributes['owner'], group: args.group as FileAttributes['group'] },
  };
}

async function runUnarchive(args: Args, ctx: ModuleContext): Promise<ModuleResult> {
  const srcArg = argString(args, 'src');
  const dest = argString(args, 'dest');
  if (srcArg === undefined || dest === undefined) throw new ModuleFailure('src (or content) and dest are required');
  let remote = argBool(args, 'remote_src', false);
  if (args.copy !== undefined && args.copy !== null) {
    if (args.remote_src !== undefined && args.remote_src !== null) throw new ModuleFailure("parameters are mutually exclusive: ('copy', 'remote_src')");
    remote = !argBool(args, 'copy', true);
  }
  const creates = argString(args, 'creates');
  if (creates !== undefined && (await statPath(ctx, creates, false))) {
    return { changed: false, skipped: true, msg: `skipped, since ${creates} exists` };
  }
  const destSt = await statPath(ctx, dest, true);
  if (destSt?.type !== 'directory') throw new ModuleFailure(`dest '${dest}' must be an existing dir`);

  const mk = await ctx.probe('mktemp -d "${TMPDIR:-/tmp}/tsbook-unarchive.XXXXXXXX"');
  if (mk.rc !== 0) throw new ModuleFailure(`could not create a temporary directory on the host: ${mk.stderr.trim()}`);
  const tmp = mk.stdout.trim();
  try {
    const src = await stageSource(ctx, required(srcArg, 'src'), remote, tmp);
    return await unpack(args, ctx, options(args, src, dest));
  } finally {
    await ctx.probe(`rm -rf -- ${shellQuote(tmp)}`);
  }
}

async function unpack(args: Args, ctx: ModuleContext, o: Options): Promise<ModuleResult> {
  const access = await ctx.probe(`if [ ! -r ${shellQuote(o.src)} ]; then echo unreadable; elif [ ! -s ${shellQuote(o.src)} ]; then echo empty; fi`);
  if (access.stdout.includes('unreadable')) throw new ModuleFailure(`Source '${o.src}' not readable`);
  if (access.stdout.includes('empty')) throw new ModuleFailure(`Invalid archive '${o.src}', the file is 0 bytes`);
  const host = await hostInfo(ctx);
  const handler = await pickHandler(ctx, o, host);
  if (handler === null) {
    return { changed: false, skipped: true, msg: 'remote module (ansible.legacy.unarchive) does not support check mode when using gtar' };
  }
  const values: Values = { handler: handler.name, dest: o.dest, src: o.src };
  const check = await handler.isUnarchived(ctx);
  let changed: boolean;
  if (ctx.check) changed = !check.unarchived;
  else if (check.unarchived) changed = false;
  else {
    const results = await handler.unarchive(ctx);
    values.extract_results = results;
    if (results.rc !== 0) throw new ModuleFailure(`failed to unpack ${o.src} to ${o.dest}`, { ...values, changed: false });
    changed = true;
  }
  if (check.diff) values.diff = { prepared: check.diff };
  // Ansible re-applies attributes unless the zip comparison found nothing to change
  if ((check.diff === undefined || check.diff !== '') && !ctx.check) {
    changed = (await applyMemberAttributes(ctx, o, handler.files())) || changed;
  }
  if (argBool(args, 'list_files', false)) values.files = [...handler.files()];
  return { changed, values: { ...values, ...(await pathInfo(ctx, o.dest)) } };
}

export const unarchiveModule: Module = {
  name: 'unarchive',
  description: 'Unpacks a tar (gz, bz2, xz, zstd) or zip archive into an existing host directory, copying it from the controller first unless remote_src.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', description: "The archive: a controller file (role files/, then the playbook dir), or with remote_src a host path or URL." },
      dest: { type: 'string', description: 'Existing host directory to unpack into.' },
      remote_src: { type: 'boolean', description: 'src is already on the host (or a URL the host downloads).' },
      copy: { type: 'boolean', description: 'Deprecated inverse of remote_src.' },
      creates: { type: 'string', description: 'Skip when this host path exists.' },
      list_files: { type: 'boolean', description: 'Return the archive members as `files`.' },
      keep_newer: { type: 'boolean', description: 'Do not replace files newer than the archive members.' },
      exclude: { type: ['array', 'string'], items: { type: 'string' }, description: 'Members (fnmatch patterns) not to unpack.' },
      include: { type: ['array', 'string'], items: { type: 'string' }, description: 'Only these members (patterns); excludes exclude.' },
      extra_opts: { type: ['array', 'string'], items: { type: 'string' }, description: 'Extra options for tar or unzip, e.g. --strip-components=1.' },
      validate_certs: { type: 'boolean', description: 'Verify TLS certificates of a URL src (accepted; see get_url).' },
      io_buffer_size: { type: 'integer', description: 'Accepted for compatibility.' },
      decrypt: { type: 'boolean', description: 'Accepted; vault-encrypted archives are not decrypted yet.' },
      ...FILE_ATTRIBUTE_SCHEMA,
    },
  },
  async run(args, ctx) {
    return runUnarchive(args, ctx);
  },
};
