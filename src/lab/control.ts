/**
 * `tsbook lab up|down|status`: prepares the lab directory, starts the daemon detached, waits until every
 * host accepts connections, writes the inventory and known_hosts; stops it by its recorded PID.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunError, UsageError } from '../model/errors.js';
import { loadInventory } from '../load/inventory.js';
import { HOSTNAME_SCRIPT, hostKeyFile, hostStateDir, labPaths, renderInventory, renderKnownHosts, type LabPaths } from './files.js';
import { ensureKeyPair } from './keys.js';
import { isLoopbackAddress } from './server.js';
import { isLabDaemon, isLabState, processAlive, readJsonFile, writeJsonAtomic, type LabSpec, type LabState } from './state.js';
import { builtinTopology, parseHostsSpec, topologyFromInventory, type LabTopology } from './topology.js';

/** The inventory the default topology mirrors, relative to the working directory. */
export const DEFAULT_MIRRORED_INVENTORY = 'inventory/homelab.yaml';

export interface LabUpOptions {
  /** Lab directory (default ./lab). */
  readonly dir?: string;
  /** `--hosts` spec (a count or host patterns); wins over `inventory`. */
  readonly hosts?: string;
  /** An inventory to mirror; default inventory/homelab.yaml if present, else the built-in topology. */
  readonly inventory?: string;
  readonly cwd?: string;
  /** Loopback address the hosts listen on (default 127.0.0.1). */
  readonly address?: string;
  /** How to start the daemon; `--lab-dir DIR` is appended. Default: node + dist/lab/daemon.js. */
  readonly daemonCommand?: readonly string[];
  /** How long to wait for every host to accept connections (default 30 s). */
  readonly timeoutMs?: number;
}

export interface LabUpResult {
  readonly paths: LabPaths;
  readonly state: LabState;
}

export interface LabStatus {
  readonly paths: LabPaths;
  /** undefined when no lab was started in this directory. */
  readonly state?: LabState;
  readonly alive: boolean;
  /** Host name -> whether its port accepts TCP connections (only when alive). */
  readonly reachable: ReadonlyMap<string, boolean>;
}

export interface LabDownResult {
  readonly paths: LabPaths;
  /** PID that was stopped, if a live daemon was found. */
  readonly stopped?: number;
  /** Set when the recorded PID belongs to some other process (left alone). */
  readonly foreignPid?: number;
  readonly hadState: boolean;
}

function pathsFor(dir: string | undefined, cwd: string): LabPaths {
  return labPaths(resolve(cwd, dir ?? 'lab'));
}

export function defaultDaemonCommand(): string[] {
  const script = fileURLToPath(new URL('./daemon.js', import.meta.url));
  if (!existsSync(script)) throw new RunError(`lab daemon not found at ${script}; run \`npm run build\``);
  return [process.execPath, script];
}

/** Chooses the topology: --hosts, then an explicit inventory, then inventory/homelab.yaml, then built-in. */
export async function chooseTopology(options: Pick<LabUpOptions, 'hosts' | 'inventory' | 'cwd'>): Promise<LabTopology> {
  const cwd = options.cwd ?? process.cwd();
  if (options.hosts !== undefined) return parseHostsSpec(options.hosts);
  const source = options.inventory ?? (existsSync(resolve(cwd, DEFAULT_MIRRORED_INVENTORY)) ? DEFAULT_MIRRORED_INVENTORY : undefined);
  if (source === undefined) return builtinTopology();
  const inv = await loadInventory([source], { cwd });
  return topologyFromInventory(inv, source);
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: address, port });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

function logTail(paths: LabPaths, lines = 15): string {
  try {
    return readFileSync(paths.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads state.json; undefined when there is none (or it is unreadable). */
export function readLabState(paths: LabPaths): Promise<LabState | undefined> {
  return readJsonFile(paths.stateFile, isLabState);
}

async function removeRunFiles(paths: LabPaths): Promise<void> {
  for (const f of [paths.stateFile, paths.specFile, paths.inventoryFile, paths.knownHostsFile]) await rm(f, { force: true });
}

/** Starts a lab. Throws UsageError when one already runs in the directory, RunError when it cannot start. */
export async function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  const cwd = options.cwd ?? process.cwd();
  const paths = pathsFor(options.dir, cwd);
  const address = options.address ?? '127.0.0.1';
  if (!isLoopbackAddress(address)) throw new UsageError(`lab address ${address} is not in 127.0.0.0/8`);
  const previous = await readLabState(paths);
  if (previous && isLabDaemon(previous.pid, paths.dir)) {
    throw new UsageError(`a lab is already running in ${paths.dir} (pid ${previous.pid}); stop it with \`tsbook lab down --dir ${paths.dir}\``);
  }
  const topology = await chooseTopology({ ...options, cwd });
  const daemonCommand = options.daemonCommand ?? defaultDaemonCommand();
  await removeRunFiles(paths);

  await mkdir(paths.dir, { recursive: true });
  // The directory holds private keys: keep it out of version control.
  await writeFile(paths.gitignoreFile, '# Written by `tsbook lab up`: private keys and run state.\n*\n');
  await mkdir(paths.binDir, { recursive: true });
  await writeFile(`${paths.binDir}/hostname`, HOSTNAME_SCRIPT, { mode: 0o755 });
  await chmod(`${paths.binDir}/hostname`, 0o755);
  const user = userInfo().username;
  const client = await ensureKeyPair(paths.clientKeyFile, `tsbook-lab-client@${user}`);
  const specHosts = [];
  for (const h of topology.hosts) {
    const stateDir = hostStateDir(paths, h.name);
    await mkdir(`${stateDir}/bin`, { recursive: true });
    const keyFile = hostKeyFile(paths, h.name);
    await ensureKeyPair(keyFile, `${h.name}-lab-host-key`);
    specHosts.push({ name: h.name, stateDir, hostKeyFile: keyFile });
  }
  const spec: LabSpec = {
    version: 1,
    labDir: paths.dir,
    binDir: paths.binDir,
    address,
    user,
    clientPublicKey: client.publicLine,
    hosts: specHosts,
    topology,
  };
  await writeJsonAtomic(paths.specFile, spec);

  const logFd = openSync(paths.logFile, 'a');
  const [command, ...args] = daemonCommand;
  const child = spawn(command!, [...args, '--lab-dir', paths.dir], { cwd: paths.dir, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  child.unref();
  const pid = child.pid;

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const fail = async (why: string): Promise<never> => {
    if (pid !== undefined && processAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await removeRunFiles(paths);
    throw new RunError(`lab did not start: ${why}\n--- ${paths.logFile} ---\n${logTail(paths)}`);
  };
  if (pid === undefined) return fail(`cannot run ${command}`);
  for (;;) {
    if (spawnError) return fail(spawnError.message);
    const state = await readLabState(paths);
    if (state && state.pid === pid) {
      const ok = await Promise.all(state.hosts.map((h) => accepts(h.address, h.port)));
      if (ok.every(Boolean)) {
        await writeFile(paths.knownHostsFile, renderKnownHosts(state.hosts));
        await writeFile(
          paths.inventoryFile,
          renderInventory(topology, state.hosts, { user, privateKeyFile: paths.clientKeyFile, knownHostsFile: paths.knownHostsFile }),
        );
        return { paths, state };
      }
    }
    if (!processAlive(pid)) return fail(`the daemon (pid ${pid}) exited`);
    if (Date.now() > deadline) return fail(`not every host accepted connections within ${Math.round((options.timeoutMs ?? 30_000) / 1000)}s`);
    await sleep(50);
  }
}

/** Stops the lab by the PID in state.json (never by name) and removes its run files. */
export async function labDown(options: { dir?: string; cwd?: string; purge?: boolean } = {}): Promise<LabDownResult> {
  const paths = pathsFor(options.dir, options.cwd ?? process.cwd());
  const state = await readLabState(paths);
  let stopped: number | undefined;
  let foreignPid: number | undefined;
  if (state) {
    if (isLabDaemon(state.pid, paths.dir)) {
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (processAlive(state.pid) && Date.now() < deadline) await sleep(50);
      if (processAlive(state.pid)) {
        try {
          process.kill(state.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      stopped = state.pid;
    } else if (processAlive(state.pid)) {
      foreignPid = state.pid;
    }
  }
  await removeRunFiles(paths);
  if (options.purge) await purge(paths);
  return { paths, stopped, foreignPid, hadState: state !== undefined };
}

/** Removes what `lab up` created (and nothing else); the directory itself only if left empty. */
async function purge(paths: LabPaths): Promise<void> {
  for (const d of [paths.hostsDir, paths.hostKeysDir, paths.binDir]) await rm(d, { recursive: true, force: true });
  for (const f of [paths.clientKeyFile, paths.clientPubFile, paths.logFile, paths.gitignoreFile]) await rm(f, { force: true });
  await rmdir(paths.dir).catch(() => undefined);
}

/** Reads state.json and checks the daemon and every host's port. */
export async function labStatus(options: { dir?: string; cwd?: string } = {}): Promise<LabStatus> {
  const paths = pathsFor(options.dir, options.cwd ?? process.cwd());
  const state = await readLabState(paths);
  const alive = state !== undefined && isLabDaemon(state.pid, paths.dir);
  const reachable = new Map<string, boolean>();
  if (state && alive) {
    const ok = await Promise.all(state.hosts.map((h) => accepts(h.address, h.port)));
    state.hosts.forEach((h, i) => reachable.set(h.name, ok[i]!));
  }
  return { paths, state, alive, reachable };
}
