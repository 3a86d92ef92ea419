import { Chalk, type ChalkInstance } from 'chalk';
import type { EventListener, HostStats, RunEvent, TaskInfo, TaskResult } from '../events/types.js';
import { formatSource } from '../model/source.js';
import { pyJson } from '../util/pyjson.js';
import { dispatch, type EventHandlers, type Writer } from './types.js';
import { renderDiffs } from './diff.js';
import { checkSummaryCollector, executedCommands, formatCheckSummary, wouldRunLines } from './plan.js';

export interface PlainOptions {
  readonly color: boolean;
  readonly verbosity: number;
  /** Terminal width; Ansible uses max(79, width - 1). */
  readonly columns?: number;
}

const INTERNAL_KEYS = new Set(['invocation', 'diff', 'exception', '_ansible_no_log', '_ansible_verbose_always', '_ansible_item_label']);
const DEBUG_ALLOWED = new Set(['msg', 'exception', 'warnings', 'deprecations']);
const DEBUG_HIDDEN = new Set(['changed', 'failed', 'skipped', 'invocation', 'skip_reason', 'skipped_reason']);

export function banner(text: string, columns = 79): string {
  const msg = text.trim();
  const stars = Math.max(3, columns - msg.length);
  return `\n${msg} ${'*'.repeat(stars)}`;
}

function cleanValues(values: Readonly<Record<string, unknown>>, verbosity: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith('_ansible_') || k === 'failed') continue;
    if (INTERNAL_KEYS.has(k) && !(verbosity >= 3 && (k === 'invocation' || k === 'diff'))) continue;
    out[k] = v;
  }
  return out;
}

function debugValues(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('msg' in values) {
    for (const [k, v] of Object.entries(values)) if (DEBUG_ALLOWED.has(k)) out[k] = v;
    return out;
  }
  for (const [k, v] of Object.entries(values)) if (!DEBUG_HIDDEN.has(k) && !k.startsWith('_ansible')) out[k] = v;
  return out;
}

/** The ansible-playbook default callback, line for line where it matters (banners, host lines, recap). */
export function plainRenderer(out: Writer, options: PlainOptions): EventListener {
  const c: ChalkInstance = new Chalk({ level: options.color ? 1 : 0 });
  const columns = Math.max(79, (options.columns ?? 0) - 1);
  const line = (text: string) => out.write(`${text}\n`);
  const taskTitle = (task: TaskInfo) => (task.role ? `${task.role} : ${task.name}` : task.name);
  const hostLabel = (r: TaskResult) => (r.delegatedTo && r.delegatedTo !== r.host ? `${r.host} -> ${r.delegatedTo}` : r.host);
  const isDebug = (task: TaskInfo) => task.action === 'debug';
  const dump = (task: TaskInfo, r: TaskResult, forceIndent = false) => {
    const verboseAlways = isDebug(task) && (r.status === 'ok' || r.status === 'changed' || r.status === 'skipped');
    const values = verboseAlways ? debugValues(r.values) : cleanValues(r.values, options.verbosity);
    const indent = forceIndent || verboseAlways || options.verbosity > 2 ? 4 : undefined;
    return pyJson(values, { indent, sortKeys: true });
  };
  const itemLabel = (r: TaskResult) => {
    if (r.noLog) return '(censored due to no_log)';
    const label = r.itemLabel ?? r.item;
    return typeof label === 'string' ? label : pyJson(label, { sortKeys: true });
  };
  const showVerbose = (task: TaskInfo) => isDebug(task) || options.verbosity > 0;
  // -vv: the commands a result ran, before its host line; check mode: the ones it would run, after it
  const ranCommands = (r: TaskResult) => {
    if (options.verbosity > 1) for (const command of executedCommands(r)) line(c.dim(`<${r.host}> EXEC ${command}`));
  };
  const plannedCommands = (r: TaskResult) => {
    for (const text of wouldRunLines(r)) line(c.cyan(text));
  };
  const check = checkSummaryCollector();
  const renderStatus = (task: TaskInfo, r: TaskResult, looped: boolean): void => {
    switch (r.status) {
      case 'ok':
      case 'changed': {
        if (looped) return;
        const text = `${r.status}: [${hostLabel(r)}]${showVerbose(task) ? ` => ${dump(task, r)}` : ''}`;
        line(r.status === 'changed' ? c.yellow(text) : c.green(text));
        return;
      }
      case 'skipped':
        line(c.cyan(`skipping: [${r.host}]`));
        return;
      case 'failed':
        if (!looped) {
          if (options.verbosity > 0 || !r.ignored) line(c.dim(`task path: ${formatSource(task.source)}`));
          line(c.red(`fatal: [${hostLabel(r)}]: FAILED! => ${dump(task, r)}`));
        } else {
          line(c.red(`fatal: [${hostLabel(r)}]: FAILED! => ${dump(task, r)}`));
        }
        if (r.ignored) line(c.cyan('...ignoring'));
        return;
      case 'unreachable':
        line(c.redBright(`fatal: [${hostLabel(r)}]: UNREACHABLE! => ${dump(task, r)}`));
        if (r.ignored) line(c.cyan('...ignoring'));
        return;
    }
  };

  const handlers: EventHandlers = {
    run_start: () => undefined,
    play_start: (e) => line(banner(`PLAY [${e.name}]`, columns)),
    no_hosts: () => line(c.cyan('skipping: no hosts matched')),
    task_start: (e) => line(banner(`${e.task.isHandler ? 'RUNNING HANDLER' : 'TASK'} [${taskTitle(e.task)}]`, columns)),
    host_task_start: () => undefined,
    task_progress: (e) => {
      if (options.verbosity > 0) line(c.dim(`  [${e.host}] ${e.message}`));
    },
    item_result: (e) => {
      const r = e.result;
      if (r.diff && r.diff.length > 0) out.write(renderDiffs(r.diff, c));
      const label = itemLabel(r);
      ranCommands(r);
      if (r.status === 'skipped') {
        line(c.cyan(`skipping: [${hostLabel(r)}] => (item=${label}) `));
      } else if (r.status === 'failed') {
        line(c.red(`failed: [${hostLabel(r)}] (item=${label}) => ${dump(e.task, r)}`));
      } else if (r.status === 'unreachable') {
        line(c.redBright(`fatal: [${hostLabel(r)}]: UNREACHABLE! => (item=${label}) => ${dump(e.task, r)}`));
      } else {
        const word = r.status === 'changed' ? 'changed' : 'ok';
        const text = `${word}: [${hostLabel(r)}] => (item=${label})${showVerbose(e.task) ? ` => ${dump(e.task, r)}` : ''}`;
        line(word === 'changed' ? c.yellow(text) : c.green(text));
      }
      plannedCommands(r);
    },
    task_result: (e) => {
      const r = e.result;
      const looped = Array.isArray(r.values.results) && r.item === undefined;
      if (!looped && r.diff && r.diff.length > 0) out.write(renderDiffs(r.diff, c));
      for (const warning of r.warnings ?? []) line(c.magenta(`[WARNING]: ${warning}`));
      if (!looped) ranCommands(r);
      renderStatus(e.task, r, looped);
      if (!looped) plannedCommands(r);
    },
    host_unreachable: () => undefined,
    task_retry: (e) => line(c.red(`FAILED - RETRYING: [${e.host}]: ${taskTitle(e.task)} (${e.retriesLeft} retries left).`)),
    no_hosts_remaining: () => line(banner('NO MORE HOSTS LEFT', columns)),
    connection_open: (e) => {
      if (options.verbosity > 2) for (const text of connectionDebugLines(e)) line(c.dim(text));
    },
    handler_notified: (e) => {
      if (options.verbosity > 1) line(c.dim(`NOTIFIED HANDLER ${e.handler} for ${e.host}`));
    },
    include: (e) => line(`included: ${e.file} for ${e.hosts.join(', ')}`),
    warning: (e) => line(c.magenta(`[WARNING]: ${e.message}${e.source ? ` (${formatSource(e.source)})` : ''}`)),
    play_end: () => undefined,
    recap: (e) => {
      line(banner('PLAY RECAP', columns));
      for (const host of Object.keys(e.hosts).sort()) line(recapLine(host, e.hosts[host]!, c));
      line('');
      const summary = check.summary();
      if (summary) for (const text of formatCheckSummary(summary)) line(text);
    },
  };
  return (event) => {
    check.listener(event);
    dispatch(handlers, event);
  };
}

export function recapLine(host: string, s: HostStats, c?: ChalkInstance): string {
  const col = (lead: string, n: number, paint?: (t: string) => string) => {
    const text = `${lead}=${String(n).padEnd(4)}`;
    return n !== 0 && paint ? paint(text) : text;
  };
  const hostText = host.padEnd(26);
  const paintHost = c ? (s.failed || s.unreachable ? c.red : s.changed ? c.yellow : c.green) : undefined;
  return [
    `${paintHost && c?.level ? paintHost(host).padEnd(26 + (paintHost(host).length - host.length)) : hostText} :`,
    col('ok', s.ok, c?.green),
    col('changed', s.changed, c?.yellow),
    col('unreachable', s.unreachable, c?.redBright),
    col('failed', s.failed, c?.red),
    col('skipped', s.skipped, c?.cyan),
    col('rescued', s.rescued, c?.green),
    col('ignored', s.ignored, c?.magenta),
  ].join(' ');
}

/** -vvv: Ansible's "ESTABLISH ... CONNECTION" line, and how tsbook talks to the host. */
export function connectionDebugLines(e: Extract<RunEvent, { event: 'connection_open' }>): string[] {
  const who = e.address ?? e.host;
  const kind = e.transport.toUpperCase();
  const lines = [`<${who}> ESTABLISH ${kind} CONNECTION FOR USER: ${e.user ?? (kind === 'LOCAL' ? process.env.USER ?? 'root' : '?')}`];
  if (e.transport === 'ssh') lines.push(`<${who}> SSH: one ssh2 connection to ${who}:${e.port ?? 22} for the whole run; each command is a channel on it`);
  return lines;
}
