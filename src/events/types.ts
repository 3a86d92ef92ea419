import type { Source } from '../model/source.js';

export type TaskStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** The result of one task on one host (or one loop item). Secrets are already redacted in events. */
export interface TaskResult {
  readonly host: string;
  readonly status: TaskStatus;
  readonly changed: boolean;
  readonly msg?: string;
  /** The module's returned values as Ansible would register them (redacted in events). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly ignored?: boolean;
  /** A failure inside a block whose `rescue` runs next (counted as `rescued` in the recap, not `failed`). */
  readonly rescued?: boolean;
  readonly item?: unknown;
  readonly itemLabel?: string;
  readonly delegatedTo?: string;
  readonly durationMs: number;
  /** Commands the module ran or, in check mode, would have run. */
  readonly commands?: readonly { readonly command: string; readonly executed: boolean }[];
  readonly diff?: readonly { readonly before: string; readonly after: string; readonly before_header?: string; readonly after_header?: string }[];
  readonly warnings?: readonly string[];
  readonly noLog?: boolean;
  /**
   * Why the task failed when templating did (an undefined variable, a bad expression, a `when`,
   * loop, changed_when/failed_when that could not be evaluated): the short message, e.g.
   * `undefined variable 'x' in "{{ x }}"`, and where the task was written. `msg` keeps Ansible's text.
   */
  readonly error?: { readonly message: string; readonly source?: Source };
}

export interface TaskInfo {
  readonly name: string;
  readonly action: string;
  readonly source: Source;
  readonly isHandler: boolean;
  readonly role?: string;
}

/** One discriminated union for everything the engine reports. Renderers map `event` to a function. */
export type RunEvent =
  | { readonly event: 'run_start'; readonly playbooks: readonly string[]; readonly check: boolean; readonly time: string }
  | { readonly event: 'play_start'; readonly name: string; readonly hosts: readonly string[]; readonly source: Source }
  | { readonly event: 'no_hosts'; readonly name: string }
  | { readonly event: 'task_start'; readonly task: TaskInfo; readonly hosts: readonly string[] }
  | { readonly event: 'host_task_start'; readonly task: TaskInfo; readonly host: string }
  | { readonly event: 'item_result'; readonly task: TaskInfo; readonly result: TaskResult }
  | { readonly event: 'task_result'; readonly task: TaskInfo; readonly result: TaskResult }
  | { readonly event: 'host_unreachable'; readonly task: TaskInfo; readonly host: string; readonly reason: string }
  | { readonly event: 'task_progress'; readonly task: TaskInfo; readonly host: string; readonly message: string }
  | { readonly event: 'handler_notified'; readonly handler: string; readonly host: string }
  | { readonly event: 'include'; readonly file: string; readonly hosts: readonly string[]; readonly item?: unknown; readonly itemLabel?: string }
  /** until/retries: an attempt failed and the task will run again ("FAILED - RETRYING: ..."). */
  | { readonly event: 'task_retry'; readonly task: TaskInfo; readonly host: string; readonly attempt: number; readonly retriesLeft: number; readonly result: TaskResult }
  /** max_fail_percentage exceeded or any_errors_fatal: the play stops ("NO MORE HOSTS LEFT"). */
  | { readonly event: 'no_hosts_remaining' }
  /** A host's connection is opened (once per host and run; -vvv shows it). */
  | { readonly event: 'connection_open'; readonly host: string; readonly transport: string; readonly user?: string; readonly address?: string; readonly port?: number }
  | { readonly event: 'warning'; readonly message: string; readonly source?: Source }
  | { readonly event: 'play_end'; readonly name: string }
  | { readonly event: 'recap'; readonly hosts: Readonly<Record<string, HostStats>> };

export type RunEventName = RunEvent['event'];

export type EventListener = (event: RunEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
