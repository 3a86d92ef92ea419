import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, joinArgs, simLab, sleep, type SimLab } from './harness.js';

let lab: SimLab | undefined;
afterEach(() => {
  lab?.cleanup();
  lab = undefined;
});

async function twoNodes() {
  lab = await simLab(['cp01', 'w1']);
  const cp = lab.host('cp01');
  await cp.kubeadm(['init']);
  const args = joinArgs((await cp.kubeadm(['token', 'create', '--print-join-command'])).stdout);
  expect((await lab.host('w1').kubeadm(['join', ...args])).code).toBe(0);
  const k = (a: string[]) => cp.kubectl(a, { kubeconfigEnv: ADMIN });
  return { lab, cp, k };
}

describe('kubectl label', () => {
  it('labels idempotently and refuses to overwrite without --overwrite', async () => {
    const { lab: l, k } = await twoNodes();
    expect((await k(['label', 'node', 'w1', 'node-role.kubernetes.io/worker='])).stdout).toBe('node/w1 labeled\n');
    expect((await k(['label', 'node', 'w1', 'node-role.kubernetes.io/worker='])).stdout).toBe('node/w1 not labeled\n');
    expect((await k(['label', 'nodes/w1', 'tier=a'])).stdout).toBe('node/w1 labeled\n');
    const clash = await k(['label', 'node', 'w1', 'tier=b']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toBe("error: 'tier' already has a value (a), and --overwrite is false\n");
    expect((await k(['label', 'node', 'w1', 'tier=b', '--overwrite'])).stdout).toBe('node/w1 labeled\n');
    expect((await k(['label', 'node', 'w1', 'tier-'])).stdout).toBe('node/w1 labeled\n');
    expect((await k(['label', 'node', 'w1', 'tier-'])).stdout).toBe('label "tier" not found.\nnode/w1 not labeled\n');
    const labels = l.cluster.nodes().find((n) => n.name === 'w1')!.labels;
    expect(labels['node-role.kubernetes.io/worker']).toBe('');
    expect('tier' in labels).toBe(false);
    const roles = await k(['get', 'nodes', 'w1', '--no-headers']);
    expect(roles.stdout).toMatch(/^w1\s+\S+\s+worker\s/);
    const bad = await k(['label', 'node', 'w1', 'x=not valid']);
    expect(bad.stderr).toContain('error: invalid label value: "x=not valid"');
    const ghost = await k(['label', 'node', 'ghost', 'a=b']);
    expect(ghost.stderr).toBe('Error from server (NotFound): nodes "ghost" not found\n');
  });
});

describe('kubectl taint', () => {
  it('taints, refuses duplicates, overwrites and untaints', async () => {
    const { lab: l, k } = await twoNodes();
    await sleep(350);
    expect((await k(['taint', 'node', 'w1', 'dedicated=gpu:NoSchedule'])).stdout).toBe('node/w1 tainted\n');
    const dup = await k(['taint', 'node', 'w1', 'dedicated=gpu:NoSchedule']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe('error: node w1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n');
    expect((await k(['taint', 'node', 'w1', 'dedicated=ml:NoSchedule', '--overwrite'])).stdout).toBe('node/w1 modified\n');
    expect((await k(['taint', 'node', 'w1', 'dedicated:NoSchedule-'])).stdout).toBe('node/w1 untainted\n');
    const missing = await k(['taint', 'node', 'w1', 'dedicated:NoSchedule-']);
    expect(missing.stderr).toBe('error: taint "dedicated:NoSchedule" not found\n');
    expect((await k(['taint', 'node', 'cp01', 'node-role.kubernetes.io/control-plane:NoSchedule-'])).stdout).toBe('node/cp01 untainted\n');
    expect(l.cluster.nodes().map((n) => n.taints)).toEqual([[], []]);
    const json = JSON.parse((await k(['get', 'node', 'w1', '-o', 'json'])).stdout) as { kind: string; spec: { taints?: unknown } };
    expect(json.kind).toBe('Node');
    expect(json.spec.taints).toBeUndefined();
    const effect = await k(['taint', 'node', 'w1', 'a=b:Sometimes']);
    expect(effect.stderr).toBe('error: invalid taint effect: Sometimes, unsupported taint effect\n');
  });
});

describe('kubectl delete, apply, wait', () => {
  it('deletes nodes', async () => {
    const { lab: l, k } = await twoNodes();
    expect((await k(['delete', 'node', 'w1'])).stdout).toBe('node "w1" deleted\n');
    expect((await k(['delete', 'node', 'w1'])).stderr).toBe('Error from server (NotFound): nodes "w1" not found\n');
    expect(l.cluster.nodes().map((n) => n.name)).toEqual(['cp01']);
  });

  it('records manifests and gates Ready on a CNI when configured', async () => {
    lab = await simLab(['cp01', 'w1'], { joinDurationMs: 50, initDurationMs: 0, readyDelayMs: 100, discoveryTimeoutMs: 50, requireCni: true });
    const cp = lab.host('cp01');
    await cp.kubeadm(['init', '--pod-network-cidr', '10.244.0.0/16']);
    const k = (a: string[], stdin?: string) => cp.kubectl(a, { kubeconfigEnv: ADMIN, ...(stdin !== undefined ? { stdin } : {}) });
    await sleep(200);
    expect(lab.cluster.nodes()[0]).toMatchObject({ ready: false, reason: 'KubeletNotReady' });
    const timeout = await k(['wait', '--for=condition=Ready', 'node/cp01', '--timeout=150ms']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toBe('error: timed out waiting for the condition on nodes/cp01\n');

    const file = join(cp.home, 'flannel.yaml');
    const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: kube-flannel
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: flannel
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-flannel-ds
  namespace: kube-flannel
spec:
  template:
    spec:
      containers: [{name: kube-flannel, image: flannel:v0.25.1}]
`;
    writeFileSync(file, manifest);
    const applied = await k(['apply', '-f', file]);
    expect(applied.stdout).toBe('namespace/kube-flannel created\nclusterrole.rbac.authorization.k8s.io/flannel created\ndaemonset.apps/kube-flannel-ds created\n');
    expect((await k(['apply', '-f', file])).stdout).toBe('namespace/kube-flannel unchanged\nclusterrole.rbac.authorization.k8s.io/flannel unchanged\ndaemonset.apps/kube-flannel-ds unchanged\n');
    writeFileSync(file, manifest.replace('v0.25.1', 'v0.25.2'));
    expect((await k(['apply', '-f', file])).stdout).toContain('daemonset.apps/kube-flannel-ds configured\n');
    expect((await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n')).stdout).toBe('configmap/x created\n');
    const ds = await k(['get', 'daemonset', '-n', 'kube-flannel', '-o', 'name']);
    expect(ds.stdout).toBe('daemonset.apps/kube-flannel-ds\n');
    expect((await k(['apply', '-f', '/nonexistent.yaml'])).stderr).toBe('error: the path "/nonexistent.yaml" does not exist\n');

    const waited = await k(['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=5s']);
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toBe('node/cp01 condition met\n');

    // a joined worker is Ready readyDelay after registering since the CNI is in place
    const args = joinArgs((await cp.kubeadm(['token', 'create', '--print-join-command'])).stdout);
    expect((await lab.host('w1').kubeadm(['join', ...args])).code).toBe(0);
    expect((await k(['wait', '--for=condition=Ready', 'node', 'w1', '--timeout=5s'])).stdout).toBe('node/w1 condition met\n');
  });
});

describe('faults', () => {
  it('joinFails leaves the bootstrap files behind so a retry needs a reset', async () => {
    lab = await simLab(['cp01', 'w1']);
    const cp = lab.host('cp01');
    await cp.kubeadm(['init']);
    const args = joinArgs((await cp.kubeadm(['token', 'create', '--print-join-command'])).stdout);
    lab.cluster.setFault('w1', { kind: 'joinFails' });
    const w1 = lab.host('w1');
    const failed = await w1.kubeadm(['join', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('[kubelet-start] Starting the kubelet\n');
    expect(failed.stderr).toBe('error execution phase kubelet-start: timed out waiting for the condition\nTo see the stack trace of this error execute with --v=5 or higher\n');
    const retry = await w1.kubeadm(['join', ...args]);
    expect(retry.stderr).toContain('[ERROR FileAvailable--etc-kubernetes-bootstrap-kubelet.conf]');
    expect(retry.stderr).toContain('[ERROR Port-10250]: Port 10250 is in use');
    lab.cluster.clearFaults();
    expect((await w1.kubeadm(['reset', '-f'])).code).toBe(0);
    expect((await w1.kubeadm(['join', ...args])).code).toBe(0);
    const log = lab.cluster.readJoinLog();
    expect(log.joins.map((j) => [j.node, j.ok])).toEqual([
      ['w1', false],
      ['w1', false],
      ['w1', true],
    ]);
  });

  it('neverReady and apiUnreachable', async () => {
    lab = await simLab(['cp01', 'w1', 'w2']);
    const cp = lab.host('cp01');
    await cp.kubeadm(['init']);
    const args = joinArgs((await cp.kubeadm(['token', 'create', '--print-join-command'])).stdout);
    lab.cluster.setFault('w1', { kind: 'neverReady' });
    lab.cluster.setFault('w2', { kind: 'apiUnreachable' });
    expect((await lab.host('w1').kubeadm(['join', ...args])).code).toBe(0);
    const w2 = await lab.host('w2').kubeadm(['join', ...args]);
    expect(w2.code).toBe(1);
    expect(w2.stderr).toContain('dial tcp 10.0.0.11:6443: connect: connection refused');
    await sleep(350);
    expect(lab.cluster.nodes().map((n) => [n.name, n.status])).toEqual([
      ['cp01', 'True'],
      ['w1', 'False'],
    ]);
    expect(lab.cluster.nodes()[1]!.taints).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  });
});
