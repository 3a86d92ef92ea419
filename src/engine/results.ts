import type { TaskResult, TaskStatus } from '../events/types.js';
import type { FileDiff, ModuleResult, PlannedCommand } from '../modules/types.js';
import { isPlainObject, type VarsObject } from './vars.js';

export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** An Ansible result dict plus what the engine keeps beside it (never registered). */
export interface RawResult {
  /** The result dict exactly as Ansible would register it. */
  readonly dict: VarsObject;
  readonly commands: readonly PlannedCommand[];
  readonly diff?: readonly FileDiff[];
  readonly secrets: readonly string[];
  readonly noLog: boolean;
}

/** The dict a ModuleResult registers as: its values plus changed/failed/msg/skipped/ansible_facts/diff. */
export function moduleResultDict(result: ModuleResult): VarsObject {
  const dict: VarsObject = { ...(result.values ?? {}) };
  if (result.facts && Object.keys(result.facts).length > 0) dict.ansible_facts = { ...result.facts };
  if (result.factsCacheable) dict._ansible_facts_cacheable = true;
  if (result.msg !== undefined) dict.msg = result.msg;
  dict.changed = result.changed;
  if (result.failed !== undefined) dict.failed = result.failed;
  if (result.skipped) dict.skipped = true;
  if (result.warnings && result.warnings.length > 0) dict.warnings = [...result.warnings];
  // a module that registers `diff` itself (copy/template: a list) keeps that form
  if (result.diff && result.diff.length > 0 && !('diff' in dict)) dict.diff = result.diff.length === 1 ? { ...result.diff[0] } : result.diff.map((d) => ({ ...d }));
  return dict;
}

function flag(dict: VarsObject, key: string): boolean {
  if (key in dict) return Boolean(dict[key]);
  const results = dict.results;
  if (!Array.isArray(results)) return false;
  return results.some((r) => isPlainObject(r) && Boolean(r[key]));
}

/** TaskResult.is_failed: failed_when_result wins over failed when present. */
export function isFailed(dict: VarsObject): boolean {
  const results = Array.isArray(dict.results) ? dict.results : [];
  if ('failed_when_result' in dict || results.some((r) => isPlainObject(r) && 'failed_when_result' in r)) return flag(dict, 'failed_when_result');
  return flag(dict, 'failed');
}

export function isUnreachable(dict: VarsObject): boolean {
  return flag(dict, 'unreachable');
}

/** A loop is skipped only when every item was; otherwise the `skipped` key decides. */
export function isSkipped(dict: VarsObject): boolean {
  const results = dict.results;
  if (Array.isArray(results) && results.length > 0 && results.every((r) => isPlainObject(r) && Boolean(r.skipped))) return true;
  return Boolean(dict.skipped);
}

export function isChanged(dict: VarsObject): boolean {
  return flag(dict, 'changed');
}

export function statusOf(dict: VarsObject): TaskStatus {
  if (isUnreachable(dict)) return 'unreachable';
  if (isFailed(dict)) return 'failed';
  if (isSkipped(dict)) return 'skipped';
  return isChanged(dict) ? 'changed' : 'ok';
}

/** Removes internal keys (`_ansible_*`) as strip_internal_keys does before registering. */
export function stripInternal(dict: VarsObject): VarsObject {
  const out: VarsObject = {};
  for (const [key, value] of Object.entries(dict)) {
    if (key.startsWith('_ansible_') && key !== '_ansible_no_log') continue;
    if (key === '_ansible_no_log') continue;
    if (key === 'results' && Array.isArray(value)) out[key] = value.map((r) => (isPlainObject(r) ? stripInternal(r) : r));
    else out[key] = value;
  }
  return out;
}

function redactSecrets(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, secrets));
  if (!isPlainObject(value)) return value;
  const out: VarsObject = {};
  for (const [key, v] of Object.entries(value)) out[key] = secrets.has(key) && v !== undefined && v !== null ? '********' : redactSecrets(v, secrets);
  return out;
}

/** What events show of a result: censored under no_log, module secrets always masked. */
export function publicValues(dict: VarsObject, noLog: boolean, secrets: readonly string[]): VarsObject {
  if (noLog) {
    const out: VarsObject = { censored: NO_LOG_MESSAGE, changed: Boolean(dict.changed) };
    if ('failed' in dict) out.failed = dict.failed;
    if ('skipped' in dict) out.skipped = dict.skipped;
    if ('unreachable' in dict) out.unreachable = dict.unreachable;
    if (Array.isArray(dict.results)) out.results = dict.results.map((r) => (isPlainObject(r) ? publicValues(r, true, secrets) : r));
    return out;
  }
  const set = new Set(secrets);
  return set.size === 0 ? dict : (redactSecrets(dict, set) as VarsObject);
}

export interface EventResultInput {
  readonly host: string;
  readonly dict: VarsObject;
  readonly noLog: boolean;
  readonly secrets: readonly string[];
  readonly durationMs: number;
  readonly ignored?: boolean;
  readonly item?: unknown;
  readonly itemLabel?: string;
  readonly delegatedTo?: string;
  readonly commands?: readonly PlannedCommand[];
  readonly diff?: readonly FileDiff[];
  /** The templating error that failed the task (TaskResult.error). */
  readonly error?: TaskResult['error'];
  /** The failure is handled by the enclosing block's rescue. */
  readonly rescued?: boolean;
}

/** Raw values under a module's `secrets` keys, per TaskResult made by eventResult (see secretValuesOf). */
const SECRET_VALUES = new WeakMap<TaskResult, readonly unknown[]>();

/**
 * The unmasked values that eventResult hid under the module's `secrets` keys (at any depth, as
 * publicValues masks them). RunState.emit registers them with the run's Redactor, so the same value
 * is also hidden where it appears elsewhere (stdout, msg, a later debug of the registered result).
 */
export function secretValuesOf(result: TaskResult): readonly unknown[] {
  return SECRET_VALUES.get(result) ?? [];
}

function collectSecretValues(value: unknown, keys: ReadonlySet<string>, out: unknown[]): void {
  if (Array.isArray(value)) for (const v of value) collectSecretValues(v, keys, out);
  else if (isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (keys.has(key) && v !== undefined && v !== null) out.push(v);
      else collectSecretValues(v, keys, out);
    }
  }
}

/** The TaskResult an event carries. Under no_log, msg, item, commands, diff, warnings and the error text are hidden too. */
export function eventResult(input: EventResultInput): TaskResult {
  const result = buildEventResult(input);
  if (input.secrets.length > 0) {
    const found: unknown[] = [];
    collectSecretValues(input.dict, new Set(input.secrets), found);
    if (found.length > 0) SECRET_VALUES.set(result, found);
  }
  return result;
}

function buildEventResult(input: EventResultInput): TaskResult {
  const dict = input.dict;
  const status = statusOf(dict);
  const values = publicValues(stripInternal(dict), input.noLog, input.secrets);
  const warnings = !input.noLog && Array.isArray(dict.warnings) ? dict.warnings.map(String) : undefined;
  return {
    host: input.host,
    status,
    changed: isChanged(dict),
    msg: input.noLog ? undefined : typeof dict.msg === 'string' ? dict.msg : undefined,
    values,
    ignored: input.ignored || undefined,
    rescued: (input.rescued && status === 'failed') || undefined,
    item: input.noLog ? undefined : input.item,
    itemLabel: input.noLog ? undefined : input.itemLabel,
    delegatedTo: input.delegatedTo,
    durationMs: input.durationMs,
    commands: input.noLog ? undefined : input.commands?.map((c) => ({ command: c.command, executed: c.executed })),
    diff: input.noLog ? undefined : input.diff,
    warnings: warnings && warnings.length > 0 ? warnings : undefined,
    noLog: input.noLog || undefined,
    ...(input.error !== undefined && status === 'failed' ? { error: input.noLog ? { message: NO_LOG_MESSAGE, source: input.error.source } : input.error } : {}),
  };
}
