import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/types.js';
import { liveRenderer, type LiveOptions } from '../../src/output/live.js';
import { plainRenderer } from '../../src/output/plain.js';
import { useColor } from '../../src/cli/run-command.js';
import { createRunOutput, wantsLive } from '../../src/output/setup.js';
import { FakeTty, SGR, result, sampleRun, screen, task } from './live-support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorded(): RunEvent[] {
  return readFileSync('test/output/fixtures/tour-events.ndjson', 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RunEvent);
}

async function render(events: readonly RunEvent[], options: Partial<LiveOptions> = {}): Promise<{ raw: string; lines: string[] }> {
  const tty = new FakeTty();
  const live = liveRenderer(tty, { color: false, verbosity: 0, throttleMs: 5, ...options });
  for (const e of events) live.listener(e);
  await live.close();
  return { raw: tty.text, lines: screen(tty.text) };
}

function plainText(events: readonly RunEvent[], verbosity = 0): string {
  let text = '';
  const plain = plainRenderer({ write: (t) => (text += t) }, { color: false, verbosity, columns: 120 });
  events.forEach(plain);
  return text;
}

const summaryOf = (lines: string[], title: string) => lines.find((l) => l.includes(`TASK [${title}]`)) ?? '';

describe('live renderer: a recorded run (test/output/fixtures/tour-events.ndjson)', () => {
  it('leaves one line per task with its hosts by status, the failure details and the plain recap', async () => {
    const events = recorded();
    const { lines } = await render(events);
    const text = lines.join('\n');
    expect(lines[0]).toBe('PLAY [Event tour] · 2 hosts');
    expect(summaryOf(lines, 'Write a file')).toMatch(/^✔ TASK \[Write a file\] · [\d.]+s · changed: web1 web2$/);
    expect(summaryOf(lines, 'Run a command per item')).toMatch(/· ok: web1 web2$/);
    expect(summaryOf(lines, 'Only on web1')).toMatch(/· ok: web1 · skipped: web2$/);
    expect(summaryOf(lines, 'Include more tasks')).toMatch(/· included: web1 web2$/);
    expect(summaryOf(lines, 'Pause briefly')).toMatch(/· ok: web1$/);
    expect(text).toMatch(/✖ TASK \[Fail on web2\] · [\d.]+s · failed: web2 · skipped: web1\ntask path: test\/output\/fixtures\/tour.yml:46:11\nfatal: \[web2\]: FAILED! => /);
    expect(text).toMatch(/✔ RUNNING HANDLER \[Say done\] · [\d.]+s · ok: web1 web2/);
    // the recap is the plain renderer's, line for line
    const recap = plainText(events.filter((e) => e.event === 'recap'));
    expect(text).toContain(recap.trim());
    // nothing of the live tree is left on screen
    expect(text).not.toMatch(/running|waiting|PLAY \[Event tour\] · [\d.]+s/);
  });

  it('has no ANSI colors with color off (NO_COLOR) and colors with it on', async () => {
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      expect(useColor({ color: undefined, json: false })).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
    const off = await render(recorded(), { color: false });
    expect(off.raw).not.toMatch(SGR);
    const on = await render(recorded(), { color: true });
    expect(on.raw).toMatch(SGR);
  });
});

describe('live renderer while tasks run', () => {
  let now = 0;
  afterEach(() => {
    now = 0;
  });

  it('shows the play, the task with elapsed time and progress, and a row per host', async () => {
    const tty = new FakeTty();
    const live = liveRenderer(tty, { color: false, verbosity: 0, throttleMs: 10, now: () => now });
    const events = sampleRun();
    const progressAt = events.findIndex((e) => e.event === 'task_progress');
    for (const e of events.slice(0, progressAt + 1)) live.listener(e);
    now += 12_000;
    await sleep(120);
    const frame = screen(tty.text);
    expect(frame).toContain('✔ TASK [Join workers] · 0.0s · changed: pi01 pi02 · ok: cp01');
    expect(frame.some((l) => /^❯ PLAY \[Bootstrap\] · 12s$/.test(l))).toBe(true);
    expect(frame.some((l) => /^ {2}❯ TASK \[Wait for the nodes\] · 12s · 7\/11 Ready$/.test(l))).toBe(true);
    expect(frame.some((l) => /^ {4}\S cp01 · running · 12s · 7\/11 Ready$/.test(l))).toBe(true);
    for (const e of events.slice(progressAt + 1)) live.listener(e);
    await live.close();
    const lines = screen(tty.text);
    expect(lines).toContain('✔ TASK [Wait for the nodes] · 12s · ok: cp01');
    expect(lines).toContain('✖ TASK [Check versions] · 0.0s · ok: pi01 · failed: pi02 · skipped: cp01');
    expect(lines.some((l) => l.startsWith('pi02                       : ok=0    changed=1    unreachable=0    failed=1'))).toBe(true);
  });

  it('throttles redraws: a burst of progress events draws a handful of frames', async () => {
    const tty = new FakeTty();
    const live = liveRenderer(tty, { color: false, verbosity: 0, throttleMs: 100 });
    const t = task('Busy', 5);
    live.listener({ event: 'play_start', name: 'p', hosts: ['h1'], source: t.source });
    live.listener({ event: 'task_start', task: t, hosts: ['h1'] });
    live.listener({ event: 'host_task_start', task: t, host: 'h1' });
    for (let i = 0; i < 500; i++) live.listener({ event: 'task_progress', task: t, host: 'h1', message: `${i}/500` });
    await sleep(350);
    live.listener({ event: 'task_result', task: t, result: result('h1', 'ok') });
    await live.close();
    const frames = tty.text.split('❯ PLAY [p]').length - 1;
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThanOrEqual(6);
    expect(tty.text).toContain('499/500');
  });

  it('keeps results that arrive after the next task started (free strategy) and marks hosts that never ran', async () => {
    const a = task('A', 1);
    const b = task('B', 2);
    const events: RunEvent[] = [
      { event: 'play_start', name: 'free', hosts: ['h1', 'h2', 'h3'], source: a.source },
      { event: 'task_start', task: a, hosts: ['h1'] },
      { event: 'host_task_start', task: a, host: 'h1' },
      { event: 'host_task_start', task: a, host: 'h2' },
      { event: 'task_result', task: a, result: result('h1', 'ok') },
      { event: 'task_start', task: b, hosts: ['h1'] },
      { event: 'host_task_start', task: b, host: 'h1' },
      { event: 'task_result', task: a, result: result('h2', 'changed') },
      { event: 'task_result', task: b, result: result('h1', 'ok') },
      { event: 'task_start', task: b, hosts: ['h3'] },
    ];
    const { lines } = await render(events);
    const aLines = lines.filter((l) => l.includes('TASK [A]')).join('\n');
    expect(aLines).toContain('ok: h1');
    expect(aLines).toContain('changed: h2');
    expect(lines.filter((l) => l.includes('TASK [B]')).join('\n')).toMatch(/ok: h1[\s\S]*not run: h3/);
  });
});

describe('live renderer verbosity and check mode', () => {
  const t = task('Deploy', 3);
  const withCommands = (host: string, executed: boolean) =>
    result(host, 'changed', { commands: [{ command: `stat /srv/${host}`, executed: true }, { command: `install app on ${host}`, executed }] });
  const run = (check: boolean): RunEvent[] => [
    { event: 'run_start', playbooks: ['site.yml'], check, time: '2026-01-01T00:00:00Z' },
    { event: 'play_start', name: 'p', hosts: ['h1', 'h2'], source: t.source },
    { event: 'task_start', task: t, hosts: ['h1', 'h2'] },
    { event: 'task_result', task: t, result: withCommands('h1', !check) },
    { event: 'task_result', task: t, result: withCommands('h2', !check) },
    { event: 'play_end', name: 'p' },
    { event: 'recap', hosts: {} },
  ];

  it('shows result lines from -v and the commands that ran from -vv, like plain', async () => {
    const v0 = (await render(run(false))).lines.join('\n');
    expect(v0).not.toContain('changed: [h1]');
    const v1 = (await render(run(false), { verbosity: 1 })).lines.join('\n');
    expect(v1).toContain('changed: [h1] => {"changed": true}');
    expect(v1).not.toContain('EXEC');
    const v2 = (await render(run(false), { verbosity: 2 })).lines.join('\n');
    expect(v2).toContain('<h1> EXEC stat /srv/h1\n<h1> EXEC install app on h1\nchanged: [h1]');
    expect(plainText(run(false), 2)).toContain('<h1> EXEC stat /srv/h1\n<h1> EXEC install app on h1\nchanged: [h1]');
  });

  it('in check mode shows what would run under each result and the summary after the recap', async () => {
    const text = (await render(run(true))).lines.join('\n');
    expect(text).toContain('changed: [h1]\n    would run: install app on h1\n');
    expect(text).toContain('changed: [h2]\n    would run: install app on h2\n');
    expect(text).toMatch(/PLAY RECAP[\s\S]*Check mode: 1 task would change on 2 hosts\n {2}h1: 1 change\n {2}h2: 1 change/);
  });
});

describe('choosing the live display', () => {
  it('is used on a TTY, but not in CI, with --plain, --json or --step', () => {
    const tty = { isTTY: true };
    expect(wantsLive({ color: false, verbosity: 0 }, tty, {})).toBe(true);
    expect(wantsLive({ color: false, verbosity: 0 }, { isTTY: false }, {})).toBe(false);
    expect(wantsLive({ color: false, verbosity: 0 }, tty, { CI: 'true' })).toBe(false);
    expect(wantsLive({ color: false, verbosity: 0, plain: true }, tty, {})).toBe(false);
    expect(wantsLive({ color: false, verbosity: 0, json: true }, tty, {})).toBe(false);
    expect(wantsLive({ color: false, verbosity: 0, step: true }, tty, {})).toBe(false);
  });

  it('createRunOutput renders live on a TTY stream and plain otherwise', async () => {
    const tty = Object.assign(new FakeTty(), { on: () => tty }) as FakeTty & NodeJS.WritableStream;
    const live = createRunOutput({ color: false, verbosity: 0 }, tty, {});
    expect(live.live).toBe(true);
    sampleRun().forEach(live.listener);
    await live.close();
    expect(screen(tty.text)).toContain('✔ TASK [Wait for the nodes] · 0.0s · ok: cp01');
    const pipe = Object.assign(new FakeTty(), { isTTY: false }) as unknown as FakeTty & NodeJS.WritableStream;
    const plain = createRunOutput({ color: false, verbosity: 0 }, pipe, {});
    expect(plain.live).toBe(false);
    sampleRun().forEach(plain.listener);
    await plain.close();
    expect(pipe.text).toContain('TASK [Wait for the nodes] ***');
  });
});
