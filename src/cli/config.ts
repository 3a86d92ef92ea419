/**
 * `tsbook config dump [--only-changed] [-t base|all]` and `tsbook config view`: ansible-config's
 * output for the ansible.cfg settings tsbook supports.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { UsageError } from '../model/errors.js';
import { dumpConfig, loadConfig } from '../load/config.js';

export interface ConfigCliOptions {
  readonly onlyChanged?: boolean;
  readonly changedOnly?: boolean;
  readonly type?: 'base' | 'all';
}

export interface ConfigIo {
  write(text: string): void;
  warn(text: string): void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

function processIo(): ConfigIo {
  return {
    write: (t) => void process.stdout.write(t),
    warn: (t) => void process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}

/** `config dump`: one `NAME(origin) = value` line per setting, sorted, like ansible-config. */
export async function configDump(options: ConfigCliOptions, io: ConfigIo = processIo()): Promise<number> {
  const config = await loadConfig({ cwd: io.cwd, env: io.env });
  for (const w of config.warnings) io.warn(`[WARNING]: ${w}\n`);
  for (const n of config.notes) io.warn(`[tsbook] note: ${n}\n`);
  io.write(`${dumpConfig(config, { onlyChanged: options.onlyChanged || options.changedOnly, all: options.type === 'all' }).join('\n')}\n`);
  return 0;
}

/** `config view`: the ansible.cfg in use, verbatim. */
export async function configView(io: ConfigIo = processIo()): Promise<number> {
  const config = await loadConfig({ cwd: io.cwd, env: io.env });
  if (config.file === undefined) throw new UsageError('No config file found; using defaults');
  io.write(await readFile(config.file, 'utf8'));
  return 0;
}

/** Adds `tsbook config` (ansible-config dump/view). */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('Show the effective ansible.cfg settings (like ansible-config)');
  const dump = config
    .command('dump')
    .description("Dump the settings tsbook reads and where each came from ('default', an environment variable, or the ansible.cfg)")
    .option('--only-changed', 'only show settings not at their default')
    .addOption(new Option('--changed-only').hideHelp())
    .addOption(new Option('-t, --type <type>', 'base settings, or all (with the ssh connection settings)').choices(['base', 'all']).default('base'))
    .action(async (options: ConfigCliOptions) => {
      process.exitCode = await configDump(options);
    });
  const view = config
    .command('view')
    .description('Print the ansible.cfg in use')
    .action(async () => {
      process.exitCode = await configView();
    });
  for (const c of [config, dump, view]) c.exitOverride();
}
