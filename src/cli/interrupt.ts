/**
 * What Ctrl-C and SIGTERM do to a run. The first one stops the run: no new task starts, and the
 * tasks in flight get a grace period to finish before they are cancelled (their remote processes
 * killed). A second one cancels them at once; the run then still kills remote processes, closes
 * connections and prints the recap, within a bounded time. A third one exits immediately.
 */
import { UsageError } from '../model/errors.js';
import { EXIT } from './exit.js';

export const DEFAULT_GRACE_SECONDS = 10;

/** After the second signal, the run gets this long to clean up before the process exits anyway. */
const HARD_DEADLINE_MS = 10_000;

export interface Interrupts {
  /** Aborts on the first signal: no new task starts. */
  readonly stop: AbortSignal;
  /** Aborts when the grace period ends or on the second signal: tasks in flight are cancelled. */
  readonly cancel: AbortSignal;
  /** Removes the signal handlers and timers. */
  dispose(): void;
}

export interface InterruptOptions {
  readonly graceSeconds: number;
  readonly write: (text: string) => void;
  /** Where signals come from (default: process). */
  readonly source?: Pick<NodeJS.Process, 'on' | 'off'>;
  readonly exit?: (code: number) => void;
  readonly hardDeadlineMs?: number;
}

/** `--grace-period`, else TSBOOK_GRACE_PERIOD, else 10 seconds. */
export function resolveGracePeriod(option: string | undefined, env: Readonly<Record<string, string | undefined>>): number {
  const [raw, what] = option !== undefined ? [option, '--grace-period'] : env.TSBOOK_GRACE_PERIOD !== undefined && env.TSBOOK_GRACE_PERIOD !== '' ? [env.TSBOOK_GRACE_PERIOD, 'TSBOOK_GRACE_PERIOD'] : [undefined, ''];
  if (raw === undefined) return DEFAULT_GRACE_SECONDS;
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${what} must be a number of seconds (0 or more), got '${raw}'`);
  return n;
}

function plural(n: number): string {
  return n === 1 ? '1 second' : `${n} seconds`;
}

export function watchInterrupts(options: InterruptOptions): Interrupts {
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const stop = new AbortController();
  const cancel = new AbortController();
  let count = 0;
  let graceTimer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;

  const cancelNow = (why: string) => {
    if (graceTimer) clearTimeout(graceTimer);
    if (cancel.signal.aborted) return;
    options.write(`[tsbook] ${why}: cancelling running tasks and killing their remote processes\n`);
    cancel.abort();
  };

  const onSignal = () => {
    count += 1;
    if (count === 1) {
      stop.abort();
      if (options.graceSeconds <= 0) {
        options.write('\n[tsbook] interrupted: no new tasks will start\n');
        cancelNow('no grace period');
        return;
      }
      options.write(`\n[tsbook] interrupted: no new tasks will start; running tasks have ${plural(options.graceSeconds)} to finish (interrupt again to cancel them now)\n`);
      graceTimer = setTimeout(() => cancelNow('grace period over'), options.graceSeconds * 1000);
      return;
    }
    if (count === 2) {
      cancelNow('interrupted again');
      deadline = setTimeout(() => {
        options.write('[tsbook] cleanup did not finish in time; exiting\n');
        exit(EXIT.interrupted);
      }, options.hardDeadlineMs ?? HARD_DEADLINE_MS);
      deadline.unref();
      return;
    }
    exit(EXIT.interrupted);
  };

  source.on('SIGINT', onSignal);
  source.on('SIGTERM', onSignal);
  return {
    stop: stop.signal,
    cancel: cancel.signal,
    dispose() {
      source.off('SIGINT', onSignal);
      source.off('SIGTERM', onSignal);
      if (graceTimer) clearTimeout(graceTimer);
      if (deadline) clearTimeout(deadline);
    },
  };
}
