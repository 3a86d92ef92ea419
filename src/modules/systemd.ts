import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf, toBool } from './util/file-args.js';

export interface SystemdArgs {
  readonly name?: string;
  readonly service?: string;
  readonly unit?: string;
  readonly state?: 'reloaded' | 'restarted' | 'started' | 'stopped';
  readonly enabled?: boolean;
  readonly force?: boolean;
  readonly masked?: boolean;
  readonly daemon_reload?: boolean;
  readonly 'daemon-reload'?: boolean;
  readonly daemon_reexec?: boolean;
  readonly 'daemon-reexec'?: boolean;
  readonly scope?: 'system' | 'user' | 'global';
  readonly no_block?: boolean;
}

/** Ansible's parse_systemctl_show: KEY=VALUE lines; only Exec* values may span lines in {...}. */
export function parseSystemctlShow(text: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  let key: string | undefined;
  let multi: string[] = [];
  for (const line of text.split('\n')) {
    if (key === undefined) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const k = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (k.startsWith('Exec') && v.trimStart().startsWith('{') && !v.trimEnd().endsWith('}')) {
        key = k;
        multi.push(v);
        continue;
      }
      parsed[k] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith('}')) {
        parsed[key] = multi.join('\n').trim();
        multi = [];
        key = undefined;
      }
    }
  }
  return parsed;
}

function requestWasIgnored(out: string): boolean {
  return out.includes('=') ? false : /ignoring request|ignoring command/.test(out);
}

const ENABLED_STATES = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient'];

/** Fails with Ansible's get_bin_path message when the host has no systemctl. */
export async function requireSystemctl(ctx: ModuleContext): Promise<void> {
  const r = await ctx.probe('command -v systemctl');
  if (r.rc !== 0) {
    const path = await ctx.probe('printf %s "$PATH"');
    throw new ModuleFailure(`Failed to find required executable "systemctl" in paths: ${path.stdout}`);
  }
}

/** The systemd module: the shared implementation behind systemd, systemd_service and service. */
export async function runSystemd(args: SystemdArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const unit = firstOf(args.name, args.service, args.unit);
  const daemonReload = toBool(firstOf(args.daemon_reload, args['daemon-reload']));
  const daemonReexec = toBool(firstOf(args.daemon_reexec, args['daemon-reexec']));
  if (args.state === undefined && args.enabled === undefined && args.masked === undefined && !daemonReload && !daemonReexec) {
    throw new ModuleFailure('one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec');
  }
  for (const key of ['state', 'enabled', 'masked'] as const) {
    if (args[key] !== undefined && unit === undefined) throw new ModuleFailure(`missing parameter(s) required by '${key}': name`);
  }
  if (unit !== undefined) {
    for (const glob of ['*', '?', '[']) {
      if (unit.includes(glob)) {
        throw new ModuleFailure(`This module does not currently support using glob patterns, found '${glob}' in service name: ${unit}`);
      }
    }
  }
  await requireSystemctl(ctx);
  const scope = args.scope ?? 'system';
  // Ansible sets XDG_RUNTIME_DIR when it is unset, so --user works without a login session.
  let systemctl = scope === 'system' ? 'systemctl' : 'XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}" systemctl';
  if (scope !== 'system') systemctl += ` --${scope}`;
  if (toBool(args.no_block)) systemctl += ' --no-block';
  if (toBool(args.force)) systemctl += ' --force';

  let changed = false;
  const values: Record<string, unknown> = { name: unit ?? null, status: {} };
  if (daemonReload) {
    const r = await ctx.run(`${systemctl} daemon-reload`);
    if (r.rc !== 0) throw new ModuleFailure(`failure ${r.rc} during daemon-reload: ${r.stderr}`);
  }
  if (daemonReexec) {
    const r = await ctx.run(`${systemctl} daemon-reexec`);
    if (r.rc !== 0) throw new ModuleFailure(`failure ${r.rc} during daemon-reexec: ${r.stderr}`);
  }
  if (unit === undefined) return { changed, values };

  const q = shellQuote(unit);
  let status: Record<string, string> = {};
  let isSystemd = false;
  const show = await ctx.probe(`${systemctl} show ${q}`);
  if (show.rc === 0 && !requestWasIgnored(show.stdout) && !requestWasIgnored(show.stderr)) {
    if (show.stdout) {
      status = parseSystemctlShow(show.stdout);
      isSystemd = 'LoadState' in status && status.LoadState !== 'not-found';
      const isMasked = status.LoadState === 'masked';
      if (isSystemd && !isMasked && 'LoadError' in status) {
        throw new ModuleFailure(`Error loading unit file '${unit}': ${status.LoadError}`);
      }
    }
  } else if (show.rc === 1 && show.stderr.includes('Failed to parse bus message')) {
    // Ansible's workaround for https://github.com/ansible/ansible/issues/71528
    status = parseSystemctlShow(show.stdout);
    const at = unit.indexOf('@');
    const search = at < 0 ? unit : unit.slice(0, at + 1);
    isSystemd = (await ctx.probe(`${systemctl} list-unit-files ${shellQuote(`${search}*`)}`)).stdout.includes(search);
    status.ActiveState = (await ctx.probe(`${systemctl} is-active ${q}`)).stdout.replace(/\n+$/, '');
  } else {
    const en = await ctx.probe(`${systemctl} is-enabled ${q}`);
    if (ENABLED_STATES.includes(en.stdout.trim())) isSystemd = true;
    else if ((await ctx.probe(`${systemctl} list-unit-files ${q}`)).rc === 0) isSystemd = true;
  }
  // sysv_exists: an init script only matters when systemd does not know the unit, or for enabled below.
  const initScript = unit.startsWith('/') ? unit : `/etc/init.d/${unit}`;
  let isInitd: boolean | undefined;
  const initd = async (): Promise<boolean> => (isInitd ??= (await ctx.probe(`test -e ${shellQuote(initScript)}`)).rc === 0);
  if (!isSystemd && (await initd())) {
    ctx.warn(`The service (${unit}) is actually an init script but the system is managed by systemd`);
  }
  values.status = status;
  const found = isSystemd || (isInitd ?? false);
  const missing = () => new ModuleFailure(`Could not find the requested service ${unit}: host`);

  if (args.masked !== undefined) {
    const en = await ctx.probe(`${systemctl} is-enabled ${q}`);
    const masked = en.stdout.trim() === 'masked';
    if (masked !== toBool(args.masked)) {
      changed = true;
      const r = await ctx.run(`${systemctl} ${toBool(args.masked) ? 'mask' : 'unmask'} ${q}`);
      if (r.rc !== 0 && !found) throw missing();
    }
  }

  if (args.enabled !== undefined) {
    const want = toBool(args.enabled);
    if (!found) throw missing();
    const en = await ctx.probe(`${systemctl} is-enabled ${q} -l`);
    let enabled = false;
    if (en.rc === 0) {
      const lines = en.stdout.split('\n').filter((l) => l !== '');
      enabled = !(lines.length === 1 && (lines[0] === 'indirect' || lines[0] === 'alias'));
    } else if (en.rc === 1 && scope === 'system' && !en.stdout.trim().endsWith('disabled') && (await initd())) {
      // sysv_is_enabled: a start link in any runlevel directory.
      const base = unit.slice(unit.lastIndexOf('/') + 1);
      enabled = (await ctx.probe(`ls /etc/rc?.d/S??${shellQuote(base)} >/dev/null 2>&1`)).rc === 0;
    }
    values.enabled = enabled;
    if (enabled !== want) {
      changed = true;
      const action = want ? 'enable' : 'disable';
      const r = await ctx.run(`${systemctl} ${action} ${q}`);
      if (r.rc !== 0) throw new ModuleFailure(`Unable to ${action} service ${unit}: ${r.stdout}${r.stderr}`);
      values.enabled = !enabled;
    }
  }

  if (args.state !== undefined) {
    if (!found) throw missing();
    values.state = args.state;
    if (!('ActiveState' in status)) {
      const offline = await ctx.probe(
        '[ -n "${debian_chroot:-}" ] || [ "${SYSTEMD_OFFLINE:-}" = 1 ] || { r=$(stat -Lc %d:%i /proc/1/root/. 2>/dev/null) && [ "$(stat -Lc %d:%i /)" != "$r" ]; }',
      );
      if (offline.rc !== 0) throw new ModuleFailure('Service is in unknown state', { status });
      ctx.warn('Target is a chroot or systemd is offline. This can lead to false positives or prevent the init system tools from working.');
      return { changed, values };
    }
    const running = status.ActiveState === 'active' || status.ActiveState === 'activating';
    let action: string | undefined;
    if (args.state === 'started') {
      if (!running) action = 'start';
    } else if (args.state === 'stopped') {
      if (running || status.ActiveState === 'deactivating') action = 'stop';
    } else {
      action = running ? args.state.slice(0, -2) : 'start';
      values.state = 'started';
    }
    if (action !== undefined) {
      changed = true;
      const r = await ctx.run(`${systemctl} ${action} ${q}`);
      if (r.rc !== 0) throw new ModuleFailure(`Unable to ${action} service ${unit}: ${r.stderr}`);
    }
  }
  return { changed, values };
}

export const SYSTEMD_ARGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: "Unit name, e.g. 'crond.service' (aliases: service, unit)." },
    service: { type: 'string', description: 'Alias of name.' },
    unit: { type: 'string', description: 'Alias of name.' },
    state: { type: 'string', enum: ['reloaded', 'restarted', 'started', 'stopped'], description: 'started/stopped are idempotent; restarted/reloaded always act.' },
    enabled: { type: 'boolean', description: 'Whether the unit starts on boot.' },
    force: { type: 'boolean', description: 'Pass --force to systemctl (override existing symlinks).' },
    masked: { type: 'boolean', description: 'Whether the unit is masked (cannot be started).' },
    daemon_reload: { type: 'boolean', description: 'Run daemon-reload before anything else.' },
    'daemon-reload': { type: 'boolean', description: 'Alias of daemon_reload.' },
    daemon_reexec: { type: 'boolean', description: 'Run daemon-reexec before anything else.' },
    'daemon-reexec': { type: 'boolean', description: 'Alias of daemon_reexec.' },
    scope: { type: 'string', enum: ['system', 'user', 'global'], description: "systemctl scope (default 'system')." },
    no_block: { type: 'boolean', description: 'Do not wait for the job to complete (--no-block).' },
  },
} as const;

export const systemdModule: Module<SystemdArgs> = {
  name: 'systemd',
  aliases: ['systemd_service', 'ansible.builtin.systemd_service', 'ansible.legacy.systemd_service'],
  description: 'Control systemd units: start, stop, restart, reload, enable, mask, daemon-reload.',
  checkMode: 'full',
  args: SYSTEMD_ARGS_SCHEMA,
  run: runSystemd,
};
