import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { allModules, ENGINE_ACTIONS } from '../modules/registry.js';
import type { JsonSchema, Module } from '../modules/types.js';

/** The repository's docs/ directory (next to dist/ and src/). */
export function docsDir(): string {
  return fileURLToPath(new URL('../../docs/', import.meta.url));
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  array: 'list',
  object: 'mapping',
  null: 'null',
};

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A schema's type in words: `string`, `list of string`, `string | list of string`, `any`. */
export function typeText(schema: JsonSchema): string {
  if (Array.isArray(schema['anyOf'])) {
    const parts = (schema['anyOf'] as unknown[]).filter(isSchema).map(typeText);
    return [...new Set(parts)].join(' | ');
  }
  const raw = schema['type'];
  const types = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string') : [];
  if (types.length === 0) return Array.isArray(schema['enum']) ? 'string' : 'any';
  const items = isSchema(schema['items']) ? typeText(schema['items']) : undefined;
  const listOf = items?.includes(' | ') ? `list of (${items})` : `list of ${items}`;
  return types.map((t) => (t === 'array' && items && items !== 'any' ? listOf : (TYPE_NAMES[t] ?? t))).join(' | ');
}

function code(value: unknown): string {
  return `\`${typeof value === 'string' && value !== '' ? value : JSON.stringify(value)}\``;
}

/** Table cell text: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n+/g, ' ').replace(/\|/g, '\\|').trim();
}

/** The argument names listed in `required`, and the "one of" groups of a top-level `anyOf: [{required: [...]}]`. */
function requirements(args: JsonSchema): { readonly required: ReadonlySet<string>; readonly oneOf: readonly string[][] } {
  const required = new Set(Array.isArray(args['required']) ? (args['required'] as string[]) : []);
  const oneOf: string[][] = [];
  if (Array.isArray(args['anyOf'])) {
    const names = (args['anyOf'] as unknown[]).filter(isSchema).flatMap((alt) => (Array.isArray(alt['required']) ? (alt['required'] as string[]) : []));
    if (names.length > 0) oneOf.push(names);
  }
  return { required, oneOf };
}

function argumentRows(args: JsonSchema): string[] {
  const properties = isSchema(args['properties']) ? args['properties'] : {};
  const { required, oneOf } = requirements(args);
  const inOneOf = new Set(oneOf.flat());
  const rows = Object.entries(properties)
    .filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]))
    .map(([name, schema]) => {
      const req = required.has(name) ? 'yes' : inOneOf.has(name) ? 'one of' : '';
      const dflt = 'default' in schema ? code(schema['default']) : '';
      const choices = Array.isArray(schema['enum']) ? (schema['enum'] as unknown[]).map(code).join(', ') : '';
      const description = typeof schema['description'] === 'string' ? schema['description'] : '';
      return `| \`${name}\` | ${cell(typeText(schema))} | ${req} | ${cell(dflt)} | ${cell(choices)} | ${cell(description)} |`;
    });
  if (rows.length === 0) return [];
  return ['| argument | type | required | default | choices | description |', '| --- | --- | --- | --- | --- | --- |', ...rows];
}

function firstSentence(text: string): string {
  const m = /^(.*?(?<!\be\.g|\bi\.e)[.!?])(?=\s+[A-Z]|\s*$)/s.exec(text);
  return (m ? m[1]! : text).replace(/\s+/g, ' ');
}

/** GitHub's heading anchor for a module name (`ansible.posix.mount` -> `ansibleposixmount`). */
export function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_ -]/g, '').replace(/ /g, '-');
}

function moduleFacts(module: Module): string[] {
  const facts: string[] = [];
  if (module.aliases && module.aliases.length > 0) facts.push(`- **Also called:** ${module.aliases.map(code).join(', ')}`);
  if (module.freeForm) {
    const how = module.freeForm.required ? 'required' : 'optional';
    facts.push(`- **Free-form:** \`${module.name}: <text>\` sets \`${module.freeForm.arg}\` (${how}).`);
  }
  facts.push(
    module.checkMode === 'full'
      ? '- **Check mode:** supported: with `--check` it reports what would change and changes nothing.'
      : '- **Check mode:** not supported: with `--check` the task is skipped.',
  );
  if (module.controllerOnly) facts.push('- **Runs on:** the controller; no connection to the host is opened.');
  if (module.secrets && module.secrets.length > 0) {
    facts.push(`- **Secret return values:** ${module.secrets.map(code).join(', ')}: always redacted from output, even without \`no_log\`.`);
  }
  const { oneOf } = requirements(module.args);
  for (const group of oneOf) facts.push(`- **Required:** one of ${group.map(code).join(', ')}.`);
  return facts;
}

function moduleSection(module: Module): string[] {
  const args = module.args;
  const rows = argumentRows(args);
  const lines = [`## ${module.name}`, '', module.description, '', ...moduleFacts(module), ''];
  if (args['additionalProperties'] !== false) {
    const what = typeof args['description'] === 'string' ? ` ${args['description']}` : '';
    lines.push(`Arguments: any \`name: value\` pairs${rows.length > 0 ? ', and the ones below' : ''}.${what}`, '');
  } else if (rows.length === 0) lines.push('No arguments.', '');
  if (rows.length > 0) lines.push(...rows, '');
  return lines;
}

/** docs/modules.md, generated from the module registry. Pure: the same registry gives the same text. */
export function renderModulesDoc(): string {
  const modules = allModules();
  const lines = [
    '# Modules',
    '',
    '<!-- Generated by `tsbook docs --write` (also run by `tsbook schema --write`) from src/modules/registry.ts. Do not edit by hand; test/cli/docs.test.ts fails when it is stale. -->',
    '',
    `tsbook ships ${modules.length} modules. Modules with a short name also answer to \`ansible.builtin.<name>\` and \`ansible.legacy.<name>\`.`,
    'Arguments are checked against the schema below when the playbook is loaded (`tsbook validate`), and the same schemas',
    'drive editor completion (`schemas/playbook.schema.json`, see [editor.md](editor.md)).',
    '',
    '| module | check mode | description |',
    '| --- | --- | --- |',
    ...modules.map((m) => `| [\`${m.name}\`](#${anchor(m.name)}) | ${m.checkMode === 'full' ? 'yes' : 'skipped'} | ${cell(firstSentence(m.description))} |`),
    '',
    `The engine itself handles ${ENGINE_ACTIONS.map(code).join(', ')} (they change the task flow, so they are not modules).`,
    '',
  ];
  for (const module of modules) lines.push(...moduleSection(module));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** Writes docs/modules.md; returns its path. */
export async function writeModulesDoc(dir: string = docsDir()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = `${dir.replace(/\/$/, '')}/modules.md`;
  await writeFile(path, renderModulesDoc());
  return path;
}

export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('Print the module reference (docs/modules.md, generated from the module registry), or --write it')
    .option('--write', 'write docs/modules.md')
    .action(async (options: { write?: boolean }) => {
      if (options.write) process.stdout.write(`wrote ${await writeModulesDoc()}\n`);
      else process.stdout.write(renderModulesDoc());
    });
}
