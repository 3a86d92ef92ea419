/**
 * The live TTY renderer: while a task runs, a listr2 tree shows the play, the task (spinner, elapsed
 * time, latest progress message) and one row per host (status, duration); when the task is over the
 * tree is cleared and a one-line summary stays in the scrollback, followed by the plain renderer's
 * lines for what deserves them (failures, diffs, check-mode plans, and every result at -v). The recap
 * is the plain renderer's.
 *
 * listr2 runs a fixed list of tasks; the engine's events announce tasks one at a time. So every
 * engine task is one listr2 run (a "view"), and views run one after another on a promise chain that
 * also carries the plain lines, keeping the output in event order.
 */
import { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import {
  DefaultRenderer,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  ProcessOutput,
  Spinner,
  type ListrTaskWrapper,
} from 'listr2';
import type { EventListener, RunEvent, TaskInfo, TaskResult, TaskStatus } from '../events/types.js';
import { plainRenderer } from './plain.js';
import { plannedCommands, taskKey } from './plan.js';
import { dispatch, type EventHandlers } from './types.js';

/** What the live renderer writes to: a TTY stream (its `write` is taken over while a task shows). */
export interface LiveStream {
  write(text: string): boolean;
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
}

export interface LiveOptions {
  readonly color: boolean;
  readonly verbosity: number;
  /** Redraw at most this often (default 125 ms); the spinner turns at the same pace. */
  readonly throttleMs?: number;
  readonly now?: () => number;
}

export interface LiveRenderer {
  readonly listener: EventListener;
  /** Writes text after everything rendered so far (e.g. the profile after the recap). */
  write(text: string): void;
  /** Ends a task still on screen and resolves when all output is written. */
  close(): Promise<void>;
}

type HostState = 'waiting' | 'running' | TaskStatus | 'rescued' | 'included' | 'not run';

interface HostRow {
  readonly host: string;
  state: HostState;
  started?: number;
  durationMs?: number;
  progress?: string;
  retriesLeft?: number;
  items: number;
  ignored: boolean;
  failure?: string;
  finish?: () => void;
  finished: boolean;
  wrapper?: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer>;
}

interface TaskView {
  readonly key: string;
  readonly task: TaskInfo;
  readonly play: string;
  readonly started: number;
  readonly rows: Map<string, HostRow>;
  /** Set when the listr2 run starts: hosts that show up later get a new view. */
  rendering: boolean;
  closed: boolean;
  /** When its last host finished (or the view was closed): the summary's duration. */
  endedAt?: number;
  progress?: string;
  details: string;
  allDone?: () => void;
}

export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const FINAL: ReadonlySet<HostState> = new Set(['ok', 'changed', 'skipped', 'failed', 'unreachable', 'rescued', 'included', 'not run']);

/** listr2's icon colors, from our chalk (so --no-color and NO_COLOR reach listr2 too). */
function iconColors(c: ChalkInstance): Record<ListrDefaultRendererLogLevels, (text?: string) => string> {
  const byLevel: Partial<Record<ListrDefaultRendererLogLevels, (text: string) => string>> = {
    [ListrDefaultRendererLogLevels.PENDING]: c.yellow,
    [ListrDefaultRendererLogLevels.COMPLETED]: c.green,
    [ListrDefaultRendererLogLevels.FAILED]: c.red,
    [ListrDefaultRendererLogLevels.COMPLETED_WITH_FAILED_SUBTASKS]: c.red,
    [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: c.red,
    [ListrDefaultRendererLogLevels.SKIPPED_WITH_COLLAPSE]: c.cyan,
    [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: c.cyan,
    [ListrDefaultRendererLogLevels.RETRY]: c.yellow,
  };
  const out = {} as Record<ListrDefaultRendererLogLevels, (text?: string) => string>;
  for (const level of Object.values(ListrDefaultRendererLogLevels)) {
    const paint = byLevel[level] ?? c.dim;
    out[level] = (text) => paint(text ?? '');
  }
  return out;
}

/** A DefaultRenderer that redraws at most every `ms` and refreshes the titles right before drawing. */
function throttledRenderer(ms: number, beforeFrame: () => void): typeof DefaultRenderer {
  return class ThrottledRenderer extends DefaultRenderer {
    // tsbook decides about TTYs itself (listr2 would fall back to its line renderer otherwise)
    static override nonTTY = true;
    private timer: NodeJS.Timeout | undefined;
    private dirty = false;
    override update(): void {
      if (this.timer) {
        this.dirty = true;
        return;
      }
      beforeFrame();
      super.update();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.update();
        }
      }, ms);
    }
    override end(): void {
      clearTimeout(this.timer);
      this.timer = undefined;
      super.end();
    }
  };
}

class PacedSpinner extends Spinner {
  constructor(private readonly ms: number) {
    super();
  }
  override start(cb?: () => void): void {
    super.start(cb, this.ms);
  }
}

/** A sink for the stderr side of listr2's output takeover: tsbook's stderr is never held back. */
function nullStream(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

export function liveRenderer(stream: LiveStream, options: LiveOptions): LiveRenderer {
  const c: ChalkInstance = new Chalk({ level: options.color ? 1 : 0 });
  const now = options.now ?? Date.now;
  const throttleMs = options.throttleMs ?? 125;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const enqueue = (op: () => void | Promise<void>) => {
    chain = chain.then(op).catch((err: unknown) => {
      failure ??= err;
    });
  };
  const print = (text: string) => {
    if (text !== '') enqueue(() => void stream.write(text));
  };

  // the plain renderer's lines go to the view of the task they belong to, else straight out
  let detailTarget: TaskView | undefined;
  const plain = plainRenderer(
    { write: (text) => (detailTarget ? (detailTarget.details += text) : print(text)) },
    { color: options.color, verbosity: options.verbosity, columns: stream.columns },
  );
  const toPlain = (event: RunEvent, view?: TaskView) => {
    detailTarget = view;
    try {
      plain(event);
    } finally {
      detailTarget = undefined;
    }
  };

  let play = '';
  let playStarted = now();
  const open = new Map<string, TaskView>();
  let active: TaskView | undefined;

  const taskTitle = (task: TaskInfo) => `${task.isHandler ? 'RUNNING HANDLER' : 'TASK'} [${task.role ? `${task.role} : ` : ''}${task.name}]`;

  const rowTitle = (row: HostRow): string => {
    const at = now();
    const parts = [row.host];
    switch (row.state) {
      case 'waiting':
        parts.push(c.dim('waiting'));
        break;
      case 'running':
        parts.push(c.yellow('running'));
        if (row.started !== undefined && at - row.started >= 1000) parts.push(formatDuration(at - row.started));
        if (row.retriesLeft !== undefined) parts.push(c.yellow(`retrying (${row.retriesLeft} left)`));
        break;
      default:
        parts.push(paintState(row.state, row.ignored));
        if (row.durationMs !== undefined) parts.push(formatDuration(row.durationMs));
    }
    if (row.items > 0) parts.push(`${row.items} item${row.items === 1 ? '' : 's'}`);
    if (row.progress && row.state === 'running') parts.push(row.progress);
    if (row.failure && !FINAL.has(row.state)) parts.push(row.failure);
    return parts.join(c.dim(' · '));
  };

  const paintState = (state: HostState, ignored = false): string => {
    switch (state) {
      case 'ok':
      case 'rescued':
        return c.green(state);
      case 'changed':
        return c.yellow(state);
      case 'skipped':
      case 'included':
        return c.cyan(state);
      case 'failed':
        return ignored ? c.cyan('failed (ignored)') : c.red(state);
      case 'unreachable':
        return ignored ? c.cyan('unreachable (ignored)') : c.redBright(state);
      default:
        return c.dim(state);
    }
  };

  const viewTitle = (view: TaskView): string => {
    const parts = [c.bold(taskTitle(view.task))];
    const elapsed = (view.endedAt ?? now()) - view.started;
    if (elapsed >= 1000) parts.push(formatDuration(elapsed));
    if (view.progress) parts.push(view.progress);
    return parts.join(c.dim(' · '));
  };

  const refreshTitles = () => {
    const view = active;
    if (!view) return;
    for (const row of view.rows.values()) if (row.wrapper && !row.finished) row.wrapper.task.title = rowTitle(row);
    if (viewWrapper) viewWrapper.task.title = viewTitle(view);
    if (playWrapper) playWrapper.task.title = playTitle();
  };
  const playTitle = () => `${c.bold(`PLAY [${play}]`)}${c.dim(` · ${formatDuration(now() - playStarted)}`)}`;

  let viewWrapper: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer> | undefined;
  let playWrapper: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer> | undefined;
  const Renderer = throttledRenderer(throttleMs, refreshTitles);
  const logger = () =>
    new ListrLogger({ useIcons: true, toStderr: [], processOutput: new ProcessOutput(stream as unknown as NodeJS.WriteStream, nullStream() as unknown as NodeJS.WriteStream) });

  /** The one-line summary a finished task leaves: icon, title, duration, hosts by status. */
  const summary = (view: TaskView, endedAt: number): string => {
    const groups = new Map<string, string[]>();
    for (const row of view.rows.values()) {
      const label = row.state === 'failed' && row.ignored ? 'failed (ignored)' : row.state;
      groups.set(label, [...(groups.get(label) ?? []), row.host]);
    }
    const rows = [...view.rows.values()];
    const bad = rows.some((r) => (r.state === 'failed' || r.state === 'unreachable') && !r.ignored);
    const allSkipped = rows.length > 0 && rows.every((r) => r.state === 'skipped');
    const icon = bad ? c.red('✖') : allSkipped ? c.cyan('↓') : rows.some((r) => r.state === 'not run') ? c.dim('■') : c.green('✔');
    const order = ['changed', 'ok', 'rescued', 'included', 'failed', 'failed (ignored)', 'unreachable', 'skipped', 'not run', 'running', 'waiting'];
    const parts = [`${icon} ${taskTitle(view.task)}`, formatDuration(endedAt - view.started)];
    for (const label of order) {
      const hosts = groups.get(label);
      if (!hosts) continue;
      const shown = hosts.length > 8 ? `${hosts.length} hosts` : hosts.join(' ');
      parts.push(`${paintState(label === 'failed (ignored)' ? 'failed' : (label as HostState), label === 'failed (ignored)')}: ${shown}`);
    }
    return `${parts.join(c.dim(' · '))}\n`;
  };

  const finishRow = (row: HostRow) => {
    if (row.finished) return;
    row.finished = true;
    row.finish?.();
  };

  const runView = async (view: TaskView): Promise<void> => {
    active = view;
    view.rendering = true;
    const rows = [...view.rows.values()];
    const hostTasks = rows.map((row) => ({
      title: rowTitle(row),
      task: async (_: unknown, t: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer>) => {
        row.wrapper = t;
        if (!row.finished) await new Promise<void>((resolve) => (row.finish = resolve));
        t.title = rowTitle(row);
        if (row.state === 'skipped' || row.state === 'not run') t.skip(rowTitle(row));
        else if ((row.state === 'failed' || row.state === 'unreachable') && !row.ignored) throw new Error(rowTitle(row));
      },
    }));
    const list = new Listr(
      [
        {
          title: playTitle(),
          task: (_: unknown, p: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer>) => {
            playWrapper = p;
            return p.newListr([
              {
                title: viewTitle(view),
                task: (__: unknown, t: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer>) => {
                  viewWrapper = t;
                  return t.newListr(hostTasks, { concurrent: true, exitOnError: false });
                },
              },
            ]);
          },
        },
      ],
      {
        renderer: Renderer,
        registerSignalListeners: false,
        exitOnError: false,
        rendererOptions: {
          clearOutput: true,
          collapseSubtasks: false,
          collapseErrors: true,
          showErrorMessage: false,
          suffixRetries: false,
          formatOutput: 'truncate',
          spinner: new PacedSpinner(throttleMs),
          logger: logger(),
          color: iconColors(c),
        },
      },
    );
    try {
      await list.run();
    } finally {
      active = undefined;
      viewWrapper = undefined;
      playWrapper = undefined;
    }
    stream.write(summary(view, view.endedAt ?? now()));
    if (view.details !== '') stream.write(view.details);
  };

  const viewFor = (task: TaskInfo, hosts: readonly string[]): TaskView => {
    const key = taskKey(task);
    let view = open.get(key);
    if (!view || view.rendering || view.closed) {
      view = { key, task, play, started: now(), rows: new Map(), rendering: false, closed: false, details: '' };
      open.set(key, view);
      const v = view;
      enqueue(() => runView(v));
    }
    for (const host of hosts) {
      if (!view.rows.has(host)) view.rows.set(host, { host, state: 'waiting', items: 0, ignored: false, finished: false });
    }
    return view;
  };

  /** The view showing `host` for `task`, adding the host (to a new view if the current one is on screen). */
  const rowFor = (task: TaskInfo, host: string): { view: TaskView; row: HostRow } => {
    const existing = open.get(taskKey(task));
    const current = existing?.rows.get(host);
    if (existing && current && !current.finished) return { view: existing, row: current };
    const view = viewFor(task, [host]);
    return { view, row: view.rows.get(host)! };
  };

  const closeView = (view: TaskView) => {
    if (view.closed) return;
    view.closed = true;
    view.endedAt ??= now();
    if (open.get(view.key) === view) open.delete(view.key);
    for (const row of view.rows.values()) {
      if (!FINAL.has(row.state)) row.state = 'not run';
      finishRow(row);
    }
  };
  const maybeClose = (view: TaskView) => {
    if ([...view.rows.values()].every((r) => r.finished)) closeView(view);
  };
  /** A new task started: views with no host still at work are over (hosts that never started it). */
  const closeIdleViews = (except?: string) => {
    for (const view of [...open.values()]) {
      if (view.key !== except && ![...view.rows.values()].some((r) => r.state === 'running')) closeView(view);
    }
  };
  const closeAll = () => {
    for (const view of [...open.values()]) closeView(view);
  };

  const detailWorthy = (r: TaskResult) =>
    options.verbosity > 0 || r.status === 'failed' || r.status === 'unreachable' || (r.diff?.length ?? 0) > 0 || (r.warnings?.length ?? 0) > 0 || plannedCommands(r).length > 0;

  const handlers: EventHandlers = {
    run_start: (e) => toPlain(e),
    play_start: (e) => {
      closeAll();
      play = e.name;
      playStarted = now();
      print(`${c.bold(`PLAY [${e.name}]`)}${c.dim(` · ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`)}\n`);
    },
    no_hosts: (e) => toPlain(e),
    task_start: (e) => {
      closeIdleViews(taskKey(e.task));
      viewFor(e.task, e.hosts);
    },
    host_task_start: (e) => {
      const { row } = rowFor(e.task, e.host);
      row.state = 'running';
      row.started = now();
    },
    task_progress: (e) => {
      const { view, row } = rowFor(e.task, e.host);
      if (row.state === 'waiting') row.state = 'running';
      row.progress = e.message;
      view.progress = e.message;
    },
    item_result: (e) => {
      const { view, row } = rowFor(e.task, e.result.host);
      row.items += 1;
      if (detailWorthy(e.result)) toPlain(e, view);
    },
    task_retry: (e) => {
      const { view, row } = rowFor(e.task, e.host);
      row.retriesLeft = e.retriesLeft;
      toPlain(e, view);
    },
    task_result: (e) => {
      const r = e.result;
      const { view, row } = rowFor(e.task, r.host);
      row.state = r.rescued ? 'rescued' : r.status;
      row.durationMs = r.durationMs;
      row.ignored = Boolean(r.ignored);
      row.retriesLeft = undefined;
      if (detailWorthy(r)) toPlain(e, view);
      finishRow(row);
      maybeClose(view);
    },
    host_unreachable: () => undefined,
    include: (e) => {
      let shown: TaskView | undefined;
      for (const view of open.values()) {
        for (const host of e.hosts) {
          const row = view.rows.get(host);
          if (!row || row.finished || view.task.action.indexOf('include') < 0) continue;
          row.state = 'included';
          row.durationMs = row.started !== undefined ? now() - row.started : undefined;
          finishRow(row);
          shown = view;
        }
      }
      if (options.verbosity > 0) toPlain(e, shown);
      if (shown) maybeClose(shown);
    },
    handler_notified: (e) => toPlain(e),
    connection_open: (e) => toPlain(e),
    no_hosts_remaining: (e) => {
      closeAll();
      toPlain(e);
    },
    warning: (e) => toPlain(e),
    play_end: () => closeAll(),
    recap: (e) => {
      closeAll();
      toPlain(e);
    },
  };

  return {
    listener: (event) => dispatch(handlers, event),
    write: print,
    close: async () => {
      closeAll();
      await chain;
      if (failure !== undefined) throw failure;
    },
  };
}
