/**
 * `tsbook inventory add|remove`: edits the text of a YAML or INI inventory, text in -> text out.
 *
 * The YAML side finds nodes with the `yaml` Document API (ranges on every node) but splices the new
 * lines into the original text instead of calling `doc.toString()`: toString normalizes flow
 * collections (`[a, b]` -> `[ a, b ]`) and numbers (`0755` -> `755`), so it is not byte-identical
 * on real inventories. Splicing leaves every byte outside the change as it was.
 */
import { isMap, isScalar, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { UsageError } from '../model/errors.js';
import { parseAddress } from './inventory-address.js';

export type InventoryFormat = 'yaml' | 'ini';

export interface AddHostEdit {
  readonly host: string;
  readonly group: string;
  /** `--var k=v` pairs in order; values are written as typed (YAML or INI value syntax). */
  readonly vars?: ReadonlyArray<readonly [string, string]>;
}

export interface RemoveHostEdit {
  readonly host: string;
  /** Only this group; undefined: every group that lists the host. */
  readonly group?: string;
}

const GROUP_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The format `path` is edited as: .yaml/.yml as YAML, no extension as YAML when the text is a mapping, else INI. */
export function inventoryFormatOf(path: string, text: string): InventoryFormat {
  const ext = /\.[^./]*$/.exec(path)?.[0]?.toLowerCase();
  if (ext === '.json') throw new UsageError(`${path}: JSON inventories cannot be edited; convert it to YAML or edit it by hand`);
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext !== undefined) return 'ini';
  const doc = parseDocument(text);
  return doc.errors.length === 0 && isMap(doc.contents) ? 'yaml' : 'ini';
}

/** `k=v` -> [k, v]; throws UsageError for anything else. */
export function parseVarAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !VAR_RE.test(key)) throw new UsageError(`--var '${text}': expected NAME=VALUE with NAME a valid variable name`);
  return [key, text.slice(eq + 1)];
}

function checkNames(host: string, group: string | undefined): void {
  let parsed;
  try {
    parsed = parseAddress(host, false);
  } catch {
    throw new UsageError(`'${host}' is not a valid host name`);
  }
  if (parsed.port !== undefined || parsed.host !== host) throw new UsageError(`'${host}' is not a valid host name (give a port as --var ansible_port=N)`);
  if (group !== undefined && !GROUP_RE.test(group)) throw new UsageError(`'${group}' is not a valid group name (letters, digits and underscores, not starting with a digit)`);
}

/** Adds `edit.host` to `edit.group` (created when missing). Throws UsageError when the host is already listed there. */
export function addHostToInventory(text: string, format: InventoryFormat, edit: AddHostEdit): string {
  checkNames(edit.host, edit.group);
  for (const [key] of edit.vars ?? []) if (!VAR_RE.test(key)) throw new UsageError(`'${key}' is not a valid variable name`);
  return format === 'yaml' ? yamlAdd(text, edit) : iniAdd(text, edit);
}

/** Removes `edit.host` from `edit.group` (or from every group). Throws UsageError when it is not listed there. */
export function removeHostFromInventory(text: string, format: InventoryFormat, edit: RemoveHostEdit): string {
  checkNames(edit.host, edit.group);
  return format === 'yaml' ? yamlRemove(text, edit) : iniRemove(text, edit);
}

function alreadyListed(host: string, group: string): UsageError {
  return new UsageError(`host '${host}' is already in group '${group}'`);
}

function notListed(host: string, group: string | undefined): UsageError {
  return new UsageError(group === undefined ? `host '${host}' is not listed in this inventory` : `host '${host}' is not listed in group '${group}'`);
}

// ---------------------------------------------------------------------------------------------
// Text helpers

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Offset of the end of the line holding `offset` (before its line break). */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const end = nl < 0 ? text.length : nl;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

// ---------------------------------------------------------------------------------------------
// YAML

interface GroupSite {
  /** The pair `name: {...}` of the group. */
  readonly pair: Pair<Node, Node | null>;
  /** Its mapping, or null when the group is written with an empty value (`pis:`). */
  readonly map: YAMLMap<Node, Node | null> | null;
}

function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function pairOf(map: YAMLMap | null, key: string): Pair<Node, Node | null> | undefined {
  return map?.items.find((p) => keyName(p) === key) as Pair<Node, Node | null> | undefined;
}

function asMap(node: Node | null | undefined): YAMLMap<Node, Node | null> | null {
  return isMap(node) ? (node as YAMLMap<Node, Node | null>) : null;
}

/** Every place a group is written: top-level keys, then `children:` recursively, in document order. */
function groupSites(doc: Document): GroupSite[] {
  const sites: GroupSite[] = [];
  const visit = (pairs: readonly Pair[]): void => {
    for (const pair of pairs as Array<Pair<Node, Node | null>>) {
      if (keyName(pair) === undefined) continue;
      const map = asMap(pair.value);
      sites.push({ pair, map });
      const children = asMap(pairOf(map, 'children')?.value);
      if (children) visit(children.items);
    }
  };
  const root = asMap(doc.contents as Node | null);
  if (root) visit(root.items);
  return sites;
}

function parseInventoryYaml(text: string): Document {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new UsageError(`the inventory is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new UsageError('the inventory is not a YAML mapping of groups');
  return doc;
}

/** The indentation step used in the file (the first nested block mapping), default 2. */
function indentStep(text: string, doc: Document): number {
  const root = asMap(doc.contents as Node | null);
  for (const pair of root?.items ?? []) {
    const inner = asMap(pair.value);
    const first = inner?.items[0]?.key as Node | undefined;
    if (inner && !inner.flow && first?.range && (pair.key as Node).range) {
      const step = columnOf(text, first.range[0]) - columnOf(text, (pair.key as Node).range![0]);
      if (step > 0) return step;
    }
  }
  return 2;
}

const PLAIN_SAFE = /^[A-Za-z0-9_./+~$()=-][^#:{}[\],&*!|>'"%@`]*$/;

/** A var value as YAML text: as typed when it is a plain scalar, else double-quoted. */
function yamlScalar(value: string, inFlow: boolean): string {
  if (value === '') return '""';
  const plain = PLAIN_SAFE.test(value) && !/\s$/.test(value) && !(inFlow && /[,{}[\]]/.test(value));
  return plain ? value : JSON.stringify(value);
}

/** `HOST:` plus its vars, in the style of the previous host entry (flow `{ k: v }` or block). */
function hostEntryLines(edit: AddHostEdit, sibling: Pair<Node, Node | null> | undefined, text: string, step: number): string[] {
  const vars = edit.vars ?? [];
  if (vars.length === 0) return [`${edit.host}:`];
  const siblingValue = asMap(sibling?.value);
  if (siblingValue?.flow) {
    const open = siblingValue.range ? text.slice(siblingValue.range[0], siblingValue.range[0] + 2) : '{ ';
    const pad = open === '{ ' ? ' ' : '';
    return [`${edit.host}: {${pad}${vars.map(([k, v]) => `${k}: ${yamlScalar(v, true)}`).join(', ')}${pad}}`];
  }
  return [`${edit.host}:`, ...vars.map(([k, v]) => `${' '.repeat(step)}${k}: ${yamlScalar(v, false)}`)];
}

/** Inserts `lines` (the first at `indent`, the rest relative to it) as the last entry of a block mapping. */
function appendToBlockMap(text: string, map: YAMLMap, lines: readonly string[]): string {
  const last = map.items[map.items.length - 1]!;
  const firstKey = map.items[0]!.key as Node;
  const indent = columnOf(text, firstKey.range![0]);
  const lastNode = (last.value as Node | null)?.range ? (last.value as Node) : (last.key as Node);
  const at = lineEnd(text, Math.max(lastNode.range![1] - 1, lastNode.range![0]));
  const eol = eolOf(text);
  return splice(text, at, at, lines.map((l) => eol + ' '.repeat(indent) + l).join(''));
}

/** Inserts `lines` as the value of `pair` whose value is empty/null (`hosts:` or `pis:`). */
function fillEmptyValue(text: string, pair: Pair<Node, Node | null>, lines: readonly string[], step: number): string {
  const key = pair.key.range!;
  const indent = columnOf(text, key[0]) + step;
  const eol = eolOf(text);
  const block = lines.map((l) => eol + ' '.repeat(indent) + l).join('');
  const value = pair.value;
  if (value?.range && value.range[1] > value.range[0]) {
    // `hosts: ~`, `hosts: null` or `hosts: {}`: replace the value text with the block.
    const colon = text.lastIndexOf(':', value.range[0]);
    return splice(text, colon + 1, value.range[1], block);
  }
  const at = lineEnd(text, key[1]);
  return splice(text, at, at, block);
}

/** Adds `key: ...` (lines) to a mapping that may be block, flow or empty. */
function addEntry(text: string, pair: Pair<Node, Node | null> | null, map: YAMLMap | null, lines: readonly string[], step: number, flowEntry: string): string {
  if (map && map.items.length > 0 && !map.flow) return appendToBlockMap(text, map, lines);
  if (map?.flow && map.range) {
    const close = text.lastIndexOf('}', map.range[1] - 1);
    const before = text.slice(map.range[0] + 1, close);
    const inner = before.trim() === '' ? flowEntry : `${before.trimEnd()}, ${flowEntry}${before.slice(before.trimEnd().length)}`;
    return splice(text, map.range[0] + 1, close, before.trim() === '' ? ` ${inner} ` : inner);
  }
  if (pair) return fillEmptyValue(text, pair, lines, step);
  // An empty document: the group becomes a top-level key.
  const eol = eolOf(text);
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  return text + sep + lines.join(eol) + eol;
}

function hostsPairs(site: GroupSite): Array<Pair<Node, Node | null>> {
  return (asMap(pairOf(site.map, 'hosts')?.value)?.items ?? []) as Array<Pair<Node, Node | null>>;
}

function yamlAdd(text: string, edit: AddHostEdit): string {
  const doc = parseInventoryYaml(text);
  const step = indentStep(text, doc);
  const sites = groupSites(doc).filter((s) => keyName(s.pair) === edit.group);
  for (const site of sites) if (hostsPairs(site).some((p) => keyName(p) === edit.host)) throw alreadyListed(edit.host, edit.group);
  const flowVars = (edit.vars ?? []).map(([k, v]) => `${k}: ${yamlScalar(v, true)}`).join(', ');
  const flowHost = flowVars ? `${edit.host}: { ${flowVars} }` : edit.host;

  const site = sites.find((s) => pairOf(s.map, 'hosts')) ?? sites[0];
  if (site) {
    const hostsPair = pairOf(site.map, 'hosts');
    if (hostsPair) {
      const hosts = asMap(hostsPair.value);
      const sibling = hosts?.items[hosts.items.length - 1] as Pair<Node, Node | null> | undefined;
      return addEntry(text, hostsPair, hosts, hostEntryLines(edit, sibling, text, step), step, flowHost);
    }
    const lines = ['hosts:', ...hostEntryLines(edit, undefined, text, step).map((l) => ' '.repeat(step) + l)];
    return addEntry(text, site.pair, site.map, lines, step, `hosts: { ${flowHost} }`);
  }
  // A new group: under all.children when the file has `all:`, else at the top level.
  const groupLines = [`${edit.group}:`, ' '.repeat(step) + 'hosts:', ...hostEntryLines(edit, undefined, text, step).map((l) => ' '.repeat(2 * step) + l)];
  const flowGroup = `${edit.group}: { hosts: { ${flowHost} } }`;
  const root = asMap(doc.contents as Node | null);
  const all = pairOf(root, 'all');
  if (all && edit.group !== 'all') {
    const allMap = asMap(all.value);
    const children = pairOf(allMap, 'children');
    if (children) return addEntry(text, children, asMap(children.value), groupLines, step, flowGroup);
    const lines = ['children:', ...groupLines.map((l) => ' '.repeat(step) + l)];
    return addEntry(text, all, allMap, lines, step, `children: { ${flowGroup} }`);
  }
  return addEntry(text, null, root && root.items.length > 0 ? root : null, groupLines, step, flowGroup);
}

/** The text range of one entry of a mapping: whole lines for block mappings, `k: v` plus a comma for flow ones. */
function entryRange(text: string, map: YAMLMap, pair: Pair<Node, Node | null>): [number, number] {
  const key = pair.key.range!;
  const valueEnd = pair.value?.range ? pair.value.range[1] : key[1];
  if (!map.flow) {
    const end = lineEnd(text, Math.max(valueEnd - 1, key[0]));
    const next = text.indexOf('\n', end);
    return [lineStart(text, key[0]), next < 0 ? text.length : next + 1];
  }
  const after = /^\s*,\s*/.exec(text.slice(valueEnd));
  if (after) return [key[0], valueEnd + after[0].length];
  const before = /,\s*$/.exec(text.slice(map.range![0] + 1, key[0]));
  return [before ? key[0] - before[0].length : key[0], valueEnd];
}

function yamlRemove(text: string, edit: RemoveHostEdit): string {
  const doc = parseInventoryYaml(text);
  const ranges: Array<[number, number]> = [];
  for (const site of groupSites(doc)) {
    if (edit.group !== undefined && keyName(site.pair) !== edit.group) continue;
    const hosts = asMap(pairOf(site.map, 'hosts')?.value);
    if (!hosts) continue;
    for (const pair of hostsPairs(site)) if (keyName(pair) === edit.host) ranges.push(entryRange(text, hosts, pair));
  }
  if (ranges.length === 0) throw notListed(edit.host, edit.group);
  let out = text;
  for (const [start, end] of ranges.sort((a, b) => b[0] - a[0])) out = splice(out, start, end, '');
  return out;
}

// ---------------------------------------------------------------------------------------------
// INI

const SECTION_RE = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

interface IniLine {
  readonly text: string;
  /** The section the line belongs to: group and state (hosts before any header are in `ungrouped`). */
  readonly group: string;
  readonly state: string;
  readonly kind: 'header' | 'blank' | 'comment' | 'entry';
}

function iniLines(text: string): IniLine[] {
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  let group = 'ungrouped';
  let state = 'hosts';
  return raw.map((line) => {
    const t = line.trim();
    const m = SECTION_RE.exec(t);
    if (m) {
      group = m[1]!;
      state = m[2] ?? 'hosts';
      return { text: line, group, state, kind: 'header' };
    }
    const kind = t === '' ? 'blank' : t[0] === '#' || t[0] === ';' ? 'comment' : 'entry';
    return { text: line, group, state, kind };
  });
}

/** The host name an INI host line starts with (`pi01:2222 a=b` -> pi01). */
function iniHostOf(line: string): string {
  const token = line.trim().split(/\s+/)[0] ?? '';
  try {
    return parseAddress(token, true).host;
  } catch {
    return token;
  }
}

const INI_SAFE = /^[^\s'"#;\\]+$/;

function iniValueText(value: string): string {
  return value !== '' && INI_SAFE.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function joinLines(lines: readonly string[], eol: string, trailing: boolean): string {
  return lines.map((l) => l.replace(/\r$/, '')).join(eol) + (trailing ? eol : '');
}

function iniAdd(text: string, edit: AddHostEdit): string {
  const lines = iniLines(text);
  const inGroup = (l: IniLine): boolean => l.group === edit.group && l.state === 'hosts';
  if (lines.some((l) => inGroup(l) && l.kind === 'entry' && iniHostOf(l.text) === edit.host)) throw alreadyListed(edit.host, edit.group);
  const entry = [edit.host, ...(edit.vars ?? []).map(([k, v]) => `${k}=${iniValueText(v)}`)].join(' ');
  const eol = eolOf(text);
  const out = lines.map((l) => l.text);
  let at = -1;
  lines.forEach((l, i) => {
    if (inGroup(l) && (l.kind === 'entry' || l.kind === 'header')) at = i;
  });
  const trailing = text === '' || text.endsWith('\n');
  if (at >= 0) {
    out.splice(at + 1, 0, entry);
    return joinLines(out, eol, trailing);
  }
  if (out.length > 0 && out[out.length - 1]!.trim() !== '') out.push('');
  out.push(`[${edit.group}]`, entry);
  return joinLines(out, eol, trailing);
}

function iniRemove(text: string, edit: RemoveHostEdit): string {
  const lines = iniLines(text);
  const drop = (l: IniLine): boolean =>
    l.kind === 'entry' && l.state === 'hosts' && (edit.group === undefined || l.group === edit.group) && iniHostOf(l.text) === edit.host;
  if (!lines.some(drop)) throw notListed(edit.host, edit.group);
  const kept = lines.filter((l) => !drop(l)).map((l) => l.text);
  return joinLines(kept, eolOf(text), text.endsWith('\n'));
}
