/**
 * The lab directory's layout and the text of the files the lab writes. Pure functions.
 */
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { LabTopology } from './topology.js';
import { shellQuote } from '../connection/types.js';

export interface LabPaths {
  readonly dir: string;
  /** Input of the lab daemon, written by `lab up` (spec.ts). */
  readonly specFile: string;
  /** Written by the daemon once every host listens: pid, ports, topology. */
  readonly stateFile: string;
  readonly logFile: string;
  readonly inventoryFile: string;
  readonly knownHostsFile: string;
  /** The client key every lab host accepts. */
  readonly clientKeyFile: string;
  readonly clientPubFile: string;
  /** Shared simulated tools (`hostname`), on every host's PATH after the host's own bin/. */
  readonly binDir: string;
  readonly hostsDir: string;
  readonly hostKeysDir: string;
  /** `*`: the lab directory holds private keys. */
  readonly gitignoreFile: string;
}

export function labPaths(dir: string): LabPaths {
  const d = resolve(dir);
  return {
    dir: d,
    specFile: join(d, 'lab.json'),
    stateFile: join(d, 'state.json'),
    logFile: join(d, 'lab.log'),
    inventoryFile: join(d, 'inventory.yaml'),
    knownHostsFile: join(d, 'known_hosts'),
    clientKeyFile: join(d, 'id_ed25519'),
    clientPubFile: join(d, 'id_ed25519.pub'),
    binDir: join(d, 'bin'),
    hostsDir: join(d, 'hosts'),
    hostKeysDir: join(d, 'hostkeys'),
    gitignoreFile: join(d, '.gitignore'),
  };
}

/** A host's state directory: its HOME and the cwd of every command run on it. */
export function hostStateDir(paths: LabPaths, host: string): string {
  return join(paths.hostsDir, host);
}

export function hostKeyFile(paths: LabPaths, host: string): string {
  return join(paths.hostKeysDir, `${host}_ed25519`);
}

/** One running lab host, as recorded in state.json. */
export interface LabHostState {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `ssh-ed25519 AAAA...` (no comment). */
  readonly hostKey: string;
  readonly stateDir: string;
}

/** `[127.0.0.1]:PORT ssh-ed25519 AAAA...`, one line per host (plain address for port 22). */
export function renderKnownHosts(hosts: readonly LabHostState[]): string {
  return hosts.map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKey}\n`).join('');
}

export interface InventoryConnection {
  readonly user: string;
  readonly privateKeyFile: string;
  readonly knownHostsFile: string;
}

/**
 * The lab's YAML inventory: every host under `all.hosts` with its connection vars (so host order is
 * the lab's), groups with their vars and children referring to the hosts by name.
 * `ansible_ssh_common_args` repeats the known_hosts file and strict checking for OpenSSH (ansible-playbook).
 */
export function renderInventory(topology: LabTopology, hosts: readonly LabHostState[], conn: InventoryConnection): string {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const commonArgs = [
    '-o', `UserKnownHostsFile=${conn.knownHostsFile}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
  ].map(shellQuote).join(' ');
  const hostEntries: Record<string, Record<string, unknown>> = {};
  for (const h of topology.hosts) {
    const state = byName.get(h.name);
    if (!state) continue;
    hostEntries[h.name] = {
      ansible_host: state.address,
      ansible_port: state.port,
      ansible_user: conn.user,
      ansible_ssh_private_key_file: conn.privateKeyFile,
      ansible_ssh_known_hosts_file: conn.knownHostsFile,
      ansible_ssh_common_args: commonArgs,
      ...h.vars,
    };
  }
  const groupEntry = (name: string, emitted: Set<string>): Record<string, unknown> => {
    const g = topology.groups.find((x) => x.name === name);
    if (!g || emitted.has(name)) return {};
    emitted.add(name);
    const entry: Record<string, unknown> = {};
    if (Object.keys(g.vars).length > 0) entry.vars = g.vars;
    if (g.hosts.length > 0) entry.hosts = Object.fromEntries(g.hosts.map((n) => [n, null]));
    if (g.children.length > 0) entry.children = Object.fromEntries(g.children.map((c) => [c, groupEntry(c, emitted)]));
    return entry;
  };
  const childNames = new Set(topology.groups.flatMap((g) => g.children));
  const emitted = new Set<string>();
  const top: Record<string, unknown> = {};
  for (const g of topology.groups) if (!childNames.has(g.name)) top[g.name] = groupEntry(g.name, emitted);
  const all: Record<string, unknown> = {};
  if (Object.keys(topology.allVars).length > 0) all.vars = topology.allVars;
  all.hosts = hostEntries;
  if (Object.keys(top).length > 0) all.children = top;
  const header = [
    '# Written by `tsbook lab up`; rewritten on every start. Do not edit.',
    `# Topology: ${topology.origin}`,
    '',
  ].join('\n');
  return header + stringify({ all }, { lineWidth: 0, nullStr: '' });
}

/** lab/bin/hostname: prints the lab host's name (set per host in TSBOOK_LAB_HOSTNAME). */
export const HOSTNAME_SCRIPT = `#!/bin/sh
# tsbook lab: the simulated host's name.
name="\${TSBOOK_LAB_HOSTNAME:?not on a tsbook lab host}"
case "\${1-}" in
  ''|-s|--short|-f|--fqdn|--long|-A|--all-fqdns|-a|--alias) printf '%s\\n' "$name" ;;
  -h|--help) printf 'usage: hostname [-s|-f]\\n' ;;
  -*) printf 'hostname: invalid option -- %s\\n' "$1" >&2; exit 1 ;;
  *) printf 'hostname: you must be root to change the host name\\n' >&2; exit 1 ;;
esac
`;
