import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile, chmod, copyFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Connection, ExecOptions, ExecResult, PutOptions, PutSource, BecomeOptions } from './types.js';
import { shellQuote } from './types.js';
import { BecomeError } from '../model/errors.js';
import { assertNoNul, CappedCollector, DEFAULT_MAX_OUTPUT_BYTES, truncation } from './output-cap.js';

/** Wraps a command for become. The sudo password, when any, goes on stdin ahead of the command's own. */
export function becomeWrap(command: string, become: BecomeOptions | undefined): { command: string; stdinPrefix?: string } {
  if (!become) return { command };
  const prompt = BECOME_PASSWORD_PROMPT;
  if (become.method === 'su') {
    return { command: `su ${shellQuote(become.user)} -c ${shellQuote(command)}`, stdinPrefix: become.password ? `${become.password}\n` : undefined };
  }
  const flags = become.flags ?? '-H -S -n';
  const sflags = become.password ? flags.replace(/(^|\s)-n(\s|$)/, ' ').trim() : flags;
  const passFlags = become.password ? ` -p ${shellQuote(prompt)}` : '';
  return {
    command: `sudo ${sflags}${passFlags} -u ${shellQuote(become.user)} /bin/sh -c ${shellQuote(command)}`,
    stdinPrefix: become.password ? `${become.password}\n` : undefined,
  };
}

const BECOME_PASSWORD_PROMPT = '[tsbook-become-password]';

/**
 * Ansible's message when sudo/su refused before the command ran, from what it printed and how many
 * times it asked for the password; undefined when become worked (or the failure is the command's).
 */
export function becomeFailure(become: BecomeOptions, prompts: number, stderr: string): string | undefined {
  const method = become.method === 'su' ? 'su' : 'sudo';
  if (prompts >= 2 || /incorrect password attempt|Sorry, try again|Authentication failure/.test(stderr)) return `Incorrect ${method} password`;
  if (/a password is required|no password was provided|a terminal is required/.test(stderr)) return `Missing ${method} password`;
  return undefined;
}

/** Runs commands on the controller itself (`ansible_connection: local`). */
export class LocalConnection implements Connection {
  readonly transport = 'local';

  constructor(readonly host: string) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    try {
      assertNoNul(command);
    } catch (err) {
      return Promise.reject(err);
    }
    const wrapped = becomeWrap(command, options.become);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', wrapped.command], {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      const out = new CappedCollector(limit);
      const err = new CappedCollector(limit);
      let timedOut = false;
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = options.timeout ? setTimeout(() => { timedOut = true; killGroup(); }, options.timeout * 1000) : undefined;
      const onAbort = () => killGroup();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => { out.push(c); options.onStdout?.(c); });
      child.stderr.on('data', (c: Buffer) => { err.push(c); options.onStderr?.(c); });
      child.on('error', reject);
      child.on('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (timedOut) {
          reject(new Error(`timed out after ${options.timeout}s`));
          return;
        }
        const cut = truncation(out, err);
        const stderr = err.text();
        if (options.become && code !== 0 && (stderr.startsWith(BECOME_PASSWORD_PROMPT) || /^(sudo|su): /.test(stderr))) {
          const failure = becomeFailure(options.become, stderr.split(BECOME_PASSWORD_PROMPT).length - 1, stderr);
          if (failure) {
            reject(new BecomeError(failure));
            return;
          }
        }
        resolve({ rc: code ?? (sig ? 128 + 9 : 1), stdout: out.text(), stderr: err.text(), ...(cut ? { truncated: cut } : {}) });
      });
      child.stdin.on('error', () => undefined);
      if (wrapped.stdinPrefix) child.stdin.write(wrapped.stdinPrefix);
      if (options.stdin !== undefined) child.stdin.write(options.stdin);
      child.stdin.end();
    });
  }

  async put(source: PutSource, remotePath: string, options: PutOptions = {}): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    if ('content' in source) await writeFile(remotePath, source.content);
    else await copyFile(source.localPath, remotePath);
    if (options.mode !== undefined) {
      await chmod(remotePath, typeof options.mode === 'number' ? options.mode : parseInt(options.mode, 8));
    }
    if (options.owner || options.group) {
      const spec = `${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`;
      const r = await this.exec(`chown ${shellQuote(spec)} ${shellQuote(remotePath)}`);
      if (r.rc !== 0) throw new Error(`chown ${spec} ${remotePath}: ${r.stderr.trim()}`);
    }
  }

  async get(remotePath: string, localPath?: string): Promise<Buffer> {
    const data = await readFile(remotePath);
    if (localPath) {
      await mkdir(dirname(localPath), { recursive: true });
      await writeFile(localPath, data);
    }
    return data;
  }

  async close(): Promise<void> {}
}
