import { shellJoin, shellQuote } from '../connection/types.js';
import type { ExecResult } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { findBin, requireBin } from './util/bin-path.js';
import { baseName, joinPath, toBool, toList } from './util/file-args.js';
import { ShlexError, shlexSplit } from './util/quote.js';
import { statPath } from './util/fs-probe.js';

export type PipState = 'present' | 'absent' | 'latest' | 'forcereinstall';

export interface PipArgs {
  readonly name?: string | readonly string[];
  readonly version?: string;
  readonly requirements?: string;
  readonly virtualenv?: string;
  readonly virtualenv_site_packages?: boolean;
  readonly virtualenv_command?: string;
  readonly virtualenv_python?: string;
  readonly state?: PipState;
  readonly extra_args?: string;
  readonly editable?: boolean;
  readonly chdir?: string;
  readonly executable?: string;
  readonly umask?: string;
}

const STATE_ARGS: Record<PipState, string[]> = {
  present: ['install'],
  absent: ['uninstall', '-y'],
  latest: ['install', '-U'],
  forcereinstall: ['install', '-U', '--force-reinstall'],
};

// ---- PEP 440 versions and specifiers (what pkg_resources' Requirement.specifier.contains does) ----

interface Version {
  readonly epoch: number;
  readonly release: readonly number[];
  /** [-1, 0] dev-only release, [0..2, n] a/b/rc, [Infinity] final. */
  readonly pre: readonly number[];
  readonly post: number;
  readonly dev: number;
  readonly local: string;
}

const VERSION_RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const preKind = m[3]?.toLowerCase();
  const preRank = preKind === undefined ? undefined : preKind.startsWith('a') ? 0 : preKind === 'b' || preKind === 'beta' ? 1 : 2;
  const hasPost = m[5] !== undefined || m[6] !== undefined;
  const hasDev = m[8] !== undefined;
  let pre: number[] = preRank === undefined ? [Infinity] : [preRank, Number(m[4] ?? 0)];
  if (preRank === undefined && !hasPost && hasDev) pre = [-1, 0];
  return {
    epoch: Number(m[1] ?? 0),
    release: m[2]!.split('.').map(Number),
    pre,
    post: hasPost ? Number(m[5] ?? m[7] ?? 0) : -Infinity,
    dev: hasDev ? Number(m[9] ?? 0) : Infinity,
    local: m[10]?.toLowerCase() ?? '',
  };
}

function compareLists(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1;
    if (Number.isNaN(d) && a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0) ? -1 : 1;
  }
  return 0;
}

/** Orders two versions as PEP 440 does (the local label only breaks ties). */
export function compareVersions(a: Version, b: Version): number {
  return (
    Math.sign(a.epoch - b.epoch) ||
    compareLists(a.release, b.release) ||
    compareLists(a.pre, b.pre) ||
    compareLists([a.post], [b.post]) ||
    compareLists([a.dev], [b.dev]) ||
    (a.local === b.local ? 0 : a.local < b.local ? -1 : 1)
  );
}

function publicPart(v: Version): Version {
  return { ...v, local: '' };
}

/** Whether `version` satisfies one specifier such as '>=1.0', '==2.*' or '~=1.4.2' (pre-releases allowed). */
export function satisfies(version: string, spec: { op: string; version: string }): boolean {
  if (spec.op === '===') return version.trim().toLowerCase() === spec.version.trim().toLowerCase();
  const v = parseVersion(version);
  if (!v) return false;
  if ((spec.op === '==' || spec.op === '!=') && spec.version.endsWith('.*')) {
    const prefix = parseVersion(spec.version.slice(0, -2));
    if (!prefix) return false;
    const head = v.release.slice(0, prefix.release.length);
    const padded = [...head, ...Array<number>(prefix.release.length - head.length).fill(0)];
    const match = v.epoch === prefix.epoch && compareLists(padded, prefix.release) === 0;
    return spec.op === '==' ? match : !match;
  }
  const s = parseVersion(spec.version);
  if (!s) return false;
  const cmp = compareVersions(s.local === '' ? publicPart(v) : v, s);
  switch (spec.op) {
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<=':
      return cmp <= 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '>':
      return cmp > 0;
    case '~=': {
      const upper = s.release.slice(0, Math.max(1, s.release.length - 1));
      return cmp >= 0 && satisfies(version, { op: '==', version: `${upper.join('.')}.*` });
    }
    default:
      return false;
  }
}

/** A name from `name:` as Ansible's Package wraps it: a parsed requirement, or an opaque string (URL, path). */
export interface PipPackage {
  readonly text: string;
  readonly name: string;
  readonly plain: boolean;
  readonly specs: readonly { op: string; version: string }[];
}

const REQ_RE = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(\(?[^;]*?\)?)\s*(?:;\s*(.*))?$/;
const SPEC_RE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,]+)\s*$/;

/** Package.canonicalize_name. */
export function canonicalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Package(name_string, version_string): parses a requirement like pkg_resources.Requirement.parse. */
export function pipPackage(nameString: string, versionString?: string): PipPackage {
  let text = nameString;
  if (versionString) {
    const v = versionString.trimStart();
    text = [nameString, v].join(/^\d/.test(v) ? '==' : ' ');
  }
  const opaque: PipPackage = { text, name: text, plain: false, specs: [] };
  const m = REQ_RE.exec(text);
  if (!m) return opaque;
  let specText = m[3]!.trim();
  if (specText.startsWith('(') && specText.endsWith(')')) specText = specText.slice(1, -1);
  const specs: { op: string; version: string }[] = [];
  if (specText !== '') {
    for (const part of specText.split(',')) {
      const s = SPEC_RE.exec(part);
      if (!s) return opaque;
      specs.push({ op: s[1]!, version: s[2]! });
    }
  }
  const extras = m[2] === undefined ? [] : m[2].split(',').map((e) => e.trim()).filter((e) => e !== '').sort();
  const rendered =
    m[1]! +
    (extras.length > 0 ? `[${extras.join(',')}]` : '') +
    specs.map((s) => `${s.op}${s.version}`).sort().join(',') +
    (m[4] !== undefined && m[4].trim() !== '' ? `; ${m[4].trim()}` : '');
  const project = m[1]!.replace(/[^A-Za-z0-9.]+/g, '-');
  return { text: rendered, name: canonicalizeName(project), plain: true, specs };
}

/** _is_present: one `name==version` line of pip freeze matches the requirement. */
export function isPresent(pkg: PipPackage, freeze: readonly string[]): boolean {
  if (!pkg.plain) return false;
  for (const line of freeze) {
    if (!line.includes('==')) continue;
    const [name, version] = line.split('==');
    if (canonicalizeName(name!) === pkg.name && pkg.specs.every((s) => satisfies(version!, s))) return true;
  }
  return false;
}

/** _recover_package_name: rejoins version specifiers a comma-separated `name` split apart. */
export function recoverPackageNames(names: readonly string[]): string[] {
  const parts = names.flatMap((n) => n.split(','));
  const out: string[] = [];
  let current: string[] = [];
  let inBrackets = false;
  for (const name of parts) {
    const isName = !/^\s*(<|>|=|!|~)/.test(name);
    if (isName && !inBrackets) {
      if (current.length > 0) out.push(current.join(','));
      current = [];
    }
    if (name.includes('[')) inBrackets = true;
    if (inBrackets && name.includes(']')) inBrackets = false;
    current.push(name);
  }
  out.push(current.join(','));
  return out;
}

const VCS_RE = /(svn|git|hg|bzr)\+/;

function failWith(cmd: readonly string[] | string, out: string, err: string): ModuleFailure {
  let msg = '';
  if (out) msg += `stdout: ${out}`;
  if (err) msg += `\n:stderr: ${err}`;
  return new ModuleFailure(msg, { cmd });
}

/** The remote python Ansible would run the module with. */
async function interpreter(ctx: ModuleContext): Promise<string> {
  const v = ctx.lookupVar('ansible_python_interpreter');
  if (v.defined && typeof v.value === 'string' && v.value !== '') return v.value;
  const r = await ctx.probe('for p in /usr/bin/python3 python3 python; do command -v "$p" && exit 0; done; exit 1');
  if (r.rc !== 0) throw new ModuleFailure('no python interpreter found on the host (set ansible_python_interpreter)');
  return r.stdout.split('\n')[0]!.trim();
}

/** _get_pip: the pip command (argv) for an executable, a virtualenv, or the remote python. */
async function pipCommand(ctx: ModuleContext, env: string | undefined, executable: string | undefined, python: () => Promise<string>): Promise<string[]> {
  if (executable !== undefined && executable.startsWith('/')) return [executable];
  if (executable === undefined && env === undefined) {
    const py = await python();
    const has = await ctx.probe(`${shellQuote(py)} -c 'import importlib.util,sys; sys.exit(0 if importlib.util.find_spec("pip") else 1)'`);
    if (has.rc === 0) return [py, '-m', 'pip.__main__'];
  }
  if (env === undefined) {
    const candidates = executable !== undefined ? [executable] : ['pip3'];
    for (const c of candidates) {
      const found = await findBin(ctx, c);
      if (found !== undefined) return [found];
    }
    throw new ModuleFailure(`Unable to find any of ${candidates.join(', ')} to use.  pip needs to be installed.`);
  }
  const names = [executable ?? 'pip3', 'pip'];
  for (const n of names) {
    const p = joinPath(joinPath(env, 'bin'), n);
    if ((await ctx.probe(`[ -f ${shellQuote(p)} ] && [ -x ${shellQuote(p)} ]`)).rc === 0) return [p];
  }
  throw new ModuleFailure(
    `Unable to find pip in the virtualenv, ${env}, under any of these names: ${names.join(', ')}. Make sure pip is present in the virtualenv.`,
  );
}

interface Runner {
  readonly ctx: ModuleContext;
  readonly chdir: string;
  readonly umask?: string;
}

function commandLine(r: Runner, argv: readonly string[], pathPrefix?: string): string {
  let line = shellJoin(argv);
  if (pathPrefix !== undefined) line = `PATH=${shellQuote(pathPrefix)}:"$PATH" ${line}`;
  if (r.umask !== undefined) line = `umask ${r.umask} && ${line}`;
  return `cd ${shellQuote(r.chdir)} && ${line}`;
}

/** _get_packages: `pip list --format=freeze`, falling back to `pip freeze`. */
async function installedPackages(r: Runner, pip: readonly string[]): Promise<{ cmd: string; out: string; err: string }> {
  let argv = [...pip, 'list', '--format=freeze'];
  let res: ExecResult = await r.ctx.probe(commandLine(r, argv), { env: { LANG: 'C', LC_ALL: 'C', LC_MESSAGES: 'C' } });
  if (res.rc !== 0) {
    argv = [...pip, 'freeze'];
    res = await r.ctx.probe(commandLine(r, argv));
    if (res.rc !== 0) throw failWith(argv.join(' '), res.stdout, res.stderr);
  }
  return { cmd: argv.join(' '), out: res.stdout, err: res.stderr };
}

/** setup_virtualenv (after the check-mode exit): runs virtualenv_command for `env`. */
async function createVirtualenv(r: Runner, args: PipArgs, env: string, python: () => Promise<string>): Promise<{ out: string; err: string }> {
  const command = args.virtualenv_command ?? 'virtualenv';
  let argv: string[];
  try {
    argv = shlexSplit(command);
  } catch (e) {
    throw new ModuleFailure(`invalid virtualenv_command: ${e instanceof ShlexError ? e.message : String(e)}`);
  }
  if (argv.length === 0) throw new ModuleFailure('virtualenv_command is empty');
  if (baseName(argv[0]!) === argv[0]) argv[0] = await requireBin(r.ctx, argv[0]!);
  if (toBool(args.virtualenv_site_packages)) argv.push('--system-site-packages');
  const isVenv = command.includes('pyvenv') || command.includes('-m venv');
  if (!isVenv) {
    if (args.virtualenv_python) argv.push(`-p${args.virtualenv_python}`);
    else argv.push(`-p${await python()}`);
  } else if (args.virtualenv_python) {
    throw new ModuleFailure('virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command');
  }
  argv.push(env);
  const res = await r.ctx.run(commandLine(r, argv));
  if (res.rc !== 0) throw failWith(argv, res.stdout, res.stderr);
  return { out: res.stdout, err: res.stderr };
}

async function runPip(args: PipArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const state = args.state ?? 'present';
  const names = args.name === undefined ? undefined : toList(Array.isArray(args.name) ? args.name : [args.name as string]);
  const { requirements } = args;
  const version = args.version === undefined || args.version === null ? undefined : String(args.version);
  if (names === undefined && requirements === undefined) throw new ModuleFailure('one of the following is required: name, requirements');
  if (names !== undefined && requirements !== undefined) throw new ModuleFailure('parameters are mutually exclusive: name|requirements');
  if (args.executable !== undefined && args.virtualenv !== undefined) throw new ModuleFailure('parameters are mutually exclusive: executable|virtualenv');
  if (args.umask !== undefined && !/^[0-7]+$/.test(args.umask)) throw new ModuleFailure('umask must be an octal integer');
  let env = args.virtualenv;
  if (env !== undefined && args.chdir !== undefined) env = joinPath(args.chdir, env);
  if (state === 'latest' && version !== undefined) throw new ModuleFailure('version is incompatible with state=latest');
  const r: Runner = { ctx, chdir: args.chdir ?? '/tmp', umask: args.umask };
  let py: string | undefined;
  const python = async () => (py ??= await interpreter(ctx));

  let out = '';
  let err = '';
  let venvCreated = false;
  if (env !== undefined && !(await statPath(ctx, joinPath(env, 'bin/activate'), true))) {
    venvCreated = true;
    if (ctx.check) return { changed: true };
    ({ out, err } = await createVirtualenv(r, args, env, python));
  }
  const pip = await pipCommand(ctx, env, args.executable, python);
  const cmd = [...pip, ...STATE_ARGS[state]];
  const pathPrefix = env === undefined ? undefined : joinPath(env, 'bin');

  let packages: PipPackage[] = [];
  let hasVcs = false;
  if (names !== undefined) {
    hasVcs = names.some((n) => VCS_RE.test(n));
    packages = recoverPackageNames(names).map((n) => pipPackage(n));
    if (version !== undefined) {
      if (packages.length > 1) {
        throw new ModuleFailure(
          "'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.",
        );
      }
      if (packages[0]!.specs.length > 0) {
        throw new ModuleFailure(
          "The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument.",
        );
      }
      packages[0] = pipPackage(packages[0]!.text, version);
    }
  }
  let extraArgs = args.extra_args;
  if (toBool(args.editable)) {
    const list = extraArgs ? extraArgs.split(' ') : [];
    if (!list.includes('-e')) extraArgs = [...list, '-e'].join(' ');
  }
  if (extraArgs) {
    try {
      cmd.push(...shlexSplit(extraArgs));
    } catch (e) {
      throw new ModuleFailure(`invalid extra_args: ${e instanceof ShlexError ? e.message : String(e)}`);
    }
  }
  if (names !== undefined && names.length > 0) cmd.push(...packages.map((p) => p.text));
  else if (requirements) cmd.push('-r', requirements);
  else return { changed: false, warnings: ['No valid name or requirements file found.'] };

  if (ctx.check) {
    if (extraArgs || requirements || state === 'latest' || !names) return { changed: true };
    const listed = await installedPackages(r, pip);
    const freeze = listed.out.split('\n').filter((p) => p !== '' && !p.startsWith('You are using') && !p.startsWith('You should consider'));
    const changed = packages.some((p) => {
      const present = isPresent(p, freeze);
      return (state === 'present' && !present) || (state === 'absent' && present);
    });
    return { changed, values: { cmd: listed.cmd, stdout: out + listed.out, stderr: err + listed.err } };
  }

  const freezeBefore = requirements || hasVcs ? (await installedPackages(r, pip)).out : undefined;
  const res = await ctx.run(commandLine(r, cmd, pathPrefix));
  out += res.stdout;
  err += res.stderr;
  const notInstalled = state === 'absent' && res.rc === 1 && (res.stdout.includes('not installed') || res.stderr.includes('not installed'));
  if (res.rc !== 0 && !notInstalled) throw failWith(cmd, out, err);
  let changed: boolean;
  if (state === 'absent') changed = res.stdout.includes('Successfully uninstalled');
  else if (freezeBefore === undefined) changed = res.stdout.includes('Successfully installed');
  else changed = freezeBefore !== (await installedPackages(r, pip)).out;
  return {
    changed: changed || venvCreated,
    values: { cmd, name: names ?? null, version: version ?? null, state, requirements: requirements ?? null, virtualenv: env ?? null, stdout: out, stderr: err },
  };
}

export const pipModule: Module<PipArgs> = {
  name: 'pip',
  description: 'Manage Python library dependencies with pip (optionally in a virtualenv).',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: "Package name(s) or URL(s), optionally with version specifiers ('foo>=1.0')." },
      version: { type: 'string', description: 'Version specifier for the single package in name.' },
      requirements: { type: 'string', description: 'Path to a pip requirements file (instead of name).' },
      virtualenv: { type: 'string', description: 'A virtualenv directory to install into; created when it does not exist.' },
      virtualenv_site_packages: { type: 'boolean', description: 'Create the virtualenv with --system-site-packages.' },
      virtualenv_command: { type: 'string', description: "Command that creates the virtualenv (default 'virtualenv'; e.g. 'python3 -m venv')." },
      virtualenv_python: { type: 'string', description: 'Python executable for the virtualenv (virtualenv -p; not with venv).' },
      state: { type: 'string', enum: ['present', 'absent', 'latest', 'forcereinstall'], description: 'present (default), absent, latest or forcereinstall.' },
      extra_args: { type: 'string', description: "Extra arguments passed to pip (e.g. '--no-index --find-links DIR')." },
      editable: { type: 'boolean', description: 'Pass -e (editable install).' },
      chdir: { type: 'string', description: 'Directory to run pip in (default /tmp).' },
      executable: { type: 'string', description: 'The pip executable to use (not with virtualenv).' },
      umask: { type: 'string', description: "Octal umask for the pip command, e.g. '0022'." },
    },
  },
  run: runPip,
};
