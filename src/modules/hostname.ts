import { shellQuote } from '../connection/types.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { required } from './util/file-args.js';
import { readText } from './util/fs-probe.js';
import { writeFileAtomic } from './util/file-state.js';

export interface HostnameArgs {
  readonly name?: string;
  readonly use?: 'systemd' | 'debian' | 'generic' | 'alpine' | 'redhat' | 'sles' | 'freebsd' | 'openbsd' | 'openrc' | 'solaris' | 'darwin' | 'macos' | 'macosx';
}

interface Strategy {
  current(): Promise<string>;
  permanent(): Promise<string>;
  setCurrent(name: string): Promise<void>;
  setPermanent(name: string): Promise<void>;
}

async function out(ctx: ModuleContext, command: string, what: string): Promise<string> {
  const r = await ctx.probe(command);
  if (r.rc !== 0) throw new ModuleFailure(`Command failed rc=${r.rc}, out=${r.stdout}, err=${r.stderr}`, { what });
  return r.stdout.trim();
}

async function change(ctx: ModuleContext, command: string): Promise<void> {
  const r = await ctx.run(command);
  if (r.rc !== 0) throw new ModuleFailure(`Command failed rc=${r.rc}, out=${r.stdout}, err=${r.stderr}`);
}

function systemdStrategy(ctx: ModuleContext): Strategy {
  return {
    current: () => out(ctx, 'hostnamectl --transient status', 'current'),
    permanent: () => out(ctx, 'hostnamectl --static status', 'permanent'),
    setCurrent: (name) => change(ctx, `hostnamectl --transient set-hostname ${shellQuote(name)}`),
    setPermanent: (name) => change(ctx, `hostnamectl --pretty --static set-hostname ${shellQuote(name)}`),
  };
}

/** Debian/generic: `hostname` for the running name, /etc/hostname for the permanent one. */
function fileStrategy(ctx: ModuleContext): Strategy {
  return {
    current: () => out(ctx, 'hostname', 'current'),
    permanent: async () => ((await readText(ctx, '/etc/hostname')) ?? '').trim(),
    setCurrent: (name) => change(ctx, `hostname ${shellQuote(name)}`),
    setPermanent: async (name) => {
      const existed = (await ctx.probe('test -f /etc/hostname')).rc === 0;
      await writeFileAtomic(ctx, '/etc/hostname', `${name}\n`, existed);
    },
  };
}

export const hostnameModule: Module<HostnameArgs> = {
  name: 'hostname',
  description: "Set the host's name (running and permanent): hostnamectl when present, else hostname + /etc/hostname.",
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the host (a FQDN sets ansible_hostname to its first label).' },
      use: {
        type: 'string',
        enum: ['systemd', 'debian', 'generic', 'alpine', 'redhat', 'sles', 'freebsd', 'openbsd', 'openrc', 'solaris', 'darwin', 'macos', 'macosx'],
        description: 'Strategy: systemd (hostnamectl) or debian/generic (hostname + /etc/hostname); default: systemd when hostnamectl exists.',
      },
    },
  },
  async run(input, ctx): Promise<ModuleResult> {
    const args = { ...input, name: required(input.name, 'name') };
    const name = args.name;
    let use = args.use;
    if (use === undefined) use = (await ctx.probe('command -v hostnamectl')).rc === 0 ? 'systemd' : 'debian';
    if (use !== 'systemd' && use !== 'debian' && use !== 'generic') {
      throw new ModuleFailure(`hostname strategy '${use}' is not supported by tsbook (use systemd, debian or generic)`);
    }
    const s = use === 'systemd' ? systemdStrategy(ctx) : fileStrategy(ctx);
    const current = await s.current();
    const permanent = await s.permanent();
    let changed = false;
    if (current !== name) {
      await s.setCurrent(name);
      changed = true;
    }
    if (permanent !== name) {
      await s.setPermanent(name);
      changed = true;
    }
    const before = name !== current ? current : permanent;
    const fqdn = (await ctx.probe('hostname -f 2>/dev/null || hostname')).stdout.trim();
    const facts = {
      ansible_hostname: name.split('.')[0],
      ansible_nodename: name,
      ansible_fqdn: fqdn,
      ansible_domain: fqdn.split('.').slice(1).join('.'),
    };
    return {
      changed,
      values: { name, ansible_facts: facts },
      facts,
      ...(changed && ctx.diff ? { diff: [{ before: `hostname = ${before}\n`, after: `hostname = ${name}\n` }] } : {}),
    };
  },
};
