import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { isMap, isSeq } from 'yaml';
import { LoadError } from '../model/errors.js';
import { loadPlaybook } from '../load/playbook.js';
import { parseYaml } from '../load/yaml.js';
import { EXIT, describeError, exitCodeFor } from './exit.js';

export type ValidatedKind = 'playbook' | 'inventory';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new LoadError(`could not read ${path}: ${reason}`);
  }
}

/** A YAML list is a playbook; a mapping, or an INI file (.ini or no extension, not starting with `-`), is an inventory. */
export async function detectKind(path: string): Promise<ValidatedKind> {
  const text = await readText(path);
  if (['.ini', '.cfg', ''].includes(extname(path).toLowerCase())) {
    const first = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
    if (!first.trimStart().startsWith('-')) return 'inventory';
  }
  const root = parseYaml(path, text).doc.contents;
  if (isMap(root)) return 'inventory';
  if (isSeq(root)) return 'playbook';
  return 'playbook';
}

/** Loads one file as a playbook or inventory; throws the located error. */
export async function validateFile(path: string): Promise<ValidatedKind> {
  const kind = await detectKind(path);
  if (kind === 'playbook') await loadPlaybook(path);
  else {
    const { loadInventory } = await import('../load/inventory.js');
    await loadInventory([path]);
  }
  return kind;
}

export interface ValidateOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: ValidateOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** `tsbook validate FILE...`: prints `FILE: ok` per valid file; returns 0, or 4 (parser error) if any failed. */
export async function validateFiles(files: readonly string[], out: ValidateOutput = processOutput, debug = false): Promise<number> {
  let code: number = EXIT.ok;
  for (const file of files) {
    try {
      await validateFile(file);
      out.stdout(`${file}: ok\n`);
    } catch (err) {
      out.stderr(`${describeError(err, debug)}\n`);
      const c = exitCodeFor(err);
      if (code === EXIT.ok || c === EXIT.parserError) code = c;
    }
  }
  return code;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check playbooks and inventories: syntax, keywords, modules and their arguments')
    .argument('<file...>', 'playbook or inventory files (a YAML list is a playbook, a mapping an inventory)')
    .action(async (files: string[]) => {
      process.exitCode = await validateFiles(files, processOutput, program.opts<{ debug?: boolean }>().debug === true);
    });
}
