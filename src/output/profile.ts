import type { EventListener, RunEvent, TaskInfo } from '../events/types.js';
import { taskKey } from './plan.js';
import type { Writer } from './types.js';

export interface ProfileOptions {
  /** How many tasks to list (ansible.posix.profile_tasks lists 20; tsbook 10). */
  readonly limit?: number;
  /** Ansible's display width: max(79, terminal width - 1). */
  readonly columns?: number;
  readonly now?: () => number;
}

interface TaskTiming {
  readonly name: string;
  elapsedMs: number;
}

export interface ProfileReport {
  readonly totalMs: number;
  /** Slowest first. */
  readonly tasks: readonly { readonly name: string; readonly elapsedMs: number }[];
  /** The host whose task results took longest in total (sum of their durations). */
  readonly slowestHost?: { readonly host: string; readonly elapsedMs: number; readonly tasks: number };
}

function taskName(task: TaskInfo): string {
  const name = task.role ? `${task.role} : ${task.name}` : task.name;
  return task.isHandler ? `RUNNING HANDLER [${name}]` : name;
}

/**
 * Task timings like ansible.posix.profile_tasks: a task runs from its start until the next task
 * starts (or the play ends); a task that runs in several batches (serial) adds up.
 */
export function profileCollector(options: ProfileOptions = {}): { readonly listener: EventListener; readonly report: () => ProfileReport } {
  const now = options.now ?? Date.now;
  const timings = new Map<string, TaskTiming>();
  const hostTime = new Map<string, { elapsedMs: number; tasks: number }>();
  let current: { timing: TaskTiming; since: number } | undefined;
  let started: number | undefined;
  let ended: number | undefined;
  const stop = (at: number) => {
    if (current) current.timing.elapsedMs += at - current.since;
    current = undefined;
  };
  const listener = (event: RunEvent): void => {
    const at = now();
    started ??= at;
    switch (event.event) {
      case 'task_start': {
        stop(at);
        const key = taskKey(event.task);
        let timing = timings.get(key);
        if (!timing) timings.set(key, (timing = { name: taskName(event.task), elapsedMs: 0 }));
        current = { timing, since: at };
        return;
      }
      case 'task_result': {
        const h = hostTime.get(event.result.host) ?? { elapsedMs: 0, tasks: 0 };
        h.elapsedMs += event.result.durationMs;
        h.tasks += 1;
        hostTime.set(event.result.host, h);
        return;
      }
      case 'play_end':
      case 'no_hosts_remaining':
        stop(at);
        return;
      case 'recap':
        stop(at);
        ended = at;
        return;
      default:
        return;
    }
  };
  const report = (): ProfileReport => {
    const tasks = [...timings.values()]
      .map((t) => ({ name: t.name, elapsedMs: t.elapsedMs + (current?.timing === t ? now() - current.since : 0) }))
      .sort((a, b) => b.elapsedMs - a.elapsedMs)
      .slice(0, options.limit ?? 10);
    let slowestHost: ProfileReport['slowestHost'];
    for (const [host, h] of hostTime) {
      if (!slowestHost || h.elapsedMs > slowestHost.elapsedMs) slowestHost = { host, ...h };
    }
    return { totalMs: (ended ?? now()) - (started ?? now()), tasks, slowestHost };
  };
  return { listener, report };
}

/** 0:00:07.328, profile_tasks's secondsToStr. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(total % 1000).padStart(3, '0')}`;
}

/** `name ------ 1.23s`: the name padded with '-' and the seconds right-aligned in 9, as profile_tasks. */
export function profileLine(name: string, ms: number, columns = 79): string {
  const time = ` ${(ms / 1000).toFixed(2)}s`;
  return `${`${name} `.padEnd(columns - 9, '-')}${time.padStart(9, '-')}`;
}

export function formatProfile(report: ProfileReport, columns = 79): string {
  // profile_tasks's filled(): the text, a space, a filler up to the width, a trailing space
  const lines = ['', `${`Run time ${formatElapsed(report.totalMs)} `.padEnd(columns, '*')} `, `${'='.repeat(columns)} `];
  for (const t of report.tasks) lines.push(profileLine(t.name, t.elapsedMs, columns));
  if (report.slowestHost) {
    const { host, elapsedMs, tasks } = report.slowestHost;
    lines.push(profileLine(`Slowest host: ${host} (${tasks} task result${tasks === 1 ? '' : 's'})`, elapsedMs, columns));
  }
  return `${lines.join('\n')}\n`;
}

/** --profile: after the recap, the slowest tasks and the slowest host. */
export function profileRenderer(out: Writer, options: ProfileOptions = {}): EventListener {
  const collector = profileCollector(options);
  return (event) => {
    collector.listener(event);
    if (event.event === 'recap') out.write(formatProfile(collector.report(), options.columns));
  };
}
