/**
 * Simulated hosts for kubesim tests: each has its own /etc/kubernetes directory and HOME, all share
 * one cluster state directory. Commands run in-process (fast) with captured output.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubesimCluster, runKubesim } from '../../../src/lab/kubesim/index.js';
import type { KubesimCluster, SimConfig } from '../../../src/lab/kubesim/index.js';

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SimHost {
  readonly name: string;
  readonly etcDir: string;
  readonly home: string;
  readonly address: string;
  kubeadm(args: readonly string[], opts?: RunOpts): Promise<Result>;
  kubectl(args: readonly string[], opts?: RunOpts): Promise<Result>;
}

export interface RunOpts {
  readonly kubeconfigEnv?: string;
  readonly stdin?: string;
  readonly clockOffsetMs?: number;
}

export interface SimLab {
  readonly root: string;
  readonly stateDir: string;
  readonly cluster: KubesimCluster;
  host(name: string): SimHost;
  cleanup(): void;
}

export const FAST: Partial<SimConfig> = { joinDurationMs: 250, initDurationMs: 0, readyDelayMs: 300, discoveryTimeoutMs: 50 };

export async function simLab(names: readonly string[], config: Partial<SimConfig> = FAST): Promise<SimLab> {
  const root = mkdtempSync(join(tmpdir(), 'kubesim-'));
  const stateDir = join(root, 'state');
  const cluster = await createKubesimCluster(stateDir, config);
  const hosts = new Map<string, SimHost>();
  names.forEach((name, i) => {
    const etcDir = join(root, 'hosts', name, 'etc-kubernetes');
    const home = join(root, 'hosts', name, 'home');
    mkdirSync(etcDir, { recursive: true });
    mkdirSync(home, { recursive: true });
    const address = `10.0.0.${11 + i}`;
    const run = async (tool: 'kubeadm' | 'kubectl', args: readonly string[], opts: RunOpts = {}): Promise<Result> => {
      let stdout = '';
      let stderr = '';
      const code = await runKubesim(tool, args, {
        stateDir, etcDir, nodeName: name, hostId: name, address, arch: 'amd64', home, cwd: home,
        ...(opts.kubeconfigEnv !== undefined ? { kubeconfigEnv: opts.kubeconfigEnv } : {}),
        stdin: opts.stdin ?? '',
        ...(opts.clockOffsetMs !== undefined ? { clockOffsetMs: opts.clockOffsetMs } : {}),
        out: (t) => (stdout += t),
        err: (t) => (stderr += t),
      });
      return { code, stdout, stderr };
    };
    hosts.set(name, { name, etcDir, home, address, kubeadm: (a, o) => run('kubeadm', a, o), kubectl: (a, o) => run('kubectl', a, o) });
  });
  return {
    root,
    stateDir,
    cluster,
    host: (n) => hosts.get(n)!,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The worker join command printed by `kubeadm token create --print-join-command`, as argv. */
export function joinArgs(printed: string): string[] {
  const parts = printed.trim().split(/\s+/);
  return parts.slice(2);
}

export const ADMIN = '/etc/kubernetes/admin.conf';
