import type { Module } from './types.js';
import { ModuleFailure } from './types.js';
import { firstOf } from './util/file-args.js';
import { runSystemd } from './systemd.js';

export interface ServiceArgs {
  readonly name?: string;
  readonly state?: 'reloaded' | 'restarted' | 'started' | 'stopped';
  readonly enabled?: boolean;
  readonly use?: string;
  readonly pattern?: string;
  readonly runlevel?: string;
  readonly sleep?: number;
  readonly arguments?: string;
  readonly args?: string;
}

/**
 * The generic service module. Like Ansible's service action plugin on a systemd host, it runs the
 * systemd module (only systemd is supported: other service managers fail clearly).
 */
export const serviceModule: Module<ServiceArgs> = {
  name: 'service',
  description: 'Manage services (through systemd): start, stop, restart, reload, enable.',
  checkMode: 'full',
  args: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the service.' },
      state: { type: 'string', enum: ['reloaded', 'restarted', 'started', 'stopped'], description: 'started/stopped are idempotent; restarted/reloaded always act.' },
      enabled: { type: 'boolean', description: 'Whether the service starts on boot.' },
      use: { type: 'string', description: "Service manager to use (default 'auto': the ansible_service_mgr fact); only systemd is supported." },
      pattern: { type: 'string', description: 'Ignored on systemd hosts (as Ansible).' },
      runlevel: { type: 'string', description: 'Ignored on systemd hosts (as Ansible).' },
      sleep: { type: 'integer', description: 'Ignored on systemd hosts (as Ansible).' },
      arguments: { type: 'string', description: 'Ignored on systemd hosts (as Ansible).' },
      args: { type: 'string', description: 'Alias of arguments.' },
    },
  },
  async run(args, ctx) {
    let manager = args.use ?? 'auto';
    if (manager === 'auto') {
      const fact = firstOf(ctx.lookupVar('ansible_facts.service_mgr').value, ctx.lookupVar('ansible_service_mgr').value);
      manager = typeof fact === 'string' ? fact : 'systemd';
    }
    if (manager !== 'systemd') {
      throw new ModuleFailure(`tsbook's service module only supports systemd, but this host uses ${manager}`);
    }
    for (const unused of ['pattern', 'runlevel', 'sleep', 'arguments', 'args'] as const) {
      if (args[unused] !== undefined) ctx.warn(`Ignoring "${unused}" as it is not used in "systemd"`);
    }
    return runSystemd({ name: args.name, state: args.state, enabled: args.enabled }, ctx);
  },
};
