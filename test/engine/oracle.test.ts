/**
 * Runs small playbooks with ansible-playbook (the oracle, json callback) and with tsbook, and compares
 * the recap, the exit code and, per host, the sequence of task results.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/types.js';
import { runPlaybook } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';

const exec = promisify(execFile);
const dir = join(new URL('.', import.meta.url).pathname, 'oracle');

async function hasAnsible(): Promise<boolean> {
  try {
    await exec('ansible-playbook', ['--version']);
    return true;
  } catch {
    if (process.env.CI) throw new Error('ansible-playbook is required in CI');
    return false;
  }
}
const ansible = await hasAnsible();

interface Outcome {
  rc: number;
  stats: Record<string, Record<string, number>>;
  perHost: Record<string, string[]>;
}

type Dict = Record<string, unknown>;

function statusOf(r: Dict): string {
  const results = Array.isArray(r.results) ? (r.results as Dict[]) : [];
  const key = (k: string) => (k in r ? Boolean(r[k]) : results.some((x) => Boolean(x[k])));
  if (key('unreachable')) return 'unreachable';
  const fwr = 'failed_when_result' in r || results.some((x) => 'failed_when_result' in x);
  if (fwr ? key('failed_when_result') : key('failed')) return 'failed';
  if ((results.length > 0 && results.every((x) => x.skipped)) || r.skipped) return 'skipped';
  return key('changed') ? 'changed' : 'ok';
}

async function runAnsible(playbook: string, args: string[], env: Record<string, string>, inventory = 'inventory.ini'): Promise<Outcome> {
  let stdout: string;
  let rc = 0;
  try {
    ({ stdout } = await exec('ansible-playbook', ['-i', join(dir, inventory), join(dir, playbook), ...args], {
      env: { ...process.env, ...env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_NOCOLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as { stdout: string; code: number };
    stdout = e.stdout;
    rc = e.code;
  }
  const data = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: { tasks: { task: { name: string }; hosts: Record<string, Dict> }[] }[]; stats: Record<string, Dict> };
  const perHost: Record<string, string[]> = {};
  for (const play of data.plays) {
    for (const task of play.tasks) {
      for (const [host, result] of Object.entries(task.hosts)) {
        // include_tasks/include_role results: the default callback shows none of them
        const isInclude = (x: Dict) => 'include' in x || 'include_args' in x;
        if (isInclude(result) || ('results' in result && (result.results as Dict[]).some(isInclude))) continue;
        (perHost[host] ??= []).push(`${task.task.name}:${statusOf(result)}`);
      }
    }
  }
  const stats: Outcome['stats'] = {};
  for (const [host, s] of Object.entries(data.stats)) {
    stats[host] = { ok: s.ok as number, changed: s.changed as number, unreachable: s.unreachable as number, failed: s.failures as number, skipped: s.skipped as number, rescued: s.rescued as number, ignored: s.ignored as number };
  }
  return { rc, stats, perHost };
}

async function runTsbook(playbook: string, options: { tags?: string[]; skipTags?: string[]; check?: boolean }, inventoryFile = 'inventory.ini'): Promise<Outcome> {
  const inventory = await loadInventory([join(dir, inventoryFile)]);
  const pb = await loadPlaybook(join(dir, playbook));
  const events: RunEvent[] = [];
  const result = await runPlaybook({ playbooks: [pb], inventory, onEvent: (e) => events.push(e), ...options });
  const perHost: Record<string, string[]> = {};
  for (const e of events) {
    if (e.event !== 'task_result') continue;
    const name = e.task.role ? `${e.task.role} : ${e.task.name}` : e.task.name;
    (perHost[e.result.host] ??= []).push(`${name}:${e.result.status}`);
  }
  const stats: Outcome['stats'] = {};
  for (const [host, s] of Object.entries(result.stats)) stats[host] = { ...s };
  return { rc: result.exitCode, stats, perHost };
}

const cases: { file: string; args?: string[]; tags?: string[]; skipTags?: string[]; check?: boolean; inventory?: string }[] = [
  { file: 'blocks.yml' },
  { file: 'loops.yml' },
  { file: 'handlers.yml' },
  { file: 'serial.yml' },
  { file: 'maxfail.yml' },
  { file: 'fatal.yml' },
  { file: 'runonce.yml' },
  { file: 'until.yml' },
  { file: 'tags.yml', args: ['--tags', 'a,blk'], tags: ['a', 'blk'] },
  { file: 'tags.yml', args: ['--skip-tags', 'a,always'], skipTags: ['a', 'always'] },
  { file: 'tags.yml', args: ['--tags', 'never'], tags: ['never'] },
  { file: 'meta.yml' },
  { file: 'includes.yml' },
  { file: 'roles.yml' },
  { file: 'checkmode.yml', args: ['--check'], check: true },
  { file: 'free.yml' },
  { file: 'facts.yml' },
  { file: 'unreachable.yml', inventory: 'inventory-unreachable.ini' },
];

describe.runIf(ansible)('same results as ansible-playbook', () => {
  for (const c of cases) {
    it(`${c.file} ${c.args?.join(' ') ?? ''}`, async () => {
      const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
      const expected = await runAnsible(c.file, c.args ?? [], { UNTIL_ID: `a${id}` }, c.inventory);
      process.env.UNTIL_ID = `t${id}`;
      const actual = await runTsbook(c.file, { tags: c.tags, skipTags: c.skipTags, check: c.check }, c.inventory);
      expect(actual.perHost).toEqual(expected.perHost);
      expect(actual.stats).toEqual(expected.stats);
      expect(actual.rc).toBe(expected.rc);
    }, 60_000);
  }
});
