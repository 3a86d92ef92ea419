import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { toBool, required } from './util/file-args.js';
import { writeFileAtomic } from './util/file-state.js';
import { readText } from './util/fs-probe.js';

export interface SysctlArgs {
  readonly name?: string;
  readonly key?: string;
  readonly value?: string | number | boolean;
  readonly val?: string | number | boolean;
  readonly state?: 'present' | 'absent';
  readonly sysctl_file?: string;
  readonly reload?: boolean;
  readonly sysctl_set?: boolean;
  readonly ignoreerrors?: boolean;
}

/** ansible.posix.sysctl's value normalisation: booleans to 1/0, whitespace runs to one space. */
export function normaliseSysctlValue(value: string | number | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  const s = String(value);
  const lower = s.trim().toLowerCase();
  if (lower === 'true' || lower === 'yes') return '1';
  if (lower === 'false' || lower === 'no') return '0';
  return s.split(/\s+/).filter((p) => p !== '').join(' ');
}

/** Key/value pairs of a sysctl.conf (comments: # and ;). */
export function parseSysctlFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) continue;
    const eq = line.indexOf('=');
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** The file with `name` set to `value` (undefined removes it), as ansible.posix.sysctl writes it. */
export function rewriteSysctlFile(text: string, name: string, value: string | undefined): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let done = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#') && !line.startsWith(';') && line.includes('=')) {
      const key = line.slice(0, line.indexOf('=')).trim();
      if (key === name) {
        if (value !== undefined && !done) out.push(`${name}=${value}`);
        done = true;
        continue;
      }
    }
    out.push(raw);
  }
  if (value !== undefined && !done) out.push(`${name}=${value}`);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

async function procValue(ctx: ModuleContext, name: string): Promise<string | undefined> {
  const r = await ctx.probe(`sysctl -e -n ${shellQuote(name)}`);
  if (r.rc !== 0) return undefined;
  return normaliseSysctlValue(r.stdout.trim());
}

export const sysctlModule: Module<SysctlArgs> = {
  name: 'sysctl',
  aliases: ['ansible.posix.sysctl'],
  description: 'Manage kernel parameters in sysctl.conf and optionally apply them with sysctl -w.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['name'] }, { required: ['key'] }],
    properties: {
      name: { type: 'string', description: 'The dot-separated sysctl key, e.g. net.ipv4.ip_forward (alias: key).' },
      key: { type: 'string', description: 'Alias of name.' },
      value: { type: ['string', 'number', 'boolean'], description: 'Desired value (alias: val); required for state=present.' },
      val: { type: ['string', 'number', 'boolean'], description: 'Alias of value.' },
      state: { type: 'string', enum: ['present', 'absent'], description: 'Whether the entry should be in sysctl_file (default present).' },
      sysctl_file: { type: 'string', description: "The file to edit (default '/etc/sysctl.conf')." },
      reload: { type: 'boolean', description: 'Reload the file with sysctl -p when it changed (default true).' },
      sysctl_set: { type: 'boolean', description: 'Also check the running value and set it with sysctl -w (default false).' },
      ignoreerrors: { type: 'boolean', description: 'Ignore errors about unknown keys on reload (sysctl -e).' },
    },
  },
  async run(input, ctx): Promise<ModuleResult> {
    const args = { ...input, name: required(input.name ?? input.key, 'name') };
    const name = args.name;
    const state = args.state ?? 'present';
    const value = normaliseSysctlValue(args.value ?? args.val);
    if (state === 'present' && value === undefined) throw new ModuleFailure('value cannot be None');
    if (state === 'present' && value === '') throw new ModuleFailure(`state=present and value=${String(args.value ?? args.val)} is not valid`);
    const file = args.sysctl_file ?? '/etc/sysctl.conf';
    const existed = (await ctx.probe(`test -e ${shellQuote(file)}`)).rc === 0;
    const text = existed ? ((await readText(ctx, file)) ?? '') : '';
    const fileValue = parseSysctlFile(text).get(name);
    let changed = false;
    let writeFile = false;
    if (state === 'present') {
      if (fileValue === undefined || normaliseSysctlValue(fileValue) !== value) writeFile = true;
      if (toBool(args.sysctl_set)) {
        const current = await procValue(ctx, name);
        if (current !== value) {
          changed = true;
          const r = await ctx.run(`sysctl -w ${shellQuote(`${name}=${value}`)}`);
          if (r.rc !== 0 || r.stderr.trim() !== '') throw new ModuleFailure(`setting ${name} failed: ${r.stdout}${r.stderr}`);
        }
      }
    } else if (fileValue !== undefined) writeFile = true;
    if (writeFile) {
      changed = true;
      const after = rewriteSysctlFile(text, name, state === 'present' ? value : undefined);
      if (!ctx.check) await writeFileAtomic(ctx, file, after, existed);
      if (toBool(args.reload, true)) {
        const r = await ctx.run(`sysctl ${toBool(args.ignoreerrors) ? '-e ' : ''}-p ${shellQuote(file)}`);
        if (r.rc !== 0 || (/Invalid argument|unknown key|cannot stat/.test(r.stderr) && !toBool(args.ignoreerrors))) {
          throw new ModuleFailure(`Failed to reload sysctl: ${r.stdout}${r.stderr}`);
        }
      }
      return {
        changed,
        ...(ctx.diff ? { diff: [{ before: text, after, before_header: file, after_header: file }] } : {}),
      };
    }
    return { changed };
  },
};
