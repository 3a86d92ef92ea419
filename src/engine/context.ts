import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { BecomeOptions, Connection, ExecOptions, ExecResult, PutOptions, PutSource } from '../connection/types.js';
import type { Source } from '../model/source.js';
import type { RoleContext } from '../model/playbook.js';
import { ModuleFailure, type ModuleContext, type PlannedCommand } from '../modules/types.js';
import type { TemplarLike } from './deps.js';
import { lookupPath, type VarsObject } from './vars.js';

export interface ContextInput {
  readonly host: string;
  readonly check: boolean;
  readonly diff: boolean;
  readonly verbosity: number;
  readonly become?: BecomeOptions;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly source: Source;
  readonly vars: VarsObject;
  readonly role?: RoleContext;
  readonly playbookDir: string;
  /** Directory of the file the task was written in (for include-relative lookups). */
  readonly taskDir?: string;
  connection(): Promise<Connection>;
  newTemplar(vars: VarsObject): TemplarLike;
  onProgress(message: string): void;
  onWarning(message: string): void;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The search path Ansible uses for `src:`-style files (role dir first, then the playbook dir). */
export function localSearchPath(path: string, kind: 'files' | 'templates' | 'vars' | 'tasks', role: RoleContext | undefined, playbookDir: string, taskDir?: string): string[] {
  if (isAbsolute(path)) return [path];
  const candidates: string[] = [];
  if (role) candidates.push(join(role.path, kind, path), join(role.path, path));
  if (taskDir && (!role || resolve(taskDir) !== resolve(role.path, 'tasks'))) candidates.push(join(taskDir, kind, path), join(taskDir, path));
  candidates.push(join(playbookDir, kind, path), join(playbookDir, path));
  return [...new Set(candidates)];
}

/** The ModuleContext a module runs with: one host, one task, the engine's connection and templar. */
export class EngineModuleContext implements ModuleContext {
  readonly host: string;
  readonly check: boolean;
  readonly diff: boolean;
  readonly verbosity: number;
  readonly become?: BecomeOptions;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly source: Source;
  readonly commands: PlannedCommand[] = [];
  private templar?: TemplarLike;
  /** probeCached's answers since the last change this task made on the host. */
  private readonly probeCache = new Map<string, Promise<ExecResult>>();

  constructor(private readonly input: ContextInput) {
    this.host = input.host;
    this.check = input.check;
    this.diff = input.diff;
    this.verbosity = input.verbosity;
    this.become = input.become;
    this.env = input.env;
    this.signal = input.signal;
    this.source = input.source;
  }

  private execOptions(options: ExecOptions | undefined): ExecOptions {
    return {
      become: this.become,
      signal: this.signal,
      ...options,
      env: { ...this.env, ...(options?.env ?? {}) },
    };
  }

  async run(command: string, options?: ExecOptions): Promise<ExecResult & { readonly planned?: boolean }> {
    if (this.check) {
      this.commands.push({ command, kind: 'exec', executed: false });
      return { rc: 0, stdout: '', stderr: '', planned: true };
    }
    this.commands.push({ command, kind: 'exec', executed: true });
    this.probeCache.clear();
    const conn = await this.input.connection();
    return conn.exec(command, this.execOptions(options));
  }

  rememberProbe(command: string, result: ExecResult): void {
    this.probeCache.set(command, Promise.resolve(result));
  }

  probeCached(command: string): Promise<ExecResult> {
    let answer = this.probeCache.get(command);
    if (!answer) {
      answer = this.probe(command);
      this.probeCache.set(command, answer);
      answer.catch(() => this.probeCache.delete(command));
    }
    return answer;
  }

  async probe(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.commands.push({ command, kind: 'exec', executed: true });
    const conn = await this.input.connection();
    return conn.exec(command, this.execOptions(options));
  }

  async put(source: PutSource, remotePath: string, options?: PutOptions): Promise<void> {
    const description = `put ${'localPath' in source ? source.localPath : '<content>'} -> ${remotePath}`;
    if (this.check) {
      this.commands.push({ command: description, kind: 'put', executed: false });
      return;
    }
    this.commands.push({ command: description, kind: 'put', executed: true });
    this.probeCache.clear();
    const conn = await this.input.connection();
    await conn.put(source, remotePath, { become: this.become, ...options });
  }

  async get(remotePath: string): Promise<Buffer> {
    this.commands.push({ command: `get ${remotePath}`, kind: 'get', executed: true });
    const conn = await this.input.connection();
    return conn.get(remotePath, undefined, { become: this.become });
  }

  async findLocalFile(path: string, kind: 'files' | 'templates' | 'vars' | 'tasks'): Promise<string> {
    const candidates = localSearchPath(path, kind, this.input.role, this.input.playbookDir, this.input.taskDir);
    for (const candidate of candidates) if (await exists(candidate)) return candidate;
    throw new ModuleFailure(`Could not find or access '${path}'\nSearched in:\n${candidates.map((c) => `\t${c}`).join('\n')}`);
  }

  private baseTemplar(): TemplarLike {
    this.templar ??= this.input.newTemplar(this.input.vars);
    return this.templar;
  }

  private templarWith(extraVars?: Readonly<Record<string, unknown>>): TemplarLike {
    if (!extraVars || Object.keys(extraVars).length === 0) return this.baseTemplar();
    return this.input.newTemplar({ ...this.input.vars, ...extraVars });
  }

  template(value: unknown, extraVars?: Readonly<Record<string, unknown>>): unknown {
    return this.templarWith(extraVars).template(value);
  }

  evaluate(expression: string | boolean, extraVars?: Readonly<Record<string, unknown>>): boolean {
    return this.templarWith(extraVars).evaluate(expression);
  }

  lookupVar(name: string): { readonly defined: boolean; readonly value?: unknown } {
    const found = lookupPath(this.input.vars, name);
    if (!found.defined) return { defined: false };
    // a registered result (or a value inside one) is shown as it is, never rendered again
    if (found.unsafe) return { defined: true, value: found.value };
    return { defined: true, value: this.baseTemplar().template(found.value) };
  }

  async transport(): Promise<string | undefined> {
    return (await this.input.connection()).transport;
  }

  /** Closes the shared connection: every Connection reopens itself on its next command. */
  async reconnect(): Promise<void> {
    const conn = await this.input.connection();
    await conn.close();
  }

  progress(message: string): void {
    this.input.onProgress(message);
  }

  warn(message: string): void {
    this.input.onWarning(message);
  }
}
