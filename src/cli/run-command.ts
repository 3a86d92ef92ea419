import { loadInventory } from '../load/inventory.js';
import { selectHosts } from '../load/patterns.js';
import { loadPlaybook, parseExtraVars } from '../load/playbook.js';
import { runPlaybook } from '../engine/run.js';
import type { EventListener } from '../events/types.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook, Vars } from '../model/playbook.js';
import { jsonRenderer } from '../output/json.js';
import { plainRenderer } from '../output/plain.js';
import { EXIT } from './exit.js';
import { formatListTags, formatListTasks, formatSyntaxCheck } from './listing.js';
import { formatListHosts } from './list-hosts.js';
import { Templar } from '../template/index.js';
import { parsePositiveInt, splitList, type RunCliOptions } from './options.js';
import { promptSecret, stepPrompter } from './prompt.js';
import { connectFor } from './connect.js';

const stdout = { write: (text: string) => void process.stdout.write(text) };
const stderr = { write: (text: string) => void process.stderr.write(text) };

export function useColor(options: Pick<RunCliOptions, 'color' | 'json'>): boolean {
  if (options.color === false || options.json) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.ANSIBLE_NOCOLOR && process.env.ANSIBLE_NOCOLOR !== '0') return false;
  return Boolean(process.stdout.isTTY);
}

function inventorySources(options: RunCliOptions): string[] {
  if (options.inventory && options.inventory.length > 0) return options.inventory;
  const fromEnv = process.env.ANSIBLE_INVENTORY;
  if (fromEnv) return fromEnv.split(',').filter((s) => s !== '');
  return [];
}

export async function loadRunInputs(playbookPaths: readonly string[], options: RunCliOptions): Promise<{ inventory: Inventory; playbooks: Playbook[] }> {
  const inventory = await loadInventory(inventorySources(options), {
    onWarning: (message) => stderr.write(`[WARNING]: ${message}\n`),
  });
  const playbooks: Playbook[] = [];
  for (const path of playbookPaths) playbooks.push(await loadPlaybook(path));
  return { inventory, playbooks };
}

function listHosts(playbook: Playbook, inventory: Inventory, limit: string | undefined, extraVars: Vars): string {
  const templar = new Templar(extraVars);
  const plays = playbook.plays.map((play) => {
    const pattern = String(templar.template(play.hosts));
    return { name: play.name ?? pattern, pattern, hosts: selectHosts(inventory, pattern, { limit, order: play.order }), tags: play.tags };
  });
  return formatListHosts(playbook.file, plays);
}

/** Runs `tsbook run`; returns the exit code. Throws TsbookError for user errors (mapped in main). */
export async function runCommand(playbookPaths: readonly string[], options: RunCliOptions): Promise<number> {
  const forks = parsePositiveInt('--forks', options.forks ?? process.env.ANSIBLE_FORKS, 5);
  const timeout = parsePositiveInt('--timeout', options.timeout ?? process.env.ANSIBLE_TIMEOUT, 10);
  const tags = splitList(options.tags);
  const skipTags = splitList(options.skipTags);
  const { inventory, playbooks } = await loadRunInputs(playbookPaths, options);

  if (options.syntaxCheck) {
    for (const playbook of playbooks) stdout.write(formatSyntaxCheck(playbook.file));
    return EXIT.ok;
  }
  if (options.listHosts || options.listTasks || options.listTags) {
    const extraVars = await parseExtraVars(options.extraVars ?? [], process.cwd());
    for (const playbook of playbooks) {
      if (options.listHosts) {
        stdout.write(listHosts(playbook, inventory, options.limit, extraVars));
      }
      if (options.listTasks) stdout.write(formatListTasks(playbook, { tags, skipTags }));
      if (options.listTags) stdout.write(formatListTags(playbook, { tags, skipTags }));
    }
    return EXIT.ok;
  }

  const extraVars = await parseExtraVars(options.extraVars ?? [], process.cwd());
  const becomePassword = options.askBecomePass ? await promptSecret('BECOME password: ') : undefined;
  const connectionPassword = options.askPass ? await promptSecret('SSH password: ') : undefined;

  const verbosity = options.verbose ?? 0;
  const onEvent: EventListener = options.json
    ? jsonRenderer(stdout)
    : plainRenderer(stdout, { color: useColor(options), verbosity, columns: process.stdout.isTTY ? process.stdout.columns : undefined });

  const stepper = options.step ? stepPrompter() : undefined;
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    stderr.write('\n[tsbook] interrupted: no new tasks will start\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runPlaybook({
      playbooks,
      inventory,
      limit: options.limit,
      tags,
      skipTags,
      check: options.check ?? false,
      diff: options.diff ?? false,
      extraVars,
      forks,
      startAtTask: options.startAtTask,
      step: stepper ? (task) => stepper.ask(task.name) : undefined,
      become: options.become,
      becomeUser: options.becomeUser,
      becomeMethod: options.becomeMethod,
      becomePassword,
      remoteUser: options.user,
      connectionTimeout: timeout,
      privateKey: options.privateKey,
      connectionPassword,
      forceHandlers: options.forceHandlers ?? false,
      verbosity,
      onEvent,
      signal: abort.signal,
      connect: connectFor(options, timeout, connectionPassword),
    });
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stepper?.close();
  }
}
