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
