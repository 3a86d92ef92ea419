/**
 * Runs one exec/shell request of a lab session: `bash -c COMMAND` (or `bash` reading stdin for a
 * shell) in the host's state directory, its own process group, streams wired to the channel.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';

export interface ExecContext {
  /** bash to run (absolute path). */
  readonly shell: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Called with every process group started, and again (with `done`) once it has exited. */
  readonly track?: (pgid: number, done: boolean) => void;
}

/** `INT` / `SIGINT` to a Node signal name, or undefined for unknown names. */
export function signalName(name: string): NodeJS.Signals | undefined {
  const full = (name.startsWith('SIG') ? name : `SIG${name}`).toUpperCase();
  return Object.prototype.hasOwnProperty.call(osConstants.signals, full) ? (full as NodeJS.Signals) : undefined;
}

/** Sends `signal` to a whole process group; false when the group is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies `src` to `dst` with backpressure. Resolves once `src` has ended and `dst` has taken every
 * chunk (ssh2 calls a write's callback when the data is handed to the transport).
 */
function forward(src: Readable, dst: Writable): Promise<void> {
  return new Promise((resolve) => {
    let last: Promise<void> = Promise.resolve();
    src.on('data', (chunk: Buffer) => {
      last = new Promise<void>((written) => {
        const more = dst.write(chunk, () => written());
        if (!more) {
          src.pause();
          dst.once('drain', () => src.resume());
        }
      });
    });
    src.once('end', () => void last.then(resolve));
    src.once('error', () => resolve());
  });
}

/** The process behind a running exec request. */
export interface RunningCommand {
  /** Forwards a client `signal` request; false when the name is unknown or the process is gone. */
  signal(name: string): boolean;
}

/**
 * Starts `argv` (arguments to bash) for `channel`. The exit status (or signal) is sent before the
 * channel is closed. If the channel closes first, the process group is killed.
 */
export function runOnChannel(channel: ServerChannel, argv: readonly string[], ctx: ExecContext): RunningCommand {
  let exited = false;
  let child: ChildProcessWithoutNullStreams;
  channel.on('error', () => undefined);
  channel.stderr.on('error', () => undefined);
  try {
    child = spawn(ctx.shell, [...argv], { cwd: ctx.cwd, env: { ...ctx.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    channel.stderr.write(`tsbook lab: cannot start ${ctx.shell}: ${(e as Error).message}\n`);
    channel.exit(127);
    channel.end();
    return { signal: () => false };
  }
  const pgid = child.pid;
  if (pgid !== undefined) ctx.track?.(pgid, false);

  const outDone = forward(child.stdout, channel);
  const errDone = forward(child.stderr, channel.stderr);
  child.stdin.on('error', () => undefined);
  channel.pipe(child.stdin);

  const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (exited) return;
    exited = true;
    if (pgid !== undefined) ctx.track?.(pgid, true);
    void Promise.all([outDone, errDone]).then(() => {
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
      else channel.exit(code ?? 255);
      channel.end();
    });
  };
  child.on('error', (e) => {
    channel.stderr.write(`tsbook lab: cannot start ${ctx.shell}: ${e.message}\n`);
    finish(127, null);
  });
  child.on('close', (code, signal) => finish(code, signal));
  channel.on('close', () => {
    if (!exited && pgid !== undefined) killGroup(pgid, 'SIGKILL');
  });

  return {
    signal(name: string): boolean {
      const sig = signalName(name);
      if (!sig || exited || pgid === undefined) return false;
      return killGroup(pgid, sig);
    },
  };
}
