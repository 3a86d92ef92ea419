import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import type { Inventory } from '../model/inventory.js';
import { loadInventory } from '../load/inventory.js';
import { addHostToInventory, inventoryFormatOf, parseVarAssignment, removeHostFromInventory, type InventoryFormat } from '../load/inventory-edit.js';
import { collect } from './options.js';

export interface InventoryAddOptions {
  readonly inventory?: readonly string[];
  readonly group?: string;
  readonly var?: readonly string[];
}

export interface InventoryRemoveOptions {
  readonly inventory?: readonly string[];
  readonly group?: string;
}

/** The one inventory file an edit applies to (a directory or a host list cannot be edited). */
async function targetFile(sources: readonly string[] | undefined, cwd: string): Promise<string> {
  if (!sources || sources.length !== 1) throw new UsageError('give exactly one inventory file with -i FILE');
  const path = resolve(cwd, sources[0]!);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`inventory file not found: ${sources[0]}`);
  if (!info.isFile()) throw new UsageError(`${sources[0]} is not a file: give the inventory file inside it with -i`);
  return path;
}

const isDirectMember = (inv: Inventory, host: string, group: string): boolean => inv.groups.get(group)?.hosts.includes(host) ?? false;

/**
 * Writes `text` as `path` atomically, after loading it with the inventory loader and checking it with
 * `verify`: a temp file in a temp folder next to it (same name, so the same parser), then rename.
 */
async function writeVerified(path: string, text: string, verify: (inv: Inventory) => void): Promise<void> {
  const dir = await mkdtemp(join(dirname(path), '.tsbook-edit-'));
  try {
    const tmp = join(dir, basename(path));
    await writeFile(tmp, text);
    await chmod(tmp, (await stat(path)).mode & 0o7777);
    verify(await loadInventory([tmp], { strict: true }));
    await rename(tmp, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Target {
  readonly path: string;
  readonly text: string;
  readonly format: InventoryFormat;
  readonly before: Inventory;
}

async function openTarget(sources: readonly string[] | undefined, cwd: string): Promise<Target> {
  const path = await targetFile(sources, cwd);
  const text = await readFile(path, 'utf8');
  const format = inventoryFormatOf(path, text);
  const before = await loadInventory([path], { strict: true });
  return { path, text, format, before };
}

/** `tsbook inventory add HOST -i FILE --group G [--var k=v ...]`; returns the line to print. */
export async function inventoryAdd(host: string, options: InventoryAddOptions, cwd: string = process.cwd()): Promise<string> {
  if (!options.group) throw new UsageError('tsbook inventory add needs --group GROUP');
  const group = options.group;
  const vars = (options.var ?? []).map(parseVarAssignment);
  const t = await openTarget(options.inventory, cwd);
  if (isDirectMember(t.before, host, group)) throw new UsageError(`host '${host}' is already in group '${group}'`);
  const text = addHostToInventory(t.text, t.format, { host, group, vars });
  await writeVerified(t.path, text, (inv) => {
    if (!isDirectMember(inv, host, group)) throw new UsageError(`internal check failed: '${host}' is not in group '${group}' after the edit; the file was not changed`);
  });
  return `added ${host} to group ${group} in ${options.inventory![0]}`;
}

/** `tsbook inventory remove HOST -i FILE [--group G]`; returns the line to print. */
export async function inventoryRemove(host: string, options: InventoryRemoveOptions, cwd: string = process.cwd()): Promise<string> {
  const group = options.group;
  const t = await openTarget(options.inventory, cwd);
  if (group !== undefined && !t.before.groups.has(group)) throw new UsageError(`group '${group}' is not in ${options.inventory![0]}`);
  const listed = group === undefined ? t.before.hosts.has(host) : isDirectMember(t.before, host, group);
  if (!listed) throw new UsageError(group === undefined ? `host '${host}' is not in ${options.inventory![0]}` : `host '${host}' is not listed in group '${group}'`);
  const fromRange = new UsageError(`host '${host}' comes from a host range (such as pi[01:08]); edit the range by hand. The file was not changed`);
  let text: string;
  try {
    text = removeHostFromInventory(t.text, t.format, { host, group });
  } catch (err) {
    throw err instanceof UsageError ? fromRange : err;
  }
  await writeVerified(t.path, text, (inv) => {
    if (group === undefined ? inv.hosts.has(host) : isDirectMember(inv, host, group)) throw fromRange;
  });
  return group === undefined ? `removed ${host} from ${options.inventory![0]}` : `removed ${host} from group ${group} in ${options.inventory![0]}`;
}

/** Adds `add` and `remove` under `tsbook inventory`. */
export function registerInventoryEdit(inventory: Command): void {
  inventory
    .command('add')
    .description('Add a host to a group of a YAML or INI inventory file, in place (comments and layout are kept)')
    .argument('<host>', 'host name')
    .option('-i, --inventory <file>', 'the inventory file to edit', collect)
    .option('--group <group>', 'the group to add the host to (created when missing)')
    .option('--var <name=value>', 'a host variable (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  tsbook inventory add pi09 -i inventory/homelab.yaml --group pis --var ansible_host=10.4.0.29')
    .exitOverride()
    .action(async (host: string, _options: InventoryAddOptions, cmd: Command) => {
      process.stdout.write(`${await inventoryAdd(host, cmd.optsWithGlobals<InventoryAddOptions>())}\n`);
    });
  inventory
    .command('remove')
    .description('Remove a host from an inventory file (from every group, or only from --group), in place')
    .argument('<host>', 'host name')
    .option('-i, --inventory <file>', 'the inventory file to edit', collect)
    .option('--group <group>', 'only remove the host from this group')
    .exitOverride()
    .action(async (host: string, _options: InventoryRemoveOptions, cmd: Command) => {
      process.stdout.write(`${await inventoryRemove(host, cmd.optsWithGlobals<InventoryRemoveOptions>())}\n`);
    });
}
