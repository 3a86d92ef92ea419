import { createInterface } from 'node:readline';
import type { Module, ModuleContext, ModuleResult } from './types.js';
import { ModuleFailure } from './types.js';
import { argBool, argInt, argString } from './util/args.js';
import { pythonDateTime, sleep } from './util/time.js';

/** Python's repr of round(x, 2): `1.0`, `0.02`, `61.5`. */
export function pythonRound2(value: number): string {
  const r = Math.round(value * 100) / 100;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

/** Reads one line from the controller's terminal. */
async function readLine(prompt: string, signal: AbortSignal): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      signal.addEventListener('abort', () => resolve(''), { once: true });
      rl.question(`${prompt} `, resolve);
    });
  } finally {
    rl.close();
  }
}

/** Whether a prompt can be answered (the controller's stdin is a terminal). Swappable for tests. */
export const pauseTerminal = { interactive: (): boolean => Boolean(process.stdin.isTTY), readLine };

export const pauseModule: Module = {
  name: 'pause',
  description: 'Pauses the run for a time, or until the user presses enter at a prompt (only when the controller has a terminal).',
  args: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seconds: { type: ['number', 'string'], description: 'How many seconds to pause (at least 1). Cannot be used with `minutes`.' },
      minutes: { type: ['number', 'string'], description: 'How many minutes to pause. Cannot be used with `seconds`.' },
      prompt: { type: 'string', description: 'Text shown while waiting for the user to press enter; the input is returned in `user_input`.' },
      echo: { type: 'boolean', default: true, description: 'Whether to echo what the user types.' },
    },
  },
  checkMode: 'full',
  controllerOnly: true,
  async run(args, ctx: ModuleContext): Promise<ModuleResult> {
    if (args['seconds'] != null && args['minutes'] != null) throw new ModuleFailure('parameters are mutually exclusive: minutes|seconds');
    const echo = argBool(args, 'echo', true);
    const minutes = argInt(args, 'minutes');
    let seconds = minutes !== undefined ? minutes * 60 : argInt(args, 'seconds');
    // Ansible reports minutes unless `seconds` was given (a prompt without a time is "minutes" too).
    const unit = minutes === undefined && seconds !== undefined ? 'seconds' : 'minutes';
    const prompt = argString(args, 'prompt');
    const warnings: string[] = [];
    const start = new Date();
    let userInput = '';

    if (seconds !== undefined) {
      if (seconds < 1) seconds = 1;
      ctx.progress(`Pausing for ${seconds} seconds`);
      await sleep(seconds * 1000, ctx.signal);
    } else if (pauseTerminal.interactive()) {
      userInput = await pauseTerminal.readLine(prompt ?? 'Press enter to continue, Ctrl+C to interrupt', ctx.signal);
    } else {
      warnings.push('Not waiting for response to prompt as stdin is not interactive');
    }

    const stop = new Date();
    const duration = (stop.getTime() - start.getTime()) / 1000;
    const shown = unit === 'minutes' ? pythonRound2(duration / 60) : pythonRound2(duration);
    return {
      changed: false,
      values: {
        rc: 0,
        stderr: '',
        stdout: `Paused for ${shown} ${unit}`,
        start: pythonDateTime(start),
        stop: pythonDateTime(stop),
        delta: Math.trunc(duration),
        echo,
        user_input: userInput,
      },
      warnings: warnings.length > 0 ? warnings : undefined,
    };
  },
};
