/**
 * bootstrap_k8s.yaml end to end against the kubeadm/kubectl simulator: every host uses the local
 * connection with its own PATH (k8s_environment) pointing at simulator wrappers and its own
 * /etc/kubernetes (k8s_kubernetes_dir). The simulator has no real sockets, so the TCP reachability
 * check is off (k8s_check_endpoint: false); the modules' reachability probe is covered by unit tests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubesimCluster, installKubesim, type KubesimCluster } from '../../../src/lab/kubesim/index.js';
import { readState } from '../../../src/lab/kubesim/state.js';
import { loadInventory } from '../../../src/load/inventory.js';
import { loadPlaybook } from '../../../src/load/playbook.js';
import { runPlaybook } from '../../../src/engine/run.js';
import type { RunEvent } from '../../../src/events/types.js';
import { describeRun, type Ran } from '../../engine/helpers.js';

const PLAYBOOK = resolve(__dirname, '../../../playbooks/bootstrap_k8s.yaml');

interface Lab {
  readonly root: string;
  readonly cluster: KubesimCluster;
  readonly inventory: string;
  run(options?: { limit?: string; extraVars?: Record<string, unknown> }): Promise<Ran>;
}

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

async function makeLab(controlPlanes: readonly string[], workers: readonly string[]): Promise<Lab> {
  root = mkdtempSync(join(tmpdir(), 'tsbook-k8s-'));
  const stateDir = join(root, 'state');
  const cluster = await createKubesimCluster(stateDir, { joinDurationMs: 150, initDurationMs: 0, readyDelayMs: 200, discoveryTimeoutMs: 50 });
  const hostVars = async (name: string, i: number): Promise<Record<string, unknown>> => {
    const base = join(root!, 'hosts', name);
    const bin = join(base, 'bin');
    const etc = join(base, 'etc-kubernetes');
    const cni = join(base, 'cni');
    mkdirSync(cni, { recursive: true });
    await installKubesim(bin, { stateDir, nodeName: name, etcDir: etc, address: `10.0.0.${11 + i}`, arch: 'amd64', hostId: name });
    return { k8s_environment: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }, k8s_kubernetes_dir: etc, k8s_cni_conf_dir: cni };
  };
  const cps: Record<string, unknown> = {};
  const ws: Record<string, unknown> = {};
  let i = 0;
  for (const h of controlPlanes) cps[h] = await hostVars(h, i++);
  for (const h of workers) ws[h] = await hostVars(h, i++);
  if ('gpu01' in ws) ws.gpu01 = { ...(ws.gpu01 as object), node_labels: { 'nvidia.com/gpu': 'true' }, node_taints: ['nvidia.com/gpu=true:NoSchedule'] };
  const inventory = join(root, 'inventory.yaml');
  writeFileSync(
    inventory,
    JSON.stringify({
      all: {
        vars: { ansible_connection: 'local', k8s_become: false, k8s_check_endpoint: false, k8s_control_plane_endpoint: '10.0.0.11:6443', k8s_ready_timeout: 30 },
        children: { k8s_control_plane: { hosts: cps }, k8s_worker: { hosts: ws } },
      },
    }),
  );
  return {
    root,
    cluster,
    inventory,
    async run(options = {}) {
      const events: RunEvent[] = [];
      const result = await runPlaybook({
        playbooks: [await loadPlaybook(PLAYBOOK)],
        inventory: await loadInventory([inventory]),
        forks: 5,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.extraVars !== undefined ? { extraVars: options.extraVars } : {}),
        onEvent: (e) => void events.push(e),
      });
      return describeRun(events, result.stats, result.exitCode);
    },
  };
}

function joinCommands(ran: Ran): string[] {
  return ran.events.flatMap((e) => (e.event === 'task_result' ? (e.result.commands ?? []).map((c) => c.command) : [])).filter((c) => /^kubeadm (join|init)\b/.test(c));
}

describe('playbooks/bootstrap_k8s.yaml on the simulator', () => {
  it('bootstraps 2 control planes and 3 workers, then a re-run changes nothing', async () => {
    const lab = await makeLab(['cp01', 'cp02'], ['pi01', 'pi02', 'gpu01']);
    const first = await lab.run({ extraVars: { k8s_join_parallelism: 2 } });
    expect(first.exitCode, first.lines.join('\n')).toBe(0);

    const nodes = lab.cluster.nodes();
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp01', 'cp02', 'gpu01', 'pi01', 'pi02']);
    const gpu = nodes.find((n) => n.name === 'gpu01')!;
    expect(gpu.labels['nvidia.com/gpu']).toBe('true');
    expect(gpu.labels['node-role.kubernetes.io/worker']).toBe('');
    expect(gpu.taints).toContainEqual({ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' });

    const log = lab.cluster.readJoinLog();
    expect(log.joins.filter((j) => j.controlPlane).map((j) => j.node)).toEqual(['cp02']);
    expect(log.joins.every((j) => j.ok)).toBe(true);
    expect(log.maxConcurrent).toBeLessThanOrEqual(2);

    // no bootstrap token outlives the run: the minted one and kubeadm init's own are both deleted
    const state = readState(join(lab.root, 'state'));
    expect(state.cluster!.tokens).toEqual([]);

    // the bootstrap token and certificate key never reach an event
    const text = JSON.stringify(first.events);
    const tokenShown = /[a-z0-9]{6}\.[a-z0-9]{16}/.test(text.replace(/check-mode-placeholder/g, ''));
    expect(tokenShown).toBe(false);

    const again = await lab.run();
    expect(again.exitCode).toBe(0);
    expect(Object.values(again.stats).every((s) => s.changed === 0), JSON.stringify(again.stats)).toBe(true);
    expect(joinCommands(again)).toEqual([]);
    expect(lab.cluster.readJoinLog().joins).toHaveLength(log.joins.length);
  }, 180_000);

  it('on a worker join failure resets the workers joined in this run, never the ones already joined, and fails with k/n', async () => {
    const lab = await makeLab(['cp01'], ['pi01', 'pi02', 'pi03']);
    const before = await lab.run({ limit: 'cp01,pi01' });
    expect(before.exitCode).toBe(0);

    lab.cluster.setFault('pi02', { kind: 'joinFails' });
    const ran = await lab.run();
    expect(ran.exitCode).not.toBe(0);
    const failure = ran.results('Fail when workers could not join')[0]!;
    expect(failure.msg).toBe('1/2 workers failed to join: pi02');
    expect(ran.results('Reset every worker whose join ran in this run').length).toBeGreaterThan(0);

    const hosts = readState(join(lab.root, 'state')).hosts;
    expect(hosts.pi01?.kubelet).toBe(true);
    expect(hosts.pi02?.kubelet).toBe(false);
    expect(hosts.pi03?.kubelet).toBe(false);
    expect(lab.cluster.nodes().map((n) => n.name).sort()).toEqual(['cp01', 'pi01']);
    // the token minted for the run was deleted even though the run failed
    expect(lab.cluster.listTokens().every((t) => t.description.includes('kubeadm init'))).toBe(true);
  }, 180_000);
});
