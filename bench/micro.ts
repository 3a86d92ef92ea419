/**
 * Micro-benchmark (issue 6): loading plus templating 1,000 tasks x 100 hosts of vars, in-process,
 * measured in CPU time (process.cpuUsage), not wall time.
 *
 *   npx vite-node bench/micro.ts [-- --hosts 100 --tasks 1000]
 *
 * The playbook is 1,000 `debug` tasks whose `msg` templates host vars, group vars, a hostvars
 * lookup of another host and a filter chain; every host runs every task through the real engine
 * (runPlaybook, linear strategy, forks = hosts) on the controller only: `debug` opens no connection.
 * It prints the CPU seconds spent loading and spent running, and exits 1 if a task failed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../src/engine/run.js';
import { makeHostvars } from '../src/engine/vars.js';
import type { RunEvent } from '../src/events/types.js';
import { groupNamesOf, groupsMap, inventoryVarsFor, loadInventory } from '../src/load/inventory.js';
import { selectHosts } from '../src/load/patterns.js';
import { loadPlaybook } from '../src/load/playbook.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Block, Playbook, TaskNode } from '../src/model/playbook.js';
import { Templar } from '../src/template/index.js';

export interface TemplatingResult {
  readonly hosts: number;
  readonly tasks: number;
  /** CPU to parse and model the playbook and the inventory. */
  readonly loadCpuMs: number;
  /** CPU to select the hosts and template every task's name and arguments for every host. */
  readonly templateCpuMs: number;
  readonly renders: number;
}

export interface MicroResult {
  readonly hosts: number;
  readonly tasks: number;
  readonly loadCpuMs: number;
  readonly runCpuMs: number;
  readonly renders: number;
  readonly failures: number;
}

export function microInventory(hosts: number): string {
  const lines = ['all:', '  vars:', '    domain: lab.example', '    ntp_servers: [ntp1, ntp2, ntp3]', '  children:', '    nodes:', '      vars:', '        role_name: worker', '      hosts:'];
  for (let i = 1; i <= hosts; i++) {
    lines.push(`        node${i}:`, '          ansible_connection: local', `          node_index: ${i}`, `          labels: {zone: z${i % 3}, rack: r${i % 7}}`);
  }
  return `${lines.join('\n')}\n`;
}

export function microPlaybook(tasks: number): string {
  const lines = ['- hosts: nodes', '  gather_facts: false', '  vars:', '    greeting: hello', '  tasks:'];
  for (let i = 1; i <= tasks; i++) {
    lines.push(
      `    - name: task ${i} on {{ inventory_hostname }}`,
      '      debug:',
      `        msg: "{{ greeting }} {{ inventory_hostname }}.{{ domain }} #{{ node_index * ${i} }} {{ labels.zone }}/{{ labels.rack | upper }} {{ ntp_servers | join(',') }} {{ hostvars['node1'].node_index }} {{ group_names | length }}"`,
      '      changed_when: false',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the generated inventory and playbook into `dir` and loads them, timing the loading's CPU. */
async function loadGenerated(dir: string, hosts: number, tasks: number): Promise<{ inventory: Inventory; playbook: Playbook; loadCpuMs: number }> {
  writeFileSync(join(dir, 'inventory.yaml'), microInventory(hosts));
  writeFileSync(join(dir, 'playbook.yaml'), microPlaybook(tasks));
  const loadStart = process.cpuUsage();
  const inventory = await loadInventory([join(dir, 'inventory.yaml')]);
  const playbook = await loadPlaybook(join(dir, 'playbook.yaml'));
  return { inventory, playbook, loadCpuMs: cpuMs(loadStart) };
}

function tasksOf(nodes: readonly (TaskNode | Block)[]): TaskNode[] {
  return nodes.flatMap((node) => (node.kind === 'block' ? tasksOf(node.block) : [node]));
}

/**
 * Loading plus templating, without running modules: each host's variables (inventory, group
 * vars, magic variables and lazy hostvars of every host), then every task's name and arguments
 * templated for every host. This is where Ansible's lazy-vars and host-pattern costs live.
 */
export async function runTemplating(hosts: number, tasks: number): Promise<TemplatingResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-micro-'));
  try {
    const { inventory, playbook, loadCpuMs } = await loadGenerated(dir, hosts, tasks);

    const templateStart = process.cpuUsage();
    const play = playbook.plays[0];
    const selected = selectHosts(inventory, String(play.hosts));
    const groups = groupsMap(inventory);
    const views = new Map<string, Record<string, unknown>>();
    const hostVars = (host: string): Record<string, unknown> => {
      let view = views.get(host);
      if (!view) {
        view = {
          ...inventoryVarsFor(inventory, host),
          ...play.vars,
          inventory_hostname: host,
          group_names: groupNamesOf(inventory, host).filter((g) => g !== 'all' && g !== 'ungrouped'),
          groups,
        };
        views.set(host, view);
      }
      return view;
    };
    const hostvars = makeHostvars({
      hosts: () => [...inventory.hosts.keys()],
      varsOf: (host) => (inventory.hosts.has(host) ? hostVars(host) : undefined),
      template: (value, vars) => new Templar(vars).template(value),
    });
    const taskList = tasksOf(play.tasks);
    let renders = 0;
    for (const host of selected) {
      const templar = new Templar({ ...hostVars(host), hostvars });
      for (const task of taskList) {
        if (task.kind !== 'task') continue;
        templar.template(task.name);
        templar.template(task.args);
        renders += 1;
      }
    }
    return { hosts, tasks, loadCpuMs, templateCpuMs: cpuMs(templateStart), renders };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function runMicro(hosts: number, tasks: number): Promise<MicroResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbook-micro-'));
  try {
    const { inventory, playbook, loadCpuMs } = await loadGenerated(dir, hosts, tasks);
    let renders = 0;
    let failures = 0;
    const onEvent = (e: RunEvent): void => {
      if (e.event !== 'task_result') return;
      renders += 1;
      if (e.result.status !== 'ok') failures += 1;
    };
    const runStart = process.cpuUsage();
    await runPlaybook({ playbooks: [playbook], inventory, forks: hosts, onEvent });
    return { hosts, tasks, loadCpuMs, runCpuMs: cpuMs(runStart), renders, failures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function option(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

if (/(vite-node|bench[\\/]micro\.[mc]?[jt]s)$/.test(process.argv[1] ?? '')) {
  const argv = process.argv.slice(2);
  const hosts = option(argv, '--hosts', 100);
  const tasks = option(argv, '--tasks', 1000);
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const templating = await runTemplating(hosts, tasks);
  process.stdout.write(`${JSON.stringify(templating)}\n`);
  process.stdout.write(`loading + templating ${tasks} tasks x ${hosts} hosts: ${seconds(templating.loadCpuMs + templating.templateCpuMs)} CPU (load ${seconds(templating.loadCpuMs)}, templating ${seconds(templating.templateCpuMs)})\n`);
  const engineTasks = option(argv, '--engine-tasks', tasks);
  const engine = await runMicro(hosts, engineTasks);
  process.stdout.write(`${JSON.stringify(engine)}\n`);
  process.stdout.write(`full engine run of ${engineTasks} debug tasks x ${hosts} hosts: ${seconds(engine.runCpuMs)} CPU (${((engine.runCpuMs * 1000) / Math.max(1, engine.renders)).toFixed(1)} us per host-task)\n`);
  const complete = templating.renders === hosts * tasks && engine.failures === 0 && engine.renders === hosts * engineTasks;
  process.exitCode = complete ? 0 : 1;
}
