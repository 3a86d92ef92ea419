import type { ChalkInstance } from 'chalk';
import { splitLinesKeepEnds, unifiedDiff } from '../util/difflib.js';

export interface DisplayDiff {
  readonly before: string;
  readonly after: string;
  readonly before_header?: string;
  readonly after_header?: string;
}

function withNoNewlineMarker(lines: string[]): string[] {
  const last = lines[lines.length - 1];
  if (last !== undefined && !last.endsWith('\n')) lines[lines.length - 1] = `${last}\n\\ No newline at end of file\n`;
  return lines;
}

/** The default callback's _get_diff: a unified diff per file, colored like Ansible's. */
export function renderDiffs(diffs: readonly DisplayDiff[], c: ChalkInstance): string {
  const out: string[] = [];
  for (const diff of diffs) {
    const before = withNoNewlineMarker(splitLinesKeepEnds(diff.before));
    const after = withNoNewlineMarker(splitLinesKeepEnds(diff.after));
    const lines = unifiedDiff(
      before,
      after,
      diff.before_header !== undefined ? `before: ${diff.before_header}` : 'before',
      diff.after_header !== undefined ? `after: ${diff.after_header}` : 'after',
    );
    for (const line of lines) {
      if (line.startsWith('+')) out.push(c.green(line));
      else if (line.startsWith('-')) out.push(c.red(line));
      else if (line.startsWith('@@')) out.push(c.cyan(line));
      else out.push(line);
    }
    if (lines.length > 0) out.push('\n');
  }
  return out.join('');
}
