import type { LiveStream } from '../../src/output/live.js';
import type { RunEvent, TaskInfo, TaskResult } from '../../src/events/types.js';
import { emptyStats } from '../../src/events/types.js';

/** A fake terminal: records everything written (listr2 takes over its `write` while a task shows). */
export class FakeTty implements LiveStream {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 40;
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g;
// eslint-disable-next-line no-control-regex
export const SGR = /\x1b\[[0-9;]*m/;

/** The text a terminal keeps: erase/cursor sequences applied line-wise (enough for log-update's output). */
export function screen(raw: string): string[] {
  const lines: string[] = [''];
  // eslint-disable-next-line no-control-regex
  const tokens = raw.split(/(\x1b\[[0-9;?]*[A-Za-z]|\n|\r)/);
  for (const token of tokens) {
    if (token === '') continue;
    if (token === '\n') lines.push('');
    else if (token === '\r') lines[lines.length - 1] = '';
    else if (token === '\x1b[2K') lines[lines.length - 1] = '';
    else if (token === '\x1b[1A') {
      lines.pop();
      if (lines.length === 0) lines.push('');
    } else if (token === '\x1b[G' || /^\x1b\[[0-9;?]*[A-Za-z]$/.test(token)) {
      if (/m$/.test(token)) lines[lines.length - 1] += token;
    } else lines[lines.length - 1] += token;
  }
  return lines;
}

export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

const source = (line: number) => ({ file: 'site.yml', line, col: 7 });
export const task = (name: string, line: number, action = 'command'): TaskInfo => ({ name, action, source: source(line), isHandler: false });
export const result = (host: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult => ({
  host,
  status,
  changed: status === 'changed',
  values: { changed: status === 'changed', ...(status === 'failed' ? { msg: 'boom', failed: true } : {}) },
  durationMs: 1200,
  ...extra,
});

const HOSTS = ['cp01', 'pi01', 'pi02'];
const wait = task('Wait for the nodes', 20, 'kube_wait');
const join = task('Join workers', 10);
const check = task('Check versions', 30);

/** A recorded-style run: three hosts, a change, a long task with progress, a failure and a skip. */
export function sampleRun(): RunEvent[] {
  return [
    { event: 'run_start', playbooks: ['site.yml'], check: false, time: '2026-01-01T00:00:00Z' },
    { event: 'play_start', name: 'Bootstrap', hosts: HOSTS, source: source(1) },
    { event: 'task_start', task: join, hosts: HOSTS },
    ...HOSTS.map((host): RunEvent => ({ event: 'host_task_start', task: join, host })),
    { event: 'task_result', task: join, result: result('cp01', 'ok') },
    { event: 'task_result', task: join, result: result('pi01', 'changed') },
    { event: 'task_result', task: join, result: result('pi02', 'changed') },
    { event: 'task_start', task: wait, hosts: ['cp01'] },
    { event: 'host_task_start', task: wait, host: 'cp01' },
    { event: 'task_progress', task: wait, host: 'cp01', message: '7/11 Ready' },
    { event: 'task_result', task: wait, result: result('cp01', 'ok', { durationMs: 15_000 }) },
    { event: 'task_start', task: check, hosts: HOSTS },
    ...HOSTS.map((host): RunEvent => ({ event: 'host_task_start', task: check, host })),
    { event: 'task_result', task: check, result: result('cp01', 'skipped') },
    { event: 'task_result', task: check, result: result('pi01', 'ok') },
    { event: 'task_result', task: check, result: result('pi02', 'failed') },
    { event: 'play_end', name: 'Bootstrap' },
    {
      event: 'recap',
      hosts: {
        cp01: { ...emptyStats(), ok: 2, skipped: 1 },
        pi01: { ...emptyStats(), ok: 1, changed: 1 },
        pi02: { ...emptyStats(), changed: 1, failed: 1 },
      },
    },
  ];
}
