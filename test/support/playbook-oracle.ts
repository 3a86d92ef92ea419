/**
 * Differential helper for module tests: runs one playbook against localhost (local connection)
 * with ansible-playbook (json callback) and with tsbook's engine, and returns per-task outcomes
 * (status plus the registered-style result) in task order, so a test can compare them.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunEvent } from '../../src/events/types.js';
import { runPlaybook } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';

const exec = promisify(execFile);
type Dict = Record<string, unknown>;

export interface TaskOutcome {
  readonly name: string;
  readonly status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';
  readonly result: Dict;
}

/** True when ansible-playbook is installed; in CI its absence is an error, never a silent skip. */
export async function ansibleAvailable(): Promise<boolean> {
  try {
    await exec('ansible-playbook', ['--version']);
    return true;
  } catch {
    if (process.env.CI) throw new Error('ansible-playbook is required in CI');
    return false;
  }
}

const INVENTORY = 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';

/** Writes `tasks` as a one-play playbook for localhost in `dir`; returns its path. */
export async function writePlaybook(dir: string, name: string, tasks: readonly Dict[]): Promise<string> {
  const path = join(dir, `${name}.yml`);
  await writeFile(path, JSON.stringify([{ hosts: 'localhost', gather_facts: false, tasks }], null, 2));
  await writeFile(join(dir, 'inventory.ini'), INVENTORY);
  return path;
}

function statusOf(r: Dict): TaskOutcome['status'] {
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.skipped) return 'skipped';
  return r.changed ? 'changed' : 'ok';
}

/**
 * Keys only one side's machinery adds (callback bookkeeping, interpreter discovery); `failed` is
 * carried by the status.
 */
const META = /^(_ansible_|invocation$|ansible_facts$|warnings$|deprecations$|exception$|action$|failed$)/;

export function comparable(result: Dict): Dict {
  return Object.fromEntries(Object.entries(result).filter(([k]) => !META.test(k)));
}

export async function runAnsible(playbook: string, options: { check?: boolean } = {}): Promise<TaskOutcome[]> {
  const dir = playbook.slice(0, playbook.lastIndexOf('/'));
  let stdout: string;
  try {
    ({ stdout } = await exec('ansible-playbook', ['-i', join(dir, 'inventory.ini'), playbook, ...(options.check ? ['--check'] : [])], {
      cwd: dir,
      env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: '1' },
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (err) {
    stdout = (err as { stdout: string }).stdout;
  }
  const data = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: { tasks: { task: { name: string }; hosts: Record<string, Dict> }[] }[] };
  const out: TaskOutcome[] = [];
  for (const play of data.plays) {
    for (const task of play.tasks) {
      const r = task.hosts.localhost;
      if (r) out.push({ name: task.task.name, status: statusOf(r), result: comparable(r) });
    }
  }
  return out;
}

export async function runTsbook(playbook: string, options: { check?: boolean } = {}): Promise<TaskOutcome[]> {
  const dir = playbook.slice(0, playbook.lastIndexOf('/'));
  const inventory = await loadInventory([join(dir, 'inventory.ini')]);
  const pb = await loadPlaybook(playbook);
  const events: RunEvent[] = [];
  await runPlaybook({ playbooks: [pb], inventory, onEvent: (e) => events.push(e), check: options.check });
  const out: TaskOutcome[] = [];
  for (const e of events) {
    if (e.event !== 'task_result') continue;
    const r = e.result;
    const result: Dict = { ...r.values, changed: r.changed };
    if (r.msg !== undefined) result.msg = r.msg;
    if (r.status === 'failed') result.failed = true;
    if (r.status === 'skipped') result.skipped = true;
    out.push({ name: e.task.name, status: r.status as TaskOutcome['status'], result: comparable(result) });
  }
  return out;
}

/** Sorted keys of a result, without the given volatile ones. */
export function keysOf(result: Dict, ignore: readonly string[] = []): string[] {
  return Object.keys(result).filter((k) => !ignore.includes(k)).sort();
}
