import { isAbsolute, resolve } from 'node:path';
import { LoadError, UsageError } from '../model/errors.js';
import type { Vars } from '../model/playbook.js';
import { ArgsSyntaxError, parseKv } from './module-args.js';
import { loadVarsFile } from './vars-files.js';
import { parseYaml, toValue } from './yaml.js';

/**
 * Parses `-e` values in order, later ones winning (top-level keys replaced, as Ansible's
 * combine_vars does with the default hash_behaviour): `k=v k2=v2`, JSON/YAML mapping text, `@file`.
 */
export async function parseExtraVars(values: readonly string[], cwd: string): Promise<Vars> {
  let merged: Record<string, unknown> = {};
  for (const raw of values) merged = { ...merged, ...(await parseOne(raw, cwd)) };
  return merged;
}

async function parseOne(raw: string, cwd: string): Promise<Vars> {
  const text = raw.trim();
  if (text === '') return {};
  if (text.startsWith('@')) {
    const name = text.slice(1);
    if (name === '') throw new UsageError('extra vars: a file name is required after @');
    return loadVarsFile(isAbsolute(name) ? name : resolve(cwd, name));
  }
  if (text.startsWith('/') || text.startsWith('.')) throw new UsageError(`Please prepend extra_vars filename '${text}' with '@'`);
  if (text.startsWith('{') || text.startsWith('[')) {
    let value: unknown;
    try {
      const file = parseYaml('<extra vars>', text);
      value = toValue(file, file.doc.contents as never);
    } catch (err) {
      if (err instanceof LoadError) throw new UsageError(`invalid extra vars '${raw}': ${err.message}`);
      throw err;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`extra vars must be a mapping: ${raw}`);
    return value as Vars;
  }
  try {
    const { options, raw: rest } = parseKv(text);
    if (rest !== undefined) throw new UsageError(`invalid extra vars '${raw}': expected key=value pairs, JSON/YAML or @file`);
    return options;
  } catch (err) {
    if (err instanceof ArgsSyntaxError) throw new UsageError(`invalid extra vars '${raw}': ${err.message}`);
    throw err;
  }
}
