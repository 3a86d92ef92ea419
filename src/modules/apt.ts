import { fnmatch } from '../util/fnmatch.js';
import { shellQuote } from '../connection/types.js';
import type { ExecResult } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, toBool, toList } from './util/file-args.js';

export type AptState = 'absent' | 'present' | 'latest' | 'build-dep' | 'fixed';

export interface AptArgs {
  readonly name?: string | readonly string[];
  readonly package?: string | readonly string[];
  readonly pkg?: string | readonly string[];
  readonly state?: AptState;
  readonly update_cache?: boolean;
  readonly 'update-cache'?: boolean;
  readonly cache_valid_time?: number;
  readonly install_recommends?: boolean;
  readonly 'install-recommends'?: boolean;
  readonly purge?: boolean;
  readonly autoremove?: boolean;
  readonly autoclean?: boolean;
  readonly force?: boolean;
  readonly only_upgrade?: boolean;
  readonly allow_downgrade?: boolean;
  readonly allow_unauthenticated?: boolean;
  readonly allow_change_held_packages?: boolean;
  readonly default_release?: string;
  readonly dpkg_options?: string;
}

const ENV = 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C';
const DEFAULT_DPKG_OPTIONS = 'force-confdef,force-confold';

/** Installed version of a package (dpkg-query), or undefined when it is not installed. */
export async function installedVersion(ctx: ModuleContext, name: string): Promise<string | undefined> {
  const r = await ctx.probe(`dpkg-query -W -f='\${Status}\\t\${Version}\\n' ${shellQuote(name)} 2>/dev/null`);
  if (r.rc !== 0) return undefined;
  for (const line of r.stdout.split('\n')) {
    const [status, version] = line.split('\t');
    if (status !== undefined && / installed$/.test(status)) return version ?? '';
  }
  return undefined;
}

/** Candidate version from `apt-cache policy`, or undefined when apt knows no such package. */
export async function candidateVersion(ctx: ModuleContext, name: string): Promise<string | undefined> {
  const r = await ctx.probe(`LC_ALL=C apt-cache policy ${shellQuote(name)}`);
  const m = /^\s*Candidate:\s*(\S+)/m.exec(r.stdout);
  if (!m || m[1] === '(none)') return undefined;
  return m[1];
}


/** Seconds since the epoch of the last apt cache update (Ansible's get_cache_mtime), 0 when unknown. */
export async function cacheTime(ctx: ModuleContext): Promise<number> {
  const r = await ctx.probe(
    'stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0',
  );
  return Number(r.stdout.trim()) || 0;
}

function dpkgOptions(opts: string | undefined): string {
  return (opts ?? DEFAULT_DPKG_OPTIONS)
    .split(',')
    .filter((o) => o.trim() !== '')
    .map((o) => `-o ${shellQuote(`Dpkg::Options::=--${o.trim()}`)}`)
    .join(' ');
}

/** Runs an apt-get change; in check mode it probes the same command with --simulate, as Ansible does. */
async function aptGet(ctx: ModuleContext, command: string): Promise<ExecResult> {
  if (ctx.check) {
    await ctx.run(command);
    return ctx.probe(command.replace(/^(\S+=\S+ )*apt-get /, (m) => `${m}--simulate `));
  }
  return ctx.run(command);
}

interface Spec {
  readonly name: string;
  readonly version?: string;
}

function parseSpecs(names: readonly string[]): Spec[] {
  return names.map((raw) => {
    const n = raw.trim();
    if ((n.match(/=/g) ?? []).length > 1) throw new ModuleFailure(`invalid package spec: ${n}`);
    const [name, version] = n.split('=');
    return version === undefined ? { name } : { name, version };
  });
}

/** The apt module (shared by package on Debian hosts). */
export async function runApt(args: AptArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const names = toList(firstOf<unknown>(args.name, args.package, args.pkg));
  const updateCache = toBool(firstOf(args.update_cache, args['update-cache']));
  const validTime = args.cache_valid_time ?? 0;
  const state = args.state ?? 'present';
  const which = await ctx.probe('command -v apt-get');
  if (which.rc !== 0) {
    const path = await ctx.probe('printf %s "$PATH"');
    throw new ModuleFailure(`Failed to find required executable "apt-get" in paths: ${path.stdout}`);
  }

  let cacheUpdated = false;
  let cacheUpdateTime = await cacheTime(ctx);
  if (updateCache || validTime > 0) {
    const now = Date.now() / 1000;
    if (!(cacheUpdateTime + validTime >= now)) {
      const r = await ctx.run(`${ENV} apt-get update -q`);
      if (r.rc !== 0) throw new ModuleFailure(`Failed to update apt cache: ${r.stderr.trim() || 'unknown reason'}`);
      const after = ctx.check ? cacheUpdateTime : await cacheTime(ctx);
      if (ctx.check || after !== cacheUpdateTime) cacheUpdated = true;
      cacheUpdateTime = after;
    }
    if (names.length === 0) return { changed: cacheUpdated, values: { cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime } };
  }

  const specs = parseSpecs(names.filter((n) => n !== '*'));
  const cacheValues = { cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime };
  const opts = dpkgOptions(args.dpkg_options);

  if (state === 'absent') {
    const installed: string[] = [];
    for (const s of specs) {
      const v = await installedVersion(ctx, s.name);
      if (v !== undefined && (s.version === undefined || fnmatch(v, s.version))) installed.push(s.name);
    }
    if (installed.length === 0) return { changed: false };
    const cmd = [
      ENV, 'apt-get -q -y', opts,
      toBool(args.purge) ? '--purge' : '',
      toBool(args.force) ? '--force-yes' : '',
      toBool(args.autoremove) ? '--auto-remove' : '',
      'remove', ...installed.map(shellQuote),
    ].filter(Boolean).join(' ');
    const r = await aptGet(ctx, cmd);
    if (r.rc !== 0) {
      throw new ModuleFailure(`'apt-get remove ${installed.join(' ')}' failed: ${r.stderr}`, { stdout: r.stdout, stderr: r.stderr, rc: r.rc });
    }
    return { changed: true, values: { stdout: r.stdout, stderr: r.stderr } };
  }

  if (state === 'build-dep' || state === 'fixed') {
    throw new ModuleFailure(`state=${state} is not supported by tsbook's apt module`);
  }

  const toInstall: string[] = [];
  for (const s of specs) {
    const have = await installedVersion(ctx, s.name);
    if (have !== undefined && s.version !== undefined && fnmatch(have, s.version)) continue;
    if (have !== undefined && s.version === undefined && state !== 'latest') continue;
    const candidate = await candidateVersion(ctx, s.name);
    if (have !== undefined && state === 'latest' && (candidate === undefined || candidate === have)) continue;
    if (have === undefined && candidate === undefined) throw new ModuleFailure(`No package matching '${s.name}' is available`);
    if (have === undefined && toBool(args.only_upgrade)) continue;
    toInstall.push(s.version === undefined ? s.name : `${s.name}=${s.version}`);
  }
  if (toInstall.length === 0) return { changed: false, values: cacheValues };
  const recommends = firstOf(args.install_recommends, args['install-recommends']);
  const cmd = [
    ENV, 'apt-get -y', opts,
    toBool(args.only_upgrade) ? '--only-upgrade' : '',
    toBool(args.force) ? '--force-yes' : '',
    toBool(args.autoremove) ? '--auto-remove' : '',
    'install', ...toInstall.map(shellQuote),
    args.default_release ? `-t ${shellQuote(args.default_release)}` : '',
    recommends === undefined ? '' : `-o APT::Install-Recommends=${toBool(recommends) ? 'yes' : 'no'}`,
    toBool(args.allow_unauthenticated) ? '--allow-unauthenticated' : '',
    toBool(args.allow_downgrade) ? '--allow-downgrades' : '',
    toBool(args.allow_change_held_packages) ? '--allow-change-held-packages' : '',
  ].filter(Boolean).join(' ');
  const r = await aptGet(ctx, cmd);
  if (r.rc !== 0) {
    throw new ModuleFailure(`'${cmd.slice(ENV.length + 1)}' failed: ${r.stderr}`, { stdout: r.stdout, stderr: r.stderr, rc: r.rc, ...cacheValues });
  }
  return { changed: true, values: { stdout: r.stdout, stderr: r.stderr, ...cacheValues } };
}

const NAME_SCHEMA = {
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
} as const;

export const aptModule: Module<AptArgs> = {
  name: 'apt',
  description: 'Manage apt packages (Debian/Ubuntu) with apt-get and dpkg-query.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { ...NAME_SCHEMA, description: "Package name(s), optionally 'name=version' (version may use *); aliases: package, pkg." },
      package: { ...NAME_SCHEMA, description: 'Alias of name.' },
      pkg: { ...NAME_SCHEMA, description: 'Alias of name.' },
      state: { type: 'string', enum: ['absent', 'present', 'latest', 'build-dep', 'fixed'], description: 'present (default), latest, or absent.' },
      update_cache: { type: 'boolean', description: 'Run apt-get update first (alias: update-cache).' },
      'update-cache': { type: 'boolean', description: 'Alias of update_cache.' },
      cache_valid_time: { type: 'integer', description: 'Only update the cache when it is older than this many seconds.' },
      install_recommends: { type: 'boolean', description: 'Install recommended packages (default: the OS default).' },
      'install-recommends': { type: 'boolean', description: 'Alias of install_recommends.' },
      purge: { type: 'boolean', description: 'Purge configuration files when removing (state=absent).' },
      autoremove: { type: 'boolean', description: 'Remove unused dependency packages.' },
      autoclean: { type: 'boolean', description: 'Accepted for compatibility; no-op in tsbook.' },
      force: { type: 'boolean', description: 'Pass --force-yes to apt-get (dangerous).' },
      only_upgrade: { type: 'boolean', description: 'Only upgrade packages that are already installed.' },
      allow_downgrade: { type: 'boolean', description: 'Allow installing an older version (--allow-downgrades).' },
      allow_unauthenticated: { type: 'boolean', description: 'Allow unauthenticated packages.' },
      allow_change_held_packages: { type: 'boolean', description: 'Allow changing held packages.' },
      default_release: { type: 'string', description: 'apt-get -t release to install from.' },
      dpkg_options: { type: 'string', description: "Comma-separated dpkg options (default 'force-confdef,force-confold')." },
    },
  },
  run: runApt,
};
