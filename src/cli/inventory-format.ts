/**
 * ansible-inventory's output (ansible/cli/inventory.py): --graph text, the --list JSON structure,
 * the --yaml structure, and Python-compatible JSON and str() rendering.
 */
import type { Inventory } from '../model/inventory.js';
import { UnsafeText, VaultText } from '../model/values.js';
import { VaultError } from '../model/errors.js';
import { groupVarsFor, inventoryVarsFor, IMPLICIT_LOCALHOST_VARS } from '../load/inventory-vars.js';

/** Vars ansible-inventory never shows (INTERNAL_VARS). */
export const INTERNAL_VARS: ReadonlySet<string> = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

function removeInternal(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (!INTERNAL_VARS.has(k)) out[k] = v;
  return out;
}

/** _get_host_variables: merged vars (or, with --export, only the host's own inventory vars). */
export function hostVarsForOutput(inv: Inventory, host: string, exportMode = false): Record<string, unknown> {
  if (!exportMode) return removeInternal(inventoryVarsFor(inv, host));
  let out: Record<string, unknown> = { ...(inv.hosts.get(host)?.vars ?? (inv.hosts.has(host) ? {} : IMPLICIT_LOCALHOST_VARS)) };
  for (const l of inv.varsLayers ?? []) out = { ...out, ...(l.hostVars.get(host) ?? {}) };
  return removeInternal(out);
}

/** _get_group_variables: inline vars, group_vars of each source, ansible_group_priority when set. */
export function groupVarsForOutput(inv: Inventory, group: string): Record<string, unknown> {
  return removeInternal(groupVarsFor(inv, group));
}

const graphName = (name: string, depth: number): string => (depth ? `${'  |'.repeat(depth)}--${name}` : name);

function showVars(vars: Record<string, unknown>, depth: number): string[] {
  return Object.keys(vars)
    .sort(compareKeys)
    .map((k) => graphName(`{${k} = ${pyStr(vars[k])}}`, depth));
}

/** `ansible-inventory --graph [GROUP] [--vars]`, without the trailing newline. */
export function formatGraph(inv: Inventory, group: string, withVars = false): string {
  const lines: string[] = [];
  const walk = (name: string, depth: number): void => {
    const g = inv.groups.get(name)!;
    lines.push(graphName(`@${name}:`, depth));
    for (const kid of g.children) walk(kid, depth + 1);
    if (name !== 'all') {
      for (const h of g.hosts) {
        lines.push(graphName(h, depth + 1));
        if (withVars) lines.push(...showVars(hostVarsForOutput(inv, h), depth + 2));
      }
    }
    if (withVars) lines.push(...showVars(groupVarsForOutput(inv, name), depth + 1));
  };
  walk(group, 0);
  return lines.join('\n');
}

type Json = Record<string, unknown>;

function removeEmpty(entry: Json): void {
  for (const k of ['hosts', 'vars', 'children']) {
    const v = entry[k];
    if (k in entry && (v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0))) delete entry[k];
  }
}

/** The `--list` structure (json_inventory), with `_meta.hostvars`. */
export function jsonInventory(inv: Inventory, hosts: readonly string[], exportMode = false): Json {
  const seen = new Set<string>();
  const format = (name: string): Json => {
    const g = inv.groups.get(name)!;
    const entry: Json = {};
    const results: Json = { [name]: entry };
    if (name !== 'all') entry.hosts = [...g.hosts];
    const children: string[] = [];
    entry.children = children;
    for (const sub of g.children) {
      children.push(sub);
      if (!seen.has(sub)) {
        Object.assign(results, format(sub));
        seen.add(sub);
      }
    }
    if (exportMode) entry.vars = groupVarsForOutput(inv, name);
    removeEmpty(entry);
    if (Object.keys(entry).length === 0) delete results[name];
    return results;
  };
  const results = format('all');
  const hostvars: Json = {};
  for (const h of hosts) {
    const vars = hostVarsForOutput(inv, h, exportMode);
    if (Object.keys(vars).length > 0) hostvars[h] = vars;
  }
  results._meta = { hostvars };
  return results;
}

/** The `--list --yaml` structure (yaml_inventory). */
export function yamlInventory(inv: Inventory, exportMode = false): Json {
  const seen = new Set<string>();
  const format = (name: string): Json => {
    const g = inv.groups.get(name)!;
    const children: Json = {};
    const entry: Json = { children };
    for (const sub of g.children) if (sub !== 'all') Object.assign(children, format(sub));
    const hosts: Json = {};
    entry.hosts = hosts;
    if (name !== 'all') {
      for (const h of g.hosts) {
        let vars: Record<string, unknown> = {};
        if (!seen.has(h)) {
          seen.add(h);
          vars = hostVarsForOutput(inv, h, exportMode);
        }
        hosts[h] = vars;
      }
    }
    if (exportMode) {
      const gvars = groupVarsForOutput(inv, name);
      if (Object.keys(gvars).length > 0) entry.vars = gvars;
    }
    removeEmpty(entry);
    return { [name]: entry };
  };
  return format('all');
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A value as AnsibleJSONEncoder sees it: vault → {__ansible_vault}, unsafe → str, dates → isoformat. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof VaultText) return { __ansible_vault: value.ciphertext };
  if (value instanceof UnsafeText) return value.value;
  if (value instanceof Date) return pyIsoformat(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

function pyIsoformat(d: Date): string {
  const iso = d.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.replace(/\.000Z$/, '').replace(/Z$/, '');
}

/** json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False). */
export function pythonJson(value: unknown, indent = 4): string {
  const pad = (n: number): string => ' '.repeat(n * indent);
  const enc = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return pyFloatOrInt(v);
    }
    if (typeof v === 'string') return JSON.stringify(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((x) => pad(level + 1) + enc(x, level + 1)).join(',\n')}\n${pad(level)}]`;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v).sort(compareKeys);
      if (keys.length === 0) return '{}';
      const obj = v as Record<string, unknown>;
      return `{\n${keys.map((k) => `${pad(level + 1)}${JSON.stringify(k)}: ${enc(obj[k], level + 1)}`).join(',\n')}\n${pad(level)}}`;
    }
    return JSON.stringify(String(v));
  };
  return enc(toJsonValue(value), 0);
}

function pyFloatOrInt(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  return pyFloatRepr(v);
}

/** Python's repr(float). */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's repr(str). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a loaded value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (v instanceof UnsafeText) return pyStrRepr(v.value);
  if (v instanceof VaultText) return pyStrRepr(v.ciphertext);
  if (v instanceof Date) return pyStrRepr(pyIsoformat(v));
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return pyStrRepr(String(v));
}

/** Python's str() of a loaded value: strings bare, everything else as repr(). */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof UnsafeText) return v.value;
  // str() of an AnsibleVaultEncryptedUnicode decrypts it; tsbook has no vault secrets here.
  if (v instanceof VaultText) throw new VaultError('Attempting to decrypt but no vault secrets found');
  return pyRepr(v);
}
