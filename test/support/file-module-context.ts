import { mkdtemp, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, isAbsolute } from 'node:path';
import { Templar } from '../../src/template/index.js';
import { LocalConnection } from '../../src/connection/local.js';
import type { ExecOptions, ExecResult, PutOptions, PutSource } from '../../src/connection/types.js';
import type { ModuleContext, PlannedCommand } from '../../src/modules/types.js';

export interface FileContextOptions {
  readonly check?: boolean;
  readonly diff?: boolean;
  /** Controller directory findLocalFile searches (then its files/ or templates/ subfolder). */
  readonly localDir?: string;
  readonly vars?: Readonly<Record<string, unknown>>;
}

export interface TestContext extends ModuleContext {
  readonly planned: PlannedCommand[];
  readonly warnings: string[];
}

/**
 * A ModuleContext over a real LocalConnection: probes and (outside check mode) changes run on this
 * machine, so file modules are tested on real files with real idempotency.
 */
export function localContext(options: FileContextOptions = {}): TestContext {
  const conn = new LocalConnection('localhost');
  const planned: PlannedCommand[] = [];
  const warnings: string[] = [];
  const check = options.check ?? false;
  const vars = options.vars ?? {};
  return {
    host: 'localhost',
    check,
    diff: options.diff ?? false,
    verbosity: 0,
    env: {},
    signal: new AbortController().signal,
    source: { file: 'test.yml', line: 1, col: 1 },
    planned,
    warnings,
    async run(command: string, opts?: ExecOptions): Promise<ExecResult & { planned?: boolean }> {
      planned.push({ command, kind: 'exec', executed: !check });
      if (check) return { rc: 0, stdout: '', stderr: '', planned: true };
      return conn.exec(command, opts);
    },
    async probe(command: string, opts?: ExecOptions): Promise<ExecResult> {
      return conn.exec(command, opts);
    },
    async put(source: PutSource, remotePath: string, opts?: PutOptions): Promise<void> {
      planned.push({ command: `put ${remotePath}`, kind: 'put', executed: !check });
      if (!check) await conn.put(source, remotePath, opts);
    },
    async get(remotePath: string): Promise<Buffer> {
      return conn.get(remotePath);
    },
    async findLocalFile(path: string, kind): Promise<string> {
      if (isAbsolute(path)) return path;
      const base = options.localDir ?? process.cwd();
      for (const candidate of [join(base, kind, path), join(base, path)]) {
        try {
          await access(candidate);
          return candidate;
        } catch {
          /* next */
        }
      }
      throw new Error(`Could not find or access '${path}'`);
    },
    template(value: unknown, extraVars?: Readonly<Record<string, unknown>>): unknown {
      if (typeof value !== 'string') return value;
      return new Templar({ ...vars, ...extraVars }).template(value);
    },
    evaluate(): boolean {
      return true;
    },
    lookupVar(name: string) {
      return name in vars ? { defined: true, value: vars[name] } : { defined: false };
    },
    progress(): void {},
    warn(message: string): void {
      warnings.push(message);
    },
  };
}

/** A fresh temp directory, and a cleanup for afterEach. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbook-fm-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface ScriptedRule {
  /** Matched against the command; the first matching rule answers. */
  readonly match: RegExp;
  readonly result: Partial<ExecResult>;
}

/**
 * A ModuleContext whose probes and runs are answered by rules (for system modules that must not
 * touch this machine). Every command is recorded in `commands` (probes too), changes in `planned`.
 */
export function scriptedContext(
  rules: readonly ScriptedRule[],
  options: { check?: boolean; diff?: boolean; vars?: Readonly<Record<string, unknown>>; files?: Record<string, string> } = {},
): TestContext & { commands: string[]; stdins: (string | undefined)[]; files: Record<string, string> } {
  const planned: PlannedCommand[] = [];
  const warnings: string[] = [];
  const commands: string[] = [];
  const stdins: (string | undefined)[] = [];
  const files: Record<string, string> = { ...(options.files ?? {}) };
  const vars = options.vars ?? {};
  const check = options.check ?? false;
  const answer = (command: string): ExecResult => {
    for (const rule of rules) {
      if (rule.match.test(command)) return { rc: 0, stdout: '', stderr: '', ...rule.result };
    }
    return { rc: 0, stdout: '', stderr: '' };
  };
  return {
    host: 'scripted',
    check,
    diff: options.diff ?? false,
    verbosity: 0,
    env: {},
    signal: new AbortController().signal,
    source: { file: 'test.yml', line: 1, col: 1 },
    planned,
    warnings,
    commands,
    stdins,
    files,
    async run(command: string, opts?: ExecOptions) {
      planned.push({ command, kind: 'exec', executed: !check });
      if (check) return { rc: 0, stdout: '', stderr: '', planned: true };
      commands.push(command);
      stdins.push(opts?.stdin === undefined ? undefined : String(opts.stdin));
      return answer(command);
    },
    async probe(command: string) {
      commands.push(command);
      stdins.push(undefined);
      return answer(command);
    },
    async put(source: PutSource, remotePath: string) {
      planned.push({ command: `put ${remotePath}`, kind: 'put', executed: !check });
      if (!check) files[remotePath] = 'content' in source ? String(source.content) : `<${source.localPath}>`;
    },
    async get(remotePath: string) {
      const f = files[remotePath];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${remotePath}`), { code: 'ENOENT' });
      return Buffer.from(f);
    },
    async findLocalFile(path: string) {
      return path;
    },
    template(value: unknown) {
      return value;
    },
    evaluate() {
      return true;
    },
    lookupVar(name: string) {
      return name in vars ? { defined: true, value: vars[name] } : { defined: false };
    },
    progress() {},
    warn(message: string) {
      warnings.push(message);
    },
  };
}
