import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/types.js';
import { formatElapsed, formatProfile, profileCollector, profileLine, profileRenderer } from '../../src/output/profile.js';
import { result, task } from './live-support.js';

describe('--profile (ansible.posix.profile_tasks format)', () => {
  it('formats lines like profile_tasks: 79 columns, name padded with dashes, seconds right-aligned', () => {
    expect(profileLine('Run a command', 4016)).toBe('Run a command ----------------------------------------------------------- 4.02s');
    expect(profileLine('Run a command', 4016)).toHaveLength(79);
    expect(profileLine('x', 123_456)).toMatch(/^x -+ 123\.46s$/);
    expect(formatElapsed(7328)).toBe('0:00:07.328');
    expect(formatElapsed(3_725_001)).toBe('1:02:05.001');
  });

  it('times a task from its start to the next task start, adds up batches, lists the 10 slowest and the slowest host', () => {
    let now = 0;
    const events: [number, RunEvent][] = [];
    const tasks = Array.from({ length: 12 }, (_, i) => task(`task ${i}`, i + 1));
    const play = { event: 'play_start', name: 'p', hosts: ['a', 'b'], source: tasks[0]!.source } as const;
    events.push([0, play]);
    tasks.forEach((t, i) => {
      events.push([100 * (i + 1), { event: 'task_start', task: t, hosts: ['a', 'b'] }]);
      events.push([100 * (i + 1) + 5, { event: 'task_result', task: t, result: result('a', 'ok', { durationMs: 10 }) }]);
      events.push([100 * (i + 1) + 6, { event: 'task_result', task: t, result: result('b', 'ok', { durationMs: 20 + i }) }]);
    });
    // task 0 runs again in a second batch (serial): 50 ms more
    events.push([1300, { event: 'task_start', task: tasks[0]!, hosts: ['b'] }]);
    events.push([1350, { event: 'play_end', name: 'p' }]);
    events.push([1400, { event: 'recap', hosts: {} }]);

    const collector = profileCollector({ now: () => now });
    for (const [at, e] of events) {
      now = at;
      collector.listener(e);
    }
    const report = collector.report();
    expect(report.totalMs).toBe(1400);
    expect(report.tasks).toHaveLength(10);
    expect(report.tasks[0]).toEqual({ name: 'task 0', elapsedMs: 150 });
    expect(report.tasks.slice(1).every((t) => t.elapsedMs === 100)).toBe(true);
    expect(report.slowestHost).toEqual({ host: 'b', elapsedMs: 12 * 20 + 66, tasks: 12 });

    const text = formatProfile(report);
    const lines = text.split('\n');
    expect(lines[1]).toBe(`Run time 0:00:01.400 ${'*'.repeat(58)} `);
    expect(lines[2]).toBe(`${'='.repeat(79)} `);
    expect(lines[3]).toBe(profileLine('task 0', 150));
    expect(lines[13]).toBe(profileLine('Slowest host: b (12 task results)', 306));
  });

  it('writes the report right after the recap event', () => {
    let out = '';
    const render = profileRenderer({ write: (t) => (out += t) });
    const t = { ...task('Restart', 1), isHandler: true };
    render({ event: 'task_start', task: t, hosts: ['a'] });
    expect(out).toBe('');
    render({ event: 'recap', hosts: {} });
    expect(out).toMatch(/\nRUNNING HANDLER \[Restart\] -+ \d\.\d\ds\n$/);
  });
});
