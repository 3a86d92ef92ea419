/**
 * group_vars/ and host_vars/ (ansible's host_group_vars vars plugin) and the inventory variable
 * layering of VariableManager.get_vars, plus the `groups`/`group_names` magic variables.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { Vars } from '../model/playbook.js';
import type { Inventory, InventoryVarsLayer } from '../model/inventory.js';
import { LoadError } from '../model/errors.js';
import { errorAt, parseYaml, toValue } from './yaml.js';
import { LOCALHOST_NAMES } from './inventory-data.js';
import { groupsOfHost, hostsOfGroup, sortGroups } from './inventory-graph.js';
import { isMapping, pyTypeName } from './inventory-yaml.js';

/** Anything with named groups and hosts (a frozen Inventory or one under construction). */
export interface EntityNames {
  readonly groups: ReadonlyMap<string, unknown>;
  readonly hosts: ReadonlyMap<string, unknown>;
}

/** C.YAML_FILENAME_EXTENSIONS */
const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

async function kind(path: string): Promise<'dir' | 'file' | 'none'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}

async function dirVarsFiles(path: string): Promise<string[]> {
  const found: string[] = [];
  const names = (await readdir(path)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const ext = extname(name);
    const full = join(path, name);
    const k = await kind(full);
    if (k === 'dir' && !ext) found.push(...(await dirVarsFiles(full)));
    else if (k === 'file' && (!ext || VARS_EXTENSIONS.includes(ext))) found.push(full);
  }
  return found;
}

/** DataLoader.find_vars_files: NAME (file or folder) first, then NAME.yml/.yaml/.json; the first that exists wins. */
export async function findVarsFiles(path: string, name: string): Promise<string[]> {
  for (const ext of ['', ...VARS_EXTENSIONS]) {
    const full = join(path, name) + ext;
    const k = await kind(full);
    if (k === 'dir') return dirVarsFiles(full);
    if (k === 'file') return [full];
  }
  return [];
}

/** Loads one vars file (YAML or JSON); empty files give {}. */
export async function loadVarsFile(path: string): Promise<Vars> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new LoadError(`could not read ${path}: ${(err as Error).message}`);
  }
  // A vaulted file is decrypted by parseYaml (src/load/vault-hook.ts).
  const file = parseYaml(path, text);
  const root = file.doc.contents;
  const data = toValue(file, root);
  if (data === null || data === undefined || data === false || data === '' || data === 0) return {};
  if (Array.isArray(data) && data.length === 0) return {};
  if (!isMapping(data)) throw errorAt(file, root, `failed to combine variables, expected dicts but got a 'dict' and a '${pyTypeName(data)}'`);
  return data;
}

async function mergedVars(files: readonly string[]): Promise<Vars | undefined> {
  if (files.length === 0) return undefined;
  let out: Record<string, unknown> = {};
  for (const f of files) out = { ...out, ...(await loadVarsFile(f)) };
  return out;
}

/**
 * The group_vars/ and host_vars/ found in `dir` for every group and host of `inv`
 * (what host_group_vars gives for an inventory source dir, or for a playbook dir).
 */
export async function loadVarsLayer(inv: EntityNames, dir: string): Promise<InventoryVarsLayer> {
  const groupVars = new Map<string, Vars>();
  const hostVars = new Map<string, Vars>();
  const gdir = join(dir, 'group_vars');
  const hdir = join(dir, 'host_vars');
  if ((await kind(gdir)) === 'dir') {
    for (const name of inv.groups.keys()) {
      if (name.startsWith('/')) continue;
      const v = await mergedVars(await findVarsFiles(gdir, name));
      if (v) groupVars.set(name, v);
    }
  }
  if ((await kind(hdir)) === 'dir') {
    for (const name of inv.hosts.keys()) {
      if (name.startsWith('/')) continue;
      const v = await mergedVars(await findVarsFiles(hdir, name));
      if (v) hostVars.set(name, v);
    }
  }
  return { dir, groupVars, hostVars };
}

/** get_vars_from_inventory_sources: one layer per source (host lists skipped), in source order. */
export async function loadInventoryVarsLayers(inv: EntityNames, sources: readonly string[], cwd: string): Promise<InventoryVarsLayer[]> {
  const layers: InventoryVarsLayer[] = [];
  const byDir = new Map<string, InventoryVarsLayer>();
  for (const source of sources) {
    if (!source) continue;
    const path = resolve(cwd, source);
    const k = await kind(path);
    if (source.includes(',') && k === 'none') continue;
    const dir = k === 'dir' ? path : dirname(path);
    let layer = byDir.get(dir);
    if (!layer) {
      layer = await loadVarsLayer(inv, dir);
      byDir.set(dir, layer);
    }
    layers.push(layer);
  }
  return layers;
}

export interface InventoryVarsOptions {
  /** Playbook-adjacent group_vars/host_vars (loadVarsLayer(inv, playbookDir)), applied above the inventory ones. */
  readonly playbookLayers?: readonly InventoryVarsLayer[];
}

/** True when `host` is not in the inventory but Ansible would give it the implicit localhost. */
export function isImplicitLocalhost(inv: Inventory, host: string): boolean {
  return !inv.hosts.has(host) && LOCALHOST_NAMES.includes(host);
}

/** The vars of the implicit localhost (ansible_connection=local; no python interpreter in tsbook). */
export const IMPLICIT_LOCALHOST_VARS: Vars = Object.freeze({ ansible_connection: 'local' });

/** Host.get_groups() without 'all', sorted by depth, priority and name (sort_groups). */
function sortedHostGroups(inv: Inventory, host: string): string[] {
  return sortGroups(
    inv,
    groupsOfHost(inv, host).filter((g) => g !== 'all'),
  );
}

/**
 * The inventory vars of a host, merged with VariableManager's precedence (DEFAULT_VARIABLE_PRECEDENCE):
 * all (inline) < other groups (inline, sorted) < group_vars/all < playbook group_vars/all <
 * group_vars/GROUP (per source, sorted groups) < playbook group_vars/GROUP < host (inline) <
 * host_vars/HOST < playbook host_vars/HOST. Includes inventory_file/inventory_dir as Ansible does.
 */
export function inventoryVarsFor(inv: Inventory, host: string, options: InventoryVarsOptions = {}): Record<string, unknown> {
  const layers = inv.varsLayers ?? [];
  const play = options.playbookLayers ?? [];
  const groups = inv.hosts.has(host) ? sortedHostGroups(inv, host) : [];
  let out: Record<string, unknown> = { ...(inv.groups.get('all')?.vars ?? {}) };
  const add = (v: Vars | undefined): void => {
    if (v) out = { ...out, ...v };
  };
  for (const g of groups) add(inv.groups.get(g)?.vars);
  for (const l of layers) add(l.groupVars.get('all'));
  for (const l of play) add(l.groupVars.get('all'));
  for (const l of layers) for (const g of groups) add(l.groupVars.get(g));
  for (const l of play) for (const g of groups) add(l.groupVars.get(g));
  const h = inv.hosts.get(host);
  if (h) add(h.vars);
  else if (LOCALHOST_NAMES.includes(host)) add(IMPLICIT_LOCALHOST_VARS);
  for (const l of layers) add(l.hostVars.get(host));
  for (const l of play) add(l.hostVars.get(host));
  return out;
}

/**
 * The vars of a group as `ansible-inventory --graph --vars` shows them: inline vars, then
 * group_vars of every source, then ansible_group_priority when it is not 1.
 */
export function groupVarsFor(inv: Inventory, group: string): Record<string, unknown> {
  const g = inv.groups.get(group);
  let out: Record<string, unknown> = { ...(g?.vars ?? {}) };
  for (const l of inv.varsLayers ?? []) out = { ...out, ...(l.groupVars.get(group) ?? {}) };
  if (g?.priority !== undefined && g.priority !== 1) out.ansible_group_priority = g.priority;
  return out;
}

/** The `group_names` magic var: the host's groups (ancestors included) except all, sorted. */
export function groupNamesOf(inv: Inventory, host: string): string[] {
  return groupsOfHost(inv, host)
    .filter((g) => g !== 'all')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The `groups` magic var: every group (all and ungrouped included) -> its hosts in inventory order. */
export function groupsMap(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of inv.groups.keys()) out[name] = [...hostsOfGroup(inv, name)];
  return out;
}
