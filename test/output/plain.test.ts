import { describe, expect, it } from 'vitest';
import { banner, plainRenderer, recapLine } from '../../src/output/plain.js';
import { emptyStats, type RunEvent } from '../../src/events/types.js';

describe('plain output (ansible default callback)', () => {
  it('pads banners with stars to 79 columns', () => {
    expect(banner('PLAY [all]')).toBe(`\nPLAY [all] ${'*'.repeat(69)}`);
    expect(banner(`TASK [${'x'.repeat(90)}]`)).toMatch(/\] \*\*\*$/);
  });

  it('formats recap lines like ansible-playbook without color', () => {
    const stats = { ...emptyStats(), ok: 12, changed: 3, skipped: 1 };
    expect(recapLine('localhost', stats)).toBe(
      'localhost                  : ok=12   changed=3    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
    );
  });

  it('renders debug results indented and failures compact, hiding internal keys', () => {
    let text = '';
    const render = plainRenderer({ write: (t) => (text += t) }, { color: false, verbosity: 0 });
    const task = { name: 'show', action: 'debug', source: { file: 'p.yml', line: 3, col: 7 }, isHandler: false };
    const events: RunEvent[] = [
      { event: 'task_start', task, hosts: ['h1'] },
      { event: 'task_result', task, result: { host: 'h1', status: 'ok', changed: false, values: { msg: 'hi', changed: false, failed: false }, durationMs: 1 } },
      {
        event: 'task_result',
        task: { ...task, action: 'fail', name: 'boom' },
        result: { host: 'h2', status: 'failed', changed: false, values: { msg: 'no', changed: false, failed: true, _ansible_no_log: false }, durationMs: 1 },
      },
    ];
    events.forEach(render);
    expect(text).toContain('ok: [h1] => {\n    "msg": "hi"\n}\n');
    expect(text).toContain('fatal: [h2]: FAILED! => {"changed": false, "msg": "no"}\n');
    expect(text).toContain('task path: p.yml:3:7');
  });
});

describe('-vvv connection debugging', () => {
  const open: RunEvent = { event: 'connection_open', host: 'pi01', transport: 'ssh', user: 'root', address: '10.4.0.21', port: 2222 };
  it('prints the ESTABLISH line (as ansible -vvv) and the transport, only at -vvv', () => {
    let text = '';
    plainRenderer({ write: (t) => (text += t) }, { color: false, verbosity: 3 })(open);
    expect(text).toBe('<10.4.0.21> ESTABLISH SSH CONNECTION FOR USER: root\n<10.4.0.21> SSH: one ssh2 connection to 10.4.0.21:2222 for the whole run; each command is a channel on it\n');
    let quiet = '';
    plainRenderer({ write: (t) => (quiet += t) }, { color: false, verbosity: 2 })(open);
    expect(quiet).toBe('');
  });
});
