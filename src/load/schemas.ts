import type { JsonSchema, Module } from '../modules/types.js';
import { allModules, ENGINE_ACTIONS } from '../modules/registry.js';
import {
  BASE_KEYWORDS,
  CONDITIONAL_KEYWORDS,
  DELEGATION_KEYWORDS,
  HANDLER_KEYWORDS,
  LOOP_CONTROL_KEYS,
  LOOP_KINDS,
  PLAY_ORDERS,
  TASK_KEYWORDS,
  type KeywordType,
} from './keywords.js';

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
const PREFIXES = ['', 'ansible.builtin.', 'ansible.legacy.'];

function keywordSchema(type: KeywordType): JsonSchema {
  switch (type) {
    case 'bool':
      return { anyOf: [{ type: 'boolean' }, BOOLEAN_WORDS, TEMPLATE_STRING] };
    case 'string':
      return { type: ['string', 'number', 'boolean'] };
    case 'int':
      return { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*[-+]?\\d+\\s*$' }, TEMPLATE_STRING] };
    case 'tags':
      return { type: ['string', 'number', 'array'], items: { type: ['string', 'number'] } };
    case 'strlist':
      return { type: ['string', 'array'], items: { type: ['string', 'number', 'boolean'] } };
    case 'condition':
      return { $ref: '#/definitions/condition' };
    case 'vars':
      return { anyOf: [{ type: ['object', 'null'] }, { type: 'array', items: { type: 'object' } }] };
    case 'any':
      return {};
  }
}

function keywordProperties(table: Readonly<Record<string, KeywordType>>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(table).map(([k, t]) => [k, keywordSchema(t)]));
}

const TEMPLATE_STRING: JsonSchema = { type: 'string', pattern: '\\{\\{|\\{%' };
const BOOLEAN_WORDS: JsonSchema = { type: 'string', enum: ['yes', 'no', 'true', 'false', 'on', 'off', 'y', 'n', 'Yes', 'No', 'True', 'False'] };
const SUBSCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else'];
const SUBSCHEMA_LIST_KEYS = ['anyOf', 'oneOf', 'allOf'];

function isSchemaObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A module argument schema that also accepts what Ansible accepts before templating: a `{{ }}`
 * string anywhere a non-string is expected, and yes/no words for booleans.
 */
export function allowTemplates(schema: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = { ...schema };
  if (isSchemaObject(schema.properties)) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, isSchemaObject(v) ? allowTemplates(v) : v]));
  }
  for (const key of SUBSCHEMA_KEYS) if (isSchemaObject(schema[key])) out[key] = allowTemplates(schema[key] as JsonSchema);
  for (const key of SUBSCHEMA_LIST_KEYS) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((v) => (isSchemaObject(v) ? allowTemplates(v) : v));
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [String(schema.type)];
  const restricted = (types.length > 0 && !types.includes('string')) || schema.enum !== undefined || schema.const !== undefined;
  if (!restricted) return out;
  const { description, default: def, ...rest } = out;
  const alternatives: JsonSchema[] = [rest, TEMPLATE_STRING];
  if (types.includes('boolean')) alternatives.push(BOOLEAN_WORDS);
  return { ...(description === undefined ? {} : { description }), ...(def === undefined ? {} : { default: def }), anyOf: alternatives };
}

/** A module's args schema as embedded: k=v strings and `null` allowed, schema-level ids removed. */
function moduleDefinition(module: Module): JsonSchema {
  const { $schema: _s, $id: _i, ...raw } = module.args;
  const args = allowTemplates(raw);
  return {
    description: module.description,
    anyOf: [{ type: 'string', description: 'free-form or key=value arguments' }, { type: 'null' }, args],
  };
}

const ROLE_ACTION: JsonSchema = {
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: {
        name: { type: 'string' },
        tasks_from: { type: 'string' },
        vars_from: { type: 'string' },
        defaults_from: { type: 'string' },
        handlers_from: { type: 'string' },
        public: { type: ['boolean', 'string'] },
        allow_duplicates: { type: ['boolean', 'string'] },
        rolespec_validate: { type: ['boolean', 'string'] },
        apply: { type: 'object' },
      },
      required: ['name'],
      additionalProperties: false,
    },
  ],
};

const TASKS_ACTION: JsonSchema = {
  anyOf: [
    { type: 'string' },
    { type: 'object', properties: { file: { type: 'string' }, apply: { type: 'object' } }, required: ['file'], additionalProperties: false },
  ],
};

function engineActionSchema(name: string): JsonSchema {
  switch (name) {
    case 'meta':
      return { type: 'string', description: 'flush_handlers, end_play, end_host, end_batch, clear_facts, clear_host_errors, noop, refresh_inventory, reset_connection, role_complete' };
    case 'include_tasks':
    case 'import_tasks':
      return TASKS_ACTION;
    case 'include_role':
    case 'import_role':
      return ROLE_ACTION;
    default:
      return { type: 'string' };
  }
}

function actionProperties(modules: readonly Module[]): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  for (const module of modules) {
    const ref = { $ref: `#/definitions/module_${module.name}` };
    for (const prefix of PREFIXES) props[prefix + module.name] = ref;
    for (const alias of module.aliases ?? []) props[alias] = ref;
  }
  for (const name of ENGINE_ACTIONS) {
    if (name === 'import_playbook') continue;
    for (const prefix of PREFIXES) props[prefix + name] = { $ref: `#/definitions/action_${name}` };
  }
  return props;
}

function taskDefinition(handler: boolean, modules: readonly Module[]): JsonSchema {
  const loopProps = Object.fromEntries(LOOP_KINDS.map((k) => [k, {}]));
  return {
    type: 'object',
    properties: {
      ...keywordProperties({ ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS, ...TASK_KEYWORDS, ...(handler ? HANDLER_KEYWORDS : {}) }),
      action: { type: ['string', 'object'] },
      local_action: { type: ['string', 'object'] },
      args: { type: 'object' },
      loop: {},
      ...loopProps,
      loop_control: {
        type: 'object',
        properties: Object.fromEntries(LOOP_CONTROL_KEYS.map((k) => [k, k === 'pause' ? { type: ['number', 'string'] } : k === 'extended' ? { type: ['boolean', 'string'] } : { type: 'string' }])),
        additionalProperties: false,
      },
      ...actionProperties(modules),
    },
    additionalProperties: false,
  };
}

function blockDefinition(list: string): JsonSchema {
  return {
    type: 'object',
    properties: {
      ...keywordProperties({ ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS }),
      block: { $ref: `#/definitions/${list}` },
      rescue: { $ref: `#/definitions/${list}` },
      always: { $ref: `#/definitions/${list}` },
    },
    required: ['block'],
    additionalProperties: false,
  };
}

function listDefinition(block: string, task: string): JsonSchema {
  return {
    type: ['array', 'null'],
    items: { if: { type: 'object', required: ['block'] }, then: { $ref: `#/definitions/${block}` }, else: { $ref: `#/definitions/${task}` } },
  };
}

const ROLE_ENTRY: JsonSchema = {
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: { role: { type: 'string' }, name: { type: 'string' }, ...keywordProperties({ ...BASE_KEYWORDS, ...CONDITIONAL_KEYWORDS, ...DELEGATION_KEYWORDS }) },
      anyOf: [{ required: ['role'] }, { required: ['name'] }],
      additionalProperties: true,
    },
  ],
};

function playDefinition(): JsonSchema {
  const percentOrCount = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' }, TEMPLATE_STRING] };
  return {
    type: 'object',
    properties: {
      ...keywordProperties(BASE_KEYWORDS),
      hosts: { type: ['string', 'array'], items: { type: ['string', 'number'] } },
      gather_facts: keywordSchema('bool'),
      gather_subset: { type: ['string', 'array'], items: { type: 'string' } },
      vars_files: { type: ['string', 'array', 'null'], items: { type: ['string', 'array'], items: { type: 'string' } } },
      vars_prompt: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          properties: Object.fromEntries(['name', 'prompt', 'default', 'private', 'confirm', 'encrypt', 'salt_size', 'salt', 'unsafe'].map((k) => [k, {}])),
          required: ['name'],
          additionalProperties: false,
        },
      },
      serial: { anyOf: [percentOrCount, { type: 'array', items: percentOrCount }] },
      strategy: { type: 'string' },
      max_fail_percentage: { type: ['number', 'string'] },
      force_handlers: keywordSchema('bool'),
      order: { enum: [...PLAY_ORDERS] },
      pre_tasks: { $ref: '#/definitions/tasks' },
      roles: { type: ['array', 'null'], items: { $ref: '#/definitions/role_entry' } },
      tasks: { $ref: '#/definitions/tasks' },
      post_tasks: { $ref: '#/definitions/tasks' },
      handlers: { $ref: '#/definitions/handlers' },
    },
    required: ['hosts'],
    additionalProperties: false,
  };
}

function importPlaybookDefinition(): JsonSchema {
  const keys = Object.fromEntries(PREFIXES.map((p) => [`${p}import_playbook`, { type: 'string' }]));
  return {
    type: 'object',
    properties: { ...keys, name: { type: 'string' }, tags: keywordSchema('tags'), vars: keywordSchema('vars'), when: keywordSchema('condition') },
    additionalProperties: false,
  };
}

/** The JSON Schema (draft-07) of a playbook, with every registered module's arguments. */
export function playbookSchema(modules: readonly Module[] = allModules()): JsonSchema {
  const sortedModules = [...modules].sort((a, b) => a.name.localeCompare(b.name));
  const definitions: Record<string, JsonSchema> = {
    condition: { type: ['string', 'boolean', 'array'], items: { type: ['string', 'boolean'] } },
    play: playDefinition(),
    import_playbook: importPlaybookDefinition(),
    role_entry: ROLE_ENTRY,
    tasks: listDefinition('block', 'task'),
    handlers: listDefinition('handler_block', 'handler'),
    block: blockDefinition('tasks'),
    handler_block: blockDefinition('handlers'),
    task: taskDefinition(false, sortedModules),
    handler: taskDefinition(true, sortedModules),
  };
  for (const name of ENGINE_ACTIONS) if (name !== 'import_playbook') definitions[`action_${name}`] = engineActionSchema(name);
  for (const module of sortedModules) definitions[`module_${module.name}`] = moduleDefinition(module);
  const importRequired = { anyOf: PREFIXES.map((p) => ({ required: [`${p}import_playbook`] })) };
  return {
    $schema: DRAFT_07,
    title: 'tsbook playbook',
    description: 'A list of plays and import_playbook entries (Ansible playbook syntax).',
    type: 'array',
    items: { if: { type: 'object', ...importRequired }, then: { $ref: '#/definitions/import_playbook' }, else: { $ref: '#/definitions/play' } },
    definitions,
  };
}

/** The JSON Schema (draft-07) of a YAML inventory. */
export function inventorySchema(): JsonSchema {
  const vars = { type: ['object', 'null'], description: 'variables' };
  return {
    $schema: DRAFT_07,
    title: 'tsbook inventory',
    description: 'An Ansible YAML inventory: groups (usually `all`) with hosts, vars and children.',
    type: 'object',
    additionalProperties: { $ref: '#/definitions/group' },
    definitions: {
      group: {
        type: ['object', 'null'],
        properties: {
          hosts: { type: ['object', 'null'], additionalProperties: vars },
          vars,
          children: { type: ['object', 'null'], additionalProperties: { $ref: '#/definitions/group' } },
        },
        additionalProperties: false,
      },
    },
  };
}

/** Serialised the way schemas/*.json are committed. */
export function schemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
