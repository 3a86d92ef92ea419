import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { inventorySchema, playbookSchema, schemaText } from '../load/schemas.js';
import { writeModulesDoc } from './docs.js';
import { eventsSchemaText } from '../events/schema.js';

export type SchemaKind = 'playbook' | 'inventory' | 'events';

/** The text of schemas/<kind>.schema.json as generated from the code. */
export function schemaFor(kind: SchemaKind): string {
  if (kind === 'events') return eventsSchemaText();
  return schemaText(kind === 'playbook' ? playbookSchema() : inventorySchema());
}

/** The repository's schemas/ directory (next to dist/ and src/). */
export function schemasDir(): string {
  return fileURLToPath(new URL('../../schemas/', import.meta.url));
}

/** Writes schemas/{playbook,inventory,events}.schema.json; returns the paths. */
export async function writeSchemas(dir: string = schemasDir()): Promise<string[]> {
  const written: string[] = [];
  for (const kind of ['playbook', 'inventory', 'events'] as const) {
    const path = `${dir.replace(/\/$/, '')}/${kind}.schema.json`;
    await writeFile(path, schemaFor(kind));
    written.push(path);
  }
  return written;
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of playbooks or inventories (for editors), or --write them to schemas/')
    .argument('[kind]', 'playbook, inventory or events (the --json event stream)', 'playbook')
    .option('--write', 'write schemas/playbook.schema.json and schemas/inventory.schema.json (and docs/modules.md)')
    .action(async (kind: string, options: { write?: boolean }) => {
      if (kind !== 'playbook' && kind !== 'inventory' && kind !== 'events') throw new UsageError(`unknown schema '${kind}': expected playbook, inventory or events`);
      if (options.write) {
        for (const path of await writeSchemas()) process.stdout.write(`wrote ${path}\n`);
        process.stdout.write(`wrote ${await writeModulesDoc()}\n`);
        return;
      }
      process.stdout.write(schemaFor(kind));
    });
}
