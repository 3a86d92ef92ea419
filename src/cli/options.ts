import { UsageError } from '../model/errors.js';
import type { VaultRunOptions } from './vault.js';

/** Options of `tsbook run`, as commander parses them (ansible-playbook's flags). */
export interface RunCliOptions extends VaultRunOptions {
  readonly inventory?: string[];
  readonly limit?: string;
  readonly tags?: string[];
  readonly skipTags?: string[];
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly extraVars?: string[];
  readonly forks?: string;
  readonly startAtTask?: string;
  readonly step?: boolean;
  readonly verbose?: number;
  readonly become?: boolean;
  readonly becomeUser?: string;
  readonly becomeMethod?: string;
  readonly askBecomePass?: boolean;
  readonly user?: string;
  readonly timeout?: string;
  readonly privateKey?: string;
  readonly askPass?: boolean;
  readonly connection?: string;
  readonly forceHandlers?: boolean;
  /** Seconds running tasks get after the first Ctrl-C/SIGTERM (`--grace-period`). */
  readonly gracePeriod?: string;
  readonly syntaxCheck?: boolean;
  readonly listHosts?: boolean;
  readonly listTasks?: boolean;
  readonly listTags?: boolean;
  readonly report?: string;
  /** --profile: the slowest tasks and host after the recap. */
  readonly profile?: boolean;
  /** --json-file FILE: NDJSON events to FILE, the normal output on stdout. */
  readonly jsonFile?: string;
  readonly json?: boolean;
  readonly plain?: boolean;
  readonly color?: boolean;
  readonly debug?: boolean;
  readonly hostKeyChecking?: string;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `-t a,b -t c` -> ['a','b','c'] */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function increaseVerbosity(_value: string, previous: number | undefined): number {
  return (previous ?? 0) + 1;
}

export function parsePositiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got '${value}'`);
  return n;
}
