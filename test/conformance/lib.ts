/**
 * Differential conformance harness: runs one case with ansible-playbook (the oracle) and with
 * `tsbook run --json`, and reduces both runs to the same comparable shape:
 * exit code, per-host recap, and the values of every `debug` task result per host in order.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR = dirname(fileURLToPath(import.meta.url));
export const CASES_DIR = join(CONFORMANCE_DIR, 'cases');
export const REPO_ROOT = resolve(CONFORMANCE_DIR, '..', '..');
export const DEFAULT_INVENTORY = 'inv/one.ini';
/** Cases keep their scratch files in /tmp/tsbook-conf-NN (hard-coded in the playbooks). */
export const CASE_TMP = '/tmp';

export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export const RECAP_KEYS: readonly (keyof Recap)[] = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'];

/** What a case declares in its leading `# key: value` comment lines. */
export interface CaseHeader {
  readonly file: string;
  readonly name: string;
  readonly covers: string;
  readonly inventory: string;
  readonly args: readonly string[];
  readonly expectRc: number;
  readonly expectRecap: Readonly<Record<string, Recap>>;
}

/** The comparable outcome of one run. */
export interface Outcome {
  readonly rc: number;
  readonly recap: Readonly<Record<string, Recap>>;
  /** host -> rendered debug values (JSON text), in the order the host ran its debug tasks. */
  readonly debug: Readonly<Record<string, readonly string[]>>;
  /** host -> task name per debug entry (for messages only, never compared). */
  readonly debugTasks: Readonly<Record<string, readonly string[]>>;
  readonly stdout: string;
  readonly stderr: string;
}

export class HeaderError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'HeaderError';
  }
}

/** Splits a command line like a POSIX shell would for words and quotes (no expansion). */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      current += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && ['"', '\\', '$', '`'].includes(line[i + 1] as string)) {
          current += line[i + 1];
          i += 2;
        } else {
          current += line[i];
          i += 1;
        }
      }
      if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
      inWord = true;
      i += 1;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      i += 1;
    } else {
      current += ch;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Parses `h1 ok=3 changed=1 ...` (keys omitted are 0). */
export function parseRecapLine(file: string, text: string): [string, Recap] {
  const [host, ...pairs] = text.trim().split(/\s+/);
  if (!host) throw new HeaderError(file, `empty expect-recap line`);
  const recap: Recap = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
  for (const pair of pairs) {
    const m = /^(\w+)=(\d+)$/.exec(pair);
    const key = m?.[1];
    if (!m || !key || !(RECAP_KEYS as readonly string[]).includes(key)) {
      throw new HeaderError(file, `bad expect-recap item '${pair}'`);
    }
    recap[key as keyof Recap] = Number(m[2]);
  }
  return [host, recap];
}

export function parseHeader(file: string, text: string): CaseHeader {
  let covers = '';
  let inventory = DEFAULT_INVENTORY;
  let args: string[] = [];
  let expectRc: number | undefined;
  const expectRecap: Record<string, Recap> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s*([a-z-]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    const value = (m[2] as string).trim();
    switch (key) {
      case 'covers':
        covers = covers ? `${covers} ${value}` : value;
        break;
      case 'inventory':
        inventory = value;
        break;
      case 'args':
        args = [...args, ...shellSplit(value)];
        break;
      case 'expect-rc':
        if (!/^\d+$/.test(value)) throw new HeaderError(file, `bad expect-rc '${value}'`);
        expectRc = Number(value);
        break;
      case 'expect-recap': {
        const [host, recap] = parseRecapLine(file, value);
        expectRecap[host] = recap;
        break;
      }
      default:
        break;
    }
  }
  if (expectRc === undefined) throw new HeaderError(file, 'missing "# expect-rc:" header');
  if (Object.keys(expectRecap).length === 0) throw new HeaderError(file, 'missing "# expect-recap:" header');
  if (!covers) throw new HeaderError(file, 'missing "# covers:" header');
  const name = file.replace(/\.ya?ml$/, '');
  return { file, name, covers, inventory, args, expectRc, expectRecap };
}

/** Every `NN-name.yml` case in cases/, sorted. */
export function listCases(filter?: string): CaseHeader[] {
  return readdirSync(CASES_DIR)
    .filter((f) => /^\d\d+-.*\.ya?ml$/.test(f))
    .filter((f) => !filter || f === filter || f.replace(/\.ya?ml$/, '') === filter || f.startsWith(`${filter}-`))
    .sort()
    .map((f) => parseHeader(f, readFileSync(join(CASES_DIR, f), 'utf8')));
}

export function baseEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ANSIBLE_CALLBACKS_ENABLED: '',
    ANSIBLE_CONFIG: join(CONFORMANCE_DIR, 'ansible.cfg'),
  };
}

interface Spawned {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

const RUN_TIMEOUT_MS = 90_000;

export function spawnCollect(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Spawned> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[conformance] killed after ${RUN_TIMEOUT_MS} ms\n`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolvePromise({ rc: 127, stdout, stderr: `${stderr}${err.message}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ rc: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

export async function ansibleAvailable(): Promise<boolean> {
  const r = await spawnCollect('ansible-playbook', ['--version'], baseEnv(), CONFORMANCE_DIR);
  return r.rc === 0;
}

// ---------------------------------------------------------------------------------------------
// Reducing results to comparable debug values

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys that are result bookkeeping, not the value a debug task printed. */
const META_KEYS = new Set([
  'changed', 'failed', 'skipped', 'skip_reason', 'skipped_reason', 'action', 'invocation', 'item',
  'ansible_loop_var', 'ansible_index_var', 'ansible_loop', 'warnings', 'deprecations', 'false_condition',
]);

export function isDebugAction(action: string): boolean {
  return action === 'debug' || action === 'ansible.builtin.debug' || action === 'ansible.legacy.debug';
}

/** Canonical JSON (sorted keys) so equal values render identically. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

/** The value one debug result (or loop item) shows: `{"msg":..}`, `{"<var>":..}` or a status marker. */
export function debugItemValue(status: string, values: Readonly<Record<string, unknown>>, item?: unknown): unknown {
  if (status === 'skipped' || values['skipped'] === true) return '<skipped>';
  if (status === 'unreachable' || values['unreachable'] === true) return '<unreachable>';
  if (status === 'failed' || values['failed'] === true) return '<failed>';
  if ('msg' in values) return { msg: values['msg'] };
  const skip = new Set(META_KEYS);
  const indexVar = values['ansible_index_var'];
  if (typeof indexVar === 'string') skip.add(indexVar);
  const loopVar = values['ansible_loop_var'];
  if (typeof loopVar === 'string') skip.add(loopVar);
  const keys = Object.keys(values).filter((k) => !skip.has(k) && !k.startsWith('_ansible'));
  if (keys.length === 1) {
    const k = keys[0] as string;
    return { [k]: values[k] };
  }
  if (keys.length === 0 && item !== undefined) return { '<item>': item };
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = values[k];
  return out;
}

/** Debug value of a whole task result: loops become the list of item values. */
export function debugTaskValue(status: string, values: Readonly<Record<string, unknown>>, items?: readonly { status: string; values: Readonly<Record<string, unknown>>; item?: unknown }[]): unknown {
  const results = values['results'];
  if (Array.isArray(results)) {
    return results.map((r: unknown) => {
      const rv = isObject(r) ? r : {};
      return debugItemValue('ok', rv, rv['item']);
    });
  }
  if (items && items.length > 0) return items.map((it) => debugItemValue(it.status, it.values, it.item));
  return debugItemValue(status, values);
}

function normalizeRecap(hosts: Readonly<Record<string, Partial<Recap>>>): Record<string, Recap> {
  const out: Record<string, Recap> = {};
  for (const host of Object.keys(hosts).sort()) {
    const h = hosts[host] ?? {};
    const r: Recap = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    for (const k of RECAP_KEYS) r[k] = Number(h[k] ?? 0);
    // Ansible leaves hosts that never ran a task out of the recap; treat all-zero rows the same.
    if (RECAP_KEYS.some((k) => r[k] !== 0)) out[host] = r;
  }
  return out;
}

export function normalizeExpectedRecap(hosts: Readonly<Record<string, Recap>>): Record<string, Recap> {
  return normalizeRecap(hosts);
}

function pushDebug(debug: Record<string, string[]>, tasks: Record<string, string[]>, host: string, task: string, value: unknown): void {
  (debug[host] ??= []).push(canonical(value));
  (tasks[host] ??= []).push(task);
}

function sortedRecord<T>(rec: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k] as T;
  return out;
}

function parseJsonLines(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (isObject(v)) out.push(v);
    } catch {
      // not an event line
    }
  }
  return out;
}

/** Reduces the conformance callback's NDJSON (see callback_plugins/tsbook_conformance.py). */
export function reduceAnsibleEvents(rc: number, eventsText: string, stdout: string, stderr: string): Outcome {
  const debug: Record<string, string[]> = {};
  const tasks: Record<string, string[]> = {};
  let recap: Record<string, Recap> = {};
  for (const ev of parseJsonLines(eventsText)) {
    if (ev['ev'] === 'result' && typeof ev['action'] === 'string' && isDebugAction(ev['action'])) {
      const values = isObject(ev['values']) ? ev['values'] : {};
      pushDebug(debug, tasks, String(ev['host']), String(ev['task']), debugTaskValue(String(ev['status']), values));
    } else if (ev['ev'] === 'recap' && isObject(ev['hosts'])) {
      recap = normalizeRecap(ev['hosts'] as Record<string, Partial<Recap>>);
    }
  }
  return { rc, recap, debug: sortedRecord(debug), debugTasks: sortedRecord(tasks), stdout, stderr };
}

/** Reduces tsbook's `--json` NDJSON events (see src/events/types.ts). */
export function reduceTsbookEvents(rc: number, stdout: string, stderr: string): Outcome {
  const debug: Record<string, string[]> = {};
  const tasks: Record<string, string[]> = {};
  let recap: Record<string, Recap> = {};
  const pendingItems = new Map<string, { status: string; values: Record<string, unknown>; item?: unknown }[]>();
  for (const ev of parseJsonLines(stdout)) {
    const task = isObject(ev['task']) ? ev['task'] : {};
    const result = isObject(ev['result']) ? ev['result'] : {};
    const action = typeof task['action'] === 'string' ? task['action'] : '';
    const host = String(result['host'] ?? '');
    const key = `${host}\u0000${canonical(task['source'] ?? task['name'])}`;
    if (ev['event'] === 'item_result' && isDebugAction(action)) {
      const list = pendingItems.get(key) ?? [];
      list.push({ status: String(result['status']), values: isObject(result['values']) ? result['values'] : {}, item: result['item'] });
      pendingItems.set(key, list);
    } else if (ev['event'] === 'task_result' && isDebugAction(action)) {
      const values = isObject(result['values']) ? result['values'] : {};
      const items = pendingItems.get(key);
      pendingItems.delete(key);
      pushDebug(debug, tasks, host, String(task['name'] ?? ''), debugTaskValue(String(result['status']), values, items));
    } else if (ev['event'] === 'recap' && isObject(ev['hosts'])) {
      recap = normalizeRecap(ev['hosts'] as Record<string, Partial<Recap>>);
    }
  }
  return { rc, recap, debug: sortedRecord(debug), debugTasks: sortedRecord(tasks), stdout, stderr };
}

/**
 * Removes what a case may have left in /tmp (`/tmp/tsbook-conf-NN` and `/tmp/tsbook-conf-NN-*`) when a
 * previous run stopped half-way, so both tools always start from the same state.
 */
export function cleanCaseTmp(c: CaseHeader): void {
  const num = /^(\d+)-/.exec(c.file)?.[1];
  if (!num) return;
  const prefix = `tsbook-conf-${num}`;
  for (const entry of readdirSync(CASE_TMP)) {
    if (entry === prefix || entry.startsWith(`${prefix}-`)) rmSync(join(CASE_TMP, entry), { recursive: true, force: true });
  }
}

export async function runAnsible(c: CaseHeader): Promise<Outcome> {
  cleanCaseTmp(c);
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-conf-events-'));
  const eventsFile = join(dir, 'events.ndjson');
  try {
    const env = {
      ...baseEnv(),
      ANSIBLE_CALLBACK_PLUGINS: join(CONFORMANCE_DIR, 'callback_plugins'),
      ANSIBLE_STDOUT_CALLBACK: 'tsbook_conformance',
      TSBOOK_CONF_EVENTS: eventsFile,
    };
    const r = await spawnCollect('ansible-playbook', ['-i', c.inventory, c.file, ...c.args], env, CASES_DIR);
    const events = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '';
    return reduceAnsibleEvents(r.rc, events, r.stdout, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTsbook(c: CaseHeader): Promise<Outcome> {
  cleanCaseTmp(c);
  const bin = join(REPO_ROOT, 'bin', 'tsbook');
  const r = await spawnCollect(process.execPath, [bin, 'run', '-i', c.inventory, c.file, ...c.args, '--json'], baseEnv(), CASES_DIR);
  return reduceTsbookEvents(r.rc, r.stdout, r.stderr);
}

/** Text form of the compared part of an outcome (what run-one.sh diffs). */
export function renderOutcome(o: Outcome): string {
  const lines = [`rc: ${o.rc}`];
  for (const [host, r] of Object.entries(o.recap)) {
    lines.push(`recap ${host}: ${RECAP_KEYS.map((k) => `${k}=${r[k]}`).join(' ')}`);
  }
  for (const [host, values] of Object.entries(o.debug)) {
    values.forEach((v, i) => lines.push(`debug ${host} #${i + 1}: ${v}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Runs async jobs with at most `limit` in flight; returns one promise per job, in order. */
export function limited<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T>[] {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (active >= limit) return;
    const start = queue.shift();
    if (start) start();
  };
  return jobs.map(
    (job) =>
      new Promise<T>((resolveJob, rejectJob) => {
        queue.push(() => {
          active += 1;
          job()
            .then(resolveJob, rejectJob)
            .finally(() => {
              active -= 1;
              next();
            });
        });
        next();
      }),
  );
}
