import type { RunCliOptions } from './options.js';

/** Runs `tsbook run`; returns the exit code. Wired to the loader and engine as they land. */
export async function runCommand(_playbooks: readonly string[], _options: RunCliOptions): Promise<number> {
  process.stderr.write('tsbook run: the engine is being built\n');
  return 1;
}
