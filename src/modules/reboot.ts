import type { Module, ModuleContext, ModuleResult } from './types.js';
import { sleep } from './util/time.js';
import { ModuleFailure } from './types.js';
import { argInt, argList, argString } from './util/args.js';
import { shellQuote } from './util/quote.js';

/**
 * The reboot module, after Ansible's reboot action plugin (ansible-core 2.14, Linux): note the boot
 * id, run `shutdown -r`, then poll (reconnecting) until the boot id changes and the test command
 * succeeds. The connection drops while the host restarts; the module closes it so the next command
 * opens a new one.
 */

export type RebootArgs = Readonly<Record<string, unknown>>;

/** Time and randomness, replaceable in tests. */
export interface RebootClock {
  /** Milliseconds. */
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

export const realClock: RebootClock = { now: () => Date.now(), sleep, random: () => Math.random() };

const DEFAULTS = {
  rebootTimeout: 600,
  testCommand: 'whoami',
  bootTimeCommand: 'cat /proc/sys/kernel/random/boot_id',
  msg: 'Reboot initiated by Ansible',
  searchPaths: ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin'],
  /** Seconds one poll may take (opening the connection included) before it counts as failed. */
  attemptTimeout: 30,
};

interface Settings {
  readonly rebootTimeout: number;
  readonly preDelay: number;
  readonly postDelay: number;
  readonly connectTimeout?: number;
  readonly testCommand: string;
  readonly bootTimeCommand: string;
  readonly msg: string;
  readonly rebootCommand?: string;
  readonly searchPaths: readonly string[];
}

/** `key` or its `_sec` variant (Ansible's _check_delay), never negative. */
function delay(args: RebootArgs, key: string): number {
  const v = argInt(args, key) ?? argInt(args, `${key}_sec`) ?? 0;
  return Math.max(0, v);
}

function settings(args: RebootArgs): Settings {
  return {
    rebootTimeout: argInt(args, 'reboot_timeout') ?? argInt(args, 'reboot_timeout_sec') ?? DEFAULTS.rebootTimeout,
    preDelay: delay(args, 'pre_reboot_delay'),
    postDelay: delay(args, 'post_reboot_delay'),
    connectTimeout: argInt(args, 'connect_timeout') ?? argInt(args, 'connect_timeout_sec'),
    testCommand: argString(args, 'test_command') ?? DEFAULTS.testCommand,
    bootTimeCommand: argString(args, 'boot_time_command') || DEFAULTS.bootTimeCommand,
    msg: argString(args, 'msg') ?? DEFAULTS.msg,
    rebootCommand: argString(args, 'reboot_command'),
    searchPaths: argList(args, 'search_paths') ?? DEFAULTS.searchPaths,
  };
}

/** Python's repr of a list of strings, for Ansible's messages. */
function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

class AttemptTimeout extends Error {}

/** Runs `op`, failing with AttemptTimeout after `seconds` (a hung connection then gets reopened). */
async function bounded<T>(op: () => Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer in ${seconds} seconds`)), seconds * 1000);
  });
  try {
    return await Promise.race([op(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ansible's shutdown binary and arguments on Linux (Alpine: `reboot`), or from reboot_command. */
function shutdownCommand(s: Settings, ctx: ModuleContext): { bin: string; args: string } {
  if (s.rebootCommand !== undefined) {
    const space = s.rebootCommand.indexOf(' ');
    return space < 0 ? { bin: s.rebootCommand, args: '' } : { bin: s.rebootCommand.slice(0, space), args: s.rebootCommand.slice(space + 1) };
  }
  const distribution = ctx.lookupVar('ansible_facts.distribution');
  if (typeof distribution.value === 'string' && distribution.value.toLowerCase() === 'alpine') return { bin: 'reboot', args: '' };
  return { bin: 'shutdown', args: `-r ${Math.floor(s.preDelay / 60)} "${s.msg}"` };
}

/** The shutdown binary's full path: the first of `search_paths` holding it (Ansible runs find). */
async function findShutdown(bin: string, s: Settings, ctx: ModuleContext): Promise<string> {
  if (bin.startsWith('/')) return bin;
  const paths = s.searchPaths.map((p) => `${p.replace(/\/+$/, '')}/${bin}`);
  const script = `for p in ${paths.map(shellQuote).join(' ')}; do if [ -e "$p" ]; then printf '%s\\n' "$p"; exit 0; fi; done; exit 1`;
  const r = await ctx.probe(script);
  const found = r.rc === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
  if (!found) throw new ModuleFailure(`Unable to find command "${bin}" in search paths: ${pyList(s.searchPaths)}`);
  return found;
}

async function bootId(s: Settings, ctx: ModuleContext): Promise<string> {
  const r = await ctx.probe(s.bootTimeCommand);
  if (r.rc !== 0) {
    throw new ModuleFailure(`reboot: failed to get host boot time info, rc: ${r.rc}, stdout: ${r.stdout}, stderr: ${r.stderr}`);
  }
  return r.stdout.trim();
}

class TimedOut extends Error {}

/**
 * Ansible's do_until_success_or_timeout: retries `action` with exponential backoff (at most ~12 s)
 * until it succeeds or `timeout` seconds pass. A failed attempt closes the connection, so the next
 * one reconnects (the host went down, or came back with new host keys in memory of the old socket).
 */
async function untilSuccess(action: () => Promise<void>, description: string, timeout: number, attemptTimeout: number, ctx: ModuleContext, clock: RebootClock): Promise<void> {
  const end = clock.now() + timeout * 1000;
  let failures = 0;
  while (clock.now() < end) {
    if (ctx.signal.aborted) throw new ModuleFailure('reboot: interrupted');
    try {
      await bounded(action, attemptTimeout);
      return;
    } catch (err) {
      if (!(err instanceof BootUnchanged)) await ctx.reconnect?.().catch(() => undefined);
      const jitter = clock.random();
      const wait = Math.min(2 ** failures, 12) + jitter;
      failures++;
      await clock.sleep(wait * 1000, ctx.signal);
    }
  }
  throw new TimedOut(`Timed out waiting for ${description} (timeout=${timeout})`);
}

class BootUnchanged extends Error {}

function elapsedSince(start: number, clock: RebootClock): number {
  return Math.floor((clock.now() - start) / 1000);
}

/** The module's work, with an injectable clock. */
export async function runReboot(args: RebootArgs, ctx: ModuleContext, clock: RebootClock = realClock): Promise<ModuleResult> {
  const transport = await ctx.transport?.();
  if (transport === 'local') {
    const msg = 'Running reboot with local connection would reboot the control node.';
    return { changed: false, failed: true, msg, values: { elapsed: 0, rebooted: false } };
  }
  // Ansible's plugin reports a reboot in check mode without doing anything
  if (ctx.check) return { changed: true, values: { elapsed: 0, rebooted: true } };

  const s = settings(args);
  const attemptTimeout = s.connectTimeout !== undefined && s.connectTimeout > 0 ? s.connectTimeout : DEFAULTS.attemptTimeout;
  let previous: string;
  try {
    previous = await bootId(s, ctx);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { changed: false, failed: true, msg, values: { reboot: false } };
  }

  const { bin, args: shutdownArgs } = shutdownCommand(s, ctx);
  const command = `${await findShutdown(bin, s, ctx)} ${shutdownArgs}`;
  let rc = 0;
  let stdout = '';
  let stderr = '';
  try {
    const r = await bounded(() => ctx.run(command), attemptTimeout);
    ({ rc, stdout, stderr } = r);
  } catch {
    // the host may drop the connection before the command returns: that is the reboot starting
    await ctx.reconnect?.().catch(() => undefined);
  }
  const start = clock.now();
  if (rc !== 0) {
    const msg = `Reboot command failed. Error was: '${stdout.trim()}, ${stderr.trim()}'`;
    return { changed: false, failed: true, msg, values: { rebooted: false, elapsed: elapsedSince(start, clock) } };
  }
  ctx.progress('rebooting, waiting for the host to come back');
  if (s.postDelay > 0) await clock.sleep(s.postDelay * 1000, ctx.signal);

  try {
    await untilSuccess(
      async () => {
        const current = await bootId(s, ctx);
        if (current === '' || current === previous) throw new BootUnchanged('boot time has not changed');
      },
      'last boot time check',
      s.rebootTimeout,
      attemptTimeout,
      ctx,
      clock,
    );
    await untilSuccess(
      async () => {
        const r = await ctx.probe(s.testCommand);
        if (r.rc !== 0) throw new Error(`Test command failed: ${r.stderr} ${r.stdout}`);
      },
      'post-reboot test command',
      s.rebootTimeout,
      attemptTimeout,
      ctx,
      clock,
    );
  } catch (err) {
    if (!(err instanceof TimedOut)) throw err;
    return { changed: false, failed: true, msg: err.message, values: { rebooted: true, elapsed: elapsedSince(start, clock) } };
  }
  return { changed: true, values: { rebooted: true, elapsed: elapsedSince(start, clock) } };
}

const seconds = (description: string) => ({ type: ['integer', 'string'], description });

export const rebootModule: Module<RebootArgs> = {
  name: 'reboot',
  description: 'Reboot a machine, wait for it to go down, come back up and respond to commands.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      reboot_timeout: seconds('Seconds to wait for the host to reboot and respond to the test command (default 600).'),
      reboot_timeout_sec: seconds('Alias of reboot_timeout (deprecated name).'),
      msg: { type: 'string', description: "Message shown to logged-in users before the reboot (default 'Reboot initiated by Ansible')." },
      pre_reboot_delay: seconds('Seconds to wait before rebooting, passed to shutdown in whole minutes (default 0).'),
      pre_reboot_delay_sec: seconds('Alias of pre_reboot_delay.'),
      post_reboot_delay: seconds('Seconds to wait after the reboot command before checking the host (default 0).'),
      post_reboot_delay_sec: seconds('Alias of post_reboot_delay.'),
      test_command: { type: 'string', description: "Command that must succeed on the rebooted host (default 'whoami')." },
      connect_timeout: seconds('Seconds one connection attempt / poll may take while waiting (default 30 in tsbook).'),
      connect_timeout_sec: seconds('Alias of connect_timeout.'),
      reboot_command: { type: 'string', description: "Command that reboots the host (default 'shutdown -r 0 \"<msg>\"' found in search_paths)." },
      boot_time_command: { type: 'string', description: "Command whose output changes on every boot (default 'cat /proc/sys/kernel/random/boot_id')." },
      search_paths: {
        type: ['array', 'string'],
        items: { type: 'string' },
        description: 'Directories searched for the shutdown command (default /sbin, /bin, /usr/sbin, /usr/bin, /usr/local/sbin).',
      },
    },
  },
  run: (args, ctx) => runReboot(args, ctx),
};
