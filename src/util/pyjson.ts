/**
 * JSON text the way Python's json.dumps writes it (", " and ": " separators, optional indent and
 * sort_keys, non-ASCII kept), which is what Ansible prints and what its to_json filters return.
 */
export interface PyJsonOptions {
  readonly indent?: number;
  readonly sortKeys?: boolean;
}

function encodeString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encodeNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

export function pyJson(value: unknown, options: PyJsonOptions = {}): string {
  const indent = options.indent;
  const sortKeys = options.sortKeys ?? false;
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return encodeString(v);
    if (typeof v === 'number') return encodeNumber(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function' && !Array.isArray(v)) {
      return walk((v as { toJSON: () => unknown }).toJSON(), depth);
    }
    if (typeof v !== 'object') return encodeString(String(v));
    if (seen.has(v)) throw new TypeError('Circular reference detected');
    seen.add(v);
    try {
      const pad = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
      const end = indent === undefined ? '' : '\n' + ' '.repeat(indent * depth);
      const sep = indent === undefined ? ', ' : ',';
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        return `[${v.map((item) => pad + walk(item, depth + 1)).join(sep)}${end}]`;
      }
      const entries = v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x] as const) : Object.entries(v);
      const keys = entries.filter(([, x]) => x !== undefined);
      if (sortKeys) keys.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (keys.length === 0) return '{}';
      return `{${keys.map(([k, x]) => `${pad}${encodeString(k)}: ${walk(x, depth + 1)}`).join(sep)}${end}}`;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}
