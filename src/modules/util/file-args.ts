import { ModuleFailure } from '../types.js';

/** Ansible's boolean conversion for module arguments (yes/no/true/false/on/off/1/0). */
export function toBool(value: unknown, fallback = false): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  const s = String(value).trim().toLowerCase();
  if (['yes', 'on', '1', 'true', 't', 'y'].includes(s)) return true;
  if (['no', 'off', '0', 'false', 'f', 'n', ''].includes(s)) return false;
  throw new ModuleFailure(`The value '${String(value)}' is not a valid boolean.`);
}

/** The first of several alias arguments that is set (e.g. file's path/dest/name). */
export function firstOf<T>(...values: readonly (T | undefined | null)[]): T | undefined {
  for (const v of values) if (v !== undefined && v !== null) return v;
  return undefined;
}

/** A string argument given as a string or number (YAML may read `mode: 644` as a number). */
export function optString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

/** Fails like Ansible's mutually_exclusive check. */
export function mutuallyExclusive(args: Readonly<Record<string, unknown>>, ...names: string[]): void {
  const set = names.filter((n) => args[n] !== undefined && args[n] !== null);
  if (set.length > 1) throw new ModuleFailure(`parameters are mutually exclusive: ${names.join('|')}`);
}

/** A list argument given as a list or a comma-separated string. */
export function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return String(value).split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** dirname of a host path (always POSIX; trailing slashes ignored). */
export function dirName(path: string): string {
  const stripped = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const i = stripped.lastIndexOf('/');
  if (i < 0) return '';
  if (i === 0) return '/';
  return stripped.slice(0, i);
}

export function baseName(path: string): string {
  const stripped = path.replace(/\/+$/, '');
  return stripped.slice(stripped.lastIndexOf('/') + 1);
}

/** os.path.join for two host path parts. */
export function joinPath(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  if (a === '') return b;
  return a.endsWith('/') ? a + b : `${a}/${b}`;
}

/** A required argument (the schema requires it; this guards direct calls) — Ansible's message when missing. */
export function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null) throw new ModuleFailure(`missing required arguments: ${name}`);
  return value;
}
