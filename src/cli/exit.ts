import { TsbookError } from '../model/errors.js';

/** ansible-playbook's exit codes. */
export const EXIT = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  unreachable: 4,
  parserError: 4,
  badOptions: 5,
  interrupted: 99,
  unexpected: 250,
} as const;

/** The one place that maps errors to exit codes and messages. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof TsbookError) {
    switch (err.kind) {
      case 'load':
        return EXIT.parserError;
      case 'usage':
        return EXIT.badOptions;
      case 'unreachable':
        return EXIT.unreachable;
      case 'template':
      case 'vault':
      case 'run':
        return EXIT.error;
      case 'internal':
        return EXIT.unexpected;
    }
  }
  return EXIT.unexpected;
}

export function describeError(err: unknown, debug: boolean): string {
  if (err instanceof TsbookError) {
    const text = `ERROR! ${err.describe()}`;
    return debug && err.stack ? `${text}\n${err.stack}` : text;
  }
  const message = err instanceof Error ? err.message : String(err);
  const text = `ERROR! Unexpected error: ${message}`;
  return debug && err instanceof Error && err.stack ? `${text}\n${err.stack}` : `${text}\n(run with --debug for a stack trace)`;
}
