/**
 * Inventory loading with ansible-core 2.14 semantics (ansible/inventory/manager.py parse_sources):
 * YAML/JSON files, INI files, directories of inventory files, `h1,h2,` host lists, several sources
 * merged in order, then group_vars/ and host_vars/ next to each source.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { Inventory } from '../model/inventory.js';
import { LoadError, VaultError } from '../model/errors.js';
import { parseYaml } from './yaml.js';
import { decryptTextIfVaulted } from './vault-hook.js';
import { parseAddress } from './inventory-address.js';
import { InventoryBuilder } from './inventory-data.js';
import { parseIniInventory } from './inventory-ini.js';
import { parseYamlInventory, YamlInventoryDeclined } from './inventory-yaml.js';
import { loadInventoryVarsLayers } from './inventory-vars.js';

export { inventoryVarsFor, groupVarsFor, groupNamesOf, groupsMap, loadVarsLayer, isImplicitLocalhost, IMPLICIT_LOCALHOST_VARS } from './inventory-vars.js';
export type { InventoryVarsOptions } from './inventory-vars.js';
export { hostsOfGroup, groupsOfHost, groupDepth, sortGroups } from './inventory-graph.js';
export { LOCALHOST_NAMES } from './inventory-data.js';

export interface LoadInventoryOptions {
  /** Directory relative sources are resolved against (default process.cwd()). */
  readonly cwd?: string;
  /**
   * true (default): a source that cannot be parsed, or does not exist, is a LoadError, as with
   * ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=1. false: Ansible's default, a warning and the source is skipped.
   */
  readonly strict?: boolean;
  /** Receives Ansible's inventory warnings (skipped YAML keys, unparsed sources, host/group name clashes). */
  readonly onWarning?: (message: string) => void;
}

/** C.INVENTORY_IGNORE_EXTS and IGNORED_ALWAYS from ansible/inventory/manager.py. */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|\.pyc$|\.pyo$|\.swp$|\.bak$|~$|\.rpm$|\.md$|\.txt$|\.rst$|\.orig$|\.ini$|\.cfg$|\.retry$/;
const YAML_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** unfrackpath(follow=False): $VARS and ~ expanded, absolute, normalized. */
export function unfrackPath(path: string, cwd: string): string {
  const expanded = path.replace(/\$(\w+)|\$\{([^}]*)\}/g, (whole, a: string | undefined, b: string | undefined) => {
    const v = process.env[(a ?? b)!];
    return v === undefined ? whole : v;
  });
  const home = expanded === '~' || expanded.startsWith('~/') ? homedir() + expanded.slice(1) : expanded;
  return resolve(cwd, home);
}

async function kind(path: string): Promise<'dir' | 'file' | 'none'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}

async function looksLikeScript(path: string, text: string): Promise<boolean> {
  if (text.startsWith('#!')) return true;
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Failure {
  readonly plugin: string;
  readonly error: LoadError;
}

class SourceLoader {
  readonly inv = new InventoryBuilder();
  private readonly warned = new Set<string>();
  constructor(private readonly options: Required<Pick<LoadInventoryOptions, 'cwd' | 'strict'>> & Pick<LoadInventoryOptions, 'onWarning'>) {}

  warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.onWarning?.(message);
  }

  /** InventoryManager.parse_source. Returns whether anything was parsed. */
  async parseSource(source: string): Promise<boolean> {
    const k = await kind(source);
    if (k === 'dir') {
      let parsed = false;
      const names = (await readdir(source)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        if (IGNORED.test(name)) continue;
        if (await this.parseSource(join(source, name))) parsed = true;
      }
      if (!parsed) this.unparsed(source, [], `no inventory files found in directory ${source}`);
      return parsed;
    }
    if (k === 'none') {
      if (source.includes(',')) return this.parseHostList(source);
      this.unparsed(source, [], `inventory source not found: ${source}`);
      return false;
    }
    return this.parseFile(source);
  }

  private parseHostList(source: string): boolean {
    this.inv.currentSource = source;
    this.inv.currentBasedir = 'None';
    try {
      for (const part of source.split(',')) {
        const h = part.trim();
        if (!h) continue;
        let host = h;
        let port: number | undefined;
        try {
          const parsed = parseAddress(h, false);
          host = parsed.host;
          port = parsed.port;
        } catch {
          host = h;
        }
        if (!this.inv.hosts.has(host)) this.inv.addHost(host, 'ungrouped', port);
      }
    } finally {
      this.inv.currentSource = undefined;
    }
    return true;
  }

  private async parseFile(path: string): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      this.unparsed(path, [], `could not read inventory source ${path}: ${(err as Error).message}`);
      return false;
    }
    const ext = extname(path);
    const failures: Failure[] = [];
    this.inv.currentSource = path;
    this.inv.currentBasedir = dirname(path);
    try {
      if (await looksLikeScript(path, text)) {
        failures.push({ plugin: 'script', error: new LoadError(`inventory scripts are not supported: ${path}`, { source: { file: path, line: 1, col: 1 } }) });
      }
      if (ext === '.toml') {
        failures.push({ plugin: 'toml', error: new LoadError(`TOML inventories are not supported: ${path}`, { source: { file: path, line: 1, col: 1 } }) });
      }
      if (!ext || YAML_EXTENSIONS.includes(ext)) {
        try {
          const file = parseYaml(path, text);
          parseYamlInventory({ inv: this.inv, file, warn: (m) => this.warn(m) });
          return true;
        } catch (err) {
          if (err instanceof YamlInventoryDeclined) failures.push({ plugin: 'yaml', error: err.error });
          else if (err instanceof LoadError) failures.push({ plugin: 'yaml', error: err });
          else if (err instanceof VaultError) failures.push({ plugin: 'yaml', error: new LoadError(err.message) });
          else throw err;
        }
      }
      if (ext !== '.toml') {
        try {
          parseIniInventory(this.inv, path, decryptTextIfVaulted(text, path).text);
          return true;
        } catch (err) {
          if (err instanceof LoadError) failures.push({ plugin: 'ini', error: err });
          else if (err instanceof VaultError) failures.push({ plugin: 'ini', error: new LoadError(err.message) });
          else throw err;
        }
      }
    } finally {
      this.inv.currentSource = undefined;
    }
    const best =
      failures.find((f) => f.plugin === 'script') ??
      failures.find((f) => f.plugin === 'toml') ??
      (YAML_EXTENSIONS.includes(ext) ? failures.find((f) => f.plugin === 'yaml') : undefined) ??
      failures.find((f) => f.plugin === 'ini') ??
      failures[0];
    this.unparsed(path, failures, best?.error ?? `Unable to parse ${path} as an inventory source`);
    return false;
  }

  private unparsed(source: string, failures: readonly Failure[], error: LoadError | string): void {
    if (this.options.strict) throw typeof error === 'string' ? new LoadError(error) : error;
    for (const f of failures) this.warn(`\n* Failed to parse ${source} with ${f.plugin} plugin: ${f.error.describe()}`);
    this.warn(`Unable to parse ${source} as an inventory source`);
  }
}

/**
 * Loads and merges inventory sources in order: files (YAML `.yml/.yaml/.json` or no extension, else
 * INI), directories (every file inside except Ansible's ignored names, recursively), and host lists
 * (`h1,h2,`). group_vars/ and host_vars/ next to each source are loaded into `varsLayers`.
 * Throws LoadError (file:line:col + code frame) for malformed sources.
 */
export async function loadInventory(sources: readonly string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  const cwd = options.cwd ?? process.cwd();
  const loader = new SourceLoader({ cwd, strict: options.strict ?? true, onWarning: options.onWarning });
  let parsed = false;
  for (const source of sources) {
    if (!source) continue;
    const path = source.includes(',') ? source : unfrackPath(source, cwd);
    const target = source.includes(',') && (await kind(resolve(cwd, source))) !== 'none' ? resolve(cwd, source) : path;
    if (await loader.parseSource(target)) parsed = true;
  }
  if (parsed) loader.inv.reconcile();
  else loader.warn('No inventory was parsed, only implicit localhost is available');
  for (const name of loader.inv.conflicts()) loader.warn(`Found both group and host with same name: ${name}`);
  const layers = await loadInventoryVarsLayers(loader.inv, sources, cwd);
  return loader.inv.freeze(sources, layers);
}
