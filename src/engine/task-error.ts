import type { TaskResult } from '../events/types.js';
import { TsbookError } from '../model/errors.js';
import type { Source } from '../model/source.js';

/** The short form of a templating error, as TaskResult.error carries it. */
export type TaskError = NonNullable<TaskResult['error']>;

/**
 * The innermost templating error in `err`'s cause chain (conditional errors wrap the undefined
 * variable that caused them), as a short message and the source it was raised at (else `fallback`).
 * Undefined when `err` is not a templating error.
 */
export function taskErrorOf(err: unknown, fallback?: Source): TaskError | undefined {
  let found: TsbookError | undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof TsbookError && e.kind === 'template') found = e;
  }
  if (!found) return undefined;
  const source = found.source ?? fallback;
  return source === undefined ? { message: found.message } : { message: found.message, source };
}
