import { shellQuote } from '../../connection/types.js';
import type { ModuleContext } from '../types.js';
import { ModuleFailure } from '../types.js';

/** What `ls -l` would call the path; `link` only when not following symlinks. */
export type FileType = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'block' | 'char' | 'unknown';

/** One `stat` of a host path, read with GNU `stat -c`. */
export interface RemoteStat {
  readonly path: string;
  readonly type: FileType;
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  /** User name, or the uid as a string when it has no name (as Ansible does). */
  readonly owner: string;
  readonly group: string;
  readonly atime: number;
  readonly mtime: number;
  readonly ctime: number;
  readonly inode: number;
  readonly dev: number;
  readonly nlink: number;
  readonly blocks: number;
  readonly blockSize: number;
  /** st_rdev for block and character devices, else 0. */
  readonly rdev: number;
}

type Probe = Pick<ModuleContext, 'probe' | 'probeCached' | 'rememberProbe'>;

const STAT_FORMAT = '%f|%s|%u|%g|%U|%G|%.9X|%.9Y|%.9Z|%i|%d|%h|%b|%B|%t|%T';

function typeOf(rawMode: number): FileType {
  switch (rawMode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'link';
    case 0o010000: return 'fifo';
    case 0o140000: return 'socket';
    case 0o060000: return 'block';
    case 0o020000: return 'char';
    default: return 'unknown';
  }
}

/** Parses one line of `stat -c STAT_FORMAT` output. Exported for tests. */
export function parseStatLine(path: string, line: string): RemoteStat {
  const f = line.trim().split('|');
  if (f.length !== 16) throw new ModuleFailure(`unexpected stat output for ${path}: ${line.trim()}`);
  const raw = parseInt(f[0], 16);
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  return {
    path,
    type: typeOf(raw),
    mode: raw & 0o7777,
    size: Number(f[1]),
    uid,
    gid,
    owner: f[4] === 'UNKNOWN' ? String(uid) : f[4],
    group: f[5] === 'UNKNOWN' ? String(gid) : f[5],
    atime: Number(f[6].replace(',', '.')),
    mtime: Number(f[7].replace(',', '.')),
    ctime: Number(f[8].replace(',', '.')),
    inode: Number(f[9]),
    dev: Number(f[10]),
    nlink: Number(f[11]),
    blocks: Number(f[12]),
    blockSize: Number(f[13]),
    rdev: (parseInt(f[14], 16) << 8) | parseInt(f[15], 16),
  };
}

function isAbsentError(stderr: string): boolean {
  return /No such file or directory|Not a directory/.test(stderr);
}

/**
 * Runs several read-only probes in ONE round trip and remembers each answer for `probeCached`, so
 * that the module's later statPath/remoteSha1 calls cost nothing. Only for probes whose callers use
 * stdout and rc (their stderr is dropped). Without a task cache it does nothing.
 */
export async function prefetchProbes(ctx: Pick<ModuleContext, 'probe' | 'rememberProbe'>, commands: readonly string[]): Promise<void> {
  if (!ctx.rememberProbe || commands.length === 0) return;
  const mark = `#tsbook-prefetch-${Math.random().toString(36).slice(2, 10)}=`;
  // a subshell each: a command's `exit` ends only its own answer
  const script = commands.map((c) => `(\n${c}\n) 2>/dev/null; printf '\\n%s%d\\n' '${mark}' "$?"`).join('\n');
  const r = await ctx.probe(script);
  for (const [i, answer] of splitPrefetched(r.stdout, mark).entries()) {
    if (i < commands.length) ctx.rememberProbe(commands[i], answer);
  }
}

/** Splits prefetchProbes' output into one answer per command. Exported for tests. */
export function splitPrefetched(stdout: string, mark: string): { rc: number; stdout: string; stderr: string }[] {
  const answers: { rc: number; stdout: string; stderr: string }[] = [];
  let rest = stdout;
  for (;;) {
    const at = rest.indexOf(`\n${mark}`);
    if (at < 0) break;
    const end = rest.indexOf('\n', at + 1 + mark.length);
    const rc = Number(rest.slice(at + 1 + mark.length, end < 0 ? undefined : end));
    answers.push({ rc, stdout: rest.slice(0, at), stderr: '' });
    if (end < 0) break;
    rest = rest.slice(end + 1);
  }
  return answers;
}

/** Probes through the task's read cache when the context has one. */
function probeRead(ctx: Probe, command: string): ReturnType<ModuleContext['probe']> {
  return ctx.probeCached ? ctx.probeCached(command) : ctx.probe(command);
}

const RC_MARK = '#tsbook-rc=';

/** Both stats of a path in one round trip: `lstat` then `stat -L`, each as output or error text. */
export function statBothCommand(path: string): string {
  const quoted = shellQuote(path);
  const format = shellQuote(STAT_FORMAT);
  return `LC_ALL=C stat -c ${format} -- ${quoted} 2>&1; echo "${RC_MARK}$?"; LC_ALL=C stat -L -c ${format} -- ${quoted} 2>&1; echo "${RC_MARK}$?"`;
}

interface StatAnswer { readonly ok: boolean; readonly text: string }

/** Splits statBothCommand's output into its two answers. Exported for tests. */
export function parseStatBoth(stdout: string): [StatAnswer, StatAnswer] | undefined {
  const answers: StatAnswer[] = [];
  let text = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith(RC_MARK)) {
      answers.push({ ok: line.slice(RC_MARK.length) === '0', text });
      text = '';
    } else {
      text += text === '' ? line : `\n${line}`;
    }
  }
  return answers.length === 2 ? [answers[0], answers[1]] : undefined;
}

/**
 * Stats `path` on the host (a probe: runs in check mode). `follow` stats a symlink's target.
 * Returns undefined when the path (or, following, the link's target) does not exist. One round
 * trip answers both forms, and the task's read cache keeps it until the task changes something.
 */
export async function statPath(ctx: Probe, path: string, follow = false): Promise<RemoteStat | undefined> {
  const r = await probeRead(ctx, statBothCommand(path));
  const answers = parseStatBoth(r.stdout);
  if (!answers) throw new ModuleFailure(`cannot stat ${path}: ${r.stderr.trim() || `rc ${r.rc}`}`, { path });
  const answer = answers[follow ? 1 : 0];
  if (!answer.ok) {
    if (isAbsentError(answer.text)) return undefined;
    throw new ModuleFailure(`cannot stat ${path}: ${answer.text.trim() || `rc ${r.rc}`}`, { path });
  }
  return parseStatLine(path, answer.text);
}

/** sha1 of a host file, or undefined when it cannot be read. */
export async function remoteSha1(ctx: Probe, path: string): Promise<string | undefined> {
  return hashOf(ctx, 'sha1sum', path);
}

export async function remoteMd5(ctx: Probe, path: string): Promise<string | undefined> {
  return hashOf(ctx, 'md5sum', path);
}

export function hashCommand(tool: string, path: string): string {
  return `${tool} -- ${shellQuote(path)}`;
}

/** Runs one of the coreutils `*sum` tools on a host path. */
export async function hashOf(ctx: Probe, tool: string, path: string): Promise<string | undefined> {
  const r = await probeRead(ctx, hashCommand(tool, path));
  if (r.rc !== 0) return undefined;
  const m = /^\\?([0-9a-f]+)\s/.exec(r.stdout);
  return m ? m[1] : undefined;
}

/** The target of a symlink (`readlink`, not canonicalised). */
export async function readLink(ctx: Probe, path: string): Promise<string | undefined> {
  const r = await ctx.probe(`readlink -- ${shellQuote(path)}`);
  return r.rc === 0 ? r.stdout.replace(/\n$/, '') : undefined;
}

/** The canonical absolute path (`realpath -m`: missing components allowed). */
export async function realPath(ctx: Probe, path: string): Promise<string> {
  const r = await ctx.probe(`realpath -m -- ${shellQuote(path)}`);
  return r.rc === 0 ? r.stdout.replace(/\n$/, '') : path;
}

/**
 * Ansible's file state of a path (module file's get_state): link, directory, hard (a regular
 * file with more than one link), file, or absent.
 */
export function fileState(st: RemoteStat | undefined): 'absent' | 'link' | 'directory' | 'hard' | 'file' {
  if (!st) return 'absent';
  if (st.type === 'link') return 'link';
  if (st.type === 'directory') return 'directory';
  if (st.nlink > 1) return 'hard';
  return 'file';
}

/** '0644' as Ansible formats modes ('0%03o'). */
export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

/** Reads a host file as UTF-8 text, or undefined when it does not exist. */
export async function readText(ctx: Pick<ModuleContext, 'get'>, path: string): Promise<string | undefined> {
  try {
    return (await ctx.get(path)).toString('utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    if (code === 'ENOENT' || /No such file|ENOENT/.test(message)) return undefined;
    throw new ModuleFailure(`cannot read ${path}: ${message}`, { path });
  }
}

/**
 * Ansible's add_path_info: the file attributes appended to results that name a path
 * (uid, gid, owner, group, mode, state, size); nothing when it does not exist.
 */
export async function pathInfo(ctx: Probe, path: string): Promise<Record<string, unknown>> {
  const target = await statPath(ctx, path, true);
  if (!target) return {};
  const st = (await statPath(ctx, path, false)) ?? target;
  return {
    uid: st.uid,
    gid: st.gid,
    owner: st.owner,
    group: st.group,
    mode: formatMode(st.mode),
    state: st.type === 'link' ? 'link' : target.type === 'directory' ? 'directory' : target.nlink > 1 ? 'hard' : 'file',
    size: st.size,
  };
}
