import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { inventorySchema, playbookSchema, schemaText } from '../../src/load/schemas.js';
import { allModules } from '../../src/modules/registry.js';
import { TEST_MODULES } from '../fixtures/playbooks/modules.js';

function yamlFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`) : [];
}

function compile(schema: object) {
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe('committed schemas are up to date', () => {
  for (const [name, schema] of [['playbook', playbookSchema()], ['inventory', inventorySchema()]] as const) {
    it(`schemas/${name}.schema.json`, () => {
      const committed = existsSync(`schemas/${name}.schema.json`) ? readFileSync(`schemas/${name}.schema.json`, 'utf8') : '';
      expect(committed === schemaText(schema), `schemas/${name}.schema.json is stale: run \`npm run schemas\``).toBe(true);
    });
  }
});

describe('playbook schema', () => {
  const validate = compile(playbookSchema(TEST_MODULES));

  it('embeds every registered module under its short and FQCN names', () => {
    const schema = playbookSchema() as { definitions: Record<string, unknown> & { task: { properties: Record<string, unknown> } } };
    for (const module of allModules()) {
      expect(schema.definitions[`module_${module.name}`]).toBeDefined();
      expect(schema.definitions.task.properties[`ansible.builtin.${module.name}`]).toEqual({ $ref: `#/definitions/module_${module.name}` });
    }
  });

  it('accepts the loader fixtures and k=v strings', () => {
    for (const file of ['test/fixtures/playbooks/site.yaml', 'test/fixtures/playbooks/roles.yaml']) {
      expect(validate(parse(readFileSync(file, 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('rejects unknown keywords, module arguments and plays without hosts', () => {
    expect(validate([{ hosts: 'all', taks: [] }])).toBe(false);
    expect(validate([{ hosts: 'all', tasks: [{ copy: { src: 'a', dset: 'b' } }] }])).toBe(false);
    expect(validate([{ tasks: [] }])).toBe(false);
    expect(validate([{ import_playbook: 'x.yaml', tags: ['a'] }])).toBe(true);
  });
});

describe('shipped files validate against the schemas', () => {
  const playbook = compile(playbookSchema());
  const inventory = compile(inventorySchema());
  it('has shipped files to check', () => {
    expect(yamlFiles('playbooks')).toContain('playbooks/demo.yaml');
  });
  for (const file of yamlFiles('playbooks')) {
    it(file, () => {
      expect(playbook(parse(readFileSync(file, 'utf8'))), JSON.stringify(playbook.errors)).toBe(true);
    });
  }
  for (const file of yamlFiles('inventory')) {
    it(file, () => {
      expect(inventory(parse(readFileSync(file, 'utf8'))), JSON.stringify(inventory.errors)).toBe(true);
    });
  }
});

describe('the generated playbook schema rejects the bad fixtures that are schema errors', () => {
  const validate = compile(playbookSchema());
  // Errors the loader finds beyond the schema (cycles, missing files, k=v text, two modules in one
  // task) are not listed: a JSON Schema cannot see them.
  const schemaErrors = [
    'args-not-map.yaml', 'bad-enum.yaml', 'bad-loop-control.yaml', 'bad-serial.yaml', 'bad-serial-list.yaml', 'bad-tags.yaml',
    'bad-when.yaml', 'block-not-list.yaml', 'block-unknown-keyword.yaml', 'handler-bad.yaml', 'import-playbook-bad-key.yaml',
    'import-role-bad-option.yaml', 'include-role-no-name.yaml', 'include-tasks-no-file.yaml', 'listen-on-task.yaml',
    'loop-control-not-map.yaml', 'missing-required.yaml', 'not-a-list.yaml', 'play-bad-order.yaml', 'play-bool.yaml',
    'play-empty-hosts.yaml', 'play-hosts-map.yaml', 'play-no-hosts.yaml', 'play-not-map.yaml', 'play-unknown-keyword.yaml',
    'play-vars-list.yaml', 'rescue-without-block.yaml', 'task-not-map.yaml', 'tasks-not-list.yaml', 'unknown-arg.yaml',
    'unknown-keyword.yaml', 'unknown-module.yaml', 'unknown-with.yaml', 'wrong-type.yaml',
  ];
  for (const file of schemaErrors) {
    it(file, () => {
      expect(validate(parse(readFileSync(`test/fixtures/bad/${file}`, 'utf8')))).toBe(false);
    });
  }
});
