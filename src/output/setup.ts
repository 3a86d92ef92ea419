import { closeSync, openSync, writeSync } from 'node:fs';
import type { EventListener } from '../events/types.js';
import { UsageError } from '../model/errors.js';
import { jsonRenderer } from './json.js';
import { liveRenderer, type LiveStream } from './live.js';
import { plainRenderer } from './plain.js';
import { profileRenderer } from './profile.js';

/** How `tsbook run` shows a run (from its options). */
export interface OutputChoice {
  readonly json?: boolean;
  readonly plain?: boolean;
  /** --step prompts on the terminal: the live display would be in its way. */
  readonly step?: boolean;
  readonly color: boolean;
  readonly verbosity: number;
  readonly profile?: boolean;
  readonly jsonFile?: string;
}

export interface RunOutput {
  readonly listener: EventListener;
  readonly live: boolean;
  /** Finishes the display and closes --json-file; call once the run is over (also after errors). */
  close(): Promise<void>;
}

/** The live display is for people at a terminal: a TTY, not CI, and neither --plain nor --json. */
export function wantsLive(choice: OutputChoice, stream: Pick<LiveStream, 'isTTY'>, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && env.CI !== 'true' && !choice.plain && !choice.json && !choice.step;
}

/** --json-file: NDJSON events appended synchronously, so the file is complete whenever the run stops. */
export function jsonFileWriter(path: string): { readonly listener: EventListener; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot write --json-file ${path}: ${code}`);
  }
  let open = true;
  const listener = jsonRenderer({ write: (text) => void (open && writeSync(fd, text)) });
  return {
    listener,
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** Builds the stdout renderer (live, plain or --json) plus --profile and --json-file. */
export function createRunOutput(choice: OutputChoice, stream: LiveStream & NodeJS.WritableStream = process.stdout, env: NodeJS.ProcessEnv = process.env): RunOutput {
  const writer = { write: (text: string) => void stream.write(text) };
  const columns = stream.isTTY ? stream.columns : undefined;
  const file = choice.jsonFile !== undefined ? jsonFileWriter(choice.jsonFile) : undefined;
  const live = !choice.json && wantsLive(choice, stream, env) ? liveRenderer(stream, { color: choice.color, verbosity: choice.verbosity }) : undefined;
  const main: EventListener = choice.json ? jsonRenderer(writer) : live ? live.listener : plainRenderer(writer, { color: choice.color, verbosity: choice.verbosity, columns });
  const showProfile = !choice.json && (choice.profile || choice.verbosity > 0);
  const profile = showProfile ? profileRenderer(live ? { write: live.write } : writer, { columns: Math.max(79, (columns ?? 0) - 1) }) : undefined;
  const listeners = [file?.listener, main, profile].filter((l): l is EventListener => l !== undefined);
  return {
    listener: (event) => {
      for (const l of listeners) l(event);
    },
    live: live !== undefined,
    close: async () => {
      try {
        await live?.close();
      } finally {
        file?.close();
      }
    },
  };
}
