import type { RunEvent, TaskInfo, TaskResult } from '../events/types.js';
import { formatSource } from '../model/source.js';

/** The commands a result would have run (check mode records them with executed=false). */
export function plannedCommands(result: TaskResult): string[] {
  return (result.commands ?? []).filter((c) => !c.executed).map((c) => c.command);
}

/** The commands a result ran (shown at -vv). */
export function executedCommands(result: TaskResult): string[] {
  return (result.commands ?? []).filter((c) => c.executed).map((c) => c.command);
}

/** `    would run: <cmd>` lines shown under a task result in check mode. */
export function wouldRunLines(result: TaskResult): string[] {
  return plannedCommands(result).map((command) => `    would run: ${command}`);
}

/** A task's identity across hosts and batches: where it was written, its role and name. */
export function taskKey(task: TaskInfo): string {
  return `${formatSource(task.source)}|${task.role ?? ''}|${task.name}|${task.isHandler ? 'h' : 't'}`;
}

export interface CheckSummary {
  /** Distinct tasks that would change at least one host. */
  readonly tasks: number;
  /** Changed task results per host (hosts with none are left out). */
  readonly hosts: ReadonlyMap<string, number>;
}

/**
 * Collects what a --check run would change. A task counts once however many hosts or loop items
 * it would change; per host, each changed task result counts once.
 */
export function checkSummaryCollector(): { readonly listener: (event: RunEvent) => void; readonly summary: () => CheckSummary | undefined } {
  let check = false;
  const tasks = new Set<string>();
  const hosts = new Map<string, number>();
  return {
    listener: (event) => {
      if (event.event === 'run_start') check = event.check;
      if (event.event !== 'task_result' || !event.result.changed || event.result.status === 'failed') return;
      tasks.add(taskKey(event.task));
      hosts.set(event.result.host, (hosts.get(event.result.host) ?? 0) + 1);
    },
    summary: () => (check ? { tasks: tasks.size, hosts } : undefined),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `Check mode: 3 tasks would change on 2 hosts` and one `  host: n changes` line per host (sorted). */
export function formatCheckSummary(summary: CheckSummary): string[] {
  const lines = [`Check mode: ${plural(summary.tasks, 'task')} would change on ${plural(summary.hosts.size, 'host')}`];
  for (const host of [...summary.hosts.keys()].sort()) lines.push(`  ${host}: ${plural(summary.hosts.get(host)!, 'change')}`);
  return lines;
}
