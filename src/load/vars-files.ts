import { readFileSync } from 'node:fs';
import { isMap } from 'yaml';
import { LoadError } from '../model/errors.js';
import type { Vars } from '../model/playbook.js';
import type { Source } from '../model/source.js';
import { errorAt, errorAtSource, readYamlFile, toValue, type YamlFile } from './yaml.js';

/** A LoadError at `source`, with a code frame when the referencing file can be read. */
export function errorAtReference(source: Source | undefined, message: string): LoadError {
  if (!source) return new LoadError(message);
  let text: string | undefined;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch {
    text = undefined;
  }
  return errorAtSource(text, source, message);
}

/** The mapping of a parsed vars file ({} when it is empty). */
export function varsOfYaml(file: YamlFile): Vars {
  const root = file.doc.contents;
  if (root === null || root === undefined) return {};
  const value = toValue(file, root);
  if (value === null) return {};
  if (!isMap(root)) {
    throw errorAt(file, root, `vars file ${file.path} must contain a mapping of variables, got ${Array.isArray(value) ? 'a list' : `'${String(value)}'`}`);
  }
  return value as Vars;
}

/**
 * Loads a YAML or JSON vars file, which must hold a mapping. `source` is where the file was
 * referenced: a missing file is reported there.
 */
export async function loadVarsFile(path: string, source?: Source): Promise<Vars> {
  let file: YamlFile;
  try {
    file = await readYamlFile(path);
  } catch (err) {
    if (err instanceof LoadError && err.source === undefined) throw errorAtReference(source, err.message);
    throw err;
  }
  return varsOfYaml(file);
}
