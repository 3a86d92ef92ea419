/** Python's json.dumps and PyYAML's yaml.dump output formats, for to_json/to_yaml and friends. */
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { formatNumber, isOpaque, isPlainObject, PyError, PyFloat, pyStr, Undefined, UndefinedError } from './pyvalues.js';
import { UnsafeText, VaultText } from '../model/values.js';
import { pyYamlTags } from '../load/yaml.js';

export interface JsonOptions {
  readonly indent?: number;
  readonly sortKeys?: boolean;
  readonly separators?: readonly [string, string];
  readonly ensureAscii?: boolean;
}

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function jsonKey(k: string): string {
  return k;
}

/** json.dumps(value, ...) with Python's defaults (ensure_ascii, `, ` and `: `). */
export function pyJsonDumps(value: unknown, options: JsonOptions = {}): string {
  const indent = options.indent;
  const [itemSep, keySep] = options.separators ?? (indent !== undefined ? [',', ': '] : [', ', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const walk = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return 'null';
    if (v instanceof Undefined) throw new UndefinedError(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number' || v instanceof PyFloat) {
      const n = typeof v === 'number' ? v : v.value;
      if (Number.isNaN(n)) return 'NaN';
      if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
      return formatNumber(v);
    }
    if (typeof v === 'string') return jsonString(v, ensureAscii);
    if (v instanceof UnsafeText) return jsonString(v.value, ensureAscii);
    if (v instanceof VaultText) return jsonString(v.ciphertext, ensureAscii);
    const nl = indent !== undefined ? `\n${' '.repeat(indent * (level + 1))}` : '';
    const close = indent !== undefined ? `\n${' '.repeat(indent * level)}` : '';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${nl}${v.map((x) => walk(x, level + 1)).join(itemSep + nl)}${close}]`;
    }
    if (isPlainObject(v) || isOpaque(v)) {
      const obj = v as Record<string, unknown>;
      let keys = Object.keys(obj);
      if (keys.length === 0) return '{}';
      if (options.sortKeys) keys = [...keys].sort();
      return `{${nl}${keys.map((k) => `${jsonString(jsonKey(k), ensureAscii)}${keySep}${walk(obj[k], level + 1)}`).join(itemSep + nl)}${close}}`;
    }
    if (v instanceof Date) return jsonString(v.toISOString(), ensureAscii);
    throw new PyError(`Object of type ${typeof v} is not JSON serializable`);
  };
  return walk(value, 0);
}

// ------------------------------------------------------------------ YAML (PyYAML's emitter, common cases)

export interface YamlOptions {
  readonly indent?: number;
  /** PyYAML's default_flow_style: null = flow for collections of scalars only. */
  readonly defaultFlowStyle?: boolean | null;
  readonly sortKeys?: boolean;
}

const YAML11_SPECIAL = /^(?:~|null|Null|NULL|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|=)$/;
const YAML11_NUMBER = /^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9][0-9_]*[eE][-+]?[0-9]+)$/;
const YAML11_TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?$/;

function isScalar(v: unknown): boolean {
  return !Array.isArray(v) && !isPlainObject(v) && !isOpaque(v);
}

/** PyYAML's line folding at width 80: a single space becomes a line break once the column passes 80. */
function fold(text: string, startCol: number, contIndent: number): string {
  let out = '';
  let col = startCol;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === ' ' && text[i + 1] !== ' ' && text[i - 1] !== ' ' && i > 0 && i < text.length - 1 && col > 80) {
      out += `\n${' '.repeat(contIndent)}`;
      col = contIndent;
      continue;
    }
    if (ch === '\n') {
      out += ch;
      col = 0;
      continue;
    }
    out += ch;
    col++;
  }
  return out;
}

function yamlString(s: string, flow: boolean, col = 0, contIndent = 2): string {
  if (s === '') return "''";
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\t\r]/.test(s) || / \n/.test(s)) {
    return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
  }
  const needsQuote =
    s.includes('\n') ||
    YAML11_SPECIAL.test(s) ||
    YAML11_NUMBER.test(s) ||
    YAML11_TIMESTAMP.test(s) ||
    /^[\s]|[\s]$/.test(s) ||
    (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !(/^[-?:][^\s]/.test(s) && !/^[-?:][,[\]{}]/.test(s) && !flow)) ||
    s.includes(': ') ||
    s.includes(' #') ||
    s.endsWith(':') ||
    (flow && /[,[\]{}]/.test(s)) ||
    s.startsWith('---') ||
    s.startsWith('...');
  if (!needsQuote) return fold(s, col, contIndent);
  const body = s.replace(/'/g, "''").replace(/\n+/g, (m) => `${'\n'.repeat(m.length + 1)}${' '.repeat(contIndent)}`);
  return `'${fold(body, col + 1, contIndent)}'`;
}

function yamlScalar(v: unknown, flow: boolean, col = 0, contIndent = 2): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Undefined) throw new UndefinedError(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || v instanceof PyFloat) {
    const n = typeof v === 'number' ? v : v.value;
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    return formatNumber(v);
  }
  if (typeof v === 'string') return yamlString(v, flow, col, contIndent);
  if (v instanceof UnsafeText) return yamlString(v.value, flow, col, contIndent);
  if (v instanceof VaultText) return `!vault |\n${v.ciphertext}`;
  return yamlString(pyStr(v), flow, col, contIndent);
}

/** yaml.dump(value, Dumper=AnsibleDumper, allow_unicode=True, ...) for the common shapes. */
export function pyYamlDump(value: unknown, options: YamlOptions = {}): string {
  const indent = options.indent ?? 2;
  const flowDefault = options.defaultFlowStyle === undefined ? null : options.defaultFlowStyle;
  const sortKeys = options.sortKeys ?? true;
  const keysOf = (o: Record<string, unknown>): string[] => (sortKeys ? Object.keys(o).sort() : Object.keys(o));
  const useFlow = (v: unknown): boolean => {
    if (flowDefault !== null) return flowDefault;
    if (Array.isArray(v)) return v.every(isScalar);
    const o = v as Record<string, unknown>;
    return Object.keys(o).every((k) => isScalar(o[k]));
  };
  /** A flow collection starting at column `start`; continuation lines at `cont`. */
  const flow = (v: unknown, start = 0, cont = 2 * indent): string => {
    let out = '';
    const col = (): number => {
      const nl = out.lastIndexOf('\n');
      return nl < 0 ? start + out.length : out.length - nl - 1;
    };
    const sep = (i: number): void => {
      if (i === 0) return;
      out += ',';
      if (col() > 80) out += `\n${' '.repeat(cont)}`;
      else out += ' ';
    };
    if (Array.isArray(v)) {
      out += '[';
      v.forEach((x, i) => {
        sep(i);
        out += isScalar(x) ? yamlScalar(x, true, col(), cont) : flow(x, col(), cont);
      });
      return `${out}]`;
    }
    if (isPlainObject(v) || isOpaque(v)) {
      const o = v as Record<string, unknown>;
      out += '{';
      keysOf(o).forEach((k, i) => {
        sep(i);
        out += `${yamlString(k, true)}: `;
        const x = o[k];
        out += isScalar(x) ? yamlScalar(x, true, col(), cont) : flow(x, col(), cont);
      });
      return `${out}}`;
    }
    return yamlScalar(v, true, start, cont);
  };
  const lines: string[] = [];
  const block = (v: unknown, col: number, inSeq: boolean, firstPrefix: string): void => {
    // firstPrefix: text already on the current line before this node (a "- " or "key:").
    if (Array.isArray(v)) {
      if (v.length === 0 || useFlow(v)) {
        const pre = `${firstPrefix}${firstPrefix === '' || firstPrefix.endsWith(' ') ? '' : ' '}`;
        lines.push(`${pre}${flow(v, pre.length, col + 2 * indent)}`);
        return;
      }
      let pending = firstPrefix;
      if (pending !== '' && !inSeq) {
        lines.push(pending.trimEnd());
        pending = '';
      }
      v.forEach((item, i) => {
        const lead = i === 0 && pending !== '' ? pending : ' '.repeat(col);
        if (isScalar(item) || (Array.isArray(item) ? item.length === 0 || useFlow(item) : Object.keys(item as object).length === 0 || useFlow(item))) {
          const pre = `${lead}- `;
          lines.push(`${pre}${isScalar(item) ? yamlScalar(item, false, pre.length, col + indent) : flow(item, pre.length, col + 2 * indent)}`);
        } else block(item, col + indent, true, `${lead}-${' '.repeat(Math.max(1, col + indent - lead.length - 1))}`);
      });
      return;
    }
    if (isPlainObject(v) || isOpaque(v)) {
      const o = v as Record<string, unknown>;
      const keys = keysOf(o);
      if (keys.length === 0 || useFlow(v)) {
        const pre = `${firstPrefix}${firstPrefix === '' || firstPrefix.endsWith(' ') ? '' : ' '}`;
        lines.push(`${pre}${flow(v, pre.length, col + 2 * indent)}`);
        return;
      }
      let pending = firstPrefix;
      if (pending !== '' && !inSeq) {
        lines.push(pending.trimEnd());
        pending = '';
      }
      keys.forEach((k, i) => {
        const lead = i === 0 && pending !== '' ? pending : ' '.repeat(col);
        const head = `${lead}${yamlString(k, false)}:`;
        const child = o[k];
        if (isScalar(child)) lines.push(`${head} ${yamlScalar(child, false, head.length + 1, col + indent)}`);
        else if (Array.isArray(child) ? child.length === 0 || useFlow(child) : Object.keys(child as object).length === 0 || useFlow(child)) {
          lines.push(`${head} ${flow(child, head.length + 1, col + 2 * indent)}`);
        }
        else if (Array.isArray(child) && child.length > 0 && !useFlow(child)) block(child, col, false, head);
        else block(child, col + indent, false, head);
      });
      return;
    }
    lines.push(`${firstPrefix}${firstPrefix === '' || firstPrefix.endsWith(' ') ? '' : ' '}${yamlScalar(v, false)}`);
  };
  if (isScalar(value)) return `${yamlScalar(value, false, 0, indent)}\n`;
  block(value, 0, false, '');
  return `${lines.join('\n')}\n`;
}

function fromYamlValue(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** yaml.safe_load (YAML 1.1 like PyYAML). */
export function yamlLoad(text: string): unknown {
  return fromYamlValue(parseYaml(text, { version: '1.1', merge: true, customTags: pyYamlTags }) as unknown);
}

export function yamlLoadAll(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1', merge: true, customTags: pyYamlTags }).map((d) => {
    if (!('toJS' in d)) throw new PyError('invalid YAML');
    return fromYamlValue(d.toJS());
  });
}
