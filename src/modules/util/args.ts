import { ModuleFailure } from '../types.js';

type Args = Readonly<Record<string, unknown>>;

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Python type names, for Ansible-like conversion messages. */
function pyType(value: unknown): string {
  if (typeof value === 'string') return "<class 'str'>";
  if (typeof value === 'boolean') return "<class 'bool'>";
  if (typeof value === 'number') return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  if (Array.isArray(value)) return "<class 'list'>";
  return "<class 'dict'>";
}

/** Ansible's `boolean()` conversion; undefined for values it rejects. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return undefined;
}

/** The first of `keys` (an option and its aliases) that is set (null counts as unset). */
export function pick(args: Args, ...keys: string[]): unknown {
  for (const key of keys) {
    const value = args[key];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** A `str` option: scalars are converted as Ansible does; lists/dicts fail the task. */
export function argString(args: Args, key: string, ...aliases: string[]): string | undefined {
  const value = pick(args, key, ...aliases);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  throw new ModuleFailure(`argument '${key}' is of type ${pyType(value)} and we were unable to convert to str`);
}

/** A `bool` option. */
export function argBool(args: Args, key: string, fallback: boolean): boolean {
  const value = pick(args, key);
  if (value === undefined) return fallback;
  const b = toBoolean(value);
  if (b === undefined) {
    throw new ModuleFailure(
      `argument '${key}' is of type ${pyType(value)} and we were unable to convert to bool: The value '${String(value)}' is not a valid boolean.  Valid booleans include: 0, 'on', 'f', 'n', 't', 'y', 'true', 'off', 'no', 'false', 'yes', '1', 1`,
    );
  }
  return b;
}

/** An `int` option (floats are truncated, numeric strings accepted). */
export function argInt(args: Args, key: string): number | undefined {
  const value = pick(args, key);
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value)) return Math.trunc(Number(value));
  throw new ModuleFailure(`argument '${key}' is of type ${pyType(value)} and we were unable to convert to int: ${JSON.stringify(value)} cannot be converted to an int`);
}

/** A `list` of `str` option: a list, or a comma-separated string. */
export function argList(args: Args, key: string, ...aliases: string[]): string[] | undefined {
  const value = pick(args, key, ...aliases);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  if (typeof value === 'string') return value === '' ? [] : value.split(',').map((s) => s.trim());
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  throw new ModuleFailure(`argument '${key}' is of type ${pyType(value)} and we were unable to convert to list`);
}

/** Ansible's `isidentifier`: a valid Python identifier that is not a keyword. */
const PY_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield',
]);
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name);
}

export function invalidVariableName(name: string): string {
  return `The variable name '${name}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.`;
}
