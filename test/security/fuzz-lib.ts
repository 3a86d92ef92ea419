/**
 * A seeded mutation fuzzer for tsbook's loaders (shared by test/security/fuzz.test.ts and bench/fuzz.ts).
 *
 * A corpus of valid inputs (the shipped playbooks/ and inventory/, the test fixtures and the
 * conformance cases) is copied once into a scratch directory, so that imports, roles and group_vars
 * still resolve. Each iteration picks a file, applies 1-3 mutations, writes it in place of the copy,
 * runs the loader for its kind in-process (loadPlaybook, loadTaskFile, loadInventory, loadVarsFile,
 * then templates the loaded vars) and restores the file. The only acceptable outcomes are success or
 * a TsbookError; a loader error must also carry a location in the mutated file (or the file it was
 * loading). Anything else (TypeError, RangeError, a stack overflow) is a failure, reported with the
 * seed, the iteration and the mutated input.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { TsbookError } from '../../src/model/errors.js';
import { loadPlaybook, loadTaskFile, loadVarsFile, parseExtraVars } from '../../src/load/playbook.js';
import { loadInventory } from '../../src/load/inventory.js';
import { Templar } from '../../src/template/index.js';

export type CorpusKind = 'playbook' | 'tasks' | 'inventory' | 'vars' | 'extravars' | 'template';

export interface CorpusFile {
  /** Path relative to the scratch copy's root; for extravars and template, a label (not a file). */
  readonly rel: string;
  readonly kind: CorpusKind;
  readonly bytes: Buffer;
}

export interface FuzzFailure {
  readonly seed: number;
  readonly iteration: number;
  readonly file: string;
  readonly kind: CorpusKind;
  readonly mutations: readonly string[];
  readonly error: string;
  /** The mutated input, cut to a readable size. */
  readonly input: string;
  /** Where the full mutated input was saved. */
  readonly savedAs?: string;
}

export interface FuzzStats {
  readonly iterations: number;
  readonly ok: number;
  readonly typedErrors: number;
  readonly failures: readonly FuzzFailure[];
  readonly ms: number;
  readonly byKind: Readonly<Record<CorpusKind, number>>;
  /** The slowest iterations (ms, seed, what was done), slowest first. */
  readonly slowest: readonly { readonly ms: number; readonly seed: number; readonly file: string; readonly mutations: readonly string[] }[];
}

// ------------------------------------------------------------------ PRNG (mulberry32)

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// ------------------------------------------------------------------ corpus

const ROOT = new URL('../..', import.meta.url).pathname;
const CORPUS_DIRS = ['playbooks', 'inventory', 'test/fixtures/playbooks', 'test/fixtures/inventories', 'test/fixtures/bad', 'test/conformance/cases'];
const MAX_CORPUS_BYTES = 64 * 1024;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function classify(rel: string): CorpusKind | undefined {
  const parts = rel.split(sep);
  const base = parts[parts.length - 1]!;
  if (/\.(py|sh|md|txt|conf|cfg)$/.test(base) || parts.includes('_tools') || parts.includes('files') || parts.includes('templates')) return undefined;
  if (parts.some((p) => ['group_vars', 'host_vars', 'vars', 'defaults'].includes(p))) return 'vars';
  if (parts.some((p) => ['tasks', 'handlers', 'meta'].includes(p))) return 'tasks';
  if (rel.startsWith('inventory') || parts.includes('inventories') || parts.includes('inv')) return 'inventory';
  if (/\.j2$/.test(base)) return 'template';
  if (/\.ya?ml$/.test(base)) return 'playbook';
  return undefined;
}

/** `-e` values as a user types them. */
const EXTRA_VARS = [
  'a=1 b="two words" c=[1,2] d={"k":"v"}',
  '{"a": {"b": [1, 2, {"c": null}]}, "d": "{{ a.b }}", "e": 1.5e3}',
  '{a: 1, b: [x, y], c: {d: e}, t: !unsafe "{{ x }}"}',
  '[1, 2]',
  'k=\'quoted value\' k2="{{ k }}" k3=no',
  '@test/conformance/cases/vars/extra.yml',
];

/** Variables the template inputs are rendered with. */
const TEMPLATE_VARS: Readonly<Record<string, unknown>> = {
  x: 1, s: 'text', items: ['a', 'b', 'c'], d: { k: 'v', n: { m: [1, 2] } }, item: 'a', inventory_hostname: 'h1',
  groups: { all: ['h1', 'h2'] }, hostvars: { h1: { a: 1 } }, ansible_facts: { os_family: 'Debian' }, loop_var: '{{ x }}', self_ref: '{{ self_ref }}',
};

/** Copies the corpus into a fresh scratch directory and lists its files. */
export function prepareCorpus(): { dir: string; files: CorpusFile[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-fuzz-'));
  const files: CorpusFile[] = [];
  const templates = new Set<string>();
  for (const d of CORPUS_DIRS) {
    const src = join(ROOT, d);
    cpSync(src, join(dir, d), { recursive: true });
    for (const p of walk(src)) {
      const rel = relative(ROOT, p);
      const kind = classify(rel);
      if (!kind || statSync(p).size > MAX_CORPUS_BYTES) continue;
      const bytes = readFileSync(p);
      files.push({ rel, kind, bytes });
      const text = bytes.toString('utf8');
      for (const m of text.matchAll(/\{\{.*?\}\}|\{%.*?%\}/g)) templates.add(m[0]);
      if (/\.j2$/.test(p)) templates.add(text);
    }
  }
  for (const t of templates) files.push({ rel: '<template>', kind: 'template', bytes: Buffer.from(t) });
  for (const e of EXTRA_VARS) files.push({ rel: '<extra vars>', kind: 'extravars', bytes: Buffer.from(e) });
  return { dir, files };
}

// ------------------------------------------------------------------ mutations

const SPECIALS = [
  ': ', '- ', '-', '{', '}', '[', ']', '{}', '[]', ',', '? ', '|', '|-', '>', '>+', '#', '%YAML 1.1\n', '%TAG ! tag:x,2000:\n', '---\n', '...\n',
  '!!python/object:os.system ', '!!python/object/apply:os.system ["touch /tmp/x"]', '!!binary ', '!!set ', '!!omap ', '!!timestamp ', '!!int ', '!!float ',
  '!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n', '!unsafe ', '!custom ', '&a ', '*a', '*missing', '<<: *a\n', '<<: ', '<<: [*a, *b]\n',
  '"', "'", '\\', '`', '@', '%', '=', '\t', '\0', '\r', '\r\n', '\u2028', '\ufeff', '\ud800',
  '99999999999999999999999999999999999999999999', '1e999', '-1e999', '0x7fffffffffffffffffff', '0o777777777777777777777', '.nan', '-.inf', '1_000_000', '0b1111', '12:30:45', '2001-12-14t21:59:43.10-05:00',
  '{{', '}}', '{%', '%}', '{#', '{{ x', '{{ }}', '{{ a.__class__ }}', '{{ ((((((( }}', "{{ 'x' ~ }}", '{{ x | nosuchfilter }}', '{% for %}', '{% if x %}', '{% endif %}',
  '{{ lookup("env", "HOME") }}', '{{ undefined_var }}', '{{ 1/0 }}', '{{ [1,2][9] }}', '{{ {}.x.y }}', '{{ "a" + 1 }}', '{{ 9999999999999999999999 * 9999999999999999 }}',
  '[group:children]\n', '[all:vars]\n', '[g:vars]\n', '[:]\n', '[\n', 'host[1:3]', 'host[a:c]', 'host[3:1]', 'host[1:3:0]', 'h ansible_host=', ' a=b=c', ' =x', 'k="unterminated',
  'hosts:', 'children:', 'vars:', 'tasks:', 'block:', 'rescue:', 'roles:', 'import_playbook: ', 'include_tasks: ', 'loop: ', 'when: ', 'vars_files:', 'with_items: ',
  'import_role:\n  name: ', 'include_role: ', 'serial: ', 'become: ', 'tags: ', 'notify: ', 'handlers:', 'environment: ', 'delegate_to: ', 'module_defaults: ',
];

/** A billion-laughs document (each level doubles the expansion 9 times). */
function billionLaughs(levels: number): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}

function deepNesting(rng: Rng): string {
  const n = rng.pick([100, 600, 1000, 5000, 10_000]);
  switch (rng.int(5)) {
    case 0:
      return `${'['.repeat(n)}${']'.repeat(n)}`;
    case 1:
      return `${'{a: '.repeat(n)}1${'}'.repeat(n)}`;
    case 2:
      return Array.from({ length: Math.min(n, 2000) }, (_, i) => `${' '.repeat(i)}- `).join('\n');
    case 3:
      return `{{ ${'('.repeat(n)}1${')'.repeat(n)} }}`;
    default:
      return `{{ ${'['.repeat(n)}${']'.repeat(n)} }}`;
  }
}

type Mutation = (rng: Rng, input: Buffer) => { out: Buffer; label: string };

function lineSplice(input: Buffer, fn: (lines: string[]) => string[]): Buffer {
  return Buffer.from(fn(input.toString('latin1').split('\n')).join('\n'), 'latin1');
}

function insertAt(input: Buffer, at: number, insert: Buffer): Buffer {
  return Buffer.concat([input.subarray(0, at), insert, input.subarray(at)]);
}

const MUTATIONS: Readonly<Record<string, Mutation>> = {
  flip: (rng, input) => {
    const out = Buffer.from(input);
    if (out.length === 0) return { out, label: 'flip (empty)' };
    const at = rng.int(out.length);
    out[at] = out[at]! ^ (1 << rng.int(8));
    return { out, label: `flip byte ${at}` };
  },
  randomByte: (rng, input) => {
    const at = rng.int(input.length + 1);
    const byte = rng.int(256);
    return { out: insertAt(input, at, Buffer.from([byte])), label: `insert byte 0x${byte.toString(16)} at ${at}` };
  },
  deleteLine: (rng, input) => {
    const lines = input.toString('latin1').split('\n');
    const at = rng.int(lines.length);
    return { out: lineSplice(input, (l) => [...l.slice(0, at), ...l.slice(at + 1)]), label: `delete line ${at + 1}` };
  },
  duplicateLine: (rng, input) => {
    const lines = input.toString('latin1').split('\n');
    const at = rng.int(lines.length);
    return { out: lineSplice(input, (l) => [...l.slice(0, at + 1), l[at]!, ...l.slice(at + 1)]), label: `duplicate line ${at + 1}` };
  },
  swapLines: (rng, input) => {
    const lines = input.toString('latin1').split('\n');
    const a = rng.int(lines.length);
    const b = rng.int(lines.length);
    return { out: lineSplice(input, (l) => l.map((x, i) => (i === a ? l[b]! : i === b ? l[a]! : x))), label: `swap lines ${a + 1} and ${b + 1}` };
  },
  indent: (rng, input) => {
    const lines = input.toString('latin1').split('\n');
    const at = rng.int(lines.length);
    const shift = rng.pick([-4, -2, -1, 1, 2, 3, 'tab'] as const);
    const change = (line: string): string => {
      if (shift === 'tab') return line.replace(/^ */, '\t');
      if (shift < 0) return line.replace(new RegExp(`^ {0,${-shift}}`), '');
      return `${' '.repeat(shift)}${line}`;
    };
    return { out: lineSplice(input, (l) => l.map((x, i) => (i === at ? change(x) : x))), label: `indent line ${at + 1} by ${shift}` };
  },
  special: (rng, input) => {
    const s = rng.pick(SPECIALS);
    const at = rng.int(input.length + 1);
    return { out: insertAt(input, at, Buffer.from(s, 'utf8')), label: `insert ${JSON.stringify(s)} at ${at}` };
  },
  replaceValue: (rng, input) => {
    // Replaces the value after a random `key: ` with a special.
    const text = input.toString('latin1');
    const spots = [...text.matchAll(/: /g)].map((m) => m.index! + 2);
    if (spots.length === 0) return { out: input, label: 'replace value (none)' };
    const at = rng.pick(spots);
    const end = text.indexOf('\n', at);
    const s = rng.pick(SPECIALS);
    return { out: Buffer.from(text.slice(0, at) + s + (end < 0 ? '' : text.slice(end)), 'latin1'), label: `value at ${at} := ${JSON.stringify(s)}` };
  },
  invalidUtf8: (rng, input) => {
    const seq = rng.pick([[0xff], [0xfe, 0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x80]]);
    const at = rng.int(input.length + 1);
    return { out: insertAt(input, at, Buffer.from(seq)), label: `invalid UTF-8 ${Buffer.from(seq).toString('hex')} at ${at}` };
  },
  hugeNumber: (rng, input) => {
    const text = input.toString('latin1');
    const digits = [...text.matchAll(/\d+/g)];
    const big = rng.pick(['9'.repeat(400), `1e${'9'.repeat(20)}`, `-${'9'.repeat(30)}`, '0.' + '0'.repeat(400) + '1', '18446744073709551617']);
    if (digits.length === 0) return { out: Buffer.from(`${text}\nn: ${big}\n`, 'latin1'), label: `append huge number ${big.slice(0, 20)}` };
    const m = rng.pick(digits);
    return { out: Buffer.from(text.slice(0, m.index) + big + text.slice(m.index! + m[0].length), 'latin1'), label: `number at ${m.index} := ${big.slice(0, 20)}...` };
  },
  laughs: (rng, input) => {
    const levels = rng.pick([3, 6, 9]);
    const doc = billionLaughs(levels);
    const text = input.toString('latin1');
    const mode = rng.int(3);
    if (mode === 0) return { out: Buffer.from(doc), label: `billion laughs (${levels} levels) alone` };
    if (mode === 1) return { out: Buffer.from(`${text}\n${doc}`, 'latin1'), label: `append billion laughs (${levels})` };
    // As a play's/inventory's vars, with a use of the last alias.
    return { out: Buffer.from(`- hosts: all\n  vars:\n${doc.replace(/^/gm, '    ')}    use: *a${levels}\n  tasks: []\n`), label: `billion laughs in play vars (${levels})` };
  },
  nest: (rng, input) => {
    const at = rng.int(input.length + 1);
    const s = deepNesting(rng);
    return { out: insertAt(input, at, Buffer.from(s)), label: `deep nesting ${s.slice(0, 12)}... (${s.length} chars) at ${at}` };
  },
  truncate: (rng, input) => {
    const at = rng.int(input.length + 1);
    return { out: input.subarray(0, at), label: `truncate at ${at}` };
  },
  aliasCycle: (rng, input) => {
    const s = rng.pick(['a: &x\n  b: *x\n', '&x [*x]\n', 'a: &x {b: *x}\n', 'x: *x\n', '- &x\n  - *x\n']);
    return { out: Buffer.from(`${input.toString('latin1')}\n${s}`, 'latin1'), label: `alias cycle ${JSON.stringify(s)}` };
  },
};

const MUTATION_NAMES = Object.keys(MUTATIONS);

export function mutate(rng: Rng, input: Buffer): { out: Buffer; labels: string[] } {
  let out = input;
  const labels: string[] = [];
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const name = rng.pick(MUTATION_NAMES);
    const r = MUTATIONS[name]!(rng, out);
    out = r.out;
    labels.push(r.label);
  }
  return { out, labels };
}

// ------------------------------------------------------------------ running the loaders

/** Templates every loaded variable, as a play's vars are when they are used. */
function templateVars(vars: Readonly<Record<string, unknown>>, file: string): void {
  const templar = new Templar(vars, { source: { file, line: 1, col: 1 } });
  for (const name of Object.keys(vars)) {
    try {
      templar.template(`{{ ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : 'omit'} }}`);
    } catch (e) {
      if (!(e instanceof TsbookError)) throw e;
    }
  }
}

function playVars(play: { vars?: unknown }): Record<string, unknown> {
  return play.vars && typeof play.vars === 'object' ? (play.vars as Record<string, unknown>) : {};
}

async function runLoader(kind: CorpusKind, path: string, input: Buffer, cwd: string): Promise<void> {
  switch (kind) {
    case 'template':
      new Templar(TEMPLATE_VARS, { searchPaths: [cwd] }).template(input.toString('utf8'));
      return;
    case 'extravars':
      // One command-line argument is at most 128 KiB on Linux (MAX_ARG_STRLEN).
      templateVars(await parseExtraVars([input.subarray(0, 128 * 1024).toString('utf8')], cwd), '<extra vars>');
      return;
    case 'playbook': {
      const pb = await loadPlaybook(path);
      for (const play of pb.plays) templateVars(playVars(play as { vars?: unknown }), path);
      return;
    }
    case 'tasks':
      await loadTaskFile(path);
      return;
    case 'inventory': {
      const inv = await loadInventory([path], { cwd: dirname(path), onWarning: () => undefined });
      for (const host of inv.hosts.values()) templateVars(host.vars as Record<string, unknown>, path);
      return;
    }
    case 'vars':
      templateVars(await loadVarsFile(path), path);
  }
}

/** Why an outcome is unacceptable, or undefined when it is fine. */
function judge(error: unknown, kind: CorpusKind, path: string, scratch: string): string | undefined {
  if (!(error instanceof TsbookError)) {
    const e = error as Error;
    return `${e?.constructor?.name ?? typeof error}: ${String(e?.message ?? error)}\n${(e?.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  }
  if (error.kind === 'template' || kind === 'template' || kind === 'extravars') return undefined;
  const src = error.source;
  if (!src) return `${error.constructor.name} without a location: ${error.message}`;
  if (!(src.line >= 1 && src.col >= 1)) return `${error.constructor.name} with a bad location ${src.file}:${src.line}:${src.col}: ${error.message}`;
  // The error must point into the corpus (the mutated file or one it led the loader to), not elsewhere.
  if (!src.file.startsWith(scratch) && src.file !== path) return `${error.constructor.name} located outside the input (${src.file}): ${error.message}`;
  return undefined;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly iterations: number;
  /** Where to save each failing input (default: no files). */
  readonly saveDir?: string;
  /** Written before each iteration (seed, file, mutations, input): what was running if the process dies. */
  readonly crashFile?: string;
  readonly onProgress?: (done: number, stats: { ok: number; typed: number; failures: number }) => void;
}

function preview(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.length > 2000 ? `${text.slice(0, 2000)}\n... (${bytes.length} bytes)` : text;
}

/** How often each kind of input is fuzzed (per cent): files dominate, templates and -e get their share. */
const KIND_WEIGHTS: readonly [CorpusKind, number][] = [['playbook', 35], ['tasks', 10], ['inventory', 20], ['vars', 15], ['extravars', 5], ['template', 15]];

function pickKind(rng: Rng): CorpusKind {
  let r = rng.int(100);
  for (const [kind, weight] of KIND_WEIGHTS) {
    if (r < weight) return kind;
    r -= weight;
  }
  return 'playbook';
}

/** Runs `iterations` mutations starting at `seed` (iteration i uses seed + i, so any one is replayable). */
export async function fuzz(options: FuzzOptions): Promise<FuzzStats> {
  const { dir, files } = prepareCorpus();
  const byKindFiles = new Map<CorpusKind, CorpusFile[]>();
  for (const f of files) byKindFiles.set(f.kind, [...(byKindFiles.get(f.kind) ?? []), f]);
  const start = Date.now();
  let ok = 0;
  let typed = 0;
  const failures: FuzzFailure[] = [];
  const slowest: { ms: number; seed: number; file: string; mutations: readonly string[] }[] = [];
  const byKind: Record<CorpusKind, number> = { playbook: 0, tasks: 0, inventory: 0, vars: 0, extravars: 0, template: 0 };
  try {
    for (let i = 0; i < options.iterations; i++) {
      const seed = (options.seed + i) >>> 0;
      const rng = new Rng(seed);
      const file = rng.pick(byKindFiles.get(pickKind(rng))!);
      const { out, labels } = mutate(rng, file.bytes);
      if (options.crashFile) writeFileSync(options.crashFile, Buffer.concat([Buffer.from(`seed ${seed} ${file.kind} ${file.rel}\n${labels.join('; ')}\n`), out]));
      const virtual = file.kind === 'template' || file.kind === 'extravars';
      const path = virtual ? dir : join(dir, file.rel);
      if (!virtual) writeFileSync(path, out);
      byKind[file.kind]++;
      let problem: string | undefined;
      const t0 = performance.now();
      try {
        await runLoader(file.kind, path, out, dir);
        ok++;
      } catch (e) {
        problem = judge(e, file.kind, path, dir);
        if (!problem) typed++;
      } finally {
        if (!virtual) writeFileSync(path, file.bytes);
      }
      const ms = performance.now() - t0;
      if (slowest.length < 5 || ms > slowest[slowest.length - 1]!.ms) {
        slowest.push({ ms: Math.round(ms), seed, file: file.rel, mutations: labels });
        slowest.sort((a, b) => b.ms - a.ms);
        slowest.length = Math.min(slowest.length, 5);
      }
      if (problem) {
        let savedAs: string | undefined;
        if (options.saveDir) {
          mkdirSync(options.saveDir, { recursive: true });
          savedAs = join(options.saveDir, `seed-${seed}-${file.rel.replace(/[\\/]/g, '_')}`);
          writeFileSync(savedAs, out);
        }
        failures.push({ seed, iteration: i, file: file.rel, kind: file.kind, mutations: labels, error: problem, input: preview(out), savedAs });
      }
      if (options.onProgress && (i + 1) % 500 === 0) options.onProgress(i + 1, { ok, typed, failures: failures.length });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { iterations: options.iterations, ok, typedErrors: typed, failures, ms: Date.now() - start, byKind, slowest };
}

/** A readable report of failures (seed, file, mutations, error, input). */
export function formatFailures(failures: readonly FuzzFailure[], limit = 10): string {
  return failures
    .slice(0, limit)
    .map((f) => [
      `seed ${f.seed} (iteration ${f.iteration}) ${f.kind} ${f.file}`,
      `  mutations: ${f.mutations.join('; ')}`,
      `  error: ${f.error.replace(/\n/g, '\n    ')}`,
      ...(f.savedAs ? [`  saved: ${f.savedAs}`] : []),
      '  input:',
      f.input.replace(/^/gm, '    | '),
    ].join('\n'))
    .join('\n\n');
}
