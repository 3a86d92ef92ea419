/**
 * The JSON Schema of one line of the NDJSON event stream (`--json`, `--json-file`): the RunEvent
 * union of ./types.ts written out by hand. schemas/events.schema.json is generated from it
 * (`tsbook schema --write`); test/events/schema.test.ts validates real runs against it.
 */
import type { RunEventName } from './types.js';

type Schema = Readonly<Record<string, unknown>>;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const str: Schema = { type: 'string' };
const strings: Schema = { type: 'array', items: str };
const count: Schema = { type: 'integer', minimum: 0 };

/** An object with exactly these properties (`required` lists the ones that must be there). */
function object(properties: Record<string, Schema>, required: readonly string[], description?: string): Schema {
  return { type: 'object', ...(description ? { description } : {}), properties, required: [...required], additionalProperties: false };
}

function event(name: RunEventName, description: string, properties: Record<string, Schema>, required: readonly string[]): Schema {
  return object({ event: { const: name }, ...properties }, ['event', ...required], description);
}

/** One entry per event kind: the compiler checks none is missing or extra. */
const EVENTS: { readonly [K in RunEventName]: Schema } = {
  run_start: event('run_start', 'The run begins.', { playbooks: strings, check: { type: 'boolean' }, time: { type: 'string', description: 'ISO 8601' } }, ['playbooks', 'check', 'time']),
  play_start: event('play_start', 'A play starts on these hosts (after --limit).', { name: str, hosts: strings, source: ref('source') }, ['name', 'hosts', 'source']),
  no_hosts: event('no_hosts', 'A play matched no hosts ("skipping: no hosts matched").', { name: str }, ['name']),
  task_start: event('task_start', 'A task (or handler) starts; `hosts` are the hosts it runs on.', { task: ref('task'), hosts: strings }, ['task', 'hosts']),
  host_task_start: event('host_task_start', 'One host starts a task (forks and throttle decide when).', { task: ref('task'), host: str }, ['task', 'host']),
  item_result: event('item_result', 'The result of one loop item.', { task: ref('task'), result: ref('result') }, ['task', 'result']),
  task_result: event('task_result', "A task's result on one host (for loops: all items together).", { task: ref('task'), result: ref('result') }, ['task', 'result']),
  host_unreachable: event('host_unreachable', 'A host became unreachable.', { task: ref('task'), host: str, reason: str }, ['task', 'host', 'reason']),
  task_progress: event('task_progress', 'Progress of a long task on one host, e.g. "7/11 Ready".', { task: ref('task'), host: str, message: str }, ['task', 'host', 'message']),
  handler_notified: event('handler_notified', 'A task notified a handler for a host.', { handler: str, host: str }, ['handler', 'host']),
  include: event('include', 'include_tasks/include_role loaded a file for these hosts.', { file: str, hosts: strings, item: {}, itemLabel: str }, ['file', 'hosts']),
  task_retry: event(
    'task_retry',
    'until/retries: an attempt failed and the task runs again ("FAILED - RETRYING").',
    { task: ref('task'), host: str, attempt: { type: 'integer', minimum: 1 }, retriesLeft: count, result: ref('result') },
    ['task', 'host', 'attempt', 'retriesLeft', 'result'],
  ),
  no_hosts_remaining: event('no_hosts_remaining', 'max_fail_percentage or any_errors_fatal stopped the play ("NO MORE HOSTS LEFT").', {}, []),
  connection_open: event(
    'connection_open',
    "A host's connection is opened: once per host and run (tsbook keeps it for the whole run).",
    { host: str, transport: str, user: str, address: str, port: { type: 'integer', minimum: 1 } },
    ['host', 'transport'],
  ),
  warning: event('warning', 'A warning, with where it comes from when known.', { message: str, source: ref('source') }, ['message']),
  play_end: event('play_end', 'A play is over.', { name: str }, ['name']),
  recap: event('recap', 'The last event: PLAY RECAP counts per host.', { hosts: { type: 'object', additionalProperties: ref('stats') } }, ['hosts']),
};

const DEFINITIONS: Record<string, Schema> = {
  source: object({ file: str, line: { type: 'integer', minimum: 1 }, col: { type: 'integer', minimum: 1 } }, ['file', 'line', 'col'], 'Where a task or play was written (1-based).'),
  task: object(
    { name: str, action: str, source: ref('source'), isHandler: { type: 'boolean' }, role: str },
    ['name', 'action', 'source', 'isHandler'],
    'The task a result belongs to.',
  ),
  result: object(
    {
      host: str,
      status: { enum: ['ok', 'changed', 'skipped', 'failed', 'unreachable'] },
      changed: { type: 'boolean' },
      msg: str,
      values: { type: 'object', description: 'The module values as Ansible would register them (secrets redacted).' },
      ignored: { type: 'boolean' },
      rescued: { type: 'boolean', description: "A failure that the enclosing block's rescue section handles." },
      item: {},
      itemLabel: str,
      delegatedTo: str,
      durationMs: { type: 'number', minimum: 0 },
      commands: {
        type: 'array',
        description: 'Commands the module ran (executed) or, in check mode, would have run.',
        items: object({ command: str, executed: { type: 'boolean' } }, ['command', 'executed']),
      },
      diff: { type: 'array', items: object({ before: str, after: str, before_header: str, after_header: str }, ['before', 'after']) },
      warnings: strings,
      noLog: { type: 'boolean' },
      error: object({ message: str, source: ref('source') }, ['message'], 'Why templating failed, and where.'),
    },
    ['host', 'status', 'changed', 'values', 'durationMs'],
    'The result of one task on one host (or one loop item).',
  ),
  stats: object(
    { ok: count, changed: count, unreachable: count, failed: count, skipped: count, rescued: count, ignored: count },
    ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'],
  ),
};

/** The schema of one NDJSON line: any RunEvent. */
export function eventsSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'tsbook run events',
    description: 'One line of `tsbook run --json` / `--json-file` output (NDJSON): a RunEvent. See docs/events.md.',
    type: 'object',
    required: ['event'],
    properties: { event: { enum: Object.keys(EVENTS) } },
    oneOf: Object.keys(EVENTS).map((name) => ref(`event_${name}`)),
    definitions: {
      ...DEFINITIONS,
      ...Object.fromEntries(Object.entries(EVENTS).map(([name, schema]) => [`event_${name}`, schema])),
    },
  };
}

export function eventsSchemaText(): string {
  return `${JSON.stringify(eventsSchema(), null, 2)}\n`;
}
