import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/types.js';
import { checkSummaryCollector, formatCheckSummary } from '../../src/output/plan.js';
import { plainRenderer } from '../../src/output/plain.js';
import { result, task } from './live-support.js';

const exec = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'tsbook-check-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('check mode as a plan', () => {
  it('counts distinct changed tasks and the changes per host; nothing outside --check', () => {
    const a = task('a', 1);
    const b = task('b', 2);
    const events: RunEvent[] = [
      { event: 'run_start', playbooks: [], check: true, time: '' },
      { event: 'task_result', task: a, result: result('h1', 'changed') },
      { event: 'task_result', task: a, result: result('h2', 'changed') },
      { event: 'task_result', task: b, result: result('h1', 'changed') },
      { event: 'task_result', task: b, result: result('h2', 'ok') },
      { event: 'task_result', task: b, result: result('h3', 'failed', { changed: true }) },
    ];
    const c = checkSummaryCollector();
    events.forEach(c.listener);
    expect(formatCheckSummary(c.summary()!)).toEqual(['Check mode: 2 tasks would change on 2 hosts', '  h1: 2 changes', '  h2: 1 change']);
    const normal = checkSummaryCollector();
    normal.listener({ event: 'run_start', playbooks: [], check: false, time: '' });
    expect(normal.summary()).toBeUndefined();
  });

  it('plain prints the commands that would run under each result (and loop item), not for executed ones', () => {
    let text = '';
    const plain = plainRenderer({ write: (t) => (text += t) }, { color: false, verbosity: 0 });
    const t = task('Install', 4);
    plain({ event: 'run_start', playbooks: [], check: true, time: '' });
    plain({ event: 'task_result', task: t, result: result('h1', 'changed', { commands: [{ command: 'dpkg -s nginx', executed: true }, { command: 'apt-get install nginx', executed: false }] }) });
    plain({ event: 'item_result', task: t, result: result('h1', 'changed', { item: 'x', commands: [{ command: 'touch x', executed: false }] }) });
    expect(text).toBe('changed: [h1]\n    would run: apt-get install nginx\nchanged: [h1] => (item=x)\n    would run: touch x\n');
  });

  it('tsbook run --check on local hosts: would-run lines, the summary, and nothing changed', async () => {
    if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run npm run build');
    const r = await exec(process.execPath, ['bin/tsbook', 'run', '-i', 'test/output/fixtures/inventory.ini', 'test/output/fixtures/tour.yml', '--check', '--limit', 'web', '-e', `tour_dir=${scratch}`], {
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const stdout = r.stdout;
    expect(stdout).toContain('skipping: [web1] => (item=one) \n    would run: exec echo one\n');
    expect(stdout).toContain(`skipping: [web2]\n    would run: test -f ${scratch}/web2/retry || `);
    expect(stdout).toMatch(/Check mode: \d+ tasks would change on 2 hosts\n {2}web1: \d+ changes\n {2}web2: \d+ changes\n/);
    // file and copy say what they would do, too
    expect(stdout).toContain(`changed: [web1]\n    would run: mkdir -p -- ${scratch}/web1\n`);
    expect(stdout).toContain(`changed: [web1]\n    would run: put <content> -> ${scratch}/web1/hello.txt\n`);
    expect(existsSync(join(scratch, 'web1'))).toBe(false);
  }, 60_000);
});
