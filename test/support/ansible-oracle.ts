/**
 * Runs module tasks with ansible-playbook on localhost (local connection) and returns each task's
 * result, so module tests can compare changed flags and messages with the real thing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export type OracleResult = Record<string, unknown>;

let available: boolean | undefined;

/** Whether ansible-playbook runs here; in CI its absence is an error, not a skip. */
export async function ansibleAvailable(): Promise<boolean> {
  if (available !== undefined) return available;
  try {
    await exec('ansible-playbook', ['--version']);
    available = true;
  } catch {
    if (process.env.CI) throw new Error('ansible-playbook is required in CI');
    available = false;
  }
  return available;
}

/** Whether a collection module (e.g. ansible.posix.mount) is installed for the oracle. */
export async function ansibleHasModule(fqcn: string): Promise<boolean> {
  try {
    const { stdout } = await exec('ansible-doc', ['-j', fqcn], { maxBuffer: 16 * 1024 * 1024 });
    return stdout.includes(fqcn);
  } catch {
    return false;
  }
}

export interface OracleOptions {
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `tasks` (each a task dict such as `{cron: {...}}`) in one play with ignore_errors, and returns
 * the per-task results in order (json callback).
 */
export async function runAnsibleTasks(tasks: readonly Record<string, unknown>[], options: OracleOptions = {}): Promise<OracleResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbook-oracle-'));
  try {
    const play = [{ hosts: 'localhost', gather_facts: false, tasks: tasks.map((t) => ({ ...t, ignore_errors: true })) }];
    const playbook = join(dir, 'play.yml');
    await writeFile(playbook, JSON.stringify(play));
    const args = ['-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=/usr/bin/python3', playbook];
    if (options.check) args.push('--check');
    if (options.diff) args.push('--diff');
    let stdout: string;
    try {
      ({ stdout } = await exec('ansible-playbook', args, {
        env: { ...process.env, ...options.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' },
        maxBuffer: 64 * 1024 * 1024,
      }));
    } catch (err) {
      stdout = (err as { stdout: string }).stdout;
    }
    const data = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: { tasks: { hosts: Record<string, OracleResult> }[] }[] };
    return data.plays[0]!.tasks.map((t) => t.hosts.localhost!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
