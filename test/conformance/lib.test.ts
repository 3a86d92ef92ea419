import { describe, it, expect } from 'vitest';
import {
  debugTaskValue,
  limited,
  listCases,
  parseHeader,
  reduceAnsibleEvents,
  reduceTsbookEvents,
  shellSplit,
  HeaderError,
} from './lib.js';

describe('shellSplit', () => {
  it('splits words and honours quotes and escapes', () => {
    expect(shellSplit(`-e x=1 --start-at-task "the second" -e '{"a": 1}' a\\ b`)).toEqual([
      '-e', 'x=1', '--start-at-task', 'the second', '-e', '{"a": 1}', 'a b',
    ]);
  });
  it('rejects an unterminated quote', () => {
    expect(() => shellSplit('"open')).toThrow(/unterminated/);
  });
});

describe('parseHeader', () => {
  const text = ['# covers: x', '# inventory: inv/two.ini', '# args: --check', '# args: -e a=1', '# expect-rc: 2',
    '# expect-recap: h1 ok=3 failed=1', '- hosts: all', '# expect-rc: 9'].join('\n');
  it('reads the leading comment block only', () => {
    const h = parseHeader('07-x.yml', text);
    expect(h).toMatchObject({ name: '07-x', inventory: 'inv/two.ini', args: ['--check', '-e', 'a=1'], expectRc: 2 });
    expect(h.expectRecap['h1']).toEqual({ ok: 3, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
  });
  it('requires expect-rc, expect-recap and covers', () => {
    expect(() => parseHeader('a.yml', '# covers: x\n# expect-recap: h1 ok=1\n')).toThrow(HeaderError);
    expect(() => parseHeader('a.yml', '# covers: x\n# expect-rc: 0\n')).toThrow(/expect-recap/);
    expect(() => parseHeader('a.yml', '# covers: x\n# expect-rc: 0\n# expect-recap: h1 bogus=1\n')).toThrow(/bogus/);
  });
  it('parses every committed case', () => {
    expect(listCases().length).toBeGreaterThanOrEqual(65);
  });
});

describe('debug values', () => {
  it('takes msg, a single var key, loop items and status markers', () => {
    expect(debugTaskValue('ok', { msg: 'hi', changed: false })).toEqual({ msg: 'hi' });
    expect(debugTaskValue('ok', { 'a.b': 1, changed: false, _ansible_verbose_always: true })).toEqual({ 'a.b': 1 });
    expect(debugTaskValue('skipped', { skipped: true })).toBe('<skipped>');
    expect(debugTaskValue('failed', { msg: 'boom' })).toBe('<failed>');
    expect(debugTaskValue('ok', { results: [{ item: 1, msg: 1, ansible_loop_var: 'item' }, { item: 2, skipped: true }] })).toEqual([{ msg: 1 }, '<skipped>']);
    expect(debugTaskValue('ok', { changed: false }, [{ status: 'ok', values: { msg: 'x' }, item: 1 }])).toEqual([{ msg: 'x' }]);
    expect(debugTaskValue('ok', { idx: 0, ansible_index_var: 'idx', pkg: 'p', ansible_loop_var: 'pkg', msg: 'm' })).toEqual({ msg: 'm' });
  });

  it('reduces both event streams to the same outcome', () => {
    const ansible = [
      '{"ev":"result","host":"h1","task":"t","action":"debug","status":"ok","values":{"msg":"a"}}',
      '{"ev":"result","host":"h1","task":"c","action":"command","status":"changed","values":{"rc":0}}',
      '{"ev":"recap","hosts":{"h1":{"ok":2,"changed":1,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0},"h9":{"ok":0,"changed":0,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}}',
    ].join('\n');
    const tsbook = [
      'not json',
      '{"event":"task_result","task":{"name":"t","action":"ansible.builtin.debug","source":{"file":"x","line":1,"col":1}},"result":{"host":"h1","status":"ok","values":{"msg":"a"}}}',
      '{"event":"task_result","task":{"name":"c","action":"command"},"result":{"host":"h1","status":"changed","values":{"rc":0}}}',
      '{"event":"recap","hosts":{"h1":{"ok":2,"changed":1,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}}',
    ].join('\n');
    const a = reduceAnsibleEvents(0, ansible, '', '');
    const t = reduceTsbookEvents(0, tsbook, '');
    expect(t.recap).toEqual(a.recap);
    expect(t.debug).toEqual(a.debug);
    expect(a.debug).toEqual({ h1: ['{"msg":"a"}'] });
    expect(Object.keys(a.recap)).toEqual(['h1']);
  });
});

describe('limited', () => {
  it('never runs more than the limit at once and keeps order', async () => {
    let active = 0;
    let peak = 0;
    const jobs = [1, 2, 3, 4, 5].map((n) => async () => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setImmediate(r));
      active -= 1;
      return n * 10;
    });
    expect(await Promise.all(limited(jobs, 2))).toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });
});
