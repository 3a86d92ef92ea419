import type { Command } from 'commander';
import { relative } from 'node:path';
import type { LabStatus } from '../lab/control.js';

// The lab (an ssh2 server and the kubeadm simulator) loads only for `tsbook lab`, not on every start.
const control = () => import('../lab/control.js');
import type { LabState } from '../lab/state.js';
import type { LabTopology } from '../lab/topology.js';

export interface LabCliOptions {
  readonly dir?: string;
  readonly hosts?: string;
  readonly inventory?: string;
  readonly purge?: boolean;
  readonly json?: boolean;
}

/** A path as the user would type it from the current directory. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** Host name -> its groups (direct membership), in topology order. */
function groupsByHost(topology: LabTopology): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of topology.groups) for (const h of g.hosts) out.set(h, [...(out.get(h) ?? []), g.name]);
  return out;
}

export function formatHostTable(state: LabState, reachable?: ReadonlyMap<string, boolean>): string {
  const groups = groupsByHost(state.topology);
  const width = Math.max(4, ...state.hosts.map((h) => h.name.length));
  const addrWidth = Math.max(...state.hosts.map((h) => `${h.address}:${h.port}`.length));
  return state.hosts
    .map((h) => {
      const addr = `${h.address}:${h.port}`.padEnd(addrWidth);
      const up = reachable ? `  ${reachable.get(h.name) ? 'up  ' : 'DOWN'}` : '';
      return `  ${h.name.padEnd(width)}  ${addr}${up}  ${(groups.get(h.name) ?? []).join(',')}`.trimEnd();
    })
    .join('\n');
}

export function formatUp(state: LabState, inventoryFile: string, knownHostsFile: string, cwd: string): string {
  const inv = shown(inventoryFile, cwd);
  return [
    `lab up: ${state.hosts.length} hosts on ${state.address} (pid ${state.pid}, user ${state.user}, topology ${state.topology.origin})`,
    formatHostTable(state),
    `inventory:   ${inv}`,
    `known_hosts: ${shown(knownHostsFile, cwd)}`,
    `next:        tsbook run PLAYBOOK -i ${inv}`,
  ].join('\n');
}

export function formatStatus(status: LabStatus, cwd: string): string {
  const dir = shown(status.paths.dir, cwd);
  if (!status.state) return `no lab in ${dir}`;
  const head = status.alive
    ? `lab in ${dir}: running (pid ${status.state.pid}, since ${status.state.startedAt}), ${status.state.hosts.length} hosts`
    : `lab in ${dir}: NOT running (pid ${status.state.pid} is gone); run \`tsbook lab down --dir ${dir}\` to clean up`;
  return `${head}\n${formatHostTable(status.state, status.alive ? status.reachable : undefined)}`;
}

function statusJson(status: LabStatus): unknown {
  return {
    dir: status.paths.dir,
    running: status.alive,
    pid: status.state?.pid ?? null,
    inventory: status.state ? status.paths.inventoryFile : null,
    hosts: (status.state?.hosts ?? []).map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      state_dir: h.stateDir,
      reachable: status.reachable.get(h.name) ?? false,
    })),
  };
}

/** `tsbook lab up|down|status`. */
export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('A local lab of simulated SSH hosts (one background process, loopback only, no root)');

  lab
    .command('up')
    .description('Start the lab and write DIR/inventory.yaml and DIR/known_hosts')
    .option('--dir <dir>', 'lab directory', 'lab')
    .option('--hosts <spec>', "hosts to simulate: a count ('5') or patterns ('web[1:3],db1', 'web=web[1:3],db=db1')")
    .option('-i, --inventory <file>', 'mirror the groups and vars of this inventory (default inventory/homelab.yaml if present)')
    .addHelpText(
      'after',
      `
Examples:
  tsbook lab up                       # mirrors inventory/homelab.yaml (or the built-in homelab topology)
  tsbook lab up --hosts 'web[1:3],db1'
  tsbook run playbooks/demo.yaml -i lab/inventory.yaml
  ssh -o UserKnownHostsFile=lab/known_hosts -i lab/id_ed25519 -p PORT $USER@127.0.0.1 hostname`,
    )
    .action(async (options: LabCliOptions) => {
      const cwd = process.cwd();
      const { paths, state } = await (await control()).labUp({ dir: options.dir, hosts: options.hosts, inventory: options.inventory, cwd });
      process.stdout.write(`${formatUp(state, paths.inventoryFile, paths.knownHostsFile, cwd)}\n`);
      process.exitCode = 0;
    });

  lab
    .command('down')
    .description('Stop the lab by the PID in DIR/state.json and remove its run files')
    .option('--dir <dir>', 'lab directory', 'lab')
    .option('--purge', 'also remove host state directories, keys and the log')
    .action(async (options: LabCliOptions) => {
      const cwd = process.cwd();
      const r = await (await control()).labDown({ dir: options.dir, cwd, purge: options.purge });
      const dir = shown(r.paths.dir, cwd);
      if (r.foreignPid !== undefined) {
        process.stderr.write(`[WARNING]: pid ${r.foreignPid} in ${shown(r.paths.stateFile, cwd)} is not this lab's daemon; left it running\n`);
      }
      const what = r.stopped !== undefined ? `lab stopped (pid ${r.stopped})` : r.hadState ? 'lab was not running; state removed' : `no lab running in ${dir}`;
      process.stdout.write(`${what}${options.purge ? `; ${dir} purged` : ''}\n`);
      process.exitCode = 0;
    });

  lab
    .command('status')
    .description('List the lab hosts and whether the lab process is alive (exit 1 when not running)')
    .option('--dir <dir>', 'lab directory', 'lab')
    .option('--json', 'machine-readable output')
    .action(async (options: LabCliOptions) => {
      const cwd = process.cwd();
      const status = await (await control()).labStatus({ dir: options.dir, cwd });
      process.stdout.write(options.json ? `${JSON.stringify(statusJson(status), null, 2)}\n` : `${formatStatus(status, cwd)}\n`);
      process.exitCode = status.alive ? 0 : 1;
    });
}
