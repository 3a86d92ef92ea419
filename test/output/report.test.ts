import { describe, expect, it } from 'vitest';
import { emptyStats, type HostStats, type RunEvent, type TaskInfo, type TaskResult } from '../../src/events/types.js';
import { escapeHtml, formatMs, renderReport, reportCollector, reportModel, type RunRecord } from '../../src/output/report.js';
import { fakeModule, makeInventory, run } from '../engine/helpers.js';

const task = (name: string, line: number, action = 'command'): TaskInfo => ({ name, action, source: { file: 'site.yml', line, col: 7 }, isHandler: false });
const result = (host: string, status: TaskResult['status'], durationMs: number, extra: Partial<TaskResult> = {}): TaskResult => ({
  host,
  status,
  changed: status === 'changed',
  values: { changed: status === 'changed', ...(status === 'failed' ? { failed: true } : {}) },
  durationMs,
  ...extra,
});
const stats = (s: Partial<HostStats>): HostStats => ({ ...emptyStats(), ...s });

/** Feeds `steps` (an event, or a number of ms to advance the fake clock) to a collector. */
function collect(steps: readonly (RunEvent | number)[], end?: Parameters<ReturnType<typeof reportCollector>['record']>[0]): RunRecord {
  let now = 1_000_000;
  const c = reportCollector(() => now);
  for (const s of steps) {
    if (typeof s === 'number') now += s;
    else c.listener(s);
  }
  return c.record(end);
}

describe('report collector', () => {
  it('times a result from its host_task_start and its own duration, not from when the result arrived', () => {
    const t = task('sleep', 3);
    const rec = collect([
      { event: 'run_start', playbooks: ['site.yml'], check: false, time: '2026-01-01T00:00:00Z' },
      { event: 'play_start', name: 'p', hosts: ['a', 'b', 'idle'], source: t.source },
      { event: 'host_task_start', task: t, host: 'a' },
      10,
      { event: 'host_task_start', task: t, host: 'b' },
      500,
      // a's result waits for b (results arrive in host order)
      { event: 'task_result', task: t, result: result('a', 'changed', 300) },
      { event: 'task_result', task: t, result: result('b', 'changed', 480) },
      7,
      // no host_task_start (e.g. a meta's skip): it ended when it arrived
      { event: 'task_result', task: task('meta', 9, 'meta'), result: result('a', 'skipped', 0) },
      { event: 'recap', hosts: { a: stats({ changed: 1, skipped: 1 }), b: stats({ changed: 1 }), idle: stats({}) } },
    ]);
    const m = reportModel(rec);
    expect(m.entries.map((e) => [e.host, e.task.name, e.startMs, e.endMs])).toEqual([
      ['a', 'sleep', 0, 300],
      ['b', 'sleep', 10, 490],
      ['a', 'meta', 517, 517],
    ]);
    expect(m.hosts).toEqual(['a', 'b', 'idle']);
    expect(m.spanMs).toBe(517);
    expect(m.outcome).toBe('complete');
    expect(m.ticks.map((t) => t.label)).toEqual(['0 ms', '100 ms', '200 ms', '300 ms', '400 ms', '500 ms']);
  });

  it('marks an interrupted run, and a run without recap takes the stats it is given', () => {
    const t = task('x', 1);
    const steps: RunEvent[] = [{ event: 'host_task_start', task: t, host: 'a' }, { event: 'task_result', task: t, result: result('a', 'ok', 1) }];
    expect(reportModel(collect(steps)).outcome).toBe('aborted');
    expect(reportModel(collect(steps)).recap).toBeUndefined();
    const interrupted = reportModel(collect(steps, { interrupted: true, stats: { a: stats({ ok: 1 }) } }));
    expect(interrupted.outcome).toBe('interrupted');
    expect(interrupted.recap).toEqual([{ host: 'a', stats: stats({ ok: 1 }) }]);
    expect(renderReport(interrupted)).toContain('The run was interrupted.');
  });
});

describe('report model', () => {
  it('tells rescued failures from final ones by the recap, and lists failures first', () => {
    const steps: RunEvent[] = [
      { event: 'task_result', task: task('one', 1), result: result('a', 'ok', 1) },
      { event: 'task_result', task: task('breaks', 2), result: result('a', 'failed', 1) },
      { event: 'task_result', task: task('ignored', 3), result: result('b', 'failed', 1, { ignored: true }) },
      { event: 'task_result', task: task('rescue fails too', 4), result: result('a', 'failed', 1) },
      { event: 'task_result', task: task('gone', 5), result: result('c', 'unreachable', 1) },
      { event: 'task_result', task: task('later', 6), result: result('b', 'changed', 1) },
      { event: 'recap', hosts: { a: stats({ ok: 1, failed: 1, rescued: 1 }), b: stats({ ok: 1, changed: 1, ignored: 1 }), c: stats({ unreachable: 1 }) } },
    ];
    const m = reportModel(collect(steps));
    expect(m.entries.map((e) => `${e.task.name}:${e.status}`)).toEqual(['one:ok', 'breaks:rescued', 'ignored:failed', 'rescue fails too:failed', 'gone:unreachable', 'later:changed']);
    // failed and unreachable (chronological), then rescued, then the rest; an ignored failure is not "failed first"
    expect(m.details.map((e) => e.task.name)).toEqual(['rescue fails too', 'gone', 'breaks', 'one', 'ignored', 'later']);
    expect(m.recap?.map((r) => r.host)).toEqual(['a', 'b', 'c']);
  });

  it('formats durations', () => {
    expect([formatMs(0), formatMs(999.6), formatMs(1500), formatMs(12_340), formatMs(61_000), formatMs(3_725_000)]).toEqual(['0 ms', '1000 ms', '1.5 s', '12.3 s', '1m01s', '62m05s']);
  });
});

describe('report render', () => {
  it('escapes every value taken from the events (hosts, task names, messages, values)', () => {
    const evil = `<img src=x onerror="alert(1)">'&`;
    const t: TaskInfo = { ...task(`task ${evil}`, 1), role: `role</script>` };
    const html = renderReport(
      reportModel(
        collect([
          { event: 'run_start', playbooks: [`pb${evil}.yml`], check: true, time: '2026' },
          { event: 'play_start', name: `play ${evil}`, hosts: [`h${evil}`], source: t.source },
          { event: 'host_task_start', task: t, host: `h${evil}` },
          5,
          {
            event: 'task_result',
            task: t,
            result: result(`h${evil}`, 'failed', 5, { msg: `msg ${evil}`, values: { out: `</pre></details><script>alert(2)</script>` }, commands: [{ command: `echo ${evil}`, executed: true }] }),
          },
          { event: 'warning', message: `warn ${evil}` },
          { event: 'recap', hosts: { [`h${evil}`]: stats({ failed: 1 }) } },
        ]),
      ),
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(2)</script>');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toMatch(/onerror="/);
    expect(html).toContain(escapeHtml(`task ${evil}`));
    expect(html).toContain(`role&lt;/script&gt; : task &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;`);
    expect(html).toContain(`&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;alert(2)&lt;/script&gt;`);
    expect(html).toContain('check mode');
    // every attribute value is quoted and free of raw quotes/angles
    for (const m of html.matchAll(/ (?:data-[a-z-]+|title|href|id)="([^"]*)"/g)) expect(m[1]).not.toMatch(/[<>]/);
  });

  it('passes the engine’s redaction through: no_log and module secrets stay hidden, nothing else is added', async () => {
    fakeModule('report_secretive', () => ({ changed: true, values: { token: 'tok-4f9a1c', public: 'shown' } }), { secrets: ['token'] });
    const c = reportCollector();
    const r = await run(
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: hidden
      debug: {msg: "password is pw-77ab12"}
      no_log: true
    - name: masked
      report_secretive: {}
      register: s
    - block:
        - name: echo the token
          fail: {msg: "token {{ s.token }}"}
          when: inventory_hostname == 'h1'
      rescue:
        - debug: {msg: rescued}
    - name: final failure
      fail: {msg: "done"}
      when: inventory_hostname == 'h2'
`,
      makeInventory({ h1: {}, h2: {} }),
      { onEvent: c.listener },
    );
    const m = reportModel(c.record());
    const html = renderReport(m);
    expect(html).not.toContain('pw-77ab12');
    expect(html).not.toContain('tok-4f9a1c');
    expect(html).toContain('token ********');
    expect(html).toContain('&quot;token&quot;: &quot;********&quot;');
    expect(html).toContain('no_log: true');
    // the statuses agree with the engine's own counts
    for (const [host, s] of Object.entries(r.stats)) {
      expect(m.entries.filter((e) => e.host === host && e.status === 'rescued').length, host).toBe(s.rescued);
      expect(m.entries.filter((e) => e.host === host && e.status === 'failed' && !e.result.ignored).length, host).toBe(s.failed);
    }
    expect(m.details[0]).toMatchObject({ host: 'h2', status: 'failed' });
    expect(m.details[1]).toMatchObject({ host: 'h1', status: 'rescued' });
    // the page's data is the events': every value it shows appears in some event
    const eventText = JSON.stringify(r.events);
    for (const pre of html.matchAll(/<pre class="values">([^<]*)<\/pre>/g)) {
      const shown = JSON.parse(pre[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as Record<string, unknown>;
      for (const v of Object.values(shown)) if (typeof v === 'string') expect(eventText).toContain(JSON.stringify(v).slice(1, -1));
    }
  });
});
