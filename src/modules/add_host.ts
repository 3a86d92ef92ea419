import type { Module, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';

/** Splits `host:port` / `[v6]:port` as Ansible's parse_address does; other names are returned whole. */
export function splitHostPort(name: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:\s]+):(\d+)$/.exec(name);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: name };
}

const SPECIAL = new Set(['name', 'hostname', 'groupname', 'groups']);

export const addHostModule: Module = {
  name: 'add_host',
  description:
    'Adds a host (and optionally groups) to the in-memory inventory for the following plays of this run. Extra keys become host variables.',
  args: {
    type: 'object',
    additionalProperties: true,
    properties: {
      name: { type: 'string', description: 'The host name, optionally with `:port`. Aliases: host, hostname.' },
      host: { type: 'string', description: 'Alias of name.' },
      hostname: { type: 'string', description: 'Alias of name.' },
      groups: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'Groups to add the host to (a list or a comma-separated string). Aliases: group, groupname.',
      },
      group: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Alias of groups.' },
      groupname: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Alias of groups.' },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args): Promise<ModuleResult> {
    const hostVars: Record<string, unknown> = {};
    const rawName = args['name'] ?? args['hostname'] ?? args['host'];
    if (rawName === undefined || rawName === null) throw new ModuleFailure('name, host or hostname needs to be provided');
    const { host, port } = splitHostPort(String(rawName));
    const groupsArg = args['groupname'] ?? args['groups'] ?? args['group'] ?? '';
    let list: string[];
    if (Array.isArray(groupsArg)) list = groupsArg.map(String);
    else if (typeof groupsArg === 'string') list = groupsArg === '' ? [] : groupsArg.split(',');
    else throw new ModuleFailure('Groups must be specified as a list.');
    const groups: string[] = [];
    for (const g of list) if (!groups.includes(g)) groups.push(g.trim());
    for (const [k, v] of Object.entries(args)) if (!SPECIAL.has(k)) hostVars[k] = v;
    if (port !== undefined) hostVars['ansible_ssh_port'] = port;
    // Ansible's strategy sets `changed` from whether the inventory actually changed; the engine does that.
    return { changed: false, values: { add_host: { host_name: host, groups, host_vars: hostVars } } };
  },
};
