/**
 * `npm run demo` (node dist/lab/demo.js): bootstraps a simulated 12-node Kubernetes homelab over SSH
 * on this machine, as a normal user, with no sshd and no root.
 *
 *   1. starts the lab (`tsbook lab up`: one background process serving an SSH server per host of
 *      inventory/homelab.yaml on 127.0.0.1),
 *   2. installs the kubeadm/kubectl simulator on every lab host (lab/hosts/<name>/bin, with the host's
 *      /etc/kubernetes in lab/hosts/<name>/etc/kubernetes; the cluster state is shared in lab/kubesim),
 *   3. starts a stand-in API server on loopback as the control-plane endpoint,
 *   4. runs `tsbook run playbooks/bootstrap_k8s.yaml -i lab/inventory.yaml` (the real CLI, live output),
 *   5. shows `kubectl get nodes` from cp01 (`tsbook command`),
 *   6. stops the API server and the lab, always (also on failure and Ctrl-C).
 *
 * The exit status is the playbook's. Environment knobs (for tests): TSBOOK_DEMO_LAB_DIR (default
 * ./lab), TSBOOK_DEMO_JOIN_MS, TSBOOK_DEMO_READY_MS, TSBOOK_DEMO_INIT_MS (simulated durations).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbookError, UsageError } from '../model/errors.js';
import { loadInventory } from '../load/inventory.js';
import { labDown, labUp } from './control.js';
import { createKubesimCluster, installKubesim, startFakeApiServer, type FakeApiServer, type SimConfig } from './kubesim/index.js';
import { hostStateDir, type LabPaths } from './files.js';

/** The repository root (dist/lab/demo.js or src/lab/demo.ts -> ../..). */
export function repoRoot(): string {
  return resolve(fileURLToPath(new URL('../..', import.meta.url)));
}

export interface DemoOptions {
  /** Repository root: playbooks/, inventory/ and bin/tsbook are taken from here; it is also the cwd. */
  readonly repo: string;
  readonly labDir: string;
  readonly sim: Partial<SimConfig>;
  readonly write: (text: string) => void;
}

/** Demo options from the environment. */
export function demoOptionsFromEnv(env: NodeJS.ProcessEnv, repo: string, write: (text: string) => void): DemoOptions {
  const ms = (name: string, fallback: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number of milliseconds, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    repo,
    labDir: resolve(repo, env.TSBOOK_DEMO_LAB_DIR ?? 'lab'),
    sim: {
      joinDurationMs: ms('TSBOOK_DEMO_JOIN_MS', 1500),
      readyDelayMs: ms('TSBOOK_DEMO_READY_MS', 1500),
      initDurationMs: ms('TSBOOK_DEMO_INIT_MS', 800),
      discoveryTimeoutMs: 2000,
    },
    write,
  };
}

/** The simulated addresses (InternalIP) of the hosts: their ansible_host in the mirrored inventory, else 10.4.0.N. */
export async function simulatedAddresses(names: readonly string[], origin: string, cwd: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (origin !== 'builtin' && !origin.startsWith('--hosts') && existsSync(resolve(cwd, origin))) {
    const inv = await loadInventory([origin], { cwd });
    for (const name of names) {
      const a = inv.hosts.get(name)?.vars.ansible_host;
      if (typeof a === 'string' && /^[0-9.]+$/.test(a)) out.set(name, a);
    }
  }
  names.forEach((name, i) => {
    if (!out.has(name)) out.set(name, `10.4.0.${100 + i}`);
  });
  return out;
}

/** Where the demo keeps a lab host's simulated /etc/kubernetes and CNI configuration. */
export function demoHostDirs(paths: LabPaths, host: string): { bin: string; kubernetesDir: string; cniConfDir: string } {
  const base = hostStateDir(paths, host);
  return { bin: join(base, 'bin'), kubernetesDir: join(base, 'etc', 'kubernetes'), cniConfDir: join(base, 'etc', 'cni', 'net.d') };
}

/** The `-e` arguments that point the playbook at the lab: endpoint, per-host kubeadm dirs, no sudo. */
export function demoExtraVars(paths: LabPaths, endpoint: string): string[] {
  const dirs = demoHostDirs(paths, '{{ inventory_hostname }}');
  return [
    '-e', `k8s_control_plane_endpoint=${endpoint}`,
    '-e', JSON.stringify({ k8s_kubernetes_dir: dirs.kubernetesDir, k8s_cni_conf_dir: dirs.cniConfDir, k8s_become: false, k8s_join_parallelism: 3, k8s_ready_timeout: 120 }),
  ];
}

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

class Interrupted extends Error {}

/** Runs the demo; resolves with the exit status (the playbook's). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { repo, write } = options;
  const tsbook = join(repo, 'bin', 'tsbook');
  const playbook = join(repo, 'playbooks', 'bootstrap_k8s.yaml');
  let child: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    // the children run in their own process group (so Ctrl-C reaches them once, from here)
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, signal);
      } catch {
        /* already gone */
      }
    } else {
      write(`\n[demo] ${signal}: stopping\n`);
    }
  };
  const checkInterrupt = (): void => {
    if (interrupted) throw new Interrupted(interrupted);
  };
  const run = (args: readonly string[]): Promise<number> =>
    new Promise((done, reject) => {
      checkInterrupt();
      child = spawn(process.execPath, [tsbook, ...args], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
      child.once('error', reject);
      child.once('close', (code, signal) => {
        child = undefined;
        done(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1));
      });
    });

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let api: FakeApiServer | undefined;
  let labStarted = false;
  let paths: LabPaths | undefined;
  let status: number | undefined;
  try {
    write(
      [
        'tsbook demo: bootstrap a simulated 12-node Kubernetes homelab over SSH',
        '',
        '  Kubernetes cannot run here, so every host gets a kubeadm/kubectl simulator; tsbook itself',
        '  does exactly what it does on real machines: SSH to each host and run kubeadm and kubectl.',
        '',
        '  1. start the lab: one SSH server per host of inventory/homelab.yaml on 127.0.0.1 (no root)',
        '  2. install the simulator on every host and start a stand-in API server on loopback',
        '  3. tsbook run playbooks/bootstrap_k8s.yaml -i lab/inventory.yaml',
        '  4. kubectl get nodes on cp01',
        '  5. stop the lab',
        '',
        '',
      ].join('\n'),
    );

    const up = await labUp({ cwd: repo, dir: options.labDir });
    labStarted = true;
    paths = up.paths;
    const hosts = up.state.hosts.map((h) => h.name);
    write(`[demo] lab up: ${hosts.length} hosts on ${up.state.address} (${hosts.join(', ')}), lab directory ${shown(paths.dir, repo)}\n`);
    checkInterrupt();

    // a fresh simulated cluster on every run
    const stateDir = join(paths.dir, 'kubesim');
    await rm(stateDir, { recursive: true, force: true });
    const cluster = await createKubesimCluster(stateDir, options.sim);
    const addresses = await simulatedAddresses(hosts, up.state.topology.origin, repo);
    for (const h of up.state.hosts) {
      const dirs = demoHostDirs(paths, h.name);
      await rm(join(hostStateDir(paths, h.name), 'etc'), { recursive: true, force: true });
      const arch = h.name.startsWith('pi') ? 'arm64' : 'amd64';
      await installKubesim(dirs.bin, { stateDir: cluster.dir, nodeName: h.name, etcDir: dirs.kubernetesDir, address: addresses.get(h.name)!, arch, hostId: h.name });
    }
    api = await startFakeApiServer();
    write(`[demo] kubeadm/kubectl simulator installed on every host (cluster state in ${shown(stateDir, repo)}); API endpoint ${api.endpoint}\n`);
    checkInterrupt();

    const inventory = shown(paths.inventoryFile, repo);
    const extra = demoExtraVars(paths, api.endpoint);
    write(`[demo] $ tsbook run playbooks/bootstrap_k8s.yaml -i ${inventory} ${extra.map((a) => (a === '-e' ? a : `'${a}'`)).join(' ')}\n`);
    status = await run(['run', playbook, '-i', inventory, ...extra]);
    checkInterrupt();

    const admin = join(demoHostDirs(paths, 'cp01').kubernetesDir, 'admin.conf');
    if (hosts.includes('cp01') && existsSync(admin)) {
      const cmd = `kubectl --kubeconfig ${admin} get nodes`;
      write(`\n[demo] $ tsbook command cp01 -i ${inventory} '${cmd}'\n`);
      await run(['command', 'cp01', '-i', inventory, cmd]);
    }
    write(`\n[demo] the playbook exited with status ${status}\n`);
    return status;
  } catch (e) {
    if (e instanceof Interrupted) {
      write(`[demo] interrupted (${e.message})\n`);
      // the playbook's status when it ran (tsbook exits 99 when interrupted), else 128 + SIGINT
      return status ?? 130;
    }
    throw e;
  } finally {
    if (api) await api.close();
    if (labStarted) {
      const down = await labDown({ cwd: repo, dir: options.labDir });
      write(`[demo] lab down${down.stopped !== undefined ? ` (pid ${down.stopped} stopped)` : ''}\n`);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(): Promise<void> {
  const write = (text: string): void => void process.stdout.write(text);
  try {
    process.exitCode = await runDemo(demoOptionsFromEnv(process.env, repoRoot(), write));
  } catch (e) {
    const message = e instanceof TsbookError ? e.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`demo: ${message}\n`);
    process.exitCode = 1;
  }
}

const entry = process.argv[1];
if (entry !== undefined && existsSync(entry) && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) void main();
