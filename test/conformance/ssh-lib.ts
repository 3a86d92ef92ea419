/**
 * The conformance suite over SSH: each case's inventory is rewritten so its local hosts become hosts of
 * the OpenSSH test fleet (test/support/fleet.ts), then tsbook runs the case over SSH and is compared with
 * ansible-playbook's run of the same case on the local connection (the oracle in lib.ts).
 *
 * Fleet hosts are namespaces of this machine: /tmp, the cases directory and python are shared, so a case
 * behaves the same over SSH except where it reads what a host owns privately (hostname, facts, the
 * connection variables themselves). Those cases are listed in TRANSPORT_DEPENDENT with a reason.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Fleet, FleetHost } from '../support/fleet.js';
import {
  CASES_DIR,
  CASE_TMP,
  CONFORMANCE_DIR,
  REPO_ROOT,
  baseEnv,
  canonical,
  reduceAnsibleEvents,
  reduceTsbookEvents,
  spawnCollect,
  type CaseHeader,
  type Outcome,
} from './lib.js';

/** Connection variables that make an inventory host a fleet host (values unquoted). */
export interface SshHostVars {
  readonly ansible_connection: 'ssh';
  readonly ansible_host: string;
  readonly ansible_port: string;
  readonly ansible_user: string;
  readonly ansible_ssh_private_key_file: string;
  readonly ansible_ssh_common_args: string;
}

export function fleetHostVars(fleet: Pick<Fleet, 'user' | 'clientKey' | 'knownHostsFile'>, host: Pick<FleetHost, 'address' | 'port'>): SshHostVars {
  return {
    ansible_connection: 'ssh',
    ansible_host: host.address,
    ansible_port: String(host.port),
    ansible_user: fleet.user,
    ansible_ssh_private_key_file: fleet.clientKey.privateKeyFile,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes`,
  };
}

/** `k=v` INI host-line form of the vars; values with spaces are single-quoted. */
export function renderHostVars(vars: SshHostVars): string {
  return Object.entries(vars)
    .map(([k, v]) => (/[\s'"]/.test(v) ? `${k}='${v.replace(/'/g, "\\'")}'` : `${k}=${v}`))
    .join(' ');
}

export class InventoryRewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryRewriteError';
  }
}

/** Result of rewriting one INI inventory: the text, and which inventory host became which slot. */
export interface RewrittenInventory {
  readonly text: string;
  /** Inventory host name -> 0-based fleet slot, in order of first appearance. */
  readonly slots: ReadonlyMap<string, number>;
  /** Hosts left as they were (an explicit non-local ansible_connection on their line). */
  readonly untouched: readonly string[];
}

const CONNECTION_TOKEN = /^ansible_connection=(\S+)$/;

/**
 * Rewrites an INI inventory so each local host connects over SSH:
 * - in `[group:vars]` sections, an `ansible_connection=local` line is dropped;
 * - on each host line of a host section, an `ansible_connection=local` token is replaced by the
 *   vars `varsFor(slot)` returns (slot = order of first appearance of the host name);
 * - a host line with any other explicit `ansible_connection` (a deliberately unreachable host) stays.
 * Host ranges (`h[1:3]`) are refused: they cannot be mapped one-to-one.
 */
export function rewriteIniInventory(text: string, varsFor: (slot: number, host: string) => string): RewrittenInventory {
  const slots = new Map<string, number>();
  const untouched = new Set<string>();
  let section: 'hosts' | 'vars' | 'children' = 'hosts';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    const header = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (header) {
      const name = header[1] as string;
      section = name.endsWith(':vars') ? 'vars' : name.endsWith(':children') ? 'children' : 'hosts';
      out.push(line);
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      out.push(line);
      continue;
    }
    if (section === 'vars') {
      if (/^ansible_connection\s*=\s*local\s*$/.test(trimmed)) continue;
      out.push(line);
      continue;
    }
    if (section === 'children') {
      out.push(line);
      continue;
    }
    const [host, ...tokens] = trimmed.split(/\s+/);
    if (!host) continue;
    if (/\[.*:.*\]/.test(host)) throw new InventoryRewriteError(`host range '${host}' cannot be mapped to fleet hosts`);
    const explicit = tokens.map((t) => CONNECTION_TOKEN.exec(t)?.[1]).find((v): v is string => v !== undefined);
    if (explicit !== undefined && explicit !== 'local') {
      untouched.add(host);
      out.push(line);
      continue;
    }
    let slot = slots.get(host);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(host, slot);
    }
    const kept = tokens.filter((t) => !CONNECTION_TOKEN.test(t));
    out.push([host, ...kept, varsFor(slot, host)].join(' '));
  }
  return { text: out.join('\n'), slots, untouched: [...untouched] };
}

/** Inventory files and directories next to an inventory that Ansible reads with it. */
const ADJACENT_DIRS = ['group_vars', 'host_vars'];

/**
 * Writes the case's inventory, rewritten so its i-th local host is `hosts[i]` of the fleet, under
 * `workDir/<case>/` at the same relative path as in cases/ (so `inventory_dir | basename` and
 * `inventory_file | basename` are unchanged), with the original group_vars/ and host_vars/ linked beside
 * it. Returns the absolute inventory path and the inventory host -> fleet host mapping.
 */
export function writeFleetInventory(
  c: CaseHeader,
  fleet: Pick<Fleet, 'user' | 'clientKey' | 'knownHostsFile'>,
  hosts: readonly FleetHost[],
  casesDir: string,
  workDir: string,
): { path: string; mapping: ReadonlyMap<string, string> } {
  const source = join(casesDir, c.inventory);
  const text = readFileSync(source, 'utf8');
  const rewritten = rewriteIniInventory(text, (slot, host) => {
    const h = hosts[slot];
    if (!h) throw new InventoryRewriteError(`${c.inventory}: host '${host}' needs fleet host #${slot + 1}, only ${hosts.length} given`);
    return renderHostVars(fleetHostVars(fleet, h));
  });
  const target = join(workDir, c.name, c.inventory);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, rewritten.text);
  for (const d of ADJACENT_DIRS) {
    const src = join(dirname(source), d);
    const dst = join(dirname(target), d);
    if (existsSync(src) && !existsSync(dst)) symlinkSync(src, dst);
  }
  const mapping = new Map<string, string>();
  for (const [host, slot] of rewritten.slots) mapping.set(host, (hosts[slot] as FleetHost).name);
  return { path: target, mapping };
}

/**
 * Fleet hosts split into lanes, one per case in flight, so each run has hosts of its own and the
 * connections a run opens can be counted exactly. `acquire` hands out a free lane; `release` returns it.
 */
export class Lanes<T> {
  private readonly free: T[];
  constructor(lanes: readonly T[]) {
    this.free = [...lanes];
  }
  acquire(): T {
    const lane = this.free.shift();
    if (lane === undefined) throw new Error('no free lane: more runs in flight than lanes');
    return lane;
  }
  release(lane: T): void {
    this.free.push(lane);
  }
}

/** The scratch prefix the cases use, and the one their SSH copies use instead (same length). */
export const CASE_SCRATCH = '/tmp/tsbook-conf-';
export const SSH_SCRATCH = '/tmp/tsbook-sshc-';

function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...textFiles(p));
    else out.push(p);
  }
  return out;
}

/**
 * Copies cases/ to `<root>/cases` with every `/tmp/tsbook-conf-` replaced by `/tmp/tsbook-sshc-`, so
 * this suite never shares scratch paths with the local suite when vitest runs both files at once.
 * Both tools run the copy, so they see the same text. Returns the copy's path.
 */
export function copyCases(root: string): string {
  const dest = join(root, 'cases');
  cpSync(CASES_DIR, dest, { recursive: true });
  for (const file of textFiles(dest)) {
    const text = readFileSync(file, 'utf8');
    if (text.includes(CASE_SCRATCH)) writeFileSync(file, text.split(CASE_SCRATCH).join(SSH_SCRATCH));
  }
  return dest;
}

/** Removes the SSH copy's scratch files of a case (`/tmp/tsbook-sshc-NN` and `...-NN-*`). */
export function cleanSshScratch(c: CaseHeader): void {
  const num = /^(\d+)-/.exec(c.file)?.[1];
  if (!num) return;
  const prefix = `${SSH_SCRATCH.slice(CASE_TMP.length + 1)}${num}`;
  for (const entry of readdirSync(CASE_TMP)) {
    if (entry === prefix || entry.startsWith(`${prefix}-`)) rmSync(join(CASE_TMP, entry), { recursive: true, force: true });
  }
}

/** The oracle: ansible-playbook on the local connection, run in the copy of cases/ (as lib.ts runAnsible). */
export async function runAnsibleIn(c: CaseHeader, casesDir: string): Promise<Outcome> {
  cleanSshScratch(c);
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-sshc-events-'));
  const eventsFile = join(dir, 'events.ndjson');
  try {
    const env = {
      ...baseEnv(),
      ANSIBLE_CALLBACK_PLUGINS: join(CONFORMANCE_DIR, 'callback_plugins'),
      ANSIBLE_STDOUT_CALLBACK: 'tsbook_conformance',
      TSBOOK_CONF_EVENTS: eventsFile,
    };
    const r = await spawnCollect('ansible-playbook', ['-i', c.inventory, c.file, ...c.args], env, casesDir);
    const events = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '';
    return reduceAnsibleEvents(r.rc, events, r.stdout, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The environment for tsbook over SSH: the suite's, but host keys are checked (known_hosts of the fleet). */
export function sshEnv(): NodeJS.ProcessEnv {
  const env = baseEnv();
  delete env['ANSIBLE_HOST_KEY_CHECKING'];
  return env;
}

/** `tsbook run --json` of the case with the fleet inventory, from the copy of cases/ like the oracle. */
export async function runTsbookOverSsh(c: CaseHeader, casesDir: string, inventoryPath: string): Promise<Outcome> {
  cleanSshScratch(c);
  const bin = join(REPO_ROOT, 'bin', 'tsbook');
  const r = await spawnCollect(process.execPath, [bin, 'run', '-i', inventoryPath, c.file, ...c.args, '--json'], sshEnv(), casesDir);
  return reduceTsbookEvents(r.rc, r.stdout, r.stderr);
}

/**
 * A case whose debug values legitimately differ between the local connection and SSH. `toLocal` maps
 * one debug value of the SSH run to what the local connection shows, changing only the
 * transport-dependent element and only when it has the expected SSH value; the mapped outcome must then
 * equal the oracle exactly (recap, rc and every other value included), so an entry cannot hide a bug.
 */
export interface TransportDependence {
  readonly reason: string;
  /** The values differ only on the privileged fleet (hosts in their own namespaces). */
  readonly privilegedOnly?: boolean;
  readonly toLocal: (value: unknown, at: DebugPosition) => unknown;
}

export interface DebugPosition {
  readonly host: string;
  /** 0-based index among the host's debug results. */
  readonly index: number;
  /** The fleet host the inventory host was mapped to. */
  readonly fleetHost: string | undefined;
  /** The controller's hostname (what the local connection sees). */
  readonly localHostname: string;
}

/** Replaces element `i` of a `{msg: [...]}` value when it equals `from`. */
function replaceMsgElement(value: unknown, i: number, from: unknown, to: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('msg' in value)) return value;
  const msg = (value as { msg: unknown }).msg;
  if (!Array.isArray(msg) || canonical(msg[i]) !== canonical(from)) return value;
  const copy = [...msg];
  copy[i] = to;
  return { ...value, msg: copy };
}

export const TRANSPORT_DEPENDENT: Readonly<Record<string, TransportDependence>> = {
  '22-magic-hosts': {
    reason: "prints hostvars['web2.example.com']['ansible_connection']: 'local' in the oracle's inventory, 'ssh' in the fleet's",
    toLocal: (value, at) => (at.index === 1 ? replaceMsgElement(value, 2, 'ssh', 'local') : value),
  },
  '114-hostvars-not-in-play': {
    reason: "prints hostvars['h2'].ansible_connection: 'local' in the oracle's inventory, 'ssh' in the fleet's",
    toLocal: (value, at) => (at.index === 0 ? replaceMsgElement(value, 4, 'ssh', 'local') : value),
  },
  '82-gather-facts': {
    reason: "prints ansible_hostname: a fleet host has its own hostname (UTS namespace), the controller's differs",
    privilegedOnly: true,
    toLocal: (value, at) => {
      if (at.index === 0) return replaceMsgElement(value, 6, at.fleetHost, at.localHostname);
      // The second play prints the fact cached by the first.
      if (at.index === 1 && canonical(value) === canonical({ msg: at.fleetHost })) return { msg: at.localHostname };
      return value;
    },
  },
};

/** The SSH outcome with its transport-dependent debug values mapped to the local connection's. */
export function toLocalOutcome(o: Outcome, dep: TransportDependence, mapping: ReadonlyMap<string, string>, localHostname: string): Outcome {
  const debug: Record<string, string[]> = {};
  for (const [host, values] of Object.entries(o.debug)) {
    debug[host] = values.map((v, index) =>
      canonical(dep.toLocal(JSON.parse(v) as unknown, { host, index, fleetHost: mapping.get(host), localHostname })),
    );
  }
  return { ...o, debug };
}

/** How many fleet hosts the cases need: the most local hosts any one case inventory has. */
export function fleetSizeFor(cases: readonly CaseHeader[], casesDir: string = CASES_DIR): number {
  let max = 0;
  for (const inv of new Set(cases.map((c) => c.inventory))) {
    const r = rewriteIniInventory(readFileSync(join(casesDir, inv), 'utf8'), () => '');
    max = Math.max(max, r.slots.size);
  }
  return max;
}
