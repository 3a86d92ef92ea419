import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { UsageError } from '../model/errors.js';
import type { Inventory } from '../model/inventory.js';
import { existsSync } from 'node:fs';
import { loadConfig } from '../load/config.js';
import { loadInventory } from '../load/inventory.js';
import { selectHosts } from '../load/patterns.js';
import { collect } from './options.js';
import { keyringForRun, type VaultRunOptions } from './vault.js';
import { registerInventoryEdit } from './inventory-edit.js';
import { formatGraph, hostVarsForOutput, jsonInventory, pythonJson, toJsonValue, yamlInventory } from './inventory-format.js';

/** Options of `tsbook inventory`, as commander parses them (ansible-inventory's flags). */
export interface InventoryCliOptions extends VaultRunOptions {
  readonly inventory?: string[];
  readonly list?: boolean;
  readonly graph?: boolean;
  readonly host?: string;
  readonly vars?: boolean;
  readonly yaml?: boolean;
  readonly toml?: boolean;
  readonly export?: boolean;
  readonly output?: string;
}

/** What `tsbook inventory` prints: stdout text (without the final newline) and warnings. */
export interface InventoryCommandResult {
  readonly stdout: string;
  readonly warnings: readonly string[];
}

function dumpYaml(value: unknown): string {
  return stringify(toJsonValue(value), { indentSeq: false, sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
}

function render(inv: Inventory, options: InventoryCliOptions, group: string | undefined, warn: (m: string) => void): string {
  const dump = (value: unknown): string => (options.yaml ? dumpYaml(value) : pythonJson(value));
  if (options.host !== undefined) {
    const hosts = selectHosts(inv, options.host, { onWarning: warn });
    if (hosts.length !== 1) throw new UsageError('You must pass a single valid host to --host parameter');
    return dump(hostVarsForOutput(inv, hosts[0]!, options.export));
  }
  if (options.graph) {
    const start = group ?? 'all';
    if (!inv.groups.has(start)) throw new UsageError('Pattern must be valid group name when using --graph');
    return formatGraph(inv, start, options.vars);
  }
  if (options.yaml) return dump(yamlInventory(inv, options.export));
  return dump(jsonInventory(inv, selectHosts(inv, 'all'), options.export));
}

/** Runs `tsbook inventory` without touching stdout; throws UsageError/LoadError. */
export async function inventoryCommand(group: string | undefined, options: InventoryCliOptions, cwd: string = process.cwd()): Promise<InventoryCommandResult> {
  const used = [options.list, options.host !== undefined, options.graph].filter(Boolean).length;
  if (used === 0) throw new UsageError('No action selected, at least one of --host, --graph or --list needs to be specified.');
  if (used > 1) throw new UsageError('Conflicting options used, only one of --host, --graph or --list can be used at the same time.');
  if (options.toml) throw new UsageError('TOML output is not supported; use --yaml or the default JSON');
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  // ansible.cfg's inventory and vault settings apply, as for ansible-inventory
  const config = await loadConfig({ cwd });
  for (const w of config.warnings) warn(w);
  await keyringForRun(options, config, { onWarning: warn, cwd });
  const configured = config.settings.inventory;
  const sources = options.inventory && options.inventory.length > 0 ? options.inventory : configured.origin === 'default' ? configured.value.filter((p) => existsSync(p)) : [...configured.value];
  const inv = await loadInventory(sources, { cwd, onWarning: warn });
  return { stdout: render(inv, options, group, warn), warnings };
}

export function registerInventory(program: Command): void {
  const inventory = program
    .command('inventory')
    .description('Show the inventory as Ansible sees it (like ansible-inventory)')
    .argument('[group]', 'with --graph: the group to start from (default all)')
    .option('-i, --inventory <source>', 'inventory file, directory or host list "h1,h2," (repeatable)', collect)
    .option('--list', 'all groups and hosts with their vars, as JSON (inventory script format)')
    .option('--graph', 'the group tree as text')
    .option('--host <name>', 'the vars of one host')
    .option('--vars', 'with --graph: show vars too')
    .option('-y, --yaml', 'YAML instead of JSON')
    .option('--toml', 'TOML output (not supported)')
    .option('--export', 'with --list: group vars on groups, host vars unmerged')
    .option('--output <file>', 'with --list: write to this file instead of stdout')
    .option('--vault-id <id>', 'the vault identity to use: label@file, label@script or label@prompt (repeatable)', collect)
    .option('--vault-password-file <file>', 'vault password file or executable script (repeatable)', collect)
    .option('-J, --ask-vault-password', 'ask for the vault password')
    .addHelpText(
      'after',
      `
Examples:
  tsbook inventory -i inventory/homelab.yaml --graph
  tsbook inventory -i inventory/homelab.yaml --graph k8s_worker --vars
  tsbook inventory -i inventory/ --list
  tsbook inventory -i hosts.ini -i extra.yaml --host pi01 --yaml
  tsbook inventory -i 'node1,node2,' --list
  tsbook inventory add pi09 -i inventory/homelab.yaml --group pis --var ansible_host=10.4.0.29
  tsbook inventory remove pi09 -i inventory/homelab.yaml`,
    )
    .action(async (group: string | undefined, options: InventoryCliOptions) => {
      const result = await inventoryCommand(group, options);
      for (const w of result.warnings) process.stderr.write(`[WARNING]: ${w}\n`);
      if (options.output !== undefined && options.list) await writeFile(options.output, result.stdout);
      else process.stdout.write(`${result.stdout}\n`);
      process.exitCode = 0;
    });
  registerInventoryEdit(inventory);
}
