import { readFile } from 'node:fs/promises';
import type { Connection, ExecOptions, ExecResult, PutOptions, PutSource } from '../../src/connection/types.js';

/** Which commands a rule answers: a substring, a regular expression or a predicate. */
export type CommandMatcher = string | RegExp | ((command: string) => boolean);

export interface ScriptedReply {
  readonly rc?: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

/** A fixed reply, or a function computing one from the command and its options. */
export type ScriptedResponder = ScriptedReply | ((command: string, options: ExecOptions) => ScriptedReply | Promise<ScriptedReply>);

export type ConnectionCall =
  | { readonly kind: 'exec'; readonly command: string; readonly options: ExecOptions }
  | { readonly kind: 'put'; readonly remotePath: string; readonly content: Buffer; readonly options: PutOptions }
  | { readonly kind: 'get'; readonly remotePath: string };

interface Rule {
  readonly matcher: CommandMatcher;
  readonly reply: ScriptedResponder;
  readonly once: boolean;
  used: boolean;
}

function matches(matcher: CommandMatcher, command: string): boolean {
  if (typeof matcher === 'string') return command.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(command);
  return matcher(command);
}

/**
 * A Connection whose replies are scripted by the test. Every call is recorded in `calls`.
 * `once` rules are used (in order) before `on` rules; an exec nothing answers throws, so a test
 * sees every command a module runs. `put` stores content in `files`, which `get` reads back.
 */
export class ScriptedConnection implements Connection {
  readonly calls: ConnectionCall[] = [];
  readonly files = new Map<string, Buffer>();
  private readonly rules: Rule[] = [];

  constructor(readonly host: string = 'testhost') {}

  /** Answers every matching command (after any matching `once` rule). */
  on(matcher: CommandMatcher, reply: ScriptedResponder = {}): this {
    this.rules.push({ matcher, reply, once: false, used: false });
    return this;
  }

  /** Answers the next matching command only. */
  once(matcher: CommandMatcher, reply: ScriptedResponder = {}): this {
    this.rules.push({ matcher, reply, once: true, used: false });
    return this;
  }

  /** The exec'd commands, in order. */
  get commands(): string[] {
    return this.calls.flatMap((c) => (c.kind === 'exec' ? [c.command] : []));
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({ kind: 'exec', command, options });
    const rule =
      this.rules.find((r) => r.once && !r.used && matches(r.matcher, command)) ??
      this.rules.find((r) => !r.once && matches(r.matcher, command));
    if (!rule) throw new Error(`ScriptedConnection: no reply scripted for: ${command}`);
    if (rule.once) rule.used = true;
    const reply = typeof rule.reply === 'function' ? await rule.reply(command, options) : rule.reply;
    return { rc: reply.rc ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  }

  async put(source: PutSource, remotePath: string, options: PutOptions = {}): Promise<void> {
    const content = 'content' in source ? Buffer.from(source.content) : await readFile(source.localPath);
    this.calls.push({ kind: 'put', remotePath, content, options });
    this.files.set(remotePath, content);
  }

  async get(remotePath: string): Promise<Buffer> {
    this.calls.push({ kind: 'get', remotePath });
    const data = this.files.get(remotePath);
    if (!data) throw new Error(`ScriptedConnection: no such remote file: ${remotePath}`);
    return data;
  }

  async close(): Promise<void> {}
}
