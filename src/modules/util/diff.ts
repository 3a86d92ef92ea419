import { pyJson } from '../../util/pyjson.js';
import type { FileDiff } from '../types.js';

/** Python's json.dumps(value, indent=4, sort_keys=True) + '\n', as Ansible's callbacks show dict diffs. */
export function pythonJson(value: unknown): string {
  return `${pyJson(value, { indent: 4, sortKeys: true })}\n`;
}

/** A content diff for one file. */
export function contentDiff(before: string, after: string, beforeHeader?: string, afterHeader?: string): FileDiff {
  return {
    before,
    after,
    ...(beforeHeader !== undefined ? { before_header: beforeHeader } : {}),
    ...(afterHeader !== undefined ? { after_header: afterHeader } : {}),
  };
}

/** A state diff such as the file module's {before: {path, state}, after: {...}}, rendered as JSON text. */
export function dictDiff(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): FileDiff {
  return { before: pythonJson(before), after: pythonJson(after) };
}

/** The attribute diff that lineinfile/blockinfile return second: only when something changed. */
export function attributeDiff(path: string, before: Record<string, unknown>, after: Record<string, unknown>): FileDiff | undefined {
  if (Object.keys(before).length === 0 && Object.keys(after).length === 0) return undefined;
  return { before: pythonJson(before), after: pythonJson(after), before_header: `${path} (file attributes)`, after_header: `${path} (file attributes)` };
}
