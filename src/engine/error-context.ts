import { readFileSync } from 'node:fs';
import type { Source } from '../model/source.js';

// The texts of ansible/errors/yaml_strings.py, which AnsibleError appends to task errors.
const POSITION = (file: string, line: number, col: number) =>
  `The error appears to be in '${file}': line ${line}, column ${col}, but may\nbe elsewhere in the file depending on the exact syntax problem.\n`;

const SHORTHAND = "There appears to be both 'k=v' shorthand syntax and YAML in this task. Only one syntax may be used.\n";

const LEADING_TAB = `There appears to be a tab character at the start of the line.

YAML does not use tabs for formatting. Tabs should be replaced with spaces.

For example:
    - name: update tooling
      vars:
        version: 1.2.3
#    ^--- there is a tab there.

Should be written as:
    - name: update tooling
      vars:
        version: 1.2.3
# ^--- all spaces here.
`;

const UNQUOTED_VARIABLE = `We could be wrong, but this one looks like it might be an issue with
missing quotes. Always quote template expression brackets when they
start a value. For instance:

    with_items:
      - {{ foo }}

Should be written as:

    with_items:
      - "{{ foo }}"
`;

const DICT = `This one looks easy to fix. YAML thought it was looking for the start of a
hash/dictionary and was confused to see a second "{". Most likely this was
meant to be an ansible template evaluation instead, so we have to give the
parser a small hint that we wanted a string instead. The solution here is to
just quote the entire value.

For instance, if the original line was:

    app_path: {{ base_path }}/foo

It should be written as:

    app_path: "{{ base_path }}/foo"
`;

const UNQUOTED_COLON = `This one looks easy to fix. There seems to be an extra unquoted colon in the line
and this is confusing the parser. It was only expecting to find one free
colon. The solution is just add some quotes around the colon, or quote the
entire line after the first colon.

For instance, if the original line was:

    copy: src=file.txt dest=/path/filename:with_colon.txt

It can be written as:

    copy: src=file.txt dest='/path/filename:with_colon.txt'

Or:

    copy: 'src=file.txt dest=/path/filename:with_colon.txt'
`;

const PARTIALLY_QUOTED = `This one looks easy to fix. It seems that there is a value started
with a quote, and the YAML parser is expecting to see the line ended
with the same kind of quote. For instance:

    when: "ok" in result.stdout

Could be written as:

   when: '"ok" in result.stdout'

Or equivalently:

   when: "'ok' in result.stdout"
`;

const UNBALANCED = `We could be wrong, but this one looks like it might be an issue with
unbalanced quotes. If starting a value with a quote, make sure the
line ends with the same set of quotes. For instance this arbitrary
example:

    foo: "bad" "wolf"

Could be written as:

    foo: '"bad" "wolf"'
`;

const fileCache = new Map<string, string[] | null>();

function fileLines(file: string): string[] | null {
  if (!fileCache.has(file)) {
    let lines: string[] | null;
    try {
      lines = readFileSync(file, 'utf8').split(/(?<=\n)/);
    } catch {
      lines = null;
    }
    if (fileCache.size > 200) fileCache.clear();
    fileCache.set(file, lines);
  }
  return fileCache.get(file) ?? null;
}

/** AnsibleError._get_extended_error: where the error is, the offending lines, and a hint. */
export function extendedError(source: Source): string {
  let message = POSITION(source.file, source.line, source.col);
  const lines = fileLines(source.file);
  if (!lines) return `${message}\n(could not open file to display line)`;
  if (lines.length === 0) return `${message}\n(specified line no longer in file, maybe it changed?)`;
  let n = Math.min(source.line - 1, lines.length - 1);
  let target = lines[n] ?? '';
  while (target.trim() === '' && n > 0) {
    n--;
    target = lines[n] ?? '';
  }
  const prev = n > 0 ? (lines[n - 1] ?? '') : '';
  if (!target) return message;
  const stripped = target.replace(/ /g, '');
  if (/\w+(\s+)?=(\s+)?[\w/-]+/.test(prev)) {
    const position = prev.trimEnd().indexOf('=');
    message = POSITION(source.file, source.line - 1, position + 1);
    message += `\nThe offending line appears to be:\n\n${prev.trimEnd()}\n${' '.repeat(Math.max(0, position))}^ here\n\n`;
    message += SHORTHAND;
  } else {
    message += `\nThe offending line appears to be:\n\n${prev.trimEnd()}\n${target.trimEnd()}\n${' '.repeat(Math.max(0, source.col - 1))}^ here\n`;
  }
  if (target.includes('\t')) message += LEADING_TAB;
  const col = source.col;
  if (target.includes('{{') && target.includes('}}') && (!target.includes('"{{') || !target.includes("'{{"))) {
    message += UNQUOTED_VARIABLE;
  } else if (stripped.includes(':{{') && stripped.includes('}}')) {
    message += DICT;
  } else if (target.length > 1 && target.length > col && target[col] === ':' && target.split(':').length - 1 > 1) {
    message += UNQUOTED_COLON;
  } else {
    const parts = target.split(':');
    if (parts.length > 1) {
      const middle = parts[1]!.trim();
      const match = (middle.startsWith("'") && !middle.endsWith("'")) || (middle.startsWith('"') && !middle.endsWith('"'));
      const unbalanced =
        (middle.length > 0 && ['"', "'"].includes(middle[0]!) && ['"', "'"].includes(middle[middle.length - 1]!) && target.split("'").length - 1 > 2) ||
        target.split('"').length - 1 > 2;
      if (match) message += PARTIALLY_QUOTED;
      if (unbalanced) message += UNBALANCED;
    }
  }
  return message;
}

/** `message` as AnsibleError(message, obj=task) renders it. */
export function withTaskContext(message: string, source: Source): string {
  return `${message}\n\n${extendedError(source)}`;
}
