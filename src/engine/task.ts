import { dirname } from 'node:path';
import { pyRepr } from '../template/pyvalues.js';
import { isUnsafeTree, markUnsafeTree } from '../model/values.js';
import type { BecomeOptions, Connection } from '../connection/types.js';
import type { TaskResult } from '../events/types.js';
import { TsbookError, UnreachableError } from '../model/errors.js';
import type { Task } from '../model/playbook.js';
import { ModuleFailure, type FileDiff, type Module, type PlannedCommand } from '../modules/types.js';
import { EngineModuleContext } from './context.js';
import { withTaskContext } from './error-context.js';
import { templateErrorText, type EngineDeps, type TemplarLike } from './deps.js';
import { LoopError, loopItems } from './loops.js';
import { eventResult, isFailed, isSkipped, moduleResultDict } from './results.js';
import { environments, keyword, type Scope } from './scope.js';
import { taskErrorOf, type TaskError } from './task-error.js';
import { factsLayer, isPlainObject, toBool, type VarsObject } from './vars.js';

export interface EngineSettings {
  readonly check: boolean;
  readonly diff: boolean;
  readonly verbosity: number;
  readonly become: boolean;
  readonly becomeUser?: string;
  readonly becomeMethod?: string;
  readonly becomePassword?: string;
  readonly remoteUser?: string;
  readonly connectionTimeout?: number;
  readonly privateKey?: string;
  readonly connectionPassword?: string;
}

/** What executing a task on one host needs from the play. */
export interface TaskEnv {
  readonly settings: EngineSettings;
  readonly deps: EngineDeps;
  readonly playbookDir: string;
  /** Stops the run: no new task starts (tasks in flight carry on until `cancel`). */
  readonly signal: AbortSignal;
  /** Cancels tasks in flight: the module's signal aborts, remote process groups are killed. */
  readonly cancel: AbortSignal;
  /** All variables of `host` for `task` in `scope` (untemplated; magic vars included). */
  taskVars(host: string, task: Task, scope: Scope): VarsObject;
  /** The variables hostvars shows for `host` (used for a delegate's connection variables). */
  hostView(host: string): VarsObject;
  /** Whether `host` is known to the inventory. */
  knownHost(host: string): boolean;
  connection(target: string, connVars: Readonly<Record<string, unknown>>): Promise<Connection>;
  progress(host: string, message: string): void;
  /** An until/retries attempt failed; the task runs again after `delay`. */
  retry(host: string, attempt: number, retriesLeft: number, result: TaskResult): void;
  warn(message: string): void;
}

/** A change to variables that the play applies when it processes a host's result. */
export type FactUpdate =
  | { readonly kind: 'facts'; readonly facts: VarsObject; readonly delegate?: string }
  | { readonly kind: 'set_fact'; readonly facts: VarsObject; readonly cacheable: boolean; readonly delegate?: string }
  | { readonly kind: 'include_vars'; readonly facts: VarsObject; readonly delegate?: string };

export interface HostExecution {
  readonly host: string;
  readonly dict: VarsObject;
  readonly ignoreErrors: boolean;
  readonly ignoreUnreachable: boolean;
  readonly noLog: boolean;
  readonly secrets: readonly string[];
  readonly commands: readonly PlannedCommand[];
  readonly diff?: readonly FileDiff[];
  readonly delegatedTo?: string;
  readonly durationMs: number;
  readonly updates: readonly FactUpdate[];
  /** Handler names/topics to notify (templated), when the result is changed. */
  readonly notify: readonly string[];
  /** The templating error that failed the task (short form), if one did. */
  readonly error?: TaskError;
}

const CONNECTION_VAR = /^ansible_(connection|host|port|user|password|ssh_.*|private_key_file|become.*|python_interpreter|shell_.*|timeout|remote_tmp|sudo_.*)$/;

/**
 * Results made from an error the executor caught (a template or conditional error, a refused sudo):
 * Ansible's TaskExecutor returns only `failed` and `msg` for those, without the `changed` default.
 */
const EXCEPTION_RESULTS = new WeakSet<object>();

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** How long a timed-out or cancelled module gets to kill its remote processes and return. */
const KILL_GRACE_MS = 15_000;

/** The message of a task cancelled by an interrupt (Ctrl-C, SIGTERM). */
export const INTERRUPTED_MSG = 'Interrupted: the task was cancelled and its remote processes were killed';

/** Waits for `p` to settle, at most `ms`. */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    p.then(done, done);
  });
}

/** remove_omit: drops args (also nested in dicts and lists of dicts) equal to the omit placeholder. */
export function removeOmit(args: unknown, omit: string): unknown {
  if (!isPlainObject(args) || isUnsafeTree(args)) return args;
  const out: VarsObject = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === omit) continue;
    if (isPlainObject(value)) out[key] = removeOmit(value, omit);
    else if (Array.isArray(value)) out[key] = value.map((v) => removeOmit(v, omit));
    else out[key] = value;
  }
  return out;
}

export class ConditionalError extends Error {}

/** Evaluates `when` (the scope's then the task's), as Conditional.evaluate_conditional does. */
export function evaluateConditions(conditions: readonly (string | boolean)[], templar: TemplarLike): boolean {
  for (const condition of conditions) {
    if (condition === '' || condition === null) continue;
    let ok: boolean;
    try {
      ok = typeof condition === 'boolean' ? condition : templar.evaluate(condition);
    } catch (err) {
      const text = errorMessage(err);
      if (text.startsWith('The conditional check')) throw new ConditionalError(text, { cause: err });
      throw new ConditionalError(`The conditional check '${String(condition)}' failed. The error was: ${text}`, { cause: err });
    }
    if (!ok) return false;
  }
  return true;
}

function intKeyword(value: unknown, templar: TemplarLike, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const v = templar.template(value);
  const n = typeof v === 'number' ? v : parseInt(String(v), 10);
  return Number.isFinite(n) ? n : fallback;
}

function boolKeyword(value: unknown, templar: TemplarLike): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return toBool(templar.template(value));
}

/** The task's no_log (false when it cannot be templated, as executeTaskOnHost decides). */
function noLogKeyword(task: Task, scope: Scope, templar: TemplarLike): boolean {
  try {
    return boolKeyword(keyword(task, scope, 'no_log'), templar) ?? false;
  } catch {
    return false;
  }
}

function stringKeyword(value: unknown, templar: TemplarLike): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const v = templar.template(value);
  return v === undefined || v === null ? undefined : String(v);
}

/** The become settings: CLI options < play/block/task keywords < ansible_become* variables. */
export function resolveBecome(task: Task, scope: Scope, vars: VarsObject, templar: TemplarLike, settings: EngineSettings): BecomeOptions | undefined {
  const v = (name: string): unknown => (vars[name] === undefined ? undefined : templar.template(vars[name]));
  let become = settings.become;
  const kwBecome = boolKeyword(keyword(task, scope, 'become'), templar);
  if (kwBecome !== undefined) become = kwBecome;
  if (v('ansible_become') !== undefined) become = toBool(v('ansible_become'));
  if (!become) return undefined;
  const user = String(v('ansible_become_user') ?? stringKeyword(keyword(task, scope, 'become_user'), templar) ?? settings.becomeUser ?? 'root');
  const methodRaw = String(v('ansible_become_method') ?? stringKeyword(keyword(task, scope, 'become_method'), templar) ?? settings.becomeMethod ?? 'sudo');
  const method: BecomeOptions['method'] = methodRaw === 'su' ? 'su' : 'sudo';
  const passwordVar = v('ansible_become_password') ?? v('ansible_become_pass');
  const password = passwordVar !== undefined && passwordVar !== null ? String(passwordVar) : settings.becomePassword;
  const flagsVar = v('ansible_become_flags') ?? stringKeyword(keyword(task, scope, 'become_flags'), templar);
  return { user, method, password: password === '' ? undefined : password, flags: flagsVar === undefined ? undefined : String(flagsVar) };
}

/** The environment keyword, merged from the play down to the task and templated. */
export function resolveEnvironment(task: Task, scope: Scope, templar: TemplarLike): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of environments(task, scope)) {
    const list = Array.isArray(entry) ? entry : [entry];
    for (const item of list) {
      const value = templar.template(item);
      if (!isPlainObject(value)) {
        if (value === undefined || value === null || value === '') continue;
        throw new ModuleFailure(`environment must be a dictionary, received ${String(value)} (${typeof value})`);
      }
      for (const [k, val] of Object.entries(value)) env[k] = val === null || val === undefined ? '' : typeof val === 'boolean' ? (val ? 'True' : 'False') : String(val);
    }
  }
  return env;
}

/** Connection variables of `view` (templated), completed by keywords and CLI options. */
export function connectionVars(view: VarsObject, task: Task, scope: Scope, templar: TemplarLike, settings: EngineSettings): VarsObject {
  const out: VarsObject = {};
  for (const [key, value] of Object.entries(view)) {
    if (!CONNECTION_VAR.test(key)) continue;
    try {
      out[key] = templar.template(value);
    } catch {
      out[key] = value;
    }
  }
  const conn = stringKeyword(keyword(task, scope, 'connection'), templar);
  if (out.ansible_connection === undefined && conn !== undefined) out.ansible_connection = conn;
  const user = stringKeyword(keyword(task, scope, 'remote_user'), templar) ?? settings.remoteUser;
  if (out.ansible_user === undefined && user !== undefined) out.ansible_user = user;
  const port = keyword(task, scope, 'port');
  if (out.ansible_port === undefined && port !== undefined) out.ansible_port = templar.template(port);
  if (out.ansible_private_key_file === undefined && settings.privateKey !== undefined) out.ansible_private_key_file = settings.privateKey;
  if (out.ansible_password === undefined && settings.connectionPassword !== undefined) out.ansible_password = settings.connectionPassword;
  if (out.ansible_timeout === undefined && settings.connectionTimeout !== undefined) out.ansible_timeout = settings.connectionTimeout;
  return out;
}

function rawParams(task: Task): string | undefined {
  if (task.freeForm !== undefined) return task.freeForm;
  const raw = task.args._raw_params ?? task.args.free_form;
  return typeof raw === 'string' ? raw : undefined;
}

/** Module arguments as written, with the free-form text placed in the module's free-form argument. */
export function writtenArgs(task: Task, module: Module | undefined): VarsObject {
  const args: VarsObject = { ...task.args };
  if (task.freeForm !== undefined && module?.freeForm) {
    const key = module.freeForm.arg;
    if (args[key] === undefined && args._raw_params === undefined) args[key] = task.freeForm;
  }
  return args;
}

interface AttemptOutcome {
  dict: VarsObject;
  commands: PlannedCommand[];
  diff?: readonly FileDiff[];
  updates: FactUpdate[];
  error?: TaskError;
}

interface ItemContext {
  readonly vars: VarsObject;
  readonly templar: TemplarLike;
}

/** Runs the module (with until/retries, changed_when, failed_when) for one host and one item. */
async function executeOnce(env: TaskEnv, task: Task, scope: Scope, host: string, ctx: ItemContext, loopError: unknown): Promise<AttemptOutcome> {
  const { templar } = ctx;
  const vars = ctx.vars;
  const mk = (v: VarsObject): TemplarLike => env.deps.newTemplar(v, task.source);
  const noOutcome = (dict: VarsObject, err?: unknown): AttemptOutcome => {
    if (err !== undefined) EXCEPTION_RESULTS.add(dict);
    return { dict, commands: [], updates: [], error: taskErrorOf(err, task.source) };
  };

  let run: boolean;
  try {
    run = evaluateConditions([...scope.when, ...(task.when ?? [])], templar);
  } catch (err) {
    if (loopError !== undefined) return noOutcome({ failed: true, msg: templateErrorText(loopError) }, loopError);
    return noOutcome({ failed: true, msg: withTaskContext(errorMessage(err), task.source) }, err);
  }
  if (!run) return noOutcome({ changed: false, skipped: true, skip_reason: 'Conditional result was False' });
  if (loopError !== undefined) return noOutcome({ failed: true, msg: templateErrorText(loopError) }, loopError);

  const action = task.action;
  const module = env.deps.findModule(action);
  if (!module) {
    return noOutcome({ failed: true, msg: `The module ${action} was not found in configured module paths` });
  }

  // keywords that depend on host variables
  let check: boolean;
  let diffMode: boolean;
  let become: BecomeOptions | undefined;
  let envVars: Record<string, string>;
  let delegateTo: string | undefined;
  let args: VarsObject;
  let retries: number;
  let delay: number;
  let timeout: number;
  try {
    const kwCheck = boolKeyword(keyword(task, scope, 'check_mode'), templar);
    check = kwCheck ?? env.settings.check;
    diffMode = boolKeyword(keyword(task, scope, 'diff'), templar) ?? env.settings.diff;
    delegateTo = stringKeyword(keyword(task, scope, 'delegate_to'), templar);
    become = resolveBecome(task, scope, vars, templar, env.settings);
    envVars = resolveEnvironment(task, scope, templar);
    args = removeOmit(templar.template(writtenArgs(task, module)), env.deps.omitPlaceholder) as VarsObject;
    const until = task.until && task.until.length > 0;
    const r = intKeyword(task.retries, templar, 3);
    retries = until ? (r <= 0 ? 1 : r + 1) : 1;
    delay = intKeyword(task.delay, templar, 5);
    if (delay < 0) delay = 1;
    timeout = intKeyword(keyword(task, scope, 'timeout'), templar, 0);
  } catch (err) {
    if (err instanceof ModuleFailure) return noOutcome({ failed: true, msg: err.message });
    const undefinedVar = err !== null && typeof err === 'object' && 'ansibleMessage' in err;
    const text = undefinedVar ? `The task includes an option with an undefined variable. The error was: ${templateErrorText(err)}` : errorMessage(err);
    // a Jinja2 syntax error carries no task (Ansible's error has no obj), so no file context either
    if (text.startsWith('template error while templating string:')) return noOutcome({ failed: true, msg: text }, err);
    return noOutcome({ failed: true, msg: withTaskContext(text, task.source) }, err);
  }

  const mod = module;

  if (check && mod.checkMode === 'skip') {
    return noOutcome({ changed: false, skipped: true, msg: `remote module (${mod.name}) does not support check mode` });
  }

  const target = delegateTo ?? host;
  let connVars: VarsObject | undefined;
  const connection = async (): Promise<Connection> => {
    if (!connVars) {
      const view = delegateTo !== undefined ? env.hostView(delegateTo) : vars;
      connVars = connectionVars(view, task, scope, templar, env.settings);
      if (delegateTo !== undefined && !env.knownHost(delegateTo) && ['localhost', '127.0.0.1', '::1'].includes(delegateTo)) {
        connVars.ansible_connection ??= 'local';
      }
    }
    return env.connection(target, connVars);
  };

  let result: AttemptOutcome | undefined;
  for (let attempt = 1; attempt <= retries; attempt++) {
    const controller = new AbortController();
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      controller.abort();
    };
    if (env.cancel.aborted) onAbort();
    else env.cancel.addEventListener('abort', onAbort, { once: true });
    const ctx2 = new EngineModuleContext({
      host,
      check,
      diff: diffMode,
      verbosity: env.settings.verbosity,
      become,
      env: envVars,
      signal: controller.signal,
      source: task.source,
      vars,
      role: task.role ?? scope.role,
      playbookDir: env.playbookDir,
      taskDir: dirname(task.source.file),
      connection,
      newTemplar: (v) => env.deps.newTemplar(v, task.source),
      onProgress: (message) => env.progress(host, message),
      onWarning: (message) => env.warn(message),
    });
    let dict: VarsObject;
    let diff: readonly FileDiff[] | undefined;
    let timer: NodeJS.Timeout | undefined;
    let error: TaskError | undefined;
    try {
      const running = mod.run(args, ctx2);
      const raced =
        timeout > 0
          ? Promise.race([
              running,
              new Promise<'timeout'>((resolve) => {
                timer = setTimeout(() => resolve('timeout'), timeout * 1000);
              }),
            ])
          : running;
      const outcome = await raced;
      if (outcome === 'timeout') {
        // the module's remote processes are killed before the task reports (and the next one starts)
        controller.abort();
        await settleWithin(running, KILL_GRACE_MS);
        dict = { failed: true, msg: `The ${action} action failed to execute in the expected time frame (${timeout}) and was terminated` };
        error = { message: `timed out after ${timeout}s`, source: task.source };
      } else {
        dict = moduleResultDict(outcome);
        diff = outcome.diff;
      }
    } catch (err) {
      if (err instanceof ModuleFailure) dict = { ...err.values, failed: true, msg: err.message };
      else if (err instanceof UnreachableError) dict = { unreachable: true, msg: err.message, changed: false };
      else if (err instanceof TsbookError) {
        dict = { failed: true, msg: err.message };
        EXCEPTION_RESULTS.add(dict);
        error = taskErrorOf(err, task.source);
      }
      else dict = { failed: true, msg: `Unexpected failure during module execution: ${errorMessage(err)}`, stdout: '' };
    } finally {
      if (timer) clearTimeout(timer);
      env.cancel.removeEventListener('abort', onAbort);
    }
    // a module killed by the interrupt fails with rc 137 or similar: say why
    if (cancelled && (isFailed(dict) || (typeof dict.rc === 'number' && dict.rc !== 0))) dict = { ...dict, failed: true, msg: INTERRUPTED_MSG };
    if (dict.unreachable) return { dict, commands: ctx2.commands, updates: [] };

    const updates = factUpdates(task, args, dict, delegateTo, templar);
    const finished = finishAttempt(task, mk, vars, dict, ctx2.commands, diff, updates, attempt, retries > 1);
    finished.error ??= error;
    result = finished;
    if (retries > 1) {
      let done: boolean;
      try {
        done = evaluateConditions(task.until ?? [], mk(registeredVars(vars, task.register, finished.dict, finished.updates)));
      } catch (err) {
        finished.dict.failed = true;
        finished.dict.msg = errorMessage(err);
        finished.error ??= taskErrorOf(err, task.source);
        return finished;
      }
      if (done) return finished;
      if (attempt < retries) {
        finished.dict._ansible_retry = true;
        finished.dict.retries = retries;
        env.retry(host, attempt, retries - attempt, eventResult({ host, dict: finished.dict, noLog: noLogKeyword(task, scope, templar), secrets: mod.secrets ?? [], durationMs: 0 }));
        await sleep(delay * 1000, env.cancel);
        if (env.cancel.aborted) return finished;
        delete finished.dict._ansible_retry;
        delete finished.dict.retries;
      } else {
        finished.dict.attempts = retries - 1;
        finished.dict.failed = true;
      }
    }
  }
  return result!;
}


function factUpdates(task: Task, args: VarsObject, dict: VarsObject, delegateTo: string | undefined, templar: TemplarLike): FactUpdate[] {
  const facts = dict.ansible_facts;
  if (!isPlainObject(facts) || task.action === 'debug') return [];
  // delegate_to + delegate_facts: the facts (also set_fact's and include_vars') go to the delegate
  const delegateFacts = delegateTo !== undefined && toBool(task.delegate_facts === undefined ? false : templar.template(task.delegate_facts));
  const delegate = delegateFacts ? delegateTo : undefined;
  if (task.action === 'set_fact') {
    const cacheable = toBool(dict._ansible_facts_cacheable ?? args.cacheable ?? false);
    delete dict._ansible_facts_cacheable;
    return [{ kind: 'set_fact', facts: { ...facts }, cacheable, delegate }];
  }
  if (task.action === 'include_vars') return [{ kind: 'include_vars', facts: { ...facts }, delegate }];
  return [{ kind: 'facts', facts: { ...facts }, delegate }];
}

function finishAttempt(
  task: Task,
  mkTemplar: (vars: VarsObject) => TemplarLike,
  vars: VarsObject,
  dict: VarsObject,
  commands: PlannedCommand[],
  diff: readonly FileDiff[] | undefined,
  updates: FactUpdate[],
  attempt: number,
  until: boolean,
): AttemptOutcome {
  if (!('failed' in dict)) dict.failed = 'rc' in dict && dict.rc !== 0 && dict.rc !== '0' && dict.rc !== null ? true : false;
  if (until) dict.attempts = attempt;
  if (!('changed' in dict) && !EXCEPTION_RESULTS.has(dict)) dict.changed = false;
  let error: TaskError | undefined;
  const hasChangedWhen = task.changed_when !== undefined && task.changed_when.length > 0;
  const hasFailedWhen = task.failed_when !== undefined && task.failed_when.length > 0;
  if ((!('skipped' in dict) || !dict.skipped) && (hasChangedWhen || hasFailedWhen)) {
    const templar = mkTemplar(registeredVars(vars, task.register, dict, updates));
    let condname = 'changed';
    try {
      if (hasChangedWhen) dict.changed = evaluateConditions(task.changed_when!, templar);
      condname = 'failed';
      if (hasFailedWhen) {
        const failed = evaluateConditions(task.failed_when!, templar);
        dict.failed_when_result = failed;
        dict.failed = failed;
      }
    } catch (err) {
      dict.failed = true;
      dict[`${condname}_when_result`] = errorMessage(err);
      error = taskErrorOf(err, task.source);
    }
  }
  return { dict, commands, diff, updates, error };
}

/** `vars` plus the registered result and the facts the task just returned. */
function registeredVars(vars: VarsObject, register: string | undefined, dict: VarsObject, updates: readonly FactUpdate[]): VarsObject {
  const out: VarsObject = { ...vars };
  for (const u of updates) if (u.delegate === undefined) Object.assign(out, u.kind === 'facts' ? factsLayer(u.facts) : u.facts);
  if (register) {
    markUnsafeTree(dict);
    out[register] = dict;
  }
  return out;
}

export interface LoopSettings {
  readonly loopVar: string;
  readonly indexVar?: string;
  readonly label?: string;
  readonly pause: number;
  readonly extended: boolean;
}

export function loopSettings(task: Pick<Task, 'loop_control'>, templar: TemplarLike): LoopSettings {
  const lc = task.loop_control ?? {};
  const loopVar = lc.loop_var !== undefined ? String(templar.template(lc.loop_var)) : 'item';
  const indexVar = lc.index_var !== undefined ? String(templar.template(lc.index_var)) : undefined;
  const pauseRaw = lc.pause !== undefined ? templar.template(lc.pause) : 0;
  const pause = typeof pauseRaw === 'number' ? pauseRaw : parseFloat(String(pauseRaw)) || 0;
  const extended = lc.extended !== undefined ? toBool(templar.template(lc.extended)) : false;
  return { loopVar, indexVar, label: lc.label, pause, extended };
}

/** The variables a loop iteration adds (loop var, index var, ansible_loop). */
export function loopIterationVars(settings: LoopSettings, items: readonly unknown[], index: number): VarsObject {
  const vars: VarsObject = { ansible_loop_var: settings.loopVar, [settings.loopVar]: items[index] };
  if (settings.indexVar) {
    vars.ansible_index_var = settings.indexVar;
    vars[settings.indexVar] = index;
  }
  if (settings.extended) {
    const loop: VarsObject = {
      index: index + 1,
      index0: index,
      first: index === 0,
      last: index + 1 === items.length,
      length: items.length,
      revindex: items.length - index,
      revindex0: items.length - index - 1,
      allitems: items,
    };
    if (index + 1 < items.length) loop.nextitem = items[index + 1];
    if (index > 0) loop.previtem = items[index - 1];
    vars.ansible_loop = loop;
  }
  return vars;
}

export interface ExecuteHooks {
  /** Called for each loop item's result, as it completes. */
  item(result: TaskResult): void;
}

/**
 * Runs `task` on `host`: computes loop items, runs each item (when, args, module, until,
 * changed_when/failed_when) and aggregates the results like TaskExecutor.run.
 */
export async function executeTaskOnHost(env: TaskEnv, task: Task, scope: Scope, host: string, hooks: ExecuteHooks): Promise<HostExecution> {
  const started = Date.now();
  const vars = env.taskVars(host, task, scope);
  const templar = env.deps.newTemplar(vars, task.source);
  const module = env.deps.findModule(task.action);
  const secrets = module?.secrets ?? [];
  let noLog = false;
  let ignoreErrors = false;
  let ignoreUnreachable = false;
  let delegatedTo: string | undefined;
  try {
    noLog = boolKeyword(keyword(task, scope, 'no_log'), templar) ?? false;
  } catch {
    noLog = false;
  }
  try {
    ignoreErrors = boolKeyword(keyword(task, scope, 'ignore_errors'), templar) ?? false;
    ignoreUnreachable = boolKeyword(keyword(task, scope, 'ignore_unreachable'), templar) ?? false;
    delegatedTo = stringKeyword(keyword(task, scope, 'delegate_to'), templar);
  } catch {
    // reported when the keywords are resolved per item
  }

  let items: unknown[] | undefined;
  let loopError: unknown;
  let loopFailure: string | undefined;
  if (task.loopKind !== undefined && task.loop !== undefined) {
    try {
      items = loopItems(task.loopKind, task.loop, templar);
    } catch (err) {
      if (err instanceof LoopError) loopFailure = err.message;
      else loopError = err;
    }
  }

  const updates: FactUpdate[] = [];
  const commands: PlannedCommand[] = [];
  const diffs: FileDiff[] = [];
  let dict: VarsObject;
  let error: TaskError | undefined;

  if (loopFailure !== undefined) {
    dict = { failed: true, msg: loopFailure };
  } else if (items !== undefined) {
    if (items.length === 0) {
      dict = { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
    } else {
      const settings = loopSettings(task, templar);
      const results: VarsObject[] = [];
      const overlay: VarsObject = {};
      for (let i = 0; i < items.length; i++) {
        if (env.cancel.aborted) break;
        if (i > 0 && settings.pause > 0) await sleep(settings.pause * 1000, env.cancel);
        const itemVars = { ...vars, ...overlay, ...loopIterationVars(settings, items, i) };
        const itemTemplar = env.deps.newTemplar(itemVars, task.source);
        const outcome = await executeOnce(env, task, scope, host, { vars: itemVars, templar: itemTemplar }, undefined);
        const res = outcome.dict;
        res[settings.loopVar] = items[i];
        res.ansible_loop_var = settings.loopVar;
        if (settings.indexVar) {
          res[settings.indexVar] = i;
          res.ansible_index_var = settings.indexVar;
        }
        if (settings.extended) res.ansible_loop = loopIterationVars(settings, items, i).ansible_loop;
        let label: string;
        try {
          const l = itemTemplar.template(settings.label ?? `{{${settings.loopVar}}}`);
          // the default callback prints a non-string label with Python's str(): {'a': 1, 'b': True}
          label = typeof l === 'string' ? l : pyRepr(l);
        } catch (err) {
          res.failed = true;
          res.msg = `Failed to template loop_control.label: ${errorMessage(err)}`;
          label = String(items[i]);
          outcome.error ??= taskErrorOf(err, task.source);
        }
        error ??= outcome.error;
        res._ansible_item_label = label;
        let itemIgnore = ignoreErrors;
        try {
          itemIgnore = boolKeyword(keyword(task, scope, 'ignore_errors'), itemTemplar) ?? false;
        } catch {
          itemIgnore = ignoreErrors;
        }
        res._ansible_ignore_errors = itemIgnore;
        let itemDelegate = delegatedTo;
        try {
          itemDelegate = stringKeyword(keyword(task, scope, 'delegate_to'), itemTemplar);
        } catch {
          itemDelegate = delegatedTo;
        }
        updates.push(...outcome.updates);
        for (const u of outcome.updates) Object.assign(overlay, u.kind === 'facts' ? factsLayer(u.facts) : u.facts);
        if (task.register) {
          markUnsafeTree(res);
          overlay[task.register] = res;
        }
        commands.push(...outcome.commands);
        if (outcome.diff) diffs.push(...outcome.diff);
        results.push(res);
        hooks.item(
          eventResult({
            host,
            dict: res,
            noLog,
            secrets,
            durationMs: Date.now() - started,
            item: items[i],
            itemLabel: label,
            delegatedTo: itemDelegate,
            commands: outcome.commands,
            diff: outcome.diff,
            ignored: isFailed(res) && itemIgnore ? true : undefined,
            error: outcome.error,
          }),
        );
      }
      dict = aggregateLoop(results);
      const failedItem = results.find((r) => isFailed(r));
      if (failedItem) ignoreErrors = Boolean(failedItem._ansible_ignore_errors);
      for (const r of results) delete r._ansible_ignore_errors;
    }
  } else {
    const outcome = await executeOnce(env, task, scope, host, { vars, templar }, loopError);
    dict = outcome.dict;
    error = outcome.error;
    updates.push(...outcome.updates);
    commands.push(...outcome.commands);
    if (outcome.diff) diffs.push(...outcome.diff);
  }
  if (!('changed' in dict) && !EXCEPTION_RESULTS.has(dict)) dict.changed = false;

  const notify = isSkipped(dict)
    ? []
    : (task.notify ?? []).map((name) => {
        try {
          return String(templar.template(name));
        } catch {
          return name;
        }
      });
  return {
    host,
    dict,
    ignoreErrors,
    ignoreUnreachable,
    noLog,
    secrets,
    commands,
    diff: diffs.length > 0 ? diffs : undefined,
    delegatedTo,
    durationMs: Date.now() - started,
    updates,
    notify,
    error,
  };
}

/** TaskExecutor.run's aggregation of item results. */
export function aggregateLoop(results: VarsObject[]): VarsObject {
  const res: VarsObject = { results };
  res.skipped = true;
  for (const item of results) {
    if (item.changed && !res.changed) res.changed = true;
    if (res.skipped && !item.skipped) res.skipped = false;
    if (isFailed(item) && !res.failed) {
      res.failed = true;
      res.msg = 'One or more items failed';
    }
    if (Array.isArray(item.warnings) && item.warnings.length > 0) {
      res.warnings = [...((res.warnings as unknown[]) ?? []), ...item.warnings];
      delete item.warnings;
    }
  }
  if (!res.failed) res.msg = 'All items completed';
  if (res.skipped) res.msg = 'All items skipped';
  return res;
}
