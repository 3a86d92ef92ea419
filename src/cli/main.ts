import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, describeError, exitCodeFor } from './exit.js';
import { registerRun } from './run.js';
import { registerInventory } from './inventory.js';
import { registerValidate } from './validate.js';
import { registerSchema } from './schema.js';
import { registerAdhoc } from './adhoc.js';
import { registerVault } from './vault.js';
import { registerConfig } from './config.js';
import { registerLab } from './lab.js';
import { registerDocs } from './docs.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('tsbook')
    .description('A declarative playbook runner with Ansible semantics')
    .version(`tsbook ${version()}`, '--version')
    .option('--debug', 'show stack traces for unexpected errors')
    .showSuggestionAfterError(true)
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  registerRun(program);
  registerInventory(program);
  registerValidate(program);
  registerSchema(program);
  registerAdhoc(program);
  registerVault(program);
  registerConfig(program);
  registerLab(program);
  registerDocs(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Entry point used by bin/tsbook. Never throws; always sets process.exitCode. */
export async function main(argv: readonly string[]): Promise<void> {
  const debug = argv.includes('--debug');
  // `tsbook run ... | head`: a closed stdout ends the output quietly, as ansible-playbook's does
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    process.stdout.destroy();
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = EXIT.ok;
        return;
      }
      process.exitCode = EXIT.badOptions;
      return;
    }
    process.stderr.write(`${describeError(err, debug)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) void main(process.argv);
