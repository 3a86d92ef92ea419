/**
 * lab.json (what `lab up` asks the daemon to run) and state.json (what the daemon runs), and the
 * process checks `lab down`/`lab status` make before trusting a recorded PID.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { LabTopology } from './topology.js';
import type { LabHostState } from './files.js';

export interface LabSpecHost {
  readonly name: string;
  readonly stateDir: string;
  readonly hostKeyFile: string;
}

/** lab.json: the daemon's input. */
export interface LabSpec {
  readonly version: 1;
  readonly labDir: string;
  readonly binDir: string;
  readonly address: string;
  readonly user: string;
  readonly clientPublicKey: string;
  readonly hosts: readonly LabSpecHost[];
  readonly topology: LabTopology;
}

/** state.json: written by the daemon once every host accepts connections. */
export interface LabState {
  readonly version: 1;
  readonly pid: number;
  readonly labDir: string;
  readonly address: string;
  readonly user: string;
  /** ISO time. */
  readonly startedAt: string;
  readonly hosts: readonly LabHostState[];
  readonly topology: LabTopology;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTopology(v: unknown): v is LabTopology {
  return isRecord(v) && typeof v.origin === 'string' && Array.isArray(v.hosts) && Array.isArray(v.groups) && isRecord(v.allVars);
}

export function isLabSpec(v: unknown): v is LabSpec {
  return (
    isRecord(v) && v.version === 1 && typeof v.labDir === 'string' && typeof v.binDir === 'string' &&
    typeof v.address === 'string' && typeof v.user === 'string' && typeof v.clientPublicKey === 'string' &&
    Array.isArray(v.hosts) &&
    v.hosts.every((h) => isRecord(h) && typeof h.name === 'string' && typeof h.stateDir === 'string' && typeof h.hostKeyFile === 'string') &&
    isTopology(v.topology)
  );
}

export function isLabState(v: unknown): v is LabState {
  return (
    isRecord(v) && v.version === 1 && Number.isInteger(v.pid) && typeof v.labDir === 'string' &&
    typeof v.address === 'string' && typeof v.user === 'string' && typeof v.startedAt === 'string' &&
    Array.isArray(v.hosts) &&
    v.hosts.every((h) => isRecord(h) && typeof h.name === 'string' && typeof h.address === 'string' && Number.isInteger(h.port) &&
      typeof h.hostKey === 'string' && typeof h.stateDir === 'string') &&
    isTopology(v.topology)
  );
}

/** Reads a JSON file checked by `guard`; undefined when missing or not that shape. */
export async function readJsonFile<T>(path: string, guard: (v: unknown) => v is T): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(text);
    return guard(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes via a temporary file and rename, so readers never see half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/** Whether `pid` is a live (not zombie) process. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The command line of `pid` (Linux /proc), or undefined where /proc is unavailable. */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is the lab daemon for `labDir`: alive and, where /proc exists, started with
 * `--lab-dir labDir`. Guards against a recycled PID.
 */
export function isLabDaemon(pid: number, labDir: string): boolean {
  if (!processAlive(pid)) return false;
  const argv = commandLine(pid);
  if (argv === undefined) return true;
  const i = argv.indexOf('--lab-dir');
  return i >= 0 && argv[i + 1] === labDir;
}
