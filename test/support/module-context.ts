import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { BecomeOptions, Connection, ExecOptions, ExecResult, PutOptions, PutSource } from '../../src/connection/types.js';
import { TemplateError } from '../../src/model/errors.js';
import type { ModuleContext, PlannedCommand } from '../../src/modules/types.js';
import { ScriptedConnection } from './scripted-connection.js';

type Vars = Readonly<Record<string, unknown>>;

export interface TestContextOptions {
  /** Defaults to a new ScriptedConnection (with no replies scripted). */
  readonly connection?: Connection;
  readonly host?: string;
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly verbosity?: number;
  readonly become?: BecomeOptions;
  readonly env?: Readonly<Record<string, string>>;
  /** The host's variables, for template/evaluate/lookupVar. */
  readonly vars?: Vars;
  /** findLocalFile looks in `<localDir>/<kind>/<path>`, then `<localDir>/<path>`. Defaults to the cwd. */
  readonly localDir?: string;
  /** Replace the built-in mini templater (which only knows `{{ dotted.name }}`). */
  readonly template?: (value: unknown, vars: Vars) => unknown;
  /** Replace the built-in mini evaluator (literals, names, ==, !=, not, is (not) defined, and, or). */
  readonly evaluate?: (expression: string | boolean, vars: Vars) => boolean;
}

/** A ModuleContext that records what the module did. */
export interface TestModuleContext extends ModuleContext {
  readonly connection: Connection;
  /** Every run/probe/put/get, with `executed: false` for changes skipped in check mode. */
  readonly commands: PlannedCommand[];
  readonly warnings: string[];
  readonly progressMessages: string[];
}

/** Looks up a dotted name (`a.b.0`) in `vars`. */
export function lookupPath(vars: Vars, name: string): { defined: boolean; value?: unknown } {
  let current: unknown = vars;
  for (const part of name.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) {
      return { defined: false };
    }
    current = (current as Record<string, unknown>)[part];
  }
  return { defined: true, value: current };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

function resolveName(vars: Vars, name: string): unknown {
  const found = lookupPath(vars, name);
  if (!found.defined) throw new TemplateError(`'${name.split('.')[0]}' is undefined`);
  return found.value;
}

/** The default templater: `{{ name }}` only; a string that is one `{{ }}` keeps the value's type. */
export function miniTemplate(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(value);
    if (whole) return miniExpression(whole[1]!, vars);
    return value.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_m, expr: string) => String(miniExpression(expr, vars)));
  }
  if (Array.isArray(value)) return value.map((v) => miniTemplate(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, miniTemplate(v, vars)]));
  }
  return value;
}

function miniExpression(expression: string, vars: Vars): unknown {
  const e = expression.trim();
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  if (/^'[^']*'$|^"[^"]*"$/.test(e)) return e.slice(1, -1);
  if (e === 'true' || e === 'True') return true;
  if (e === 'false' || e === 'False') return false;
  if (e === 'none' || e === 'None') return null;
  if (NAME.test(e)) return resolveName(vars, e);
  throw new Error(`the test templater does not support '${e}'; pass options.template`);
}

/** The default evaluator for `when:`-style expressions, enough for module tests. */
export function miniEvaluate(expression: string | boolean, vars: Vars): boolean {
  if (typeof expression === 'boolean') return expression;
  const e = expression.trim();
  const or = e.split(/\s+or\s+/);
  if (or.length > 1) return or.some((part) => miniEvaluate(part, vars));
  const and = e.split(/\s+and\s+/);
  if (and.length > 1) return and.every((part) => miniEvaluate(part, vars));
  if (e.startsWith('not ')) return !miniEvaluate(e.slice(4), vars);
  const test = /^(\S+)\s+is\s+(not\s+)?defined$/.exec(e);
  if (test) return lookupPath(vars, test[1]!).defined !== Boolean(test[2]);
  const cmp = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(e);
  if (cmp) {
    const left = JSON.stringify(miniExpression(cmp[1]!, vars));
    const right = JSON.stringify(miniExpression(cmp[3]!, vars));
    return cmp[2] === '==' ? left === right : left !== right;
  }
  return Boolean(miniExpression(e, vars));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Builds a ModuleContext over `options.connection` (a ScriptedConnection by default). */
export function createModuleContext(options: TestContextOptions = {}): TestModuleContext {
  const connection = options.connection ?? new ScriptedConnection(options.host);
  const vars: Vars = options.vars ?? {};
  const check = options.check ?? false;
  const commands: PlannedCommand[] = [];
  const warnings: string[] = [];
  const progressMessages: string[] = [];
  const template = options.template ?? miniTemplate;
  const evaluate = options.evaluate ?? miniEvaluate;
  const localDir = options.localDir ?? process.cwd();

  return {
    connection,
    commands,
    warnings,
    progressMessages,
    host: options.host ?? connection.host,
    check,
    diff: options.diff ?? false,
    verbosity: options.verbosity ?? 0,
    become: options.become,
    env: options.env ?? {},
    signal: new AbortController().signal,
    source: { file: 'test.yml', line: 1, col: 1 },
    async run(command: string, execOptions?: ExecOptions): Promise<ExecResult & { readonly planned?: boolean }> {
      commands.push({ command, kind: 'exec', executed: !check });
      if (check) return { rc: 0, stdout: '', stderr: '', planned: true };
      return connection.exec(command, execOptions);
    },
    async probe(command: string, execOptions?: ExecOptions): Promise<ExecResult> {
      commands.push({ command, kind: 'exec', executed: true });
      return connection.exec(command, execOptions);
    },
    async put(source: PutSource, remotePath: string, putOptions?: PutOptions): Promise<void> {
      commands.push({ command: `put ${remotePath}`, kind: 'put', executed: !check });
      if (!check) await connection.put(source, remotePath, putOptions);
    },
    async get(remotePath: string): Promise<Buffer> {
      commands.push({ command: `get ${remotePath}`, kind: 'get', executed: true });
      return connection.get(remotePath);
    },
    async findLocalFile(path: string, kind: 'files' | 'templates' | 'vars' | 'tasks'): Promise<string> {
      const candidates = isAbsolute(path) ? [path] : [join(localDir, kind, path), join(localDir, path)];
      for (const candidate of candidates) if (await exists(candidate)) return candidate;
      throw new Error(`Could not find or access '${path}'\nSearched in:\n\t${candidates.join('\n\t')}`);
    },
    template: (value: unknown, extraVars?: Vars) => template(value, { ...vars, ...extraVars }),
    evaluate: (expression: string | boolean, extraVars?: Vars) => evaluate(expression, { ...vars, ...extraVars }),
    lookupVar: (name: string) => lookupPath(vars, name),
    progress: (message: string) => void progressMessages.push(message),
    warn: (message: string) => void warnings.push(message),
  };
}
