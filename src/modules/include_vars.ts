import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { TsbookError } from '../model/errors.js';
import { parseYaml, toValue } from '../load/yaml.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argInt, argString, toBoolean } from './util/args.js';

const DIR_ARGS = ['dir', 'depth', 'files_matching', 'ignore_files', 'extensions', 'ignore_unknown_extensions'];
const FILE_ARGS = ['file', '_raw_params'];
const DEFAULT_EXTENSIONS = ['yaml', 'yml', 'json'];

type Loaded = { ok: true; vars: Record<string, unknown> } | { ok: false; message: string };

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Loads one vars file: a mapping, or empty. */
export async function loadVarsFile(path: string): Promise<Loaded> {
  const text = await readFile(path, 'utf8');
  const file = parseYaml(path, text);
  const data = toValue(file, file.doc.contents as Parameters<typeof toValue>[1]);
  if (data === null || data === undefined || data === '' || (Array.isArray(data) && data.length === 0)) return { ok: true, vars: {} };
  if (!isMapping(data)) return { ok: false, message: `${path} must be stored as a dictionary/hash` };
  return { ok: true, vars: data };
}

/** Python-style recursive merge (Ansible's combine_vars with merge=True). */
function mergeHashes(a: unknown, b: unknown): unknown {
  if (!isMapping(a) || !isMapping(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeHashes(out[k], v) : v;
  return out;
}

/** Directories under `root` (root first) in os.walk order sorted by path, each with its sorted file names. */
async function sortedWalk(root: string): Promise<{ dir: string; files: string[] }[]> {
  const out: { dir: string; files: string[] }[] = [];
  const visit = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    out.push({ dir, files: entries.filter((e) => !e.isDirectory()).map((e) => e.name).sort() });
    for (const e of entries.filter((e) => e.isDirectory())) await visit(join(dir, e.name));
  };
  await visit(root);
  return out.sort((x, y) => (x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0));
}

async function resolveDir(dir: string, ctx: ModuleContext): Promise<string> {
  if (isAbsolute(dir)) return dir;
  try {
    return await ctx.findLocalFile(dir, 'vars');
  } catch {
    return join(dirname(ctx.source.file), dir);
  }
}

async function isDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof TsbookError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

export const includeVarsModule: Module = {
  name: 'include_vars',
  description: 'Loads variables from a YAML/JSON file or a directory of them on the controller, at include_vars precedence.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: {
        type: 'string',
        description: 'The vars file (looked up in the role\'s vars/ and the playbook directory). Usually given free form: `include_vars: myvars.yml`.',
      },
      _raw_params: { type: 'string', description: 'The free-form file name.' },
      dir: { type: 'string', description: 'A directory whose files are all loaded, in alphabetical order. Cannot be used with `file`.' },
      name: { type: 'string', description: 'Put all loaded variables under this one variable instead of at the top level.' },
      depth: { type: 'integer', default: 0, description: 'With `dir`: how many directory levels to read (0 = unlimited).' },
      files_matching: { type: 'string', description: 'With `dir`: only load files whose name matches this regular expression.' },
      ignore_files: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'With `dir`: file names (regular expressions) to skip.',
      },
      extensions: { type: 'array', items: { type: 'string' }, default: DEFAULT_EXTENSIONS, description: 'With `dir`: the file extensions to load.' },
      ignore_unknown_extensions: {
        type: 'boolean',
        default: false,
        description: 'With `dir`: skip files with other extensions instead of failing.',
      },
      hash_behaviour: {
        type: 'string',
        enum: ['replace', 'merge'],
        description: 'Whether mappings replace (default) or are merged into existing variables of the same name.',
      },
    },
  },
  freeForm: { arg: 'file', required: false },
  checkMode: 'full',
  controllerOnly: true,
  async run(args, ctx): Promise<ModuleResult> {
    const keys = Object.keys(args).filter((k) => args[k] !== undefined);
    const dirs = keys.filter((k) => DIR_ARGS.includes(k)).length;
    const files = keys.filter((k) => FILE_ARGS.includes(k)).length;
    if (dirs && files) throw new ModuleFailure('You are mixing file only and dir only arguments, these are incompatible');

    const included: string[] = [];
    let results: Record<string, unknown> = {};
    let failure: string | undefined;
    const dir = argString(args, 'dir');

    try {
      if (dir !== undefined) {
        const sourceDir = await resolveDir(dir, ctx);
        const depth = argInt(args, 'depth') ?? 0;
        const matching = argString(args, 'files_matching');
        const matcher = matching ? new RegExp(matching) : undefined;
        const ignoreArg = args['ignore_files'];
        const ignore = Array.isArray(ignoreArg) ? ignoreArg.map(String) : typeof ignoreArg === 'string' ? ignoreArg.split(/\s+/).filter(Boolean) : [];
        const extensions = Array.isArray(args['extensions']) ? (args['extensions'] as unknown[]).map(String) : DEFAULT_EXTENSIONS;
        const ignoreUnknown = toBoolean(args['ignore_unknown_extensions']) ?? false;
        const kind = await isDirectory(sourceDir);
        if (kind === undefined) failure = `${sourceDir} directory does not exist`;
        else if (!kind) failure = `${sourceDir} is not a directory`;
        else {
          const walk = await sortedWalk(sourceDir);
          walkLoop: for (const [index, { dir: root, files: names }] of walk.entries()) {
            if (depth !== 0 && index + 1 > depth) break;
            for (const name of names) {
              if (matcher && !matcher.test(name)) continue;
              if (ignore.some((re) => new RegExp(`${re}$`).test(name))) continue;
              const validExt = extensions.includes(extname(name).slice(1));
              if (ignoreUnknown && !validExt) continue;
              const path = join(root, name);
              if (!validExt) {
                failure = `${path} does not have a valid extension: ${extensions.join(', ')}`;
                break walkLoop;
              }
              const loaded = await loadVarsFile(path);
              if (!loaded.ok) {
                failure = loaded.message;
                break walkLoop;
              }
              included.push(path);
              Object.assign(results, loaded.vars);
            }
          }
        }
      } else {
        const file = (argString(args, 'file') ?? argString(args, '_raw_params') ?? '').replace(/\n+$/, '');
        if (file === '') throw new ModuleFailure('include_vars: no file or dir given');
        const path = await ctx.findLocalFile(file, 'vars');
        const loaded = await loadVarsFile(path);
        if (!loaded.ok) failure = loaded.message;
        else {
          included.push(path);
          results = { ...loaded.vars };
        }
      }
    } catch (err) {
      if (err instanceof ModuleFailure) throw err;
      failure = errorMessage(err);
    }

    const name = argString(args, 'name');
    if (name !== undefined) results = { [name]: results };
    if (failure !== undefined) {
      return { changed: false, failed: true, values: { message: failure, ansible_included_var_files: included, ansible_facts: results } };
    }
    if (argString(args, 'hash_behaviour') === 'merge') {
      for (const [k, v] of Object.entries(results)) {
        const old = ctx.lookupVar(k);
        if (old.defined) results[k] = mergeHashes(old.value, v);
      }
    }
    return { changed: false, facts: results, values: { ansible_included_var_files: included, ansible_facts: results } };
  },
};
