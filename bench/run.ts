/**
 * Performance harness (issue 6): tsbook vs the raw SSH floor vs ansible-playbook on a real OpenSSH fleet.
 *
 *   npm run bench [-- --quick] [-- --sizes 10x20,50x10] [-- --scaling 1,10,25] [-- --runs 3]
 *                 [-- --variants command,shell] [-- --ansible-runs 1] [-- --ansible-configs best]
 *                 [-- --no-ansible] [-- --ansible-max-hosts 50] [-- --results-dir DIR]
 *
 * Prints a table and writes <results-dir>/<timestamp>.json (default bench/results/, gitignored).
 * Overhead is (median wall − floor median wall) / (hosts × tasks): the cost a tool adds per host per task.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { startFleet, type Fleet, type FleetHost } from '../test/support/fleet.js';
import type { FloorSpec } from './floor.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, '..');
const TIME = '/usr/bin/time';

export type Variant = 'command' | 'shell' | 'files';
export const VARIANTS: readonly Variant[] = ['command', 'shell', 'files'];

export interface Size { readonly hosts: number; readonly tasks: number }

export interface BenchOptions {
  readonly quick: boolean;
  readonly sizes: readonly Size[];
  readonly scalingHosts: readonly number[];
  readonly scalingTasks: number;
  readonly runs: number;
  /** Runs per ansible-playbook configuration (ansible is slow; its spread is small next to the ratios). */
  readonly ansibleRuns: number;
  readonly variants: readonly Variant[];
  /** 'all' (defaults, -f N, -f N + pipelining + ControlPersist) or 'best' (the last only). */
  readonly ansibleConfigs: 'all' | 'best';
  readonly ansible: boolean;
  readonly ansibleMaxHosts: number;
  readonly resultsDir: string;
}

export interface RunSample { readonly wallMs: number; readonly peakRssKb: number | null; readonly exitCode: number; readonly error?: string }

export interface ToolResult {
  readonly tool: string;
  readonly runs: readonly RunSample[];
  readonly medianWallMs: number;
  readonly peakRssKb: number | null;
  readonly overheadMsPerHostTask: number | null;
  readonly ratioToFloor: number | null;
  readonly ratioToTsbook: number | null;
}

export interface CaseResult {
  readonly id: string;
  readonly kind: 'size' | 'scaling';
  readonly hosts: number;
  readonly tasks: number;
  readonly variant: Variant;
  readonly tools: readonly ToolResult[];
}

export interface BenchReport {
  readonly schema: 'tsbook-bench/1';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: BenchOptions;
  readonly environment: {
    readonly node: string;
    readonly cpus: number;
    readonly ansible: string | null;
    readonly privilegedFleet: boolean;
    readonly rssMethod: 'gnu-time' | 'none';
  };
  readonly cases: readonly CaseResult[];
}

class UsageError extends Error {}

function parseSizes(text: string): Size[] {
  return text.split(',').filter((s) => s !== '').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`bad size '${s}' (want HOSTSxTASKS, e.g. 10x20)`);
    return { hosts: Number(m[1]), tasks: Number(m[2]) };
  });
}

function parseCount(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!text || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a positive integer`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let sizes: Size[] | undefined;
  let scaling: number[] | undefined;
  let runs: number | undefined;
  let ansibleRuns: number | undefined;
  let variants: Variant[] | undefined;
  let ansibleConfigs: 'all' | 'best' = 'all';
  let ansible = true;
  let ansibleMaxHosts = Number.POSITIVE_INFINITY;
  let resultsDir = join(BENCH_DIR, 'results');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--') continue;
    else if (a === '--quick') quick = true;
    else if (a === '--sizes') sizes = parseSizes(value());
    else if (a === '--scaling') scaling = value().split(',').filter((s) => s !== '').map((s) => parseCount('--scaling', s));
    else if (a === '--runs') runs = parseCount('--runs', value());
    else if (a === '--ansible-runs') ansibleRuns = parseCount('--ansible-runs', value());
    else if (a === '--ansible-configs') {
      const v = value();
      if (v !== 'all' && v !== 'best') throw new UsageError(`--ansible-configs is all or best, got '${v}'`);
      ansibleConfigs = v;
    }
    else if (a === '--variants') {
      variants = value().split(',').filter((v) => v !== '').map((v) => {
        if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`unknown variant '${v}' (${VARIANTS.join(', ')})`);
        return v as Variant;
      });
    }
    else if (a === '--no-ansible') ansible = false;
    else if (a === '--ansible-max-hosts') ansibleMaxHosts = parseCount('--ansible-max-hosts', value());
    else if (a === '--results-dir') resultsDir = resolve(value());
    else throw new UsageError(`unknown option '${a}'`);
  }
  if (quick) {
    return { quick, sizes: sizes ?? [{ hosts: 3, tasks: 5 }], scalingHosts: scaling ?? [], scalingTasks: 5, runs: runs ?? 1, ansibleRuns: ansibleRuns ?? 1, variants: variants ?? VARIANTS, ansibleConfigs, ansible: false, ansibleMaxHosts, resultsDir };
  }
  return {
    quick,
    sizes: sizes ?? parseSizes('10x20,50x10,100x5'),
    // An explicit --sizes alone means just those sizes.
    scalingHosts: scaling ?? (sizes ? [] : [1, 10, 25, 50, 100]),
    scalingTasks: 10,
    runs: runs ?? 3,
    ansibleRuns: ansibleRuns ?? runs ?? 3,
    variants: variants ?? VARIANTS,
    ansibleConfigs,
    ansible,
    ansibleMaxHosts,
    resultsDir,
  };
}

// ---------------------------------------------------------------- playbooks and inventories

function yamlString(s: string): string {
  return JSON.stringify(s);
}

export function playbookText(variant: Variant, tasks: number, filesRoot: string, templateFile: string): string {
  const lines = ['- hosts: all', '  gather_facts: false'];
  if (variant === 'files') lines.push('  vars:', `    bench_dir: ${yamlString(`${filesRoot}/{{ inventory_hostname }}`)}`);
  lines.push('  tasks:');
  for (let i = 1; i <= tasks; i++) {
    lines.push(`    - name: ${variant} ${i}`);
    if (variant === 'command') {
      lines.push('      command: /bin/true');
    } else if (variant === 'shell') {
      lines.push('      shell: echo {{ inventory_hostname }}', `      register: out${i}`);
    } else if (i === 1) {
      lines.push('      file:', '        path: "{{ bench_dir }}"', '        state: directory', "        mode: '0755'");
    } else if (i % 3 === 2) {
      lines.push('      copy:', `        content: ${yamlString(`line ${i} on {{ inventory_hostname }}\n`)}`, `        dest: "{{ bench_dir }}/copy${i}.txt"`, "        mode: '0644'");
    } else if (i % 3 === 0) {
      lines.push('      template:', `        src: ${yamlString(templateFile)}`, `        dest: "{{ bench_dir }}/template${i}.txt"`, "        mode: '0644'");
    } else {
      lines.push('      file:', `        path: "{{ bench_dir }}/dir${i}"`, '        state: directory', "        mode: '0755'");
    }
  }
  return `${lines.join('\n')}\n`;
}

export function inventoryText(fleet: Fleet, hosts: readonly FleetHost[]): string {
  return [
    '[fleet]',
    ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`),
    '',
    '[fleet:vars]',
    `ansible_user=${fleet.user}`,
    `ansible_ssh_private_key_file=${fleet.clientKey.privateKeyFile}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes'`,
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- measuring

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Command { readonly cmd: string; readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> }

/** Runs a command once; wall time from spawn to exit, peak RSS (KiB, largest single process) from GNU time. */
function measure(c: Command, scratch: string): Promise<RunSample> {
  const rssFile = join(scratch, 'rss.txt');
  rmSync(rssFile, { force: true });
  const useTime = existsSync(TIME);
  const [cmd, args] = useTime ? [TIME, ['-f', '%M', '-o', rssFile, c.cmd, ...c.args]] : [c.cmd, [...c.args]];
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => { out = (out + d.toString('utf8')).slice(-4000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => resolvePromise({ wallMs: performance.now() - t0, peakRssKb: null, exitCode: 255, error: e.message }));
    child.once('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      let peakRssKb: number | null = null;
      if (useTime && existsSync(rssFile)) {
        const last = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
        peakRssKb = /^\d+$/.test(last) ? Number(last) : null;
      }
      const exitCode = code ?? (signal ? 128 : 255);
      resolvePromise(exitCode === 0 ? { wallMs, peakRssKb, exitCode } : { wallMs, peakRssKb, exitCode, error: out.trim().split('\n').slice(-15).join('\n') });
    });
  });
}

/** Compiles bench/floor.ts to plain JS next to node_modules (bench/results/ is gitignored). */
function buildFloor(): string {
  const src = readFileSync(join(BENCH_DIR, 'floor.ts'), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '.floor.mjs');
  writeFileSync(file, out.outputText);
  return file;
}

function ansibleVersion(): string | null {
  const r = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  return r.stdout.split('\n')[0].trim();
}

// ---------------------------------------------------------------- cases

interface CasePlan { readonly kind: 'size' | 'scaling'; readonly hosts: number; readonly tasks: number; readonly variant: Variant; readonly ansibleTools: readonly string[] }

export const ANSIBLE_TOOLS = ['ansible (defaults, forks 5)', 'ansible -f N', 'ansible -f N +pipelining +ControlPersist'] as const;

export function planCases(o: BenchOptions, ansibleAvailable: boolean): CasePlan[] {
  const plans: CasePlan[] = [];
  const ansibleFor = (hosts: number, tools: readonly string[]) => (o.ansible && ansibleAvailable && hosts <= o.ansibleMaxHosts ? tools : []);
  for (const s of o.sizes) {
    const tools = o.ansibleConfigs === 'best' ? [ANSIBLE_TOOLS[2]] : ANSIBLE_TOOLS;
    for (const variant of o.variants) plans.push({ kind: 'size', ...s, variant, ansibleTools: ansibleFor(s.hosts, tools) });
  }
  for (const hosts of o.scalingHosts) {
    plans.push({ kind: 'scaling', hosts, tasks: o.scalingTasks, variant: 'command', ansibleTools: ansibleFor(hosts, [ANSIBLE_TOOLS[2]]) });
  }
  return plans;
}

function ansibleCommand(tool: string, inventory: string, playbook: string, hosts: number): Command {
  const env: Record<string, string> = { ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0' };
  const args = ['-i', inventory, playbook];
  if (tool !== ANSIBLE_TOOLS[0]) args.push('-f', String(hosts));
  if (tool === ANSIBLE_TOOLS[2]) {
    Object.assign(env, {
      ANSIBLE_PIPELINING: 'True',
      ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
    });
  }
  return { cmd: 'ansible-playbook', args, env };
}

async function runCase(plan: CasePlan, o: BenchOptions, fleet: Fleet, floorJs: string, work: string): Promise<CaseResult> {
  const id = `${plan.kind}:${plan.hosts}x${plan.tasks}:${plan.variant}`;
  const hosts = fleet.hosts.slice(0, plan.hosts);
  const caseDir = join(work, id.replace(/[^a-z0-9x]+/gi, '_'));
  mkdirSync(caseDir, { recursive: true });
  const filesRoot = join(work, 'files');
  const templateFile = join(work, 'bench.j2');
  const inventory = join(caseDir, 'inventory.ini');
  const playbook = join(caseDir, 'playbook.yml');
  writeFileSync(inventory, inventoryText(fleet, hosts));
  writeFileSync(playbook, playbookText(plan.variant, plan.tasks, filesRoot, templateFile));
  const spec: FloorSpec = {
    hosts: hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })),
    user: fleet.user,
    privateKeyFile: fleet.clientKey.privateKeyFile,
    command: plan.variant === 'shell' ? 'echo {host}' : '/bin/true',
    tasks: plan.tasks,
  };
  const specFile = join(caseDir, 'floor.json');
  writeFileSync(specFile, JSON.stringify(spec));

  const tools: Array<[string, Command]> = [
    ['floor', { cmd: process.execPath, args: [floorJs, specFile] }],
    ['tsbook', { cmd: process.execPath, args: [join(REPO, 'bin', 'tsbook'), 'run', playbook, '-i', inventory, '-f', String(plan.hosts), '--plain', '--no-color'] }],
    ...plan.ansibleTools.map((t): [string, Command] => [t, ansibleCommand(t, inventory, playbook, plan.hosts)]),
  ];
  const samples = new Map<string, RunSample[]>();
  for (const [tool, command] of tools) {
    const list: RunSample[] = [];
    const runs = tool.startsWith('ansible') ? o.ansibleRuns : o.runs;
    for (let r = 0; r < runs; r++) {
      rmSync(filesRoot, { recursive: true, force: true }); // every files run starts from nothing
      const s = await measure(command, caseDir);
      if (s.exitCode !== 0) process.stderr.write(`bench: ${id} ${tool} run ${r + 1} exited ${s.exitCode}\n${s.error ?? ''}\n`);
      list.push(s);
    }
    samples.set(tool, list);
  }
  const medianOf = (tool: string): number | null => {
    const list = samples.get(tool);
    return list && list.length > 0 ? median(list.map((s) => s.wallMs)) : null;
  };
  const floorMs = medianOf('floor');
  const tsbookMs = medianOf('tsbook');
  const results: ToolResult[] = tools.map(([tool]) => {
    const runs = samples.get(tool) ?? [];
    const m = medianOf(tool) ?? 0;
    const rss = runs.map((s) => s.peakRssKb).filter((x): x is number => x !== null);
    return {
      tool,
      runs,
      medianWallMs: m,
      peakRssKb: rss.length > 0 ? Math.max(...rss) : null,
      overheadMsPerHostTask: floorMs === null || tool === 'floor' ? null : (m - floorMs) / (plan.hosts * plan.tasks),
      ratioToFloor: floorMs ? m / floorMs : null,
      ratioToTsbook: tool.startsWith('ansible') && tsbookMs ? m / tsbookMs : null,
    };
  });
  return { id, kind: plan.kind, hosts: plan.hosts, tasks: plan.tasks, variant: plan.variant, tools: results };
}

// ---------------------------------------------------------------- output

export function formatTable(cases: readonly CaseResult[]): string {
  const header = ['case', 'variant', 'tool', 'median s', 'peak RSS MB', 'overhead ms/(host·task)', 'x floor', 'ansible/tsbook', 'exit'];
  const rows: string[][] = [header];
  for (const c of cases) {
    for (const t of c.tools) {
      rows.push([
        `${c.kind === 'scaling' ? 'scale ' : ''}${c.hosts}x${c.tasks}`,
        c.variant,
        t.tool,
        (t.medianWallMs / 1000).toFixed(2),
        t.peakRssKb === null ? '-' : (t.peakRssKb / 1024).toFixed(0),
        t.overheadMsPerHostTask === null ? '-' : t.overheadMsPerHostTask.toFixed(2),
        t.ratioToFloor === null || t.tool === 'floor' ? '-' : t.ratioToFloor.toFixed(2),
        t.ratioToTsbook === null ? '-' : t.ratioToTsbook.toFixed(2),
        [...new Set(t.runs.map((r) => r.exitCode))].join(','),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export async function runBench(o: BenchOptions): Promise<{ report: BenchReport; file: string }> {
  const startedAt = new Date().toISOString();
  const ansible = o.ansible ? ansibleVersion() : null;
  if (o.ansible && ansible === null) process.stderr.write('bench: ansible-playbook not found; skipping ansible runs\n');
  const plans = planCases(o, ansible !== null);
  const maxHosts = Math.max(...plans.map((p) => p.hosts));
  const floorJs = buildFloor();
  const work = mkdtempSync(join(tmpdir(), 'tsbook-bench-'));
  writeFileSync(join(work, 'bench.j2'), 'host={{ inventory_hostname }}\n{% for i in range(3) %}line {{ i }}\n{% endfor %}\n');
  process.stderr.write(`bench: starting a fleet of ${maxHosts} hosts, ${plans.length} cases, ${o.runs} run(s) each\n`);
  const fleet = await startFleet({ hosts: maxHosts, maxSessions: 20 });
  const cases: CaseResult[] = [];
  try {
    for (const plan of plans) {
      process.stderr.write(`bench: ${plan.kind} ${plan.hosts}x${plan.tasks} ${plan.variant}\n`);
      cases.push(await runCase(plan, o, fleet, floorJs, work));
    }
  } finally {
    await fleet.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const report: BenchReport = {
    schema: 'tsbook-bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...o, ansibleMaxHosts: Number.isFinite(o.ansibleMaxHosts) ? o.ansibleMaxHosts : 0 },
    environment: { node: process.version, cpus: cpus().length, ansible, privilegedFleet: fleet.privileged, rssMethod: existsSync(TIME) ? 'gnu-time' : 'none' },
    cases,
  };
  mkdirSync(o.resultsDir, { recursive: true });
  const file = join(o.resultsDir, `${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return { report, file };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const { report, file } = await runBench(options);
  process.stdout.write(`${formatTable(report.cases)}\n\n`);
  process.stdout.write('overhead = (median wall - floor median wall) / (hosts x tasks); peak RSS = largest single controller process (GNU time %M)\n');
  process.stdout.write(`results: ${file}\n`);
  const failed = report.cases.some((c) => c.tools.some((t) => (t.tool === 'tsbook' || t.tool === 'floor') && t.runs.some((r) => r.exitCode !== 0)));
  return failed ? 1 : 0;
}

// Run when started as the script (vite-node bench/run.ts, or node on a compiled copy), not when imported.
if (/(vite-node|bench[\\/]run\.[mc]?[jt]s)$/.test(process.argv[1] ?? '')) {
  main().then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
