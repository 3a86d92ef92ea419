import { basename } from 'node:path';
import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argString } from './util/args.js';
import { outputValues, truncationNotes } from './util/lines.js';
import { shellQuote, shlexSplit, ShlexError } from './util/quote.js';

/** The remote temp directory is made with this command; its stdout is the directory. */
export const SCRIPT_TMPDIR_COMMAND = 'mktemp -d "${TMPDIR:-/tmp}/tsbook-script-XXXXXXXX"';

function skip(msg: string): ModuleResult {
  return { changed: false, skipped: true, msg, values: { msg } };
}

export const scriptModule: Module = {
  name: 'script',
  description: 'Copies a script from the controller to the host, runs it there (with optional arguments) and removes it.',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cmd: {
        type: 'string',
        description: 'Path of the local script (looked up in the role\'s files/ and the playbook directory), followed by its arguments. Usually given free form: `script: setup.sh --force`.',
      },
      creates: { type: 'string', description: 'A path on the host; when it exists the script is not run.' },
      removes: { type: 'string', description: 'A path on the host; when it does not exist the script is not run.' },
      chdir: { type: 'string', description: 'An absolute directory on the host to change into before running the script.' },
      executable: { type: 'string', description: 'The interpreter to run the script with (e.g. `python3`), when it should not be executed directly.' },
      decrypt: { type: 'boolean', default: true, description: 'Decrypt a vault-encrypted script before copying it.' },
    },
  },
  freeForm: { arg: 'cmd', required: false },
  checkMode: 'full',
  async run(args, ctx): Promise<ModuleResult> {
    const raw = (argString(args, 'cmd', '_raw_params') ?? '').trim();
    let parts: string[];
    try {
      parts = shlexSplit(raw);
    } catch (err) {
      if (err instanceof ShlexError) throw new ModuleFailure(err.message);
      throw err;
    }
    if (parts.length === 0) throw new ModuleFailure('script: no script given');

    const creates = argString(args, 'creates');
    if (creates) {
      const r = await ctx.probe(`test -e ${shellQuote(creates)}`);
      if (r.rc === 0) return skip(`${creates} exists, matching creates option`);
    }
    const removes = argString(args, 'removes');
    if (removes) {
      const r = await ctx.probe(`test -e ${shellQuote(removes)}`);
      if (r.rc !== 0) return skip(`${removes} does not exist, matching removes option`);
    }
    const chdir = argString(args, 'chdir');
    if (chdir && !chdir.startsWith('/')) throw new ModuleFailure(`chdir ${chdir} must be an absolute path for a Unix-aware remote node`);

    let local: string;
    try {
      local = await ctx.findLocalFile(parts[0]!, 'files');
    } catch (err) {
      throw new ModuleFailure(err instanceof Error ? err.message : String(err));
    }

    if (ctx.check) {
      if (creates || removes) return { changed: true, values: {} };
      return { changed: false, skipped: true, msg: 'Check mode is not supported for this task.', values: { msg: 'Check mode is not supported for this task.' } };
    }

    const tmp = await ctx.run(SCRIPT_TMPDIR_COMMAND);
    const tmpdir = tmp.stdout.trim();
    if (tmp.rc !== 0 || tmpdir === '') throw new ModuleFailure(`could not create a temporary directory on the host: ${tmp.stderr.trim()}`);
    const remote = `${tmpdir}/${basename(local)}`;
    try {
      await ctx.put({ localPath: local }, remote, { mode: '0700' });
      if (ctx.become) await ctx.run(`chmod 0755 ${shellQuote(tmpdir)} ${shellQuote(remote)}`);
      const target = raw.split(parts[0]!).join(remote);
      const executable = argString(args, 'executable');
      let line = executable ? `${executable} ${target}` : target;
      if (chdir) line = `cd ${shellQuote(chdir)} && ${line}`;
      const env = Object.keys(ctx.env).length > 0 ? { env: ctx.env } : {};
      const res = await ctx.run(line, { ...env, signal: ctx.signal });
      const cut = truncationNotes(res.truncated);
      const values: Record<string, unknown> = { rc: res.rc, ...outputValues(res.stdout, res.stderr), ...cut.values };
      const warnings = cut.warnings.length > 0 ? cut.warnings : undefined;
      if (res.rc !== 0) return { changed: true, failed: true, msg: 'non-zero return code', values: { ...values, msg: 'non-zero return code' }, warnings };
      return { changed: true, values, warnings };
    } finally {
      // also after an interrupt cancelled the script (ctx.signal aborted): bounded, not cancelled
      await ctx.run(`rm -rf ${shellQuote(tmpdir)}`, { signal: AbortSignal.timeout(10_000) });
    }
  },
};
