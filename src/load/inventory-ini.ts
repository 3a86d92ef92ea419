/**
 * Ansible's INI inventory format (ansible/plugins/inventory/ini.py), line for line.
 */
import { LoadError } from '../model/errors.js';
import type { Source } from '../model/source.js';
import { codeFrame } from './yaml.js';
import { expandHostPattern, InventorySyntaxError } from './inventory-address.js';
import { BuildError, type InventoryBuilder } from './inventory-data.js';
import { iniValue, PyLiteralTypeError, shlexSplit } from './py-literal.js';

const SECTION_RE = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/u;
const GROUPNAME_RE = /^([^:\]\s]+)\s*(?:#.*)?$/u;

interface Pending {
  readonly line: number;
  readonly state: 'vars' | 'children';
  readonly name: string;
  readonly parents: string[];
}

/** Parses INI inventory text into `inv`. Throws LoadError with file:line:col and a code frame. */
export function parseIniInventory(inv: InventoryBuilder, path: string, text: string): void {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const pending = new Map<string, Pending>();
  let groupname = 'ungrouped';
  let state = 'hosts';
  let lineno = 0;
  let raw = '';

  const colOf = (needle?: string): number => {
    const idx = needle ? raw.indexOf(needle) : -1;
    if (idx >= 0) return idx + 1;
    return raw.length - raw.trimStart().length + 1;
  };
  const fail = (message: string, needle?: string, line = lineno): never => {
    const source: Source = { file: path, line, col: line === lineno ? colOf(needle) : 1 };
    throw new LoadError(message, { source, frame: codeFrame(text, source.line, source.col) });
  };
  const guard = <T>(fn: () => T, needle?: string): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof BuildError || err instanceof InventorySyntaxError || err instanceof PyLiteralTypeError) return fail(err.message, needle);
      throw err;
    }
  };
  const addPendingChildren = (group: string): void => {
    const decl = pending.get(group)!;
    for (const parent of decl.parents) {
      guard(() => inv.addChild(parent, group));
      const p = pending.get(parent);
      if (p && p.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  for (const original of lines) {
    lineno++;
    raw = original;
    const line = original.trim();
    if (!line || line[0] === ';' || line[0] === '#') continue;

    const m = SECTION_RE.exec(line);
    if (m) {
      groupname = m[1]!;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`Section [${m[1]}:${m[2]}] has unknown type: ${state}`);
      if (!inv.groups.has(groupname)) {
        if (state === 'vars' && !pending.has(groupname)) pending.set(groupname, { line: lineno, state: 'vars', name: groupname, parents: [] });
        const g = groupname;
        guard(() => inv.addGroup(g, { file: path, line: lineno, col: colOf(g) }));
      }
      const decl = pending.get(groupname);
      if (decl && state !== 'vars') {
        if (decl.state === 'children') addPendingChildren(groupname);
        else pending.delete(groupname);
      }
      continue;
    } else if (line.startsWith('[') && line.endsWith(']')) {
      fail(`Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`);
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line, true);
      } catch (err) {
        return fail(`Error parsing host definition '${line}': ${(err as Error).message}`);
      }
      if (tokens.length === 0) fail(`Error parsing host definition '${line}': no host name`);
      const hostpattern = tokens[0]!;
      const expanded = guard(() => {
        try {
          return expandHostPattern(hostpattern);
        } catch (err) {
          if (err instanceof InventorySyntaxError) throw new InventorySyntaxError(`Invalid host pattern '${hostpattern}': ${err.message}`);
          throw err;
        }
      }, hostpattern);
      if (hostpattern.trim().endsWith(':') && expanded.port === undefined) {
        fail(`Invalid host pattern '${hostpattern}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`, hostpattern);
      }
      for (const h of expanded.hosts) {
        if (h.trim() === '---') fail(`Invalid host pattern '${hostpattern}' supplied, '---' is normally a sign this is a YAML file.`, hostpattern);
      }
      const variables = new Map<string, unknown>();
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf('=');
        if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t}`, t);
        variables.set(t.slice(0, eq), guard(() => iniValue(t.slice(eq + 1)), t.slice(0, eq + 1)));
      }
      const hostSource: Source = { file: path, line: lineno, col: colOf(hostpattern) };
      for (const h of expanded.hosts) {
        guard(() => inv.addHost(h, groupname, expanded.port, hostSource), hostpattern);
        for (const [k, v] of variables) inv.setVariable(h, k, v);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`Expected key=value, got: ${line}`);
      const k = line.slice(0, eq).trim();
      const v = line.slice(eq + 1).trim();
      const value = guard(() => iniValue(v));
      const g = groupname;
      guard(() => inv.setVariable(g, k, value));
    } else {
      const gm = GROUPNAME_RE.exec(line);
      if (!gm) return fail(`Expected group name, got: ${line}`);
      const child = gm[1]!;
      if (!inv.groups.has(child)) {
        const decl = pending.get(child);
        if (!decl) pending.set(child, { line: lineno, state: 'children', name: child, parents: [groupname] });
        else decl.parents.push(groupname);
      } else {
        const g = groupname;
        guard(() => inv.addChild(g, child), child);
      }
    }
  }

  for (const decl of pending.values()) {
    const line = lines[decl.line - 1] ?? '';
    const col = line.length - line.trimStart().length + 1;
    const source: Source = { file: path, line: decl.line, col };
    const message =
      decl.state === 'vars'
        ? `Section [${decl.name}:vars] not valid for undefined group: ${decl.name}`
        : `Section [${decl.parents[decl.parents.length - 1]}:children] includes undefined group: ${decl.name}`;
    throw new LoadError(message, { source, frame: codeFrame(text, source.line, source.col) });
  }
}
