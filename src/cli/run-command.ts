import { loadInventory } from '../load/inventory.js';
import { writeRetryFiles } from './retry-files.js';
import { selectHosts } from '../load/patterns.js';
import { loadPlaybook, parseExtraVars } from '../load/playbook.js';
import { registryModules, type ModuleLookup } from '../load/module-args.js';
import { runPlaybook } from '../engine/run.js';
import type { EventListener } from '../events/types.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook, Vars } from '../model/playbook.js';
import { createRunOutput } from '../output/setup.js';
import { reportWriter } from '../output/report.js';
import { EXIT } from './exit.js';
import { formatListTags, formatListTasks, formatSyntaxCheck } from './listing.js';
import { formatListHosts } from './list-hosts.js';
import { Templar } from '../template/index.js';
import { splitList, type RunCliOptions } from './options.js';
import { resolveRunSettings } from './settings.js';
import type { VaultText } from '../model/values.js';
import { promptSecret, stepPrompter } from './prompt.js';
import { connectFor } from './connect.js';
import { resolveGracePeriod, watchInterrupts } from './interrupt.js';

const stdout = { write: (text: string) => void process.stdout.write(text) };
const stderr = { write: (text: string) => void process.stderr.write(text) };

export function useColor(options: Pick<RunCliOptions, 'color' | 'json'>): boolean {
  if (options.color === false || options.json) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.ANSIBLE_NOCOLOR && process.env.ANSIBLE_NOCOLOR !== '0') return false;
  return Boolean(process.stdout.isTTY);
}

export async function loadRunInputs(
  playbookPaths: readonly string[],
  sources: readonly string[],
  modules?: ModuleLookup,
): Promise<{ inventory: Inventory; playbooks: Playbook[] }> {
  const inventory = await loadInventory(sources, {
    onWarning: (message) => stderr.write(`[WARNING]: ${message}\n`),
  });
  const playbooks: Playbook[] = [];
  for (const path of playbookPaths) playbooks.push(await loadPlaybook(path, { modules }));
  return { inventory, playbooks };
}

function listHosts(playbook: Playbook, inventory: Inventory, limit: string | undefined, extraVars: Vars, decryptVault: (v: VaultText) => string): string {
  const templar = new Templar(extraVars, { decryptVault });
  const plays = playbook.plays.map((play) => {
    const pattern = String(templar.template(play.hosts));
    return { name: play.name ?? pattern, pattern, hosts: selectHosts(inventory, pattern, { limit, order: play.order }), tags: play.tags };
  });
  return formatListHosts(playbook.file, plays);
}

/** Runs `tsbook run`; returns the exit code. Throws TsbookError for user errors (mapped in main). */
export async function runCommand(playbookPaths: readonly string[], options: RunCliOptions): Promise<number> {
  const settings = await resolveRunSettings(options);
  const decryptVault = settings.keyring.decryptVaultText;
  const tags = splitList(options.tags);
  const skipTags = splitList(options.skipTags);
  // a module only in ansible.cfg's library path fails at load time with a clear message
  const modules: ModuleLookup = { ...registryModules, libraryModule: (name) => settings.config.findLibraryModule(name) };
  const { inventory, playbooks } = await loadRunInputs(playbookPaths, settings.inventorySources, modules);

  if (options.syntaxCheck) {
    for (const playbook of playbooks) stdout.write(formatSyntaxCheck(playbook.file));
    return EXIT.ok;
  }
  if (options.listHosts || options.listTasks || options.listTags) {
    const extraVars = await parseExtraVars(options.extraVars ?? [], process.cwd());
    for (const playbook of playbooks) {
      if (options.listHosts) {
        stdout.write(listHosts(playbook, inventory, options.limit, extraVars, decryptVault));
      }
      if (options.listTasks) stdout.write(formatListTasks(playbook, { tags, skipTags }));
      if (options.listTags) stdout.write(formatListTags(playbook, { tags, skipTags }));
    }
    return EXIT.ok;
  }

  const extraVars = await parseExtraVars(options.extraVars ?? [], process.cwd());
  const becomePassword = settings.askBecomePass ? await promptSecret('BECOME password: ') : undefined;
  const connectionPassword = options.askPass ? await promptSecret('SSH password: ') : undefined;

  const verbosity = options.verbose ?? 0;
  // live (TTY), plain or --json on stdout, plus --profile and --json-file (src/output/setup.ts)
  const output = createRunOutput({ ...options, color: useColor(options), verbosity });
  const retry = settings.retryFiles;
  // ansible-playbook writes the retry file and says so just before the PLAY RECAP
  const render: EventListener = retry
    ? (event) => {
        if (event.event === 'recap') for (const line of writeRetryFiles(playbookPaths, event.hosts, retry.dir)) (options.json ? stderr : stdout).write(line);
        output.listener(event);
      }
    : output.listener;
  const report = options.report === undefined ? undefined : reportWriter(options.report, (message) => stderr.write(`[ERROR]: ${message}\n`));
  const onEvent: EventListener = report
    ? (event) => {
        render(event);
        report.listener(event);
      }
    : render;

  const stepper = options.step ? stepPrompter() : undefined;
  const interrupts = watchInterrupts({ graceSeconds: resolveGracePeriod(options.gracePeriod, process.env), write: stderr.write });
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
      forks: settings.forks,
      startAtTask: options.startAtTask,
      step: stepper ? (task) => stepper.ask(task.name) : undefined,
      become: settings.become,
      becomeUser: settings.becomeUser,
      becomeMethod: settings.becomeMethod,
      becomePassword,
      remoteUser: settings.remoteUser,
      connectionTimeout: settings.timeout,
      privateKey: settings.privateKey,
      decryptVault,
      // vault plaintexts (a live set: it fills as values are decrypted); -K/-k passwords are hidden by the run itself
      secrets: settings.keyring.decryptedValues(),
      connectionPassword,
      forceHandlers: options.forceHandlers ?? false,
      verbosity,
      onEvent,
      signal: interrupts.stop,
      cancelSignal: interrupts.cancel,
      connect: connectFor({ ...options, ...settings }, settings.timeout, connectionPassword),
    });
    const reportWritten = report?.finish({ stats: result.stats, interrupted: interrupts.stop.aborted }) ?? true;
    return reportWritten || result.exitCode !== EXIT.ok ? result.exitCode : EXIT.error;
  } finally {
    // a run that stopped on an error: what was collected (no-op when written above)
    report?.finish({ interrupted: interrupts.stop.aborted });
    interrupts.dispose();
    stepper?.close();
    await output.close();
  }
}
