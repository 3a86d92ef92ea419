import { Chalk } from 'chalk';
import type { EventListener, TaskResult } from '../events/types.js';
import { pyJson } from '../util/pyjson.js';
import type { Writer } from './types.js';

/** Modules whose output ad-hoc shows as raw text (Ansible's C.MODULE_NO_JSON). */
const NO_JSON = new Set(['command', 'shell', 'raw']);

function publicValues(values: Readonly<Record<string, unknown>>, action: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith('_ansible_') || k === 'invocation' || (k === 'failed' && v === false)) continue;
    if (action === 'debug' && 'msg' in values && k !== 'msg') continue;
    out[k] = v;
  }
  return out;
}

function commandText(host: string, values: Readonly<Record<string, unknown>>, caption: string): string {
  const text = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : '');
  const rc = values.rc ?? -1;
  return `${host} | ${caption} | rc=${String(rc)} >>\n${text('stdout')}${text('stderr')}${text('msg')}\n`;
}

/** The output of `ansible` (ad-hoc): ansible-core's `minimal` callback. */
export function minimalRenderer(out: Writer, options: { readonly color: boolean }): EventListener {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const render = (action: string, r: TaskResult): string => {
    const dump = () => pyJson(publicValues(r.values, action), { indent: 4, sortKeys: true });
    switch (r.status) {
      case 'skipped':
        return c.cyan(`${r.host} | SKIPPED`);
      case 'unreachable':
        return c.redBright(`${r.host} | UNREACHABLE! => ${dump()}`);
      case 'failed':
        return c.red(NO_JSON.has(action) && 'rc' in r.values ? commandText(r.host, r.values, 'FAILED') : `${r.host} | FAILED! => ${dump()}`);
      default: {
        const state = r.changed ? 'CHANGED' : 'SUCCESS';
        const paint = r.changed ? c.yellow : c.green;
        return paint(NO_JSON.has(action) ? commandText(r.host, r.values, state) : `${r.host} | ${state} => ${dump()}`);
      }
    }
  };
  return (event) => {
    if (event.event === 'task_result') out.write(`${render(event.task.action, event.result).replace(/\n$/, '')}\n`);
    else if (event.event === 'warning') out.write(c.magenta(`[WARNING]: ${event.message}\n`));
  };
}
