import { DEFAULT_MAX_OUTPUT_BYTES, type OutputTruncation } from '../../connection/output-cap.js';

/** Python's str.splitlines(): splits on every line boundary and drops the final empty piece. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** `stdout`, `stdout_lines`, `stderr`, `stderr_lines` as Ansible's action layer adds them. */
export function outputValues(stdout: string, stderr: string): { stdout: string; stdout_lines: string[]; stderr: string; stderr_lines: string[] } {
  return { stdout, stdout_lines: splitLines(stdout), stderr, stderr_lines: splitLines(stderr) };
}

/**
 * What a command module reports when the connection kept only the first part of a stream
 * (ExecOptions.maxOutputBytes, 10 MiB by default): `stdout_truncated: true` / `stderr_truncated: true`
 * in the registered result, and a warning with the real size.
 */
export function truncationNotes(truncated: OutputTruncation | undefined, kept = DEFAULT_MAX_OUTPUT_BYTES): { values: Record<string, true>; warnings: string[] } {
  const values: Record<string, true> = {};
  const warnings: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const total = truncated?.[stream];
    if (total === undefined) continue;
    values[`${stream}_truncated`] = true;
    warnings.push(`${stream} was truncated: the command wrote ${total.toLocaleString('en-US')} bytes, only the first ${kept.toLocaleString('en-US')} are kept`);
  }
  return { values, warnings };
}
