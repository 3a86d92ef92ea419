import { isUnsafeTree, OPAQUE } from '../model/values.js';

export type VarsObject = Record<string, unknown>;
type ReadonlyVars = Readonly<Record<string, unknown>>;

export const ANSIBLE_VERSION = Object.freeze({
  full: '2.14.18',
  major: 2,
  minor: 14,
  revision: 18,
  string: '2.14.18',
});

/** Shallow merge with `replace` hash behaviour, as ansible-core's combine_vars does by default. */
export function combineVars(...layers: readonly (ReadonlyVars | undefined)[]): VarsObject {
  const out: VarsObject = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer)) out[key] = layer[key];
  }
  return out;
}

/** Connection and privilege variables that facts may never overwrite (ansible's clean_facts). */
const UNSAFE_FACT_KEYS = new Set([
  'ansible_connection',
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_password',
  'ansible_ssh_host',
  'ansible_ssh_port',
  'ansible_ssh_user',
  'ansible_ssh_pass',
  'ansible_ssh_private_key_file',
  'ansible_private_key_file',
  'ansible_become',
  'ansible_become_user',
  'ansible_become_method',
  'ansible_become_pass',
  'ansible_become_password',
  'ansible_become_exe',
  'ansible_become_flags',
  'ansible_shell_type',
  'ansible_shell_executable',
  'ansible_python_interpreter',
  'ansible_module_compression',
  'ansible_pipelining',
  'ansible_timeout',
]);

/** Facts as injected at top level (INJECT_FACTS_AS_VARS), minus connection variables. */
export function cleanFacts(facts: ReadonlyVars): VarsObject {
  const out: VarsObject = {};
  for (const [key, value] of Object.entries(facts)) {
    if (UNSAFE_FACT_KEYS.has(key) || /^ansible_.*_interpreter$/.test(key)) continue;
    out[key] = value;
  }
  return out;
}

/** The `ansible_facts` dict: keys lose their `ansible_` prefix (ansible_local keeps it). */
export function namespaceFacts(facts: ReadonlyVars): VarsObject {
  const out: VarsObject = {};
  for (const [key, value] of Object.entries(facts)) {
    if (key.startsWith('ansible_') && key !== 'ansible_local') out[key.slice('ansible_'.length)] = value;
    else out[key] = value;
  }
  return out;
}

/** The facts layer of a host's variables: `ansible_facts` plus every fact as a top-level variable. */
export function factsLayer(facts: ReadonlyVars): VarsObject {
  return { ...cleanFacts(facts), ansible_facts: namespaceFacts(facts) };
}

export interface HostvarsSource {
  /** Every host name known to the inventory, in inventory order. */
  hosts(): readonly string[];
  /** The variables of `host` as hostvars shows them (no play or task variables), untemplated. */
  varsOf(host: string): ReadonlyVars | undefined;
  /** Templates `value` with `vars`; undefined parts are left as they are. */
  template(value: unknown, vars: ReadonlyVars): unknown;
}

function templateLeniently(source: HostvarsSource, value: unknown, vars: ReadonlyVars): unknown {
  try {
    return source.template(value, vars);
  } catch {
    return value;
  }
}

/** One host's entry in hostvars: each variable is templated, in that host's context, when it is read. */
function hostVarsVars(source: HostvarsSource, vars: ReadonlyVars): VarsObject {
  const target: VarsObject = {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === OPAQUE) return true;
      if (prop === 'toJSON') return () => Object.fromEntries(Object.keys(vars).map((k) => [k, templateLeniently(source, vars[k], vars)]));
      if (typeof prop !== 'string' || !Object.prototype.hasOwnProperty.call(vars, prop)) return undefined;
      return templateLeniently(source, vars[prop], vars);
    },
    has(_t, prop) {
      return prop === OPAQUE || (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(vars, prop));
    },
    ownKeys() {
      return Object.keys(vars);
    },
    getOwnPropertyDescriptor(_t, prop) {
      if (typeof prop !== 'string' || !Object.prototype.hasOwnProperty.call(vars, prop)) return undefined;
      return { enumerable: true, configurable: true, writable: false, value: templateLeniently(source, vars[prop], vars) };
    },
  });
}

/**
 * `hostvars`: a lazy, opaque mapping from host name to that host's variables. Nothing is computed
 * until a host is looked up, and each variable is templated only when it is read.
 */
export function makeHostvars(source: HostvarsSource): VarsObject {
  const target: VarsObject = {};
  const entry = (host: string): VarsObject | undefined => {
    const vars = source.varsOf(host);
    return vars ? hostVarsVars(source, vars) : undefined;
  };
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === OPAQUE) return true;
      if (prop === 'toJSON') return () => Object.fromEntries(source.hosts().map((h) => [h, entry(h)]));
      if (typeof prop !== 'string') return undefined;
      return entry(prop);
    },
    has(_t, prop) {
      return prop === OPAQUE || (typeof prop === 'string' && source.varsOf(prop) !== undefined);
    },
    ownKeys() {
      return [...source.hosts()];
    },
    getOwnPropertyDescriptor(_t, prop) {
      if (typeof prop !== 'string') return undefined;
      const value = entry(prop);
      return value === undefined ? undefined : { enumerable: true, configurable: true, writable: false, value };
    },
  });
}

/** Reads `a.b.c` (and `a['b']`-free dotted paths) from a vars object. */
export function lookupPath(vars: ReadonlyVars, name: string): { defined: boolean; value?: unknown; unsafe?: boolean } {
  let current: unknown = vars;
  let unsafe = false;
  for (const part of name.split('.')) {
    if (current === null || typeof current !== 'object' || !(part in (current as object))) return { defined: false };
    current = (current as Record<string, unknown>)[part];
    if (current !== null && typeof current === 'object' && isUnsafeTree(current)) unsafe = true;
  }
  if (current === undefined) return { defined: false };
  return unsafe ? { defined: true, value: current, unsafe } : { defined: true, value: current };
}

/** Ansible's boolean() for keyword values such as `ignore_errors: "yes"`. */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(value.trim().toLowerCase());
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
