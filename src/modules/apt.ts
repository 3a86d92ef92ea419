import { fnmatch } from '../util/fnmatch.js';
import { shellQuote } from '../connection/types.js';
import type { ExecResult } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, toBool, toList } from './util/file-args.js';
import { cleanup, httpRequest, NoHttpClientError } from './util/http.js';
import { outputValues, splitLines } from './util/lines.js';

export type AptState = 'absent' | 'present' | 'latest' | 'build-dep' | 'fixed';
export type AptUpgrade = 'no' | 'yes' | 'safe' | 'full' | 'dist';

export interface AptArgs {
  readonly name?: string | readonly string[];
  readonly package?: string | readonly string[];
  readonly pkg?: string | readonly string[];
  readonly deb?: string;
  readonly state?: AptState;
  readonly upgrade?: AptUpgrade | boolean;
  readonly update_cache?: boolean;
  readonly 'update-cache'?: boolean;
  readonly update_cache_retries?: number;
  readonly update_cache_retry_max_delay?: number;
  readonly cache_valid_time?: number;
  readonly install_recommends?: boolean;
  readonly 'install-recommends'?: boolean;
  readonly purge?: boolean;
  readonly autoremove?: boolean;
  readonly autoclean?: boolean;
  readonly fail_on_autoremove?: boolean;
  readonly clean?: boolean;
  readonly force?: boolean;
  readonly force_apt_get?: boolean;
  readonly only_upgrade?: boolean;
  readonly allow_downgrade?: boolean;
  readonly 'allow-downgrade'?: boolean;
  readonly allow_downgrades?: boolean;
  readonly 'allow-downgrades'?: boolean;
  readonly allow_unauthenticated?: boolean;
  readonly 'allow-unauthenticated'?: boolean;
  readonly allow_change_held_packages?: boolean;
  readonly default_release?: string;
  readonly 'default-release'?: string;
  readonly dpkg_options?: string;
  readonly lock_timeout?: number;
  readonly policy_rc_d?: number;
}

const ENV = 'DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C';
const DEFAULT_DPKG_OPTIONS = 'force-confdef,force-confold';
/** Ansible's APT_GET_ZERO / APTITUDE_ZERO: a summary line saying nothing happened. */
const APT_GET_ZERO = '\n0 upgraded, 0 newly installed';
const APTITUDE_ZERO = '\n0 packages upgraded, 0 newly installed';
const LOCK_ERROR = /Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock|Could not open lock file/;

/** What dpkg knows of a package: installed (Status `install ok installed`), its version, leftover files. */
export interface PkgStatus {
  readonly installed: boolean;
  readonly version?: string;
  /** Known to dpkg without being installed (e.g. `deinstall ok config-files`): purge has work to do. */
  readonly hasFiles: boolean;
}

/** dpkg-query's view of a package. */
export async function packageStatus(ctx: ModuleContext, name: string): Promise<PkgStatus> {
  const r = await ctx.probe(`dpkg-query -W -f='\${Status}\\t\${Version}\\n' ${shellQuote(name)} 2>/dev/null`);
  if (r.rc !== 0) return { installed: false, hasFiles: false };
  for (const line of r.stdout.split('\n')) {
    const [status, version] = line.split('\t');
    if (status === undefined || status === '') continue;
    if (/ installed$/.test(status)) return { installed: true, version: version ?? '', hasFiles: true };
    if (/ (config-files|half-installed|half-configured|unpacked|triggers-awaited|triggers-pending)$/.test(status)) {
      return { installed: false, hasFiles: true };
    }
  }
  return { installed: false, hasFiles: false };
}

/** Installed version of a package (dpkg-query), or undefined when it is not installed. */
export async function installedVersion(ctx: ModuleContext, name: string): Promise<string | undefined> {
  const s = await packageStatus(ctx, name);
  return s.installed ? s.version : undefined;
}

/** `apt-cache policy`: whether apt knows the package, its candidate and every version it has (highest first). */
interface Policy {
  readonly known: boolean;
  readonly candidate?: string;
  readonly versions: readonly string[];
}

async function policy(ctx: ModuleContext, name: string, release: string | undefined): Promise<Policy> {
  const rel = release ? ` -o APT::Default-Release=${shellQuote(release)}` : '';
  const r = await ctx.probe(`LC_ALL=C apt-cache${rel} policy ${shellQuote(name)}`);
  const m = /^\s*Candidate:\s*(\S+)/m.exec(r.stdout);
  if (!m) return { known: false, versions: [] };
  const versions = [...r.stdout.matchAll(/^ (?:\*\*\*| {3}) (\S+) -?\d+$/gm)].map((v) => v[1]!);
  return { known: true, candidate: m[1] === '(none)' ? undefined : m[1], versions };
}

/** Candidate version from `apt-cache policy`, or undefined when apt knows no such package. */
export async function candidateVersion(ctx: ModuleContext, name: string): Promise<string | undefined> {
  return (await policy(ctx, name, undefined)).candidate;
}

/** Seconds since the epoch of the last apt cache update (Ansible's get_cache_mtime), 0 when unknown. */
export async function cacheTime(ctx: ModuleContext): Promise<number> {
  const r = await ctx.probe(
    'stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0',
  );
  return Number(r.stdout.trim()) || 0;
}

/** dpkg --compare-versions: -1, 0 or 1. */
async function compareVersions(ctx: ModuleContext, a: string, b: string): Promise<number> {
  const qa = shellQuote(a);
  const qb = shellQuote(b);
  const r = await ctx.probe(
    `if dpkg --compare-versions ${qa} lt ${qb}; then echo -1; elif dpkg --compare-versions ${qa} eq ${qb}; then echo 0; else echo 1; fi`,
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

const join = (parts: readonly (string | false | undefined)[]): string => parts.filter(Boolean).join(' ');

/** Everything the operations share: normalised arguments and the lock deadline. */
interface Run {
  readonly ctx: ModuleContext;
  readonly aptGet: string;
  readonly opts: string;
  readonly force: boolean;
  readonly purge: boolean;
  readonly autoremove: boolean;
  readonly failOnAutoremove: boolean;
  readonly release?: string;
  readonly recommends?: boolean;
  readonly allowUnauthenticated: boolean;
  readonly allowDowngrade: boolean;
  readonly allowChangeHeld: boolean;
  readonly onlyUpgrade: boolean;
  readonly deadline: number;
  /** dpkg_options split on ',' (for Ansible-formatted messages). */
  readonly dpkgOptionList?: readonly string[];
  /** policy_rc_d: the exit code of a temporary /usr/sbin/policy-rc.d around each change. */
  readonly policyRcD?: number;
}

/**
 * Ansible's PolicyRcD context manager as one shell wrapper: moves an existing
 * /usr/sbin/policy-rc.d aside, writes one that exits `code` (so dpkg does not start or stop
 * services), runs the command, then restores the original.
 */
export function withPolicyRcD(command: string, code: number, path = '/usr/sbin/policy-rc.d'): string {
  return (
    `P=${shellQuote(path)}; B=; ` +
    'if [ -e "$P" ]; then B=$(mktemp -d) && mv -- "$P" "$B/" || { echo "Fail to move $P to $B" >&2; exit 1; }; fi; ' +
    `printf '#!/bin/sh\\nexit %d\\n' ${Math.trunc(code)} > "$P" && chmod 0755 "$P" || { echo "Failed to create or chmod $P" >&2; exit 1; }; ` +
    `(${command}); rc=$?; if [ -n "$B" ]; then mv -- "$B/"* "$P" && rmdir -- "$B"; else rm -f -- "$P"; fi; exit $rc`
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs an apt-get/aptitude/dpkg change built by `build(simulate)`. In check mode the real command is
 * recorded and the `--simulate` one probed, as Ansible runs it with check_arg. While apt's lock is
 * held by another process it retries until lock_timeout, like Ansible's LockFailedException loop.
 */
async function change(run: Run, build: (simulate: boolean) => string): Promise<ExecResult> {
  const { ctx } = run;
  const real = run.policyRcD === undefined ? build(false) : withPolicyRcD(build(false), run.policyRcD);
  if (ctx.check) await ctx.run(real);
  for (;;) {
    const r = ctx.check ? await ctx.probe(build(true)) : await ctx.run(real);
    if (r.rc === 0 || !LOCK_ERROR.test(r.stderr)) return r;
    if (Date.now() >= run.deadline) {
      throw new ModuleFailure(`Failed to lock apt for exclusive operation: ${r.stderr.trim()}`, { ...outputValues(r.stdout, r.stderr), rc: r.rc });
    }
    await sleep(1000);
  }
}

/** Ansible's parse_diff: apt's output between "Reading state information..." and the summary line. */
function parseDiff(out: string): { prepared: string } {
  const lines = out.split(/\r?\n/);
  if (out.endsWith('\n')) lines.pop();
  let start = lines.indexOf('Resolving dependencies...');
  if (start < 0) start = lines.indexOf('Reading state information...');
  let end = lines.findIndex((l) => /^[0-9]+ (packages )?upgraded/.test(l));
  if (end < 0) end = lines.length;
  return { prepared: lines.slice(start + 1, end + 1).join('\n') };
}

/** Ansible's results of a change: stdout/stderr (and their _lines), and `diff` ({} without --diff). */
function withDiff(ctx: ModuleContext, out: string, values: Record<string, unknown>): Record<string, unknown> {
  return { ...values, diff: ctx.diff ? parseDiff(out) : {} };
}

interface Spec {
  readonly name: string;
  readonly cmp?: '=' | '>=';
  readonly version?: string;
  readonly raw: string;
}

/** Ansible's package_split: `name`, `name=version` (version may be a glob) or `name>=version`. */
function parseSpec(raw: string): Spec {
  const m = /^(.*?)(>?=)(.*)$/s.exec(raw);
  if (!m) return { name: raw, raw };
  return { name: m[1]!, cmp: m[2] as '=' | '>=', version: m[3]!, raw };
}

/** Ansible's expand_pkgspec_from_fnmatches: name globs match the names apt knows (native ones unless the glob has ':'). */
async function expandGlobs(ctx: ModuleContext, specs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  let names: string[] | undefined;
  for (const raw of specs) {
    const spec = parseSpec(raw);
    if (!/[*?[\]!]/.test(spec.name)) {
      out.push(raw);
      continue;
    }
    names ??= (await ctx.probe('LC_ALL=C apt-cache pkgnames')).stdout.split('\n').filter((n) => n !== '');
    const pool = spec.name.includes(':') ? names : names.filter((n) => !n.includes(':'));
    const matches = pool.filter((n) => fnmatch(n, spec.name));
    if (matches.length === 0) throw new ModuleFailure(`No package(s) matching '${spec.name}' available`);
    out.push(...matches);
  }
  return out;
}

/** The packages a virtual package name is provided by (apt-cache showpkg's Reverse Provides). */
async function providers(ctx: ModuleContext, name: string): Promise<string[]> {
  const r = await ctx.probe(`LC_ALL=C apt-cache showpkg ${shellQuote(name)}`);
  const at = r.stdout.indexOf('Reverse Provides:');
  if (at < 0) return [];
  const names = r.stdout.slice(at).split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
  return [...new Set(names)];
}

/** Ansible's package_status for installing: installed at all, installed matching the spec, what version could be installed. */
interface InstallStatus {
  readonly installed: boolean;
  readonly versionOk: boolean;
  /** A concrete version to install, `true` (let apt pick: a virtual package) or undefined (nothing to install). */
  readonly installable?: string | true;
}

async function installStatus(run: Run, spec: Spec, name = spec.name): Promise<InstallStatus> {
  const { ctx } = run;
  const pol = await policy(ctx, name, run.release);
  const st = await packageStatus(ctx, name);
  if (!pol.known && !st.installed) {
    const provided = await providers(ctx, name);
    if (provided.length === 0) throw new ModuleFailure(`No package matching '${name}' is available`);
    if (provided.length === 1 && provided[0] !== name) {
      const target = await installStatus(run, spec, provided[0]);
      if (target.installed) return target;
    }
    return { installed: false, versionOk: false, installable: true };
  }
  if (pol.candidate === undefined && pol.versions.length === 0 && !st.installed) {
    // A purely virtual package: apt-cache policy knows the name but it has no versions of its own.
    const provided = await providers(ctx, name);
    if (provided.length === 1 && provided[0] !== name) {
      const target = await installStatus(run, spec, provided[0]);
      if (target.installed) return target;
    }
    return { installed: false, versionOk: false, installable: provided.length > 0 ? true : undefined };
  }
  const best = spec.cmp === '=' ? pol.versions.find((v) => fnmatch(v, spec.version ?? '')) : pol.candidate;
  if (!st.installed) return { installed: false, versionOk: false, installable: best };
  const have = st.version ?? '';
  const newer = best !== undefined && have !== best;
  if (spec.cmp === '=') {
    return { installed: true, versionOk: fnmatch(have, spec.version ?? ''), installable: newer ? best : undefined };
  }
  if (spec.cmp === '>=') {
    const ok = (await compareVersions(ctx, have, spec.version ?? '')) >= 0;
    const better = newer && (await compareVersions(ctx, best, spec.version ?? '')) >= 0;
    return { installed: true, versionOk: ok, installable: better ? best : undefined };
  }
  return { installed: true, versionOk: true, installable: newer ? best : undefined };
}

/** Ansible's mark_installed_manually, done only for the packages apt marked automatic. */
async function markManual(ctx: ModuleContext, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const auto = await ctx.probe(`apt-mark showauto ${names.map(shellQuote).join(' ')}`);
  if (auto.rc === 127) {
    ctx.warn('Could not find apt-mark binary, not marking package(s) as manually installed.');
    return;
  }
  const marked = auto.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '' && names.includes(l));
  if (marked.length === 0) return;
  const cmd = `apt-mark manual ${marked.map(shellQuote).join(' ')}`;
  const r = await ctx.run(cmd);
  if (r.rc !== 0) throw new ModuleFailure(`'${cmd}' failed: ${r.stderr}`, { ...outputValues(r.stdout, r.stderr), rc: r.rc });
}

type Mode = 'present' | 'latest' | 'build-dep' | 'fixed';

/**
 * The command line exactly as Ansible's install() formats it for its failure message (its apt-get
 * path, quoted dpkg options and packages, and the blanks its empty %s leave).
 */
function ansibleInstallCommand(run: Run, mode: Mode, list: readonly string[], check: boolean): string {
  const dpkg = (run.dpkgOptionList ?? DEFAULT_DPKG_OPTIONS.split(',')).map((o) => `-o "Dpkg::Options::=--${o}"`).join(' ');
  const flag = (on: boolean, text: string) => (on ? text : '');
  const parts = [
    run.aptGet, '-y', dpkg, flag(run.onlyUpgrade, '--only-upgrade'), flag(mode === 'fixed', '--fix-broken'), flag(run.force, '--force-yes'),
    ...(mode === 'build-dep' ? [] : [flag(run.autoremove, '--auto-remove')]),
    flag(run.failOnAutoremove, '--no-remove'), flag(check, '--simulate'), mode === 'build-dep' ? 'build-dep' : 'install', list.map((p) => `'${p}'`).join(' '),
  ];
  let cmd = parts.join(' ');
  if (run.release) cmd += ` -t '${run.release}'`;
  if (run.recommends !== undefined) cmd += ` -o APT::Install-Recommends=${run.recommends ? 'yes' : 'no'}`;
  if (run.allowUnauthenticated) cmd += ' --allow-unauthenticated';
  if (run.allowDowngrade) cmd += ' --allow-downgrades';
  if (run.allowChangeHeld) cmd += ' --allow-change-held-packages';
  return cmd;
}

/** Ansible's install(): which packages need apt-get install, then one apt-get call for all of them. */
async function install(run: Run, rawSpecs: readonly string[], mode: Mode): Promise<ModuleResult> {
  const { ctx } = run;
  const specs = (await expandGlobs(ctx, rawSpecs)).map(parseSpec);
  const list: string[] = [];
  const names: string[] = [];
  for (const spec of specs) {
    if (mode === 'build-dep') {
      list.push(spec.raw);
      continue;
    }
    names.push(spec.name);
    const st = await installStatus(run, spec);
    if (!st.installed && run.onlyUpgrade) continue;
    if (!st.versionOk && st.installable === undefined) {
      throw new ModuleFailure(`no available installation candidate for ${spec.raw}`);
    }
    if (st.installable !== undefined && ((!st.installed && !run.onlyUpgrade) || mode === 'latest' || !st.versionOk)) {
      if (st.installable !== true) list.push(`${spec.name}=${st.installable}`);
      else list.push(spec.version !== undefined ? `${spec.name}=${spec.version}` : spec.name);
    } else if (st.versionOk && st.installable !== undefined && spec.cmp === '=') {
      // Ansible's legacy case: a glob version matching both the installed and a newer version.
      list.push(`${spec.name}=${spec.version}`);
    }
  }
  if (list.length === 0) {
    if (mode !== 'build-dep' && !ctx.check) await markManual(ctx, names);
    return { changed: false, values: {} };
  }
  const build = (simulate: boolean): string => {
    const head = [
      ENV, `apt-get -y`, run.opts,
      run.onlyUpgrade && '--only-upgrade',
      mode === 'fixed' && '--fix-broken',
      run.force && '--force-yes',
      mode !== 'build-dep' && run.autoremove && '--auto-remove',
      run.failOnAutoremove && '--no-remove',
      simulate && '--simulate',
      mode === 'build-dep' ? 'build-dep' : 'install',
      ...list.map(shellQuote),
    ];
    return join([
      ...head,
      run.release && `-t ${shellQuote(run.release)}`,
      run.recommends !== undefined && `-o APT::Install-Recommends=${run.recommends ? 'yes' : 'no'}`,
      run.allowUnauthenticated && '--allow-unauthenticated',
      run.allowDowngrade && '--allow-downgrades',
      run.allowChangeHeld && '--allow-change-held-packages',
    ]);
  };
  const r = await change(run, build);
  if (r.rc !== 0) {
    throw new ModuleFailure(`'${ansibleInstallCommand(run, mode, list, ctx.check)}' failed: ${r.stderr}`, { ...outputValues(r.stdout, r.stderr), rc: r.rc });
  }
  if (mode !== 'build-dep' && !ctx.check) await markManual(ctx, names);
  const changed = mode === 'build-dep' ? !r.stdout.includes(APT_GET_ZERO) : true;
  return { changed, values: withDiff(ctx, r.stdout, { ...outputValues(r.stdout, r.stderr) }) };
}

/** Ansible's remove(): installed packages (or, with purge, ones that left files) in one apt-get remove. */
async function remove(run: Run, rawSpecs: readonly string[]): Promise<ModuleResult> {
  const { ctx } = run;
  const specs = (await expandGlobs(ctx, rawSpecs)).map(parseSpec);
  const list: string[] = [];
  for (const spec of specs) {
    const st = await packageStatus(ctx, spec.name);
    let versionOk = st.installed;
    if (st.installed && spec.cmp === '=') versionOk = fnmatch(st.version ?? '', spec.version ?? '');
    else if (st.installed && spec.cmp === '>=') versionOk = (await compareVersions(ctx, st.version ?? '', spec.version ?? '')) >= 0;
    if (versionOk || (st.hasFiles && run.purge)) list.push(spec.raw);
  }
  if (list.length === 0) return { changed: false };
  const r = await change(run, (simulate) =>
    join([
      ENV, 'apt-get -q -y', run.opts,
      run.purge && '--purge',
      run.force && '--force-yes',
      run.autoremove && '--auto-remove',
      simulate && '--simulate',
      'remove', ...list.map(shellQuote),
    ]),
  );
  if (r.rc !== 0) {
    throw new ModuleFailure(`'apt-get remove ${list.map((p) => `'${p}'`).join(' ')}' failed: ${r.stderr}`, { ...outputValues(r.stdout, r.stderr), rc: r.rc });
  }
  return { changed: true, values: withDiff(ctx, r.stdout, { ...outputValues(r.stdout, r.stderr) }) };
}

/** Ansible's cleanup(): apt-get autoremove / autoclean, changed when apt says it removed or deleted something. */
async function cleanupOp(run: Run, operation: 'autoremove' | 'autoclean'): Promise<ModuleResult> {
  const r = await change(run, (simulate) =>
    join([ENV, 'apt-get -y', run.opts, run.purge && '--purge', run.force && '--force-yes', operation, simulate && '--simulate']),
  );
  if (r.rc !== 0) throw new ModuleFailure(`'apt-get ${operation}' failed: ${r.stderr}`, { ...outputValues(r.stdout, r.stderr), rc: r.rc });
  const marker = operation === 'autoremove' ? 'The following packages will be REMOVED' : 'Del ';
  return { changed: r.stdout.includes(marker), values: withDiff(run.ctx, r.stdout, { ...outputValues(r.stdout, r.stderr) }) };
}

/**
 * Ansible's upgrade(): aptitude safe-upgrade/full-upgrade when aptitude is installed (and not
 * force_apt_get), else apt-get upgrade --with-new-pkgs / dist-upgrade. Unchanged when apt's
 * summary line starts with "0 upgraded, 0 newly installed".
 */
async function upgrade(run: Run, mode: Exclude<AptUpgrade, 'no'>, useAptGet: boolean, aptitude: string | undefined): Promise<ModuleResult> {
  const autoremove = run.autoremove ? '--auto-remove' : '';
  let tool: 'apt-get' | 'aptitude';
  let command: string;
  if (mode === 'dist' || (mode === 'full' && useAptGet)) {
    tool = 'apt-get';
    command = `dist-upgrade ${autoremove}`;
  } else if (mode === 'full') {
    tool = 'aptitude';
    command = 'full-upgrade';
  } else if (useAptGet) {
    tool = 'apt-get';
    command = `upgrade --with-new-pkgs ${autoremove}`;
  } else {
    tool = 'aptitude';
    command = 'safe-upgrade';
  }
  const aptitudeForce = '--assume-yes --allow-untrusted';
  const r = await change(run, (simulate) =>
    join([
      ENV, `${tool} -y`, run.opts,
      run.force && (tool === 'apt-get' ? '--force-yes' : aptitudeForce),
      run.failOnAutoremove && '--no-remove',
      run.allowUnauthenticated && '--allow-unauthenticated',
      run.allowDowngrade && '--allow-downgrades',
      simulate && '--simulate',
      command.trim(),
      run.release && `-t ${shellQuote(run.release)}`,
    ]),
  );
  const path = tool === 'apt-get' ? run.aptGet : (aptitude ?? 'aptitude');
  if (r.rc !== 0) throw new ModuleFailure(`'${path} ${command}' failed: ${r.stderr}`, { stdout: r.stdout, stdout_lines: splitLines(r.stdout), rc: r.rc });
  const zero = tool === 'apt-get' ? APT_GET_ZERO : APTITUDE_ZERO;
  if (r.stdout.includes(zero)) return { changed: false, msg: r.stdout, values: { ...outputValues(r.stdout, r.stderr) } };
  return { changed: true, msg: r.stdout, values: withDiff(run.ctx, r.stdout, { ...outputValues(r.stdout, r.stderr) }) };
}

/** RFC 822 fields printed by `dpkg --field FILE F1 F2...` (continuation lines start with a space). */
function parseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let key: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && key !== undefined) fields[key] += `\n${line.trim()}`;
    else {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) {
        key = m[1]!;
        fields[key] = m[2]!;
      }
    }
  }
  return fields;
}

/** Dependencies of a .deb that nothing installed satisfies (version constraints are not checked). */
async function missingDeps(ctx: ModuleContext, fields: Readonly<Record<string, string>>): Promise<string[]> {
  const groups = [fields['Pre-Depends'], fields.Depends]
    .filter((d): d is string => d !== undefined && d.trim() !== '')
    .flatMap((d) => d.split(','))
    .map((g) => g.split('|').map((alt) => (alt.trim().split(/[\s(]/)[0] ?? '').replace(/:any$/, '')).filter((n) => n !== ''))
    .filter((g) => g.length > 0);
  if (groups.length === 0) return [];
  const all = [...new Set(groups.flat())];
  const r = await ctx.probe(`dpkg-query -W -f='\${Package}\\t\${Status}\\n' ${all.map(shellQuote).join(' ')} 2>/dev/null`);
  const installed = new Set(
    r.stdout.split('\n').filter((l) => / installed$/.test(l)).map((l) => l.split('\t')[0]!.replace(/:.*$/, '')),
  );
  return [...new Set(groups.filter((g) => !g.some((n) => installed.has(n))).map((g) => g[0]!))];
}

/** Downloads a deb URL on the host (Ansible's fetch_file); returns the host path and its cleanup. */
async function fetchDeb(ctx: ModuleContext, url: string): Promise<{ path: string; done: () => Promise<void> }> {
  let res;
  try {
    res = await httpRequest(ctx, { url, method: 'GET', headers: [], timeout: 10, followRedirects: 'urllib2', validateCerts: true }, 'probe');
  } catch (e) {
    if (e instanceof NoHttpClientError) throw new ModuleFailure(`Failure downloading ${url}, ${e.message}`);
    throw e;
  }
  const fetched = res;
  if (fetched.status !== 200) {
    await cleanup(ctx, fetched);
    throw new ModuleFailure(`Failure downloading ${url}, ${fetched.msg}`);
  }
  return { path: fetched.bodyPath, done: () => cleanup(ctx, fetched) };
}

/** Ansible's install_deb: skips debs whose version is installed, installs missing deps with apt-get, then dpkg -i. */
async function installDeb(run: Run, debs: readonly string[], dpkgOpts: string): Promise<ModuleResult> {
  const { ctx } = run;
  const deps: string[] = [];
  const toInstall: string[] = [];
  for (const deb of debs) {
    const q = shellQuote(deb);
    const f = await ctx.probe(`LC_ALL=C dpkg --field ${q} Package Version Depends Pre-Depends`);
    const fields = parseFields(f.stdout);
    if (f.rc !== 0 || fields.Package === undefined) {
      throw new ModuleFailure(`Unable to install package: ${(f.stderr || f.stdout).trim() || `could not read ${deb}`}`);
    }
    const st = await packageStatus(ctx, fields.Package);
    const version = fields.Version ?? '';
    if (st.installed && st.version !== undefined) {
      const cmp = st.version === version ? 0 : await compareVersions(ctx, version, st.version);
      if (cmp === 0) continue;
      if (cmp < 0 && !run.force && !run.allowDowngrade) throw new ModuleFailure('A later version is already installed');
    }
    deps.push(...(await missingDeps(ctx, fields)));
    toInstall.push(deb);
  }
  let stdout = '';
  let stderr = '';
  let changed = false;
  let depsDiff: Record<string, unknown> | undefined;
  if (deps.length > 0) {
    const r = await install({ ...run, autoremove: false, onlyUpgrade: false, release: undefined }, [...new Set(deps)], 'present');
    stdout = String(r.values?.stdout ?? '');
    stderr = String(r.values?.stderr ?? '');
    changed = r.changed;
    depsDiff = (r.values?.diff as Record<string, unknown> | undefined) ?? {};
  }
  if (toInstall.length === 0) return { changed, values: { ...outputValues(stdout, stderr), diff: depsDiff ?? '' } };
  const options = dpkgOpts.split(',').map((o) => `--${o}`);
  const build = (simulate: boolean): string =>
    join([ENV, 'dpkg', ...options.map(shellQuote), simulate && '--simulate', run.force && '--force-all', '-i', ...toInstall.map(shellQuote)]);
  const r = await change(run, build);
  stdout += r.stdout;
  stderr += r.stderr;
  if (r.rc !== 0) throw new ModuleFailure(`${build(ctx.check).slice(ENV.length + 1)} failed`, outputValues(stdout, stderr));
  // Ansible's install_deb parses the dpkg output into `diff` even without --diff.
  let diff: Record<string, unknown> = parseDiff(r.stdout);
  if (depsDiff !== undefined) diff = typeof depsDiff.prepared === 'string' ? { prepared: `${depsDiff.prepared}\n\n${r.stdout}` } : depsDiff;
  return { changed: true, values: { ...outputValues(stdout, stderr), diff } };
}

/** apt-get update, retried with Ansible's exponential backoff (update_cache_retries, update_cache_retry_max_delay). */
async function updateCache(ctx: ModuleContext, retries: number, maxDelay: number): Promise<void> {
  let err = '';
  const jitter = Math.random();
  for (let attempt = 0; attempt < retries; attempt++) {
    const r = await ctx.run(`${ENV} apt-get update -q`);
    const fetchFailed = /^[WE]: (Failed to fetch|Some index files failed to download)/m.test(r.stderr);
    if (r.rc === 0 && !fetchFailed) return;
    err = r.stderr.trim();
    if (attempt + 1 < retries) await sleep(Math.min(2 ** attempt, maxDelay) * 1000 + jitter * 1000);
  }
  throw new ModuleFailure(`Failed to update apt cache: ${err || 'unknown reason'}`);
}

function upgradeMode(value: AptUpgrade | boolean | undefined): AptUpgrade {
  if (value === undefined || value === false) return 'no';
  if (value === true) return 'yes';
  const v = String(value).toLowerCase();
  if (['true', 'on', '1'].includes(v)) return 'yes';
  if (['false', 'off', '0'].includes(v)) return 'no';
  if (!['no', 'yes', 'safe', 'full', 'dist'].includes(v)) {
    throw new ModuleFailure(`value of upgrade must be one of: dist, full, no, safe, yes, got: ${String(value)}`);
  }
  return v as AptUpgrade;
}

/**
 * Ansible's mutually_exclusive check for apt (on the arguments given). Its required_one_of
 * (autoremove, deb, package, update_cache, upgrade) never fires in 2.14: it runs after defaults
 * are set, and autoremove and upgrade have defaults.
 */
function checkArgs(args: AptArgs): void {
  const given = (v: unknown): boolean => v !== undefined && v !== null;
  const pkg = given(firstOf<unknown>(args.name, args.package, args.pkg));
  if ([given(args.deb), pkg, given(args.upgrade)].filter(Boolean).length > 1) {
    throw new ModuleFailure('parameters are mutually exclusive: deb|package|upgrade');
  }
}

/** The apt module (shared by package on Debian hosts). */
export async function runApt(args: AptArgs, ctx: ModuleContext): Promise<ModuleResult> {
  checkArgs(args);
  const names = toList(firstOf<unknown>(args.name, args.package, args.pkg));
  const updateCacheArg = toBool(firstOf(args.update_cache, args['update-cache']));
  const validTime = args.cache_valid_time ?? 0;
  const state = args.state ?? 'present';
  const mode = upgradeMode(args.upgrade);
  const which = await ctx.probe('command -v apt-get');
  if (which.rc !== 0) {
    const path = await ctx.probe('printf %s "$PATH"');
    throw new ModuleFailure(`Failed to find required executable "apt-get" in paths: ${path.stdout}`);
  }
  const recommends = firstOf(args.install_recommends, args['install-recommends']);
  const run: Run = {
    ctx,
    aptGet: which.stdout.trim() || 'apt-get',
    opts: dpkgOptions(args.dpkg_options),
    dpkgOptionList: (args.dpkg_options ?? DEFAULT_DPKG_OPTIONS).split(','),
    force: toBool(args.force),
    purge: toBool(args.purge),
    autoremove: toBool(args.autoremove),
    failOnAutoremove: toBool(args.fail_on_autoremove),
    release: firstOf(args.default_release, args['default-release']) || undefined,
    recommends: recommends === undefined ? undefined : toBool(recommends),
    allowUnauthenticated: toBool(firstOf(args.allow_unauthenticated, args['allow-unauthenticated'])),
    allowDowngrade: toBool(firstOf(args.allow_downgrade, args['allow-downgrade'], args.allow_downgrades, args['allow-downgrades'])),
    allowChangeHeld: toBool(args.allow_change_held_packages),
    onlyUpgrade: toBool(args.only_upgrade),
    deadline: Date.now() + (args.lock_timeout ?? 60) * 1000,
    ...(args.policy_rc_d !== undefined && args.policy_rc_d !== null ? { policyRcD: args.policy_rc_d } : {}),
  };
  const nothingElse = names.length === 0 && mode === 'no' && !args.deb;

  if (toBool(args.clean)) {
    const r = await ctx.run('apt-get clean');
    if (r.rc !== 0) throw new ModuleFailure('apt-get clean failed', { stdout: r.stdout, stdout_lines: splitLines(r.stdout), rc: r.rc });
    if (r.stderr) throw new ModuleFailure(`apt-get clean failed: ${r.stderr}`, { stdout: r.stdout, stdout_lines: splitLines(r.stdout), rc: r.rc });
    if (nothingElse) return { changed: true, msg: r.stdout, values: { ...outputValues(r.stdout, r.stderr) } };
  }

  let cacheUpdated = false;
  let cacheUpdateTime = await cacheTime(ctx);
  if (updateCacheArg || validTime > 0) {
    if (!(cacheUpdateTime + validTime >= Date.now() / 1000)) {
      await updateCache(ctx, args.update_cache_retries ?? 5, args.update_cache_retry_max_delay ?? 12);
      const after = ctx.check ? cacheUpdateTime : await cacheTime(ctx);
      if (ctx.check || after !== cacheUpdateTime) cacheUpdated = true;
      cacheUpdateTime = after;
    }
    if (nothingElse) return { changed: cacheUpdated, values: { cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime } };
  }

  let aptitude: string | undefined;
  let useAptGet = toBool(args.force_apt_get);
  const needsUpgrade = mode !== 'no' || (state === 'latest' && names.includes('*'));
  if (needsUpgrade && !useAptGet) {
    const r = await ctx.probe('command -v aptitude');
    aptitude = r.rc === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
    if (aptitude === undefined) useAptGet = true;
  }
  if (mode !== 'no') return upgrade(run, mode, useAptGet, aptitude);

  if (args.deb) {
    if (state !== 'present') throw new ModuleFailure('deb only supports state=present');
    if (!args.deb.includes('://')) return installDeb(run, args.deb.split(','), args.dpkg_options ?? DEFAULT_DPKG_OPTIONS);
    const fetched = await fetchDeb(ctx, args.deb);
    try {
      return await installDeb(run, [fetched.path], args.dpkg_options ?? DEFAULT_DPKG_OPTIONS);
    } finally {
      await fetched.done();
    }
  }

  const packages = names.filter((n) => n !== '*').map((n) => n.trim());
  if (state === 'latest' && names.includes('*')) {
    if (packages.length > 0) throw new ModuleFailure('unable to install additional packages when upgrading all installed packages');
    return upgrade(run, 'yes', useAptGet, aptitude);
  }
  for (const p of packages) {
    if ((p.match(/=/g) ?? []).length > 1) throw new ModuleFailure(`invalid package spec: ${p}`);
  }
  if (packages.length === 0) {
    if (toBool(args.autoclean)) return cleanupOp(run, 'autoclean');
    if (run.autoremove) return cleanupOp(run, 'autoremove');
  }
  if (state === 'absent') return remove(run, packages);

  const cacheValues = { cache_updated: cacheUpdated, cache_update_time: cacheUpdateTime };
  try {
    const r = await install(run, packages, state);
    return { ...r, values: { ...r.values, ...cacheValues } };
  } catch (e) {
    if (e instanceof ModuleFailure && !e.message.startsWith('No package')) throw new ModuleFailure(e.message, { ...e.values, ...cacheValues });
    throw e;
  }
}

const NAME_SCHEMA = {
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
} as const;

const bool = (description: string) => ({ type: 'boolean', description }) as const;

export const aptModule: Module<AptArgs> = {
  name: 'apt',
  description: 'Manage apt packages (Debian/Ubuntu) with apt-get, aptitude and dpkg: install, remove, upgrade, .deb files.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { ...NAME_SCHEMA, description: "Package name(s), optionally 'name=version' (version may use *) or 'name>=version'; aliases: package, pkg." },
      package: { ...NAME_SCHEMA, description: 'Alias of name.' },
      pkg: { ...NAME_SCHEMA, description: 'Alias of name.' },
      deb: { type: 'string', description: 'Path on the host (or URL, downloaded by the host) of a .deb to install; skipped when that version is installed.' },
      state: { type: 'string', enum: ['absent', 'present', 'latest', 'build-dep', 'fixed'], description: 'present (default), latest, absent, build-dep or fixed (apt-get --fix-broken).' },
      upgrade: {
        anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['no', 'yes', 'safe', 'full', 'dist'] }],
        description: 'Upgrade installed packages: yes/safe (aptitude safe-upgrade, else apt-get upgrade --with-new-pkgs), full (aptitude full-upgrade, else apt-get dist-upgrade), dist (apt-get dist-upgrade).',
      },
      update_cache: bool('Run apt-get update first (alias: update-cache).'),
      'update-cache': bool('Alias of update_cache.'),
      update_cache_retries: { type: 'integer', description: 'How many times to try apt-get update (default 5).' },
      update_cache_retry_max_delay: { type: 'integer', description: 'Maximum seconds between apt-get update tries (default 12).' },
      cache_valid_time: { type: 'integer', description: 'Update the cache when it is older than this many seconds (also without update_cache).' },
      install_recommends: bool('Install recommended packages (default: the OS default).'),
      'install-recommends': bool('Alias of install_recommends.'),
      purge: bool('Purge configuration files when removing (state=absent, autoremove, autoclean).'),
      autoremove: bool('Remove unused dependency packages (alone: apt-get autoremove).'),
      autoclean: bool('Without packages: apt-get autoclean (delete obsolete downloaded .debs).'),
      fail_on_autoremove: bool('Pass --no-remove: fail rather than remove packages.'),
      clean: bool('Run apt-get clean first.'),
      force: bool('Pass --force-yes to apt-get (dangerous).'),
      force_apt_get: bool('Use apt-get even when aptitude is installed (for upgrade).'),
      only_upgrade: bool('Only upgrade packages that are already installed.'),
      allow_downgrade: bool('Allow installing an older version (--allow-downgrades); aliases allow-downgrade, allow_downgrades, allow-downgrades.'),
      'allow-downgrade': bool('Alias of allow_downgrade.'),
      allow_downgrades: bool('Alias of allow_downgrade.'),
      'allow-downgrades': bool('Alias of allow_downgrade.'),
      allow_unauthenticated: bool('Allow unauthenticated packages (alias allow-unauthenticated).'),
      'allow-unauthenticated': bool('Alias of allow_unauthenticated.'),
      allow_change_held_packages: bool('Allow changing held packages.'),
      default_release: { type: 'string', description: 'apt-get -t release to install from (alias default-release).' },
      'default-release': { type: 'string', description: 'Alias of default_release.' },
      dpkg_options: { type: 'string', description: "Comma-separated dpkg options (default 'force-confdef,force-confold')." },
      lock_timeout: { type: 'integer', description: 'Seconds to keep retrying while another process holds the apt lock (default 60).' },
      policy_rc_d: { type: 'integer', description: 'Exit code of a temporary /usr/sbin/policy-rc.d while apt/dpkg run (101: do not start services).' },
    },
  },
  run: runApt,
};
