import type { ExecOptions } from '../connection/types.js';
import type { JsonSchema, Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool, argList, argString } from './util/args.js';
import { outputValues, truncationNotes } from './util/lines.js';
import { globWord, pathWord, shellJoin, shellQuote, shlexSplit, ShlexError } from './util/quote.js';
import { pythonDateTime, pythonTimedelta } from './util/time.js';

type Args = Readonly<Record<string, unknown>>;

/** The options command and shell share; `shell` adds nothing but changes how `cmd` is run. */
export function commandArgsSchema(shell: boolean): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      cmd: {
        type: 'string',
        description: shell
          ? 'The shell command line to run, with pipes, redirections and variables interpreted by the shell. Usually given free form: `shell: cmd args`.'
          : 'The command to run, split into arguments like a POSIX shell would (quotes respected) but NOT interpreted by a shell: `$HOME`, `*`, `|`, `>` and `;` are passed literally. Usually given free form: `command: cmd args`.',
      },
      argv: {
        type: 'array',
        items: { type: 'string' },
        description: 'The command as a list of arguments instead of a string; each item is passed as one argument. Use either `cmd` (or free form) or `argv`, not both.',
      },
      chdir: { type: 'string', description: 'Change into this directory on the host before running the command.' },
      creates: {
        type: 'string',
        description: 'A path or glob on the host. When it already matches something, the command is not run (the task is ok, not changed). Makes the task support check mode.',
      },
      removes: {
        type: 'string',
        description: 'A path or glob on the host. When it matches nothing, the command is not run (the task is ok, not changed). Makes the task support check mode.',
      },
      executable: {
        type: 'string',
        description: shell
          ? 'The shell used to run the command (absolute path); defaults to /bin/sh.'
          : 'Ignored by the command module (use the shell module to choose a shell); a warning is shown.',
      },
      stdin: { type: 'string', description: 'Text written to the command\'s standard input.' },
      stdin_add_newline: { type: 'boolean', default: true, description: 'Whether to append a newline to `stdin`.' },
      strip_empty_ends: { type: 'boolean', default: true, description: 'Strip trailing newlines from stdout and stderr in the result.' },
    },
  };
}

interface Precheck {
  readonly chdirErrno?: number;
  readonly createsMatched: boolean;
  readonly removesMatched: boolean;
}

const ERRNO_TEXT: Readonly<Record<number, string>> = { 2: 'No such file or directory', 13: 'Permission denied', 20: 'Not a directory' };

function cdScript(chdir: string): string {
  return `d=${pathWord(chdir)}; if [ ! -e "$d" ]; then echo chdir:2; exit 0; fi; if [ ! -d "$d" ]; then echo chdir:20; exit 0; fi; cd "$d" 2>/dev/null || { echo chdir:13; exit 0; }`;
}

function globTest(pattern: string, token: string): string {
  return `(for f in ${globWord(pattern)}; do if [ -e "$f" ] || [ -L "$f" ]; then exit 0; fi; done; exit 1) && echo ${token}`;
}

/** One probe answering: can we cd to chdir, does `creates` match, does `removes` match. */
export function precheckScript(chdir: string | undefined, creates: string | undefined, removes: string | undefined): string {
  const parts: string[] = [];
  if (chdir !== undefined) parts.push(cdScript(chdir));
  if (creates !== undefined) parts.push(globTest(creates, 'creates'));
  if (removes !== undefined) parts.push(globTest(removes, 'removes'));
  parts.push('exit 0');
  return parts.join('; ');
}

function parsePrecheck(stdout: string): Precheck {
  const lines = stdout.split('\n').map((l) => l.trim());
  const chdirLine = lines.find((l) => l.startsWith('chdir:'));
  return {
    chdirErrno: chdirLine ? Number(chdirLine.slice(6)) : undefined,
    createsMatched: lines.includes('creates'),
    removesMatched: lines.includes('removes'),
  };
}

/** The shell command line that runs `cmd` on the host. */
export function buildCommandLine(cmd: string | readonly string[], options: { shell: boolean; chdir?: string; executable?: string }): string {
  let line: string;
  if (!options.shell) {
    const argv = cmd as readonly string[];
    // A first word like `FOO=bar` must stay a program name, not become a shell assignment.
    const first = argv[0]!.includes('=') ? `'${argv[0]!.replace(/'/g, `'\\''`)}'` : shellQuote(argv[0]!);
    line = `exec ${[first, ...argv.slice(1).map(shellQuote)].join(' ')}`;
  } else {
    const text = typeof cmd === 'string' ? cmd : shellJoin(cmd);
    if (options.executable) line = `exec ${shellQuote(options.executable)} -c ${shellQuote(text)}`;
    else if (options.chdir !== undefined) line = `exec /bin/sh -c ${shellQuote(text)}`;
    else line = text;
  }
  return options.chdir !== undefined ? `cd ${pathWord(options.chdir)} && ${line}` : line;
}

function finish(values: Record<string, unknown>, changed: boolean, extra: { failed?: boolean; skipped?: boolean; warnings?: string[] } = {}): ModuleResult {
  const stdout = String(values['stdout'] ?? '');
  const stderr = String(values['stderr'] ?? '');
  const all: Record<string, unknown> = { ...values, ...outputValues(stdout, stderr) };
  return {
    changed,
    failed: extra.failed,
    skipped: extra.skipped,
    msg: typeof all['msg'] === 'string' ? all['msg'] : undefined,
    values: all,
    warnings: extra.warnings && extra.warnings.length > 0 ? extra.warnings : undefined,
  };
}

/** The command/shell implementation (Ansible's command module with `_uses_shell`). */
export async function runCommandModule(args: Args, ctx: ModuleContext, shell: boolean): Promise<ModuleResult> {
  const raw = argString(args, 'cmd', '_raw_params');
  const argv = argList(args, 'argv');
  const chdir = argString(args, 'chdir');
  const creates = argString(args, 'creates');
  const removes = argString(args, 'removes');
  const stdinArg = argString(args, 'stdin');
  const addNewline = argBool(args, 'stdin_add_newline', true);
  const strip = argBool(args, 'strip_empty_ends', true);
  let executable = argString(args, 'executable');
  const warnings: string[] = [];
  if (!shell && executable) {
    warnings.push(`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${executable}'.`);
    executable = undefined;
  }

  const r: Record<string, unknown> = { stdout: '', stderr: '', rc: null, cmd: null, start: null, end: null, delta: null, msg: '' };
  const fail = (msg: string, rc: unknown = r['rc']) => finish({ ...r, rc, msg }, false, { failed: true, warnings });

  const hasRaw = raw !== undefined && raw.trim() !== '';
  if (!hasRaw && (!argv || argv.length === 0)) return fail('no command given', 256);
  if (hasRaw && argv && argv.length > 0) return fail('only command or argv can be given, not both', 256);

  let cmd: string | string[];
  if (hasRaw && !shell) {
    try {
      cmd = shlexSplit(raw);
    } catch (err) {
      if (err instanceof ShlexError) throw new ModuleFailure(err.message, { cmd: raw });
      throw err;
    }
  } else {
    cmd = hasRaw ? raw : argv!;
  }
  r['cmd'] = cmd;

  if (chdir !== undefined || creates !== undefined || removes !== undefined) {
    const probe = await ctx.probe(precheckScript(chdir, creates, removes));
    const pre = parsePrecheck(probe.stdout);
    if (pre.chdirErrno !== undefined) {
      const reason = ERRNO_TEXT[pre.chdirErrno] ?? 'Error';
      return fail(`Unable to change directory before execution: [Errno ${pre.chdirErrno}] ${reason}: b'${chdir}'`);
    }
    const shoulda = ctx.check ? 'Would' : 'Did';
    if (creates !== undefined && pre.createsMatched) {
      return finish({ ...r, rc: 0, msg: `${shoulda} not run command since '${creates}' exists`, stdout: `skipped, since ${creates} exists` }, false, { warnings });
    }
    if (removes !== undefined && !pre.removesMatched) {
      return finish(
        { ...r, rc: 0, msg: `${shoulda} not run command since '${removes}' does not exist`, stdout: `skipped, since ${removes} does not exist` },
        false,
        { warnings },
      );
    }
  }

  const line = buildCommandLine(cmd, { shell, chdir, executable });
  const options: ExecOptions = {
    ...(stdinArg !== undefined && stdinArg !== '' ? { stdin: addNewline ? `${stdinArg}\n` : stdinArg } : {}),
    ...(Object.keys(ctx.env).length > 0 ? { env: ctx.env } : {}),
    signal: ctx.signal,
  };

  if (ctx.check) {
    await ctx.run(line, options);
    const values = { ...r, rc: 0, msg: 'Command would have run if not in check mode' };
    if (creates === undefined && removes === undefined) return finish(values, false, { skipped: true, warnings });
    return finish(values, true, { warnings });
  }

  const start = new Date();
  const res = await ctx.run(line, options);
  const end = new Date();

  if (!shell && Array.isArray(cmd)) {
    const argv0 = cmd[0]!;
    const notFound = res.rc === 127 && /exec: .*: not found|exec: .*: No such file or directory/.test(res.stderr);
    const denied = res.rc === 126 && /Permission denied|cannot execute/.test(res.stderr);
    if (notFound || denied) {
      const errno = notFound ? 2 : 13;
      const values = { cmd: shellJoin(cmd), rc: errno, stdout: '', stderr: '', msg: `[Errno ${errno}] ${ERRNO_TEXT[errno]}: b'${argv0}'` };
      return finish(values, false, { failed: true, warnings });
    }
  }

  const cut = truncationNotes(res.truncated);
  warnings.push(...cut.warnings);
  const stdout = strip ? res.stdout.replace(/[\r\n]+$/, '') : res.stdout;
  const stderr = strip ? res.stderr.replace(/[\r\n]+$/, '') : res.stderr;
  const values: Record<string, unknown> = {
    ...r,
    rc: res.rc,
    stdout,
    stderr,
    start: pythonDateTime(start),
    end: pythonDateTime(end),
    delta: pythonTimedelta(end.getTime() - start.getTime()),
    ...cut.values,
  };
  if (res.rc !== 0) return finish({ ...values, msg: 'non-zero return code' }, true, { failed: true, warnings });
  return finish(values, true, { warnings });
}

export const commandModule: Module = {
  name: 'command',
  description: 'Runs a command on the host without a shell: arguments are split like a shell would, but no variables, globs, pipes or redirections are interpreted.',
  args: commandArgsSchema(false),
  freeForm: { arg: 'cmd', required: false },
  checkMode: 'full',
  run: (args, ctx) => runCommandModule(args, ctx, false),
};
