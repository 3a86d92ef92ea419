import { Command, Option } from 'commander';
import { runPlaybook } from '../engine/run.js';
import { loadInventory } from '../load/inventory.js';
import { parseKv, RAW_CHECK_ACTIONS } from '../load/module-args.js';
import { parseExtraVars } from '../load/playbook.js';
import { UsageError } from '../model/errors.js';
import type { Play, Task } from '../model/playbook.js';
import { canonicalModuleName, findModule } from '../modules/registry.js';
import { jsonRenderer } from '../output/json.js';
import { minimalRenderer } from '../output/minimal.js';
import type { RunCliOptions } from './options.js';
import { resolveRunSettings } from './settings.js';
import { addConnectionOptions } from './run.js';
import { useColor } from './run-command.js';
import { connectFor } from './connect.js';
import { promptSecret } from './prompt.js';

interface AdhocOptions extends RunCliOptions {
  readonly moduleName?: string;
  readonly args?: string;
}

const ADHOC_SOURCE = { file: '<adhoc>', line: 1, col: 1 } as const;

/** The one task an ad-hoc run executes, from `-m MODULE -a ARGS` as `ansible` parses them. */
export function adhocTask(moduleName: string, args: string): Task {
  const action = canonicalModuleName(moduleName);
  const module = findModule(action);
  if (!module) throw new UsageError(`couldn't resolve module/action '${moduleName}'`);
  const trimmed = args.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    return { kind: 'task', source: ADHOC_SOURCE, action, args: parsed };
  }
  const kv = parseKv(trimmed, RAW_CHECK_ACTIONS.has(action) || Boolean(module.freeForm));
  if (module.freeForm && kv.raw === undefined && module.freeForm.required) {
    throw new UsageError(`No argument passed to ${action} module`);
  }
  const taskArgs: Record<string, unknown> = { ...kv.options };
  if (module.freeForm && kv.raw !== undefined) {
    return { kind: 'task', source: ADHOC_SOURCE, action, args: taskArgs, freeForm: kv.raw };
  }
  return { kind: 'task', source: ADHOC_SOURCE, action, args: taskArgs };
}

export function adhocPlay(pattern: string, task: Task): Play {
  return {
    kind: 'play',
    source: ADHOC_SOURCE,
    name: 'Ansible Ad-Hoc',
    hosts: pattern,
    gather_facts: false,
    vars_files: [],
    pre_tasks: [],
    roles: [],
    tasks: [task],
    post_tasks: [],
    handlers: [],
    baseDir: process.cwd(),
  };
}

async function runAdhoc(pattern: string, moduleName: string, args: string, options: AdhocOptions): Promise<number> {
  const settings = await resolveRunSettings(options);
  const inventory = await loadInventory(settings.inventorySources, {
    onWarning: (message) => void process.stderr.write(`[WARNING]: ${message}\n`),
  });
  const task = adhocTask(moduleName, args);
  const extraVars = await parseExtraVars(options.extraVars ?? [], process.cwd());
  const out = { write: (text: string) => void process.stdout.write(text) };
  const becomePassword = settings.askBecomePass ? await promptSecret('BECOME password: ') : undefined;
  const connectionPassword = options.askPass ? await promptSecret('SSH password: ') : undefined;
  const result = await runPlaybook({
    playbooks: [{ file: '<adhoc>', plays: [adhocPlay(pattern, task)] }],
    inventory,
    limit: options.limit,
    check: options.check ?? false,
    diff: options.diff ?? false,
    extraVars,
    forks: settings.forks,
    become: settings.become,
    becomeUser: settings.becomeUser,
    becomeMethod: settings.becomeMethod,
    remoteUser: settings.remoteUser,
    decryptVault: settings.keyring.decryptVaultText,
    secrets: settings.keyring.decryptedValues(),
    becomePassword,
    connectionPassword,
    connect: connectFor({ ...options, ...settings }, settings.timeout, connectionPassword),
    connectionTimeout: settings.timeout,
    privateKey: settings.privateKey,
    verbosity: options.verbose ?? 0,
    onEvent: options.json ? jsonRenderer(out) : minimalRenderer(out, { color: useColor(options) }),
  });
  return result.exitCode;
}

export function registerAdhoc(program: Command): void {
  const adhoc = program
    .command('adhoc')
    .description('Run one module on the hosts matching a pattern (like `ansible`)')
    .argument('<pattern>', 'host pattern')
    .option('-m, --module-name <module>', 'module to run', 'command')
    .option('-a, --args <args>', 'module arguments (k=v, free form, or JSON)', '');
  addConnectionOptions(adhoc);
  adhoc.addOption(new Option('--debug').hideHelp());
  adhoc.addHelpText(
    'after',
    `
Examples:
  tsbook adhoc all -i inventory/homelab.yaml -m ping
  tsbook adhoc pis -i inventory/homelab.yaml -m shell -a 'systemctl is-active kubelet'
  tsbook adhoc k8s_control_plane -i inventory/homelab.yaml -m copy -a 'src=x dest=/tmp/x' --check`,
  );
  adhoc.action(async (pattern: string, options: AdhocOptions) => {
    process.exitCode = await runAdhoc(pattern, options.moduleName ?? 'command', options.args ?? '', options);
  });

  const command = program
    .command('command')
    .description('Run a shell command on the hosts matching a pattern (shorthand for adhoc -m shell)')
    .argument('<pattern>', 'host pattern')
    .argument('<command>', 'the command line, run by /bin/sh on each host');
  addConnectionOptions(command);
  command.addOption(new Option('--debug').hideHelp());
  command.addHelpText(
    'after',
    `
Examples:
  tsbook command all -i inventory/homelab.yaml 'systemctl status kubelet'
  tsbook command pi01 -i inventory/homelab.yaml 'uptime' --become`,
  );
  command.action(async (pattern: string, commandLine: string, options: AdhocOptions) => {
    process.exitCode = await runAdhoc(pattern, 'shell', commandLine, options);
  });
}


