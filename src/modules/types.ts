import type { ExecResult, ExecOptions, PutOptions, PutSource, BecomeOptions } from '../connection/types.js';
import type { Source } from '../model/source.js';

/** A JSON Schema object (draft-07 subset) describing a module's arguments. */
export interface JsonSchema {
  readonly [key: string]: unknown;
}

export interface FileDiff {
  readonly before: string;
  readonly after: string;
  readonly before_header?: string;
  readonly after_header?: string;
}

/**
 * What a module returns. `values` become the registered variable (merged with `changed`, `failed`,
 * `msg`, `skipped`), exactly the keys Ansible's module would return (rc, stdout, stdout_lines, path...).
 */
export interface ModuleResult {
  readonly changed: boolean;
  readonly failed?: boolean;
  readonly skipped?: boolean;
  readonly msg?: string;
  readonly values?: Readonly<Record<string, unknown>>;
  /** ansible_facts: merged into the host's facts. */
  readonly facts?: Readonly<Record<string, unknown>>;
  /** set_fact `cacheable: true` (Ansible's `_ansible_facts_cacheable`): also store `facts` in the fact cache. */
  readonly factsCacheable?: boolean;
  /** set_fact with cacheable etc. */
  readonly diff?: readonly FileDiff[];
  readonly warnings?: readonly string[];
}

/** A command a module asked to run; recorded so check mode and -vv can show it. */
export interface PlannedCommand {
  readonly command: string;
  readonly kind: 'exec' | 'put' | 'get';
  /** True when the engine actually ran it (always for probes, never for changes in check mode). */
  readonly executed: boolean;
}

export interface ModuleContext {
  readonly host: string;
  readonly check: boolean;
  readonly diff: boolean;
  readonly verbosity: number;
  readonly become?: BecomeOptions;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** Where the task was written; for messages. */
  readonly source: Source;
  /**
   * Runs a command that CHANGES the host. In check mode it is not run: it is recorded and
   * `{rc: 0, stdout: '', stderr: ''}` is returned with `planned: true`.
   */
  run(command: string, options?: ExecOptions): Promise<ExecResult & { readonly planned?: boolean }>;
  /** Runs a command that only READS the host; it runs in check mode too. */
  probe(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Like `probe`, but may answer with the result of the same command probed earlier in this task
   * when nothing was changed (no `run`/`put`) since. For idempotent reads such as `stat`; never for
   * polling. Contexts without it fall back to `probe`.
   */
  probeCached?(command: string): Promise<ExecResult>;
  /** Stores what `command` answered (learned another way) for later `probeCached` calls in this task. */
  rememberProbe?(command: string, result: ExecResult): void;
  /** Writes a file to the host (a change: recorded, not done, in check mode). */
  put(source: PutSource, remotePath: string, options?: PutOptions): Promise<void>;
  /** Reads a file from the host (runs in check mode too). */
  get(remotePath: string): Promise<Buffer>;
  /**
   * Finds a controller-side file the way Ansible does for `src:` (role files/ or templates/,
   * then the playbook directory). `kind` picks the role subfolder.
   */
  findLocalFile(path: string, kind: 'files' | 'templates' | 'vars' | 'tasks'): Promise<string>;
  /** Templates a string (or any value) with the host's current variables. */
  template(value: unknown, extraVars?: Readonly<Record<string, unknown>>): unknown;
  /** Evaluates a bare Jinja2 expression (as in `when:`) to a boolean. */
  evaluate(expression: string | boolean, extraVars?: Readonly<Record<string, unknown>>): boolean;
  /** Looks up a variable by (dotted) name, templated; undefined if it is not defined. */
  lookupVar(name: string): { readonly defined: boolean; readonly value?: unknown };
  /** The connection plugin the task runs over ('local', 'ssh'); undefined when unknown (tests). */
  transport?(): Promise<string | undefined>;
  /**
   * Closes the task's connection; the next command opens a new one. For modules that make the host
   * drop it (reboot). A no-op where the connection is not the engine's.
   */
  reconnect?(): Promise<void>;
  /** Per-host progress for long tasks (e.g. "7/11 Ready"). */
  progress(message: string): void;
  warn(message: string): void;
}

/**
 * One module: one file, one argument schema. The schema validates arguments at load time (after
 * free-form parsing, before templating where values are plain) and generates schemas/*.json.
 *
 * checkMode:
 *  - 'full': the module handles check mode itself (ctx.run/put record instead of acting).
 *  - 'skip': in --check the task is skipped, as Ansible does for modules without check support.
 */
export interface Module<A = Readonly<Record<string, unknown>>> {
  readonly name: string;
  /** Extra names, e.g. FQCNs from other collections (`ansible.posix.mount`). */
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly args: JsonSchema;
  /** Whether the module takes a free-form string (command, shell, raw, script, meta...) and in which arg. */
  readonly freeForm?: { readonly arg: string; readonly required: boolean };
  readonly checkMode: 'full' | 'skip';
  /** Keys of `values` that are always redacted, without no_log. */
  readonly secrets?: readonly string[];
  /** Runs on the controller only (debug, set_fact, assert...): no connection is opened for it. */
  readonly controllerOnly?: boolean;
  run(args: A, ctx: ModuleContext): Promise<ModuleResult>;
}

/** Thrown by a module to fail its task with a message (and optional registered values). */
export class ModuleFailure extends Error {
  constructor(message: string, readonly values: Readonly<Record<string, unknown>> = {}) {
    super(message);
  }
}
