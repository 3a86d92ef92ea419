/**
 * Helpers for the reliability tests: running the engine or the built CLI against the OpenSSH fleet,
 * killing a host's sshd and sessions by PID, and looking at a host's processes with ps.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Fleet } from '../support/fleet.js';
import type { HostStats, RunEvent } from '../../src/events/types.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { runPlaybook, type RunOptions, type RunResult } from '../../src/engine/run.js';

export const REPO = resolve(import.meta.dirname, '..', '..');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 25 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

// ---- processes ----

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every descendant of `pid`, from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop() as number) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

/** Kills the SSH sessions of a fleet host (its connections drop); its sshd keeps listening. */
export function killSessions(fleet: Fleet, name: string): number {
  const pids = descendantsOf(fleet.host(name).pid);
  for (const p of pids) killPid(p);
  return pids.length;
}

/** Kills a fleet host's sshd and every session process: the host is gone, its connections drop. */
export function killHost(fleet: Fleet, name: string): void {
  const h = fleet.host(name);
  const sessions = descendantsOf(h.pid);
  killPid(h.pid);
  for (const p of sessions) killPid(p);
}

/** `ps -eo pid=,args=` on the host, the lines whose command matches `pattern`. */
export function remoteProcesses(fleet: Fleet, name: string, pattern: RegExp): string[] {
  const r = fleet.run(name, 'ps -eo pid=,args=');
  if (r.rc !== 0) throw new Error(`ps failed on ${name}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && pattern.test(l.replace(/^\d+\s+/, '')));
}

// ---- the engine in-process ----

export interface EngineRun extends RunResult {
  readonly events: RunEvent[];
  readonly recap?: Readonly<Record<string, HostStats>>;
  /** task_result events of `host`, in order. */
  results(host: string): Extract<RunEvent, { event: 'task_result' }>['result'][];
}

/** Runs `playbookFile` over an inventory file with the real connections, collecting events. */
export async function runEngine(
  playbookFile: string,
  inventoryFile: string,
  options: Partial<RunOptions> & { readonly onEvent?: (e: RunEvent) => void } = {},
): Promise<EngineRun> {
  const inventory = await loadInventory([inventoryFile]);
  const playbook = await loadPlaybook(playbookFile);
  const events: RunEvent[] = [];
  const onEvent = options.onEvent;
  const result = await runPlaybook({
    forks: 10,
    ...options,
    playbooks: [playbook],
    inventory,
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
  });
  const recapEvent = events.find((e): e is Extract<RunEvent, { event: 'recap' }> => e.event === 'recap');
  return {
    ...result,
    events,
    recap: recapEvent?.hosts,
    results: (host) =>
      events.filter((e): e is Extract<RunEvent, { event: 'task_result' }> => e.event === 'task_result' && e.result.host === host).map((e) => e.result),
  };
}

/** An INI inventory: `lines` (host lines) in group `targets`, with the fleet's connection settings. */
export function inventoryText(fleet: Fleet, lines: readonly string[], extraVars: readonly string[] = []): string {
  return [
    '[targets]',
    ...lines,
    '',
    '[all:vars]',
    `ansible_user=${fleet.user}`,
    `ansible_ssh_private_key_file=${fleet.clientKey.privateKeyFile}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes'`,
    ...extraVars,
    '',
  ].join('\n');
}

/** The inventory line of fleet host `name` under the inventory name `alias`. */
export function hostLine(fleet: Fleet, name: string, alias = name, extra = ''): string {
  const h = fleet.host(name);
  return `${alias} ansible_host=${h.address} ansible_port=${h.port}${extra ? ` ${extra}` : ''}`;
}

// ---- the CLI ----

export interface CliChild {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or 128+signal) once the process has exited. */
  readonly exited: Promise<number>;
}

/** Spawns `bin/tsbook run ...args` (needs dist/: `npx tsc -p tsconfig.json`). */
export function spawnTsbook(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliChild {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', ...env };
  delete fullEnv.ANSIBLE_HOST_KEY_CHECKING;
  delete fullEnv.SSH_AUTH_SOCK;
  if (!('TSBOOK_GRACE_PERIOD' in env)) delete fullEnv.TSBOOK_GRACE_PERIOD;
  const child = spawn(process.execPath, [join(REPO, 'bin', 'tsbook'), 'run', ...args], { cwd, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((done) => {
    child.on('close', (code, signal) => done(code ?? (signal ? 128 + 15 : 1)));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

export type RecapRow = Record<keyof HostStats, number>;

/** Parses the plain output's PLAY RECAP rows: `host : ok=1 changed=0 unreachable=0 ...`. */
export function plainRecap(stdout: string): Record<string, RecapRow> {
  const at = stdout.lastIndexOf('PLAY RECAP');
  const out: Record<string, RecapRow> = {};
  if (at < 0) return out;
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const row: Record<string, number> = {};
    for (const pair of (m[2] as string).trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) row[k] = Number(v);
    }
    out[m[1] as string] = row as RecapRow;
  }
  return out;
}
