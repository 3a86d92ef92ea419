import type { RunEvent } from '../events/types.js';

/** A renderer maps every event kind to a handler; the compiler checks the map is complete. */
export type EventHandlers = { readonly [K in RunEvent['event']]: (event: Extract<RunEvent, { event: K }>) => void };

export function dispatch(handlers: EventHandlers, event: RunEvent): void {
  (handlers[event.event] as (e: RunEvent) => void)(event);
}

export interface Writer {
  write(text: string): void;
}
