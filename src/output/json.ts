import type { EventListener } from '../events/types.js';
import type { Writer } from './types.js';

/** `--json`: one JSON event per line; the last line is the recap. */
export function jsonRenderer(out: Writer): EventListener {
  return (event) => {
    out.write(`${JSON.stringify(event)}\n`);
  };
}
