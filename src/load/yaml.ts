import { readFile } from 'node:fs/promises';
import { Document, visit, isMap, isSeq, isScalar, isPair, LineCounter, parseDocument, parseAllDocuments, Scalar, type Node, type ScalarTag, type Pair } from 'yaml';
import { LoadError } from '../model/errors.js';
import type { Source } from '../model/source.js';
import { UnsafeText, VaultText } from '../model/values.js';
import { decryptTextIfVaulted } from './vault-hook.js';

/** A parsed YAML file with everything needed to turn node ranges into `file:line:col`. */
export interface YamlFile {
  readonly path: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The file was vault-encrypted (decrypted in memory): errors show no code frame, as Ansible hides its content. */
  readonly vaulted?: boolean;
}

const BOOL_TAG = 'tag:yaml.org,2002:bool';

/** PyYAML's YAML 1.1 booleans: unlike the yaml package's 1.1 schema, `y` and `n` stay strings. */
const pyYamlBools: ScalarTag[] = [
  { tag: BOOL_TAG, default: true, identify: (v: unknown) => v === true, test: /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/, resolve: () => true },
  { tag: BOOL_TAG, default: true, identify: (v: unknown) => v === false, test: /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/, resolve: () => false },
];

/** PyYAML's exponent floats need a dot and a signed exponent: `1e3` and `1.0e3` stay strings. */
const pyYamlExpFloat: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  format: 'EXP',
  identify: (v: unknown) => typeof v === 'number',
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/,
  resolve: (str: string) => parseFloat(str.replace(/_/g, '')),
};

function isReplaced(tag: Tags[number]): boolean {
  if (typeof tag === 'string') return false;
  return tag.tag === BOOL_TAG || (tag.tag === 'tag:yaml.org,2002:float' && (tag as ScalarTag).format === 'EXP');
}

function customTags(file: string): (tags: Tags) => Tags {
  return (tags) => [...pyYamlTags(tags), ...ansibleTags(file)];
}

type Tags = Parameters<Extract<NonNullable<import('yaml').SchemaOptions['customTags']>, (...a: never[]) => unknown>>[0];

/** The yaml package's YAML 1.1 tags with PyYAML's booleans and exponent floats (for `customTags`). */
export function pyYamlTags(tags: Tags): Tags {
  return [...pyYamlBools, pyYamlExpFloat, ...tags.filter((t) => !isReplaced(t))];
}

function ansibleTags(file: string): ScalarTag[] {
  return [
    {
      tag: '!unsafe',
      identify: (v: unknown) => v instanceof UnsafeText,
      resolve: (str: string) => new UnsafeText(str),
    },
    {
      tag: '!vault',
      identify: (v: unknown) => v instanceof VaultText,
      resolve: (str: string) => new VaultText(str, file),
    },
  ];
}

/** 1-3 lines of `text` around `line` with a caret under `col`. */
export function codeFrame(text: string, line: number, col: number): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  const width = String(line + 1).length;
  for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line + 1); n++) {
    if (n > line && out.length >= 2) break;
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  }
  return out.join('\n');
}

export function sourceAt(file: YamlFile, offset: number): Source {
  const pos = file.lineCounter.linePos(offset);
  return { file: file.path, line: pos.line, col: pos.col };
}

/** The source of a node (its first character), or of the document start when it has no range. */
export function sourceOf(file: YamlFile, node: Node | Pair | null | undefined): Source {
  let offset = 0;
  if (node && isPair(node)) {
    const key = node.key as Node | null;
    offset = key?.range?.[0] ?? (node.value as Node | null)?.range?.[0] ?? 0;
  } else if (node?.range) {
    offset = node.range[0];
  }
  return sourceAt(file, offset);
}

/** A LoadError pointing at `node`, with a code frame. */
export function errorAt(file: YamlFile, node: Node | Pair | null | undefined, message: string): LoadError {
  const source = sourceOf(file, node);
  return new LoadError(message, { source, frame: file.vaulted ? undefined : codeFrame(file.text, source.line, source.col) });
}

export function errorAtSource(text: string | undefined, source: Source, message: string): LoadError {
  return new LoadError(message, { source, frame: text === undefined ? undefined : codeFrame(text, source.line, source.col) });
}

function firstYamlError(path: string, text: string | undefined, lineCounter: LineCounter, errors: readonly { message: string; pos: [number, number]; code: string }[]): LoadError {
  const err = errors[0]!;
  const pos = lineCounter.linePos(err.pos[0]);
  const source = { file: path, line: pos.line, col: pos.col };
  let message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (/Maximum call stack size exceeded/.test(message)) message = 'YAML syntax error: the document is nested too deeply to load';
  else if (err.code === 'DUPLICATE_KEY') message = `duplicate key: ${message.replace(/^Map keys must be unique;?\s*/, '') || 'map keys must be unique'}`;
  else message = `YAML syntax error: ${message}`;
  return new LoadError(message, { source, frame: text === undefined ? undefined : codeFrame(text, source.line, source.col) });
}

/** Parses YAML text the way Ansible (PyYAML, YAML 1.1) reads it, failing on syntax errors and duplicate keys. */
export function parseYaml(path: string, rawText: string): YamlFile {
  const { text, vaulted } = decryptTextIfVaulted(rawText, path);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.1',
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    customTags: customTags(path),
    keepSourceTokens: false,
  });
  if (doc.errors.length > 0) throw firstYamlError(path, vaulted ? undefined : text, lineCounter, doc.errors);
  const unhashable = collectionKey(doc);
  if (unhashable) {
    const source = sourceAt({ path, text, doc, lineCounter }, unhashable.range?.[0] ?? 0);
    const type = isMap(unhashable) ? 'AnsibleMapping' : 'AnsibleSequence';
    throw new LoadError(`YAML syntax error: found unacceptable key (unhashable type: '${type}')`, { source, frame: vaulted ? undefined : codeFrame(text, source.line, source.col) });
  }
  return vaulted ? { path, text, doc, lineCounter, vaulted } : { path, text, doc, lineCounter };
}

/** The first mapping key that is itself a mapping or a list (PyYAML cannot hash it; JS would stringify it). */
function collectionKey(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Pair: (_key, pair) => {
      if (isMap(pair.key) || isSeq(pair.key)) {
        found = pair.key;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Like parseYaml for files that may hold several documents; only the first is used, as Ansible does for vars. */
export function countDocuments(text: string): number {
  return parseAllDocuments(text).length;
}

export async function readYamlFile(path: string, reference?: { file?: YamlFile; node?: Node | Pair | null; source?: Source }): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    const message = `could not read ${path}: ${reason}`;
    if (reference?.file) throw errorAt(reference.file, reference.node, message);
    if (reference?.source) throw new LoadError(message, { source: reference.source });
    throw new LoadError(message);
  }
  return parseYaml(path, text);
}

/** Plain JS value of a node, with YAML 1.1 semantics and the custom tags kept as their classes. */
export function toValue(file: YamlFile, node: Node | null | undefined): unknown {
  if (node == null) return null;
  try {
    return node.toJS(file.doc, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package throws a bare ReferenceError for an alias it cannot resolve (`x: *x`, a name
    // never anchored) and for alias expansion past the limit (billion laughs).
    if (err instanceof ReferenceError) throw aliasError(file, node, err.message);
    if (err instanceof Error && /^Merge sources must be/.test(err.message)) throw errorAt(file, mergeKey(node) ?? node, 'expected a mapping or list of mappings for merging');
    throw err;
  }
}

/** Aliases one value may expand (the yaml package's resource-exhaustion guard). */
export const MAX_ALIAS_COUNT = 1000;

/** The first `<<` merge key inside `node`. */
function mergeKey(node: Node): Node | undefined {
  let found: Node | undefined;
  visit(node, {
    Pair: (_key, pair) => {
      if (isScalar(pair.key) && pair.key.value === '<<') {
        found = pair.key;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function aliasError(file: YamlFile, node: Node, message: string): LoadError {
  const unresolved = /^Unresolved alias \(the anchor must be set before the alias\): (.*)$/.exec(message);
  let at: Node = node;
  visit(node, {
    Alias: (_key, alias) => {
      if (unresolved && alias.source !== unresolved[1]) return undefined;
      at = alias;
      return visit.BREAK;
    },
  });
  if (unresolved) return errorAt(file, at, `found undefined alias '${unresolved[1]}' (an alias must refer to an anchor defined before it, outside itself)`);
  return errorAt(file, at, `too many YAML aliases: expanding this value needs more than ${MAX_ALIAS_COUNT} (a "billion laughs" document?)`);
}

/**
 * Finds the node at an ajv `instancePath` (`/0/tasks/3/copy`), walking up to the deepest node that
 * exists. `pointAtKey` returns the pair's key (for additionalProperties errors).
 */
export function nodeAtPath(root: Node | null | undefined, instancePath: string, extraKey?: string): Node | Pair | null {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let current: Node | Pair | null = root ?? null;
  const walk = [...segments, ...(extraKey !== undefined ? [extraKey] : [])];
  for (let i = 0; i < walk.length; i++) {
    const seg = walk[i]!;
    const node: Node | null = current && isPair(current) ? (current.value as Node | null) : (current as Node | null);
    if (isMap(node)) {
      const pair: Pair | undefined = node.items.find((p) => isScalar(p.key) ? String((p.key as Scalar).value) === seg : false);
      if (!pair) return node;
      current = i === walk.length - 1 && extraKey !== undefined ? pair : (pair.value as Node | null) ?? pair;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) return node;
      current = item;
    } else {
      return node;
    }
  }
  return current;
}
