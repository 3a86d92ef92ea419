import { shellJoin } from '../connection/types.js';
import type { ExecResult } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { requireBin } from './util/bin-path.js';
import { dirName, joinPath, required, toBool } from './util/file-args.js';
import { readText, statPath } from './util/fs-probe.js';
import { splitLines } from './util/lines.js';

export interface GitArgs {
  readonly repo?: string;
  readonly name?: string;
  readonly dest?: string;
  readonly version?: string;
  readonly remote?: string;
  readonly refspec?: string;
  readonly reference?: string;
  readonly force?: boolean;
  readonly depth?: number;
  readonly clone?: boolean;
  readonly update?: boolean;
  readonly accept_hostkey?: boolean;
  readonly accept_newhostkey?: boolean;
  readonly key_file?: string;
  readonly ssh_opts?: string;
  readonly executable?: string;
  readonly bare?: boolean;
  readonly recursive?: boolean;
  readonly single_branch?: boolean;
  readonly umask?: string;
  readonly verify_commit?: boolean;
  readonly gpg_whitelist?: readonly string[];
  readonly track_submodules?: boolean;
  readonly archive?: string;
  readonly archive_prefix?: string;
  readonly separate_git_dir?: string;
}

/** head_splitter: the branch named by the first line of a HEAD file ('ref: refs/heads/x' -> 'x'). */
export function headSplitter(firstLine: string, remote: string): string {
  const raw = firstLine.replace(`refs/remotes/${remote}`, '');
  const ref = raw.split(' ').at(-1)!;
  const parts = ref.split('/');
  const last = parts.length > 2 ? parts.slice(2).join('/') : parts.at(-1)!;
  return last.replace(/\n+$/, '');
}

/** unfrackgitpath: a repo URL without a trailing slash or .git, for comparing remotes. */
export function unfrackGitPath(path: string): string {
  return path.replace(/\/$/, '').replace(/\.git$/, '');
}

/** The GIT_SSH_COMMAND Ansible's set_git_ssh_env builds (git >= 2.3). */
export function gitSshCommand(o: { sshOpts?: string; acceptHostkey: boolean; acceptNewHostkey: boolean; keyFile?: string }): string {
  let opts = o.sshOpts === undefined ? '' : ` ${o.sshOpts}`;
  if (o.acceptHostkey && !opts.includes('StrictHostKeyChecking=no')) opts += ' -o StrictHostKeyChecking=no';
  if (o.acceptNewHostkey && !opts.includes('StrictHostKeyChecking=no') && !opts.includes('StrictHostKeyChecking=accept-new')) {
    opts += ' -o StrictHostKeyChecking=accept-new';
  }
  if (!opts.includes('BatchMode=yes')) opts += ' -o BatchMode=yes';
  if (o.keyFile !== undefined) {
    if (!opts.includes(`-i ${o.keyFile}`)) opts += `  -i ${o.keyFile}`;
    if (!opts.includes('IdentitiesOnly=yes')) opts += ' -o IdentitiesOnly=yes';
  }
  return `ssh ${opts}`;
}

/** One git run of the module: its options and the commands it sends. */
class Git {
  constructor(
    readonly ctx: ModuleContext,
    readonly git: string,
    readonly env: Readonly<Record<string, string>>,
    readonly repo: string,
    readonly rawRepo: string,
    readonly dest: string | undefined,
    readonly remote: string,
    readonly bare: boolean,
  ) {}

  /** A read-only git command (runs in check mode too); in dest when dest is a directory. */
  async probe(argv: readonly string[], inDest = true): Promise<ExecResult> {
    return this.ctx.probe(await this.line(argv, inDest), { env: this.env });
  }

  async change(argv: readonly string[], inDest = true): Promise<ExecResult> {
    return this.ctx.run(await this.line(argv, inDest), { env: this.env });
  }

  private destExists?: boolean;

  private async line(argv: readonly string[], inDest: boolean): Promise<string> {
    if (inDest && this.dest !== undefined) {
      this.destExists ||= (await statPath(this.ctx, this.dest, true))?.type === 'directory';
      // run_command ignores a cwd that does not exist (yet)
      if (this.destExists) return shellJoin([this.git, '-C', this.dest, ...argv]);
    }
    return shellJoin([this.git, ...argv]);
  }

  async checked(argv: readonly string[], change: boolean, inDest = true): Promise<ExecResult> {
    const r = change ? await this.change(argv, inDest) : await this.probe(argv, inDest);
    if (r.rc !== 0 && !(change && this.ctx.check)) {
      throw new ModuleFailure(r.stderr.trimEnd(), { cmd: [this.git, ...argv].join(' '), rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    return r;
  }

  get repoPath(): string {
    return this.bare ? this.dest! : joinPath(this.dest!, '.git');
  }

  /** get_repo_path: dest/.git, or the directory a `.git` file points at. */
  async resolveRepoPath(): Promise<string> {
    const path = this.repoPath;
    const st = await statPath(this.ctx, path, true);
    if (st?.type !== 'file') return path;
    const data = ((await readText(this.ctx, path)) ?? '').trimEnd();
    const at = data.indexOf('gitdir: ');
    if (at !== 0) {
      throw new ModuleFailure('Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path', {
        details: '.git file has invalid git dir reference format',
      });
    }
    const gitdir = data.slice('gitdir: '.length);
    return gitdir.startsWith('/') ? gitdir : joinPath(this.dest!, gitdir);
  }

  async version(ref = 'HEAD'): Promise<string> {
    return (await this.probe(['rev-parse', ref])).stdout.replace(/\n+$/, '');
  }

  async isRemoteBranch(remote: string, version: string): Promise<boolean> {
    return (await this.checked(['ls-remote', remote, '-h', `refs/heads/${version}`], false)).stdout.includes(version);
  }

  async isRemoteTag(remote: string, version: string): Promise<boolean> {
    return (await this.checked(['ls-remote', remote, '-t', `refs/tags/${version}`], false)).stdout.includes(version);
  }

  async branches(): Promise<string[]> {
    const r = await this.probe(['branch', '--no-color', '-a']);
    if (r.rc !== 0) throw new ModuleFailure(`Could not determine branch data - received ${r.stdout}`, { stdout: r.stdout, stderr: r.stderr });
    return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  }

  async isLocalBranch(branch: string): Promise<boolean> {
    const b = await this.branches();
    return b.includes(branch) || b.includes(`* ${branch}`);
  }

  /** get_head_branch: the branch HEAD is on, or the remote's HEAD branch when detached. */
  async headBranch(): Promise<string> {
    const repoPath = await this.resolveRepoPath();
    const detached = (await this.branches()).some(
      (b) => b.startsWith('* ') && (b.includes('no branch') || b.includes('detached from') || b.includes('detached at')),
    );
    const headFile = detached ? joinPath(repoPath, `refs/remotes/${this.remote}/HEAD`) : joinPath(repoPath, 'HEAD');
    const text = await readText(this.ctx, headFile);
    if (text === undefined || text === '') return 'None';
    return headSplitter(text.split('\n')[0]!, this.remote);
  }

  /** get_remote_head: the SHA `version` names on the remote (a SHA is returned as given). */
  async remoteHead(version: string, remote: string): Promise<string> {
    const cloning = remote === this.rawRepo || remote === this.repo;
    let argv: string[];
    let tag = false;
    if (version === 'HEAD') {
      argv = cloning ? ['ls-remote', remote, '-h', 'HEAD'] : ['ls-remote', remote, '-h', `refs/heads/${await this.headBranch()}`];
    } else if (await this.isRemoteBranch(remote, version)) argv = ['ls-remote', remote, '-h', `refs/heads/${version}`];
    else if (await this.isRemoteTag(remote, version)) {
      tag = true;
      argv = ['ls-remote', remote, '-t', `refs/tags/${version}*`];
    } else return version;
    const r = await this.checked(argv, false, !cloning);
    let out = r.stdout;
    if (out.length < 1) throw new ModuleFailure(`Could not determine remote revision for ${version}`, { stdout: out, stderr: r.stderr, rc: r.rc });
    if (tag) {
      for (const line of out.split('\n')) {
        if (line.endsWith(`${version}^{}`)) {
          out = line;
          break;
        } else if (line.endsWith(version)) out = line;
      }
    }
    return out.split(/\s+/).filter((w) => w !== '')[0]!;
  }

  async remoteUrl(): Promise<string | undefined> {
    const r = await this.probe(['ls-remote', '--get-url', this.remote]);
    return r.rc === 0 ? r.stdout.replace(/\n+$/, '') : undefined;
  }

  /** set_remote_url: points the remote at repo; true when it pointed elsewhere before. */
  async setRemoteUrl(): Promise<boolean> {
    const url = await this.remoteUrl();
    if (url === this.repo || (url !== undefined && unfrackGitPath(url) === unfrackGitPath(this.repo))) return false;
    const r = await this.change(['remote', 'set-url', this.remote, this.repo]);
    if (r.rc !== 0) throw new ModuleFailure(`Failed to set a new url ${this.repo} for ${this.remote}: ${r.stdout} ${r.stderr}`);
    return url !== undefined;
  }

  async hasLocalMods(): Promise<boolean> {
    if (this.bare) return false;
    const r = await this.probe(['status', '--porcelain']);
    return splitLines(r.stdout).some((l) => !/^\?\?/.test(l));
  }
}

interface Options {
  readonly version: string;
  readonly depth?: number;
  readonly refspec?: string;
  readonly reference?: string;
  readonly force: boolean;
  readonly singleBranch: boolean;
}

async function clone(g: Git, o: Options): Promise<void> {
  const dest = g.dest!;
  const parent = dirName(dest);
  if (parent !== '') await g.ctx.run(shellJoin(['mkdir', '-p', '--', parent]));
  const argv = ['clone', ...(g.bare ? ['--bare'] : ['--origin', g.remote])];
  const branchOrTag = (await g.isRemoteBranch(g.repo, o.version)) || (await g.isRemoteTag(g.repo, o.version));
  if (o.depth) {
    if (o.version === 'HEAD' || o.refspec) argv.push('--depth', String(o.depth));
    else if (branchOrTag) argv.push('--depth', String(o.depth), '--branch', o.version);
    else g.ctx.warn('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
  }
  if (o.reference) argv.push('--reference', o.reference);
  if (o.singleBranch) {
    argv.push('--single-branch');
    if (branchOrTag) argv.push('--branch', o.version);
  }
  argv.push(g.repo, dest);
  await g.checked(argv, true, false);
  if (g.bare && g.remote !== 'origin') await g.checked(['remote', 'add', g.remote, g.repo], true);
  if (o.refspec) await g.checked(['fetch', ...(o.depth ? ['--depth', String(o.depth)] : []), g.remote, o.refspec], true);
}

async function fetch(g: Git, o: Options): Promise<void> {
  await g.setRemoteUrl();
  const argv = ['fetch'];
  let refspecs: string[] = [];
  if (o.depth) {
    const current = await g.headBranch();
    if (o.refspec) refspecs.push(o.refspec);
    else if (o.version === 'HEAD') refspecs.push(current);
    else if (await g.isRemoteBranch(g.repo, o.version)) {
      if (current !== o.version) refspecs.push(`+refs/heads/${o.version}:refs/heads/${o.version}`);
      refspecs.push(`+refs/heads/${o.version}:refs/remotes/${g.remote}/${o.version}`);
    } else if (await g.isRemoteTag(g.repo, o.version)) refspecs.push(`+refs/tags/${o.version}:refs/tags/${o.version}`);
    if (refspecs.length > 0) argv.push('--depth', String(o.depth));
  }
  if (!o.depth || refspecs.length === 0) {
    if (g.bare) refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
    else argv.push('--tags');
    if (o.refspec) refspecs.push(o.refspec);
  }
  if (o.force) argv.push('--force');
  argv.push(g.remote, ...refspecs);
  const r = await g.change(argv);
  if (r.rc !== 0) throw new ModuleFailure(`Failed to download remote objects and refs: ${r.stdout} ${r.stderr}`, { cmd: [g.git, ...argv].join(' ') });
}

async function switchVersion(g: Git, o: Options): Promise<void> {
  const fail = (msg: string, r: ExecResult, argv?: readonly string[]) =>
    new ModuleFailure(msg, { stdout: r.stdout, stderr: r.stderr, rc: r.rc, ...(argv ? { cmd: [g.git, ...argv].join(' ') } : {}) });
  let argv: string[];
  if (o.version === 'HEAD') {
    const branch = await g.headBranch();
    const co = await g.change(['checkout', '--force', branch]);
    if (co.rc !== 0) throw fail(`Failed to checkout branch ${branch}`, co);
    argv = ['reset', '--hard', `${g.remote}/${branch}`, '--'];
    const r = await g.change(argv);
    if (r.rc !== 0) throw fail(`Failed to checkout branch ${branch}`, r, argv);
    return;
  }
  if (await g.isRemoteBranch(g.remote, o.version)) {
    if (o.depth && !(await g.isLocalBranch(o.version))) {
      const refs = [`+refs/heads/${o.version}:refs/heads/${o.version}`, `+refs/heads/${o.version}:refs/remotes/${g.remote}/${o.version}`];
      const r = await g.change(['fetch', `--depth=${o.depth}`, g.remote, ...refs]);
      if (r.rc !== 0) throw fail(`Failed to fetch branch from remote: ${o.version}`, r);
    }
    if (!(await g.isLocalBranch(o.version))) argv = ['checkout', '--track', '-b', o.version, `${g.remote}/${o.version}`];
    else {
      const co = await g.change(['checkout', '--force', o.version]);
      if (co.rc !== 0) throw fail(`Failed to checkout branch ${o.version}`, co);
      argv = ['reset', '--hard', `${g.remote}/${o.version}`];
    }
  } else argv = ['checkout', '--force', o.version];
  const r = await g.change(argv);
  if (r.rc !== 0) throw fail(`Failed to checkout ${o.version}`, r, argv);
}

/** Initialises or updates submodules that are missing or not at the recorded commit; true when it acted. */
async function updateSubmodules(g: Git, force: boolean): Promise<boolean> {
  if (!(await statPath(g.ctx, joinPath(g.dest!, '.gitmodules'), true))) return false;
  const status = await g.probe(['submodule', 'status', '--recursive']);
  if (!splitLines(status.stdout).some((l) => l.startsWith('-') || l.startsWith('+'))) return false;
  await g.checked(['submodule', 'sync'], true);
  await g.checked(['submodule', 'update', '--init', '--recursive', ...(force ? ['--force'] : [])], true);
  return true;
}

const UNSUPPORTED = ['verify_commit', 'track_submodules', 'archive', 'archive_prefix', 'separate_git_dir'] as const;

async function runGit(args: GitArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const rawRepo = required(args.repo ?? args.name, 'repo');
  for (const key of UNSUPPORTED) {
    const v = args[key];
    if (v !== undefined && v !== null && v !== false) throw new ModuleFailure(`${key} is not supported by tsbook's git module`);
  }
  if (toBool(args.accept_hostkey) && toBool(args.accept_newhostkey)) throw new ModuleFailure('parameters are mutually exclusive: accept_hostkey|accept_newhostkey');
  const allowClone = toBool(args.clone, true);
  const update = toBool(args.update, true);
  const bare = toBool(args.bare);
  const force = toBool(args.force);
  const version = String(args.version ?? 'HEAD');
  const remote = args.remote ?? 'origin';
  if (args.dest === undefined && allowClone) throw new ModuleFailure('the destination directory must be specified unless clone=no');
  let dest = args.dest;
  if (dest !== undefined && !dest.startsWith('/')) dest = joinPath((await ctx.probe('pwd')).stdout.trim(), dest);
  const gitBin = args.executable ?? (await requireBin(ctx, 'git'));
  const repo = rawRepo.startsWith('/') ? `file://${rawRepo}` : rawRepo;
  const env = {
    LANG: 'C',
    LC_ALL: 'C',
    LC_MESSAGES: 'C',
    LC_CTYPE: 'C',
    GIT_SSH_COMMAND: gitSshCommand({
      sshOpts: args.ssh_opts,
      acceptHostkey: toBool(args.accept_hostkey),
      acceptNewHostkey: toBool(args.accept_newhostkey),
      keyFile: args.key_file,
    }),
  };
  const g = new Git(ctx, gitBin, env, repo, rawRepo, dest, remote, bare);
  const o: Options = { version, depth: args.depth, refspec: args.refspec, reference: args.reference, force, singleBranch: toBool(args.single_branch) };
  const values: Record<string, unknown> = { before: null };
  let changed = false;
  let localMods = false;
  let remoteUrlChanged = false;

  const configExists = dest !== undefined && (await statPath(ctx, joinPath(await g.resolveRepoPath(), 'config'), true)) !== undefined;
  if ((dest !== undefined && !configExists) || (dest === undefined && !allowClone)) {
    if (ctx.check || !allowClone) {
      values.after = await g.remoteHead(version, repo);
      return { changed: true, values };
    }
    await clone(g, o);
  } else if (!update) {
    values.before = await g.version();
    values.after = values.before;
    return { changed: false, values };
  } else {
    localMods = await g.hasLocalMods();
    values.before = await g.version();
    if (localMods) {
      if (!force) throw new ModuleFailure(`Local modifications exist in the destination: ${dest} (force=no).`, { ...values });
      if (!ctx.check) {
        await g.checked(['reset', '--hard', 'HEAD'], true);
        changed = true;
        values.msg = `Local modifications exist in the destination: ${dest}`;
      }
    }
    if (ctx.check) {
      const url = await g.remoteUrl();
      remoteUrlChanged = url !== undefined && url !== '' && url !== repo && unfrackGitPath(url) !== unfrackGitPath(repo);
      values.remote_url_changed = remoteUrlChanged;
      values.after = await g.remoteHead(version, remote);
      return { changed: values.before !== values.after || remoteUrlChanged, values };
    }
    remoteUrlChanged = await g.setRemoteUrl();
    values.remote_url_changed = remoteUrlChanged;
    await fetch(g, o);
  }

  if (!bare) await switchVersion(g, o);
  let submodulesChanged = false;
  if (toBool(args.recursive, true) && !bare) {
    submodulesChanged = await updateSubmodules(g, force);
    if (submodulesChanged) values.submodules_changed = true;
  }
  values.after = await g.version();
  if (values.before !== values.after || localMods || submodulesChanged || remoteUrlChanged) changed = true;
  return { changed, values };
}

const BOOL = { type: 'boolean' } as const;

export const gitModule: Module<GitArgs> = {
  name: 'git',
  description: 'Deploy software (or files) from git checkouts: clone, fetch and check out a version.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['repo'] }, { required: ['name'] }],
    properties: {
      repo: { type: 'string', description: 'git, SSH or HTTP(S) URL of the repository, or a local path (alias name).' },
      name: { type: 'string', description: 'Alias of repo.' },
      dest: { type: 'string', description: 'Where to check the repository out (required unless clone=false).' },
      version: { type: 'string', description: "Branch, tag or SHA to check out (default 'HEAD': the remote's default branch)." },
      remote: { type: 'string', description: "Name of the remote (default 'origin')." },
      refspec: { type: 'string', description: 'Extra refspec to fetch.' },
      reference: { type: 'string', description: 'Reference repository (git clone --reference).' },
      force: { ...BOOL, description: 'Discard local modifications to tracked files.' },
      depth: { type: 'integer', description: 'Shallow clone with this many commits of history.' },
      clone: { ...BOOL, description: 'Clone when dest does not exist (default true).' },
      update: { ...BOOL, description: 'Fetch new revisions from the remote (default true).' },
      accept_hostkey: { ...BOOL, description: 'Add -o StrictHostKeyChecking=no to ssh.' },
      accept_newhostkey: { ...BOOL, description: 'Add -o StrictHostKeyChecking=accept-new to ssh.' },
      key_file: { type: 'string', description: 'Private key for ssh (-i, IdentitiesOnly=yes).' },
      ssh_opts: { type: 'string', description: 'Extra ssh options (GIT_SSH_COMMAND).' },
      executable: { type: 'string', description: 'Path of the git binary.' },
      bare: { ...BOOL, description: 'Create a bare repository.' },
      recursive: { ...BOOL, description: 'Initialise and update submodules (default true).' },
      single_branch: { ...BOOL, description: 'Clone only the history leading to version.' },
      umask: { type: 'string', description: 'Accepted for compatibility; not applied by tsbook.' },
      verify_commit: { ...BOOL, description: 'Not supported by tsbook (fails when true).' },
      gpg_whitelist: { type: 'array', items: { type: 'string' }, description: 'Accepted for compatibility (with verify_commit).' },
      track_submodules: { ...BOOL, description: 'Not supported by tsbook (fails when true).' },
      archive: { type: 'string', description: 'Not supported by tsbook.' },
      archive_prefix: { type: 'string', description: 'Not supported by tsbook.' },
      separate_git_dir: { type: 'string', description: 'Not supported by tsbook.' },
    },
  },
  run: runGit,
};
